"""``config validate|apply`` and ``cards generate`` through the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from openpxs.cli_config import cards_app, config_app, default_database_url
from openpxs.config import DEMO_CONFIG_FILES
from openpxs.security import seal_registration_code

app = typer.Typer()
app.add_typer(config_app, name="config")
app.add_typer(cards_app, name="cards")

DEMO_1000, DEMO_2000 = (str(path) for path in DEMO_CONFIG_FILES)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_validate_ok(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "validate", DEMO_1000])
    assert result.exit_code == 0, result.output
    assert "merchant 1000" in result.stdout and "4 wallets" in result.stdout


def test_validate_bad_file_names_field_and_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = Path(DEMO_2000).read_text(encoding="utf-8")
    bad.write_text(text.replace("    scale: 2\n", "    scale: 12\n"), encoding="utf-8")
    line = text.splitlines().index("    scale: 2") + 1
    result = runner.invoke(app, ["config", "validate", str(bad)])
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {bad}: wallets[0].scale (line {line}): ")
    assert "less than or equal to 4" in result.stderr
    assert result.stdout == ""


def test_apply_twice_then_generate(runner: CliRunner, db: Path) -> None:
    url = f"sqlite:///{db}"
    first = runner.invoke(app, ["config", "apply", DEMO_1000, "--database", url])
    assert first.exit_code == 0, first.output
    assert "merchant 1000 created" in first.stdout and "new cards: 2000" in first.stdout
    second = runner.invoke(app, ["config", "apply", DEMO_1000, "--database", url])
    assert second.exit_code == 0, second.output
    assert "merchant 1000 unchanged" in second.stdout and "new cards: 0" in second.stdout
    assert _query(db, "select count(*) from cards") == [(2000,)]

    args = ["cards", "generate", "--merchant", "1000", "--template", "2"]
    more = [*args, "--start", "6000000000000991", "--count", "30", "--database", url]
    result = runner.invoke(app, [*more, "--registration-code", "9876"])
    assert result.exit_code == 0, result.output
    assert "20 new cards, 10 already existed" in result.stdout
    issued = _query(
        db,
        "select printed_card_number, registration_code from cards "
        "where merchant_id = 1000 and template_code = 2 "
        "and printed_card_number between '6000000000001001' and '6000000000001020'",
    )
    # Only a keyed digest of the code is stored, and it matches the code.
    assert len(issued) == 20 and max(number for number, _ in issued) == "6000000000001020"
    assert all(stored == seal_registration_code(number, "9876") for number, stored in issued)
    assert not any("9876" in stored for _, stored in issued)
    again = runner.invoke(app, more)
    assert again.exit_code == 0 and "0 new cards, 30 already existed" in again.stdout


def test_apply_refuses_an_identifier_of_another_merchant(
    runner: CliRunner, db: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{db}"
    assert runner.invoke(app, ["config", "apply", DEMO_1000, "--database", url]).exit_code == 0
    thief = tmp_path / "thief.yaml"
    text = Path(DEMO_2000).read_text(encoding="utf-8").replace("demo2-pos", "demo-pos")
    thief.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - identifier: demo-pos") + 1
    result = runner.invoke(app, ["config", "apply", str(thief), "--database", url])
    assert result.exit_code == 3
    assert f"error: {thief}: integrations[0].identifier (line {line}): " in result.stderr
    assert "merchant 1000" in result.stderr
    assert _query(db, "select count(*) from merchants where merchant_id = 2000") == [(0,)]


@pytest.mark.parametrize(
    ("merchant", "template", "message"),
    [("2000", "7", "merchant 2000 has no card template 7"), ("42", "2", "merchant 42 does not")],
)
def test_generate_refuses_unknown_merchant_or_template(
    runner: CliRunner, db: Path, merchant: str, template: str, message: str
) -> None:
    url = f"sqlite:///{db}"
    assert runner.invoke(app, ["config", "apply", DEMO_2000, "--database", url]).exit_code == 0
    result = runner.invoke(
        app,
        ["cards", "generate", "--merchant", merchant, "--template", template,
         "--start", "1", "--count", "5", "--database", url],
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert _query(db, "select count(*) from cards") == [(100,)]


def test_generate_checks_its_options(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(
        app,
        ["cards", "generate", "--merchant", "1", "--template", "2", "--start", "12x",
         "--count", "0", "--database", f"sqlite:///{db}"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "error: --start: must be 1 to 64 digits" in result.stderr
    assert "error: --count: " in result.stderr


def test_database_url_from_environment(
    runner: CliRunner, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENPXS_DATABASE_URL", raising=False)
    assert default_database_url() == "sqlite:///./openpxs.db"
    monkeypatch.setenv("OPENPXS_DATABASE_URL", f"sqlite:///{db}")
    result = runner.invoke(app, ["config", "apply", DEMO_2000])
    assert result.exit_code == 0, result.output
    assert _query(db, "select name from merchants") == [("OpenPXS Second Demo",)]
