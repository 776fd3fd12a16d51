"""A database that is missing, unreachable or of the wrong kind is one line and a distinct
exit code, never a traceback, and never a new empty database that looks clean.

Exit codes (cli_support.ExitCode): 3 configuration, 4 database, 5 address in use.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from openpxs.cli import app as cli
from openpxs.config import DEMO_CONFIG_FILES
from tests.e2e.server import free_port

# Commands that read or change an existing database and must never create one.
NON_CREATING = [
    ["audit"],
    ["expire"],
    ["outbox", "pending"],
    ["outbox", "deliver"],
    ["cards", "generate", "--merchant", "1000", "--template", "2", "--start", "1", "--count", "5"],
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current directory and no database in the environment: the defaults."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENPXS_DATABASE_URL", raising=False)
    yield tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("command", NON_CREATING, ids=lambda c: " ".join(c[:2]))
def test_a_missing_database_file_is_refused_and_not_created(
    workdir: Path, command: list[str]
) -> None:
    result = invoke(*command)
    assert_one_line(result, 4, f"database file {workdir / 'openpxs.db'} does not exist")
    assert list(workdir.iterdir()) == []  # no stray database, no -wal, no -shm


def test_audit_of_a_mistyped_path_is_no_all_clear(tmp_path: Path) -> None:
    result = invoke("audit", "--database", f"sqlite:///{tmp_path / 'typo.db'}")
    assert_one_line(result, 4, "typo.db does not exist")
    assert "audit clean" not in result.output
    assert not (tmp_path / "typo.db").exists()


def test_a_file_without_the_schema_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = invoke("audit", "--database", f"sqlite:///{empty}")
    assert_one_line(result, 4, "has no OpenPXS schema", "openpxs db upgrade")


def test_creating_commands_share_the_default_database(workdir: Path) -> None:
    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert (workdir / "openpxs.db").is_file()
    applied = invoke("config", "apply", str(DEMO_CONFIG_FILES[1]))
    assert applied.exit_code == 0, applied.output
    generated = invoke(
        "cards", "generate", "--merchant", "2000", "--template", "2",
        "--start", "6100000000000101", "--count", "1",
    )  # fmt: skip
    assert generated.exit_code == 0, generated.output
    assert "1 new card, 0 already existed" in generated.stdout
    audited = invoke("audit")
    assert audited.exit_code == 0, audited.output


def closed_port_url() -> str:
    return f"postgresql://openpxs:secret-password@127.0.0.1:{free_port()}/openpxs"


def test_connection_refused_is_one_line_without_the_password() -> None:
    result = invoke("audit", "--database", closed_port_url())
    assert_one_line(result, 4, "connection refused", "openpxs:***@127.0.0.1")
    assert "secret-password" not in result.output


def test_serve_with_the_database_down_is_one_line_and_prints_no_banner() -> None:
    result = invoke("serve", "--port", str(free_port()), "--database", closed_port_url())
    assert_one_line(result, 4, "connection refused")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@host/db", "unsupported database URL 'mysql://user@host/db'"),
        ("not a url", "not a database URL"),
    ],
)
@pytest.mark.parametrize("command", [["audit"], ["serve"], ["db", "upgrade"]])
def test_an_unsupported_url_is_a_configuration_error(
    command: list[str], url: str, message: str
) -> None:
    assert_one_line(invoke(*command, "--database", url), 3, message)


def test_an_invalid_setting_is_a_configuration_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENPXS_PORT", "eighty")
    assert_one_line(invoke("serve"), 3, "OPENPXS_PORT")
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["serve", "--port", "0"], ["demo", "--port", "0"], ["outbox", "deliver"]]
)
def test_smtp_without_a_host_is_a_configuration_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("OPENPXS_MAIL_TRANSPORT", "smtp")
    monkeypatch.delenv("OPENPXS_SMTP_HOST", raising=False)
    result = invoke(
        *command, *(["--port", str(free_port())] if command != ["outbox", "deliver"] else [])
    )
    assert_one_line(result, 3, "OPENPXS_SMTP_HOST")
    assert list(workdir.iterdir()) == []


def test_debug_keeps_the_traceback() -> None:
    result = invoke("--debug", "audit", "--database", closed_port_url())
    assert result.exit_code != 4
    assert result.exception is not None and not isinstance(result.exception, SystemExit)


def test_a_busy_port_is_one_line_before_any_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in (["serve"], ["demo"]):
            url = f"sqlite:///{tmp_path / 'busy.db'}"
            result = invoke(*command, "--port", str(port), "--database", url)
            assert_one_line(result, 5, f"cannot listen on 127.0.0.1:{port}", "in use")
    assert not (tmp_path / "busy.db").exists()  # refused before touching the database


@pytest.mark.postgresql
def test_a_missing_postgresql_database_is_one_line() -> None:
    url = make_url(os.environ["OPENPXS_TEST_DATABASE_URL"]).set(database="openpxs_no_such_db")
    result = invoke("audit", "--database", url.render_as_string(hide_password=False))
    assert_one_line(result, 4, 'database "openpxs_no_such_db" does not exist', "create it")


def stamp(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))


@pytest.mark.parametrize("command", [["audit"], ["db", "upgrade"], ["serve", "--port", "0"]])
def test_a_schema_from_a_newer_version_is_refused(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "newer.db"
    assert invoke("db", "upgrade", "--database", f"sqlite:///{path}").exit_code == 0
    stamp(path, "9999")
    result = invoke(*command, "--database", f"sqlite:///{path}")
    assert_one_line(result, 4, "schema revision 9999", "upgraded by a newer version")


def test_an_older_schema_is_refused_by_readers(tmp_path: Path) -> None:
    path = tmp_path / "older.db"
    url = f"sqlite:///{path}"
    assert invoke("db", "upgrade", "--database", url).exit_code == 0
    assert invoke("audit", "--database", url).exit_code == 0
    with sqlite3.connect(path) as db:
        [head] = db.execute("SELECT version_num FROM alembic_version").fetchone()
    stamp(path, "0001")
    result = invoke("audit", "--database", url)
    assert_one_line(result, 4, "schema revision 0001", f"needs {head}", "openpxs db upgrade")
