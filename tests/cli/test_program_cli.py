"""``openpxs config diff|simulate``, ``config apply --if-version`` and ``cards generate
--print-file`` on the pass's database (the demo installation the server tests use)."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from openpxs.cli import app as cli
from openpxs.config import DEMO_CONFIG_FILES
from openpxs.store.tables import cards, metadata
from tests.api.guests import body_of, gpost, user_fields
from tests.program_config import restore

DEMO_1000 = Path(DEMO_CONFIG_FILES[0])
# A $20 line outside every multiplier and bonus: a point a dollar under the demo program.
CHECK = {
    "storeCode": "1001",
    "check": {"number": "C1", "items": [{"itemId": "BAGEL", "price": "20.00"}], "subtotal": "20"},
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def openpxs(client: TestClient, database_url: str) -> Iterator[Any]:
    """``openpxs(*args)``: the command on the test server's database, whose live program
    is the demo's (integrations other tests added are disabled); the demo program is
    applied again afterwards."""
    restore(client)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--database", database_url])

    yield invoke
    restore(client)


def draft_file(tmp_path: Path, per_currency: int = 2) -> Path:
    data = yaml.safe_load(DEMO_1000.read_text(encoding="utf-8"))
    data["loyalty"]["earning"][0]["per_currency"] = per_currency
    path = tmp_path / "draft.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def check_file(tmp_path: Path, body: object = CHECK) -> Path:
    path = tmp_path / "check.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def table_counts(client: TestClient) -> dict[str, int]:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> dict[str, int]:
        async with engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar())
                for t in metadata.sorted_tables
            }

    assert client.portal is not None
    return client.portal.call(go)


def live_version(text: str) -> int:
    return int(text.split("--if-version ")[1].split()[0])


def test_diff_names_the_changed_rule_and_the_version_to_apply_at(
    openpxs: Any, tmp_path: Path
) -> None:
    draft = draft_file(tmp_path)
    result = openpxs("config", "diff", str(draft))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 change" in out and "\nloyalty\n" in out
    assert '  changed  loyalty.earning[Points per dollar].per_currency: "1" -> "2"' in out
    assert "-    per_currency: '1'\n+    per_currency: '2'" in out
    assert f"openpxs config apply {draft} --if-version" in out
    same = openpxs("config", "diff", str(DEMO_1000))
    assert same.exit_code == 0 and "0 changes" in same.stdout and "---" not in same.stdout
    other = openpxs("config", "diff", str(draft), "--merchant", "2000")
    assert other.exit_code == 3
    assert "merchant 1000's program, not merchant 2000's" in other.stderr


def test_simulate_shows_double_points_and_writes_nothing(
    client: TestClient, openpxs: Any, tmp_path: Path
) -> None:
    before = table_counts(client)
    draft, check = draft_file(tmp_path), check_file(tmp_path)
    result = openpxs("config", "simulate", str(draft), "--check", str(check))
    assert result.exit_code == 0, result.output
    rows = flat(result.stdout)
    assert "│ earned Points (wallet 2) │ 20 │ 40 │" in rows
    assert "│ rule Points per dollar (wallet 2) │ 20 │ 40 │" in rows
    card = openpxs(
        "config", "simulate", str(draft), "--check", str(check), "--card", "7000000000000001"
    )
    assert card.exit_code == 0, card.output
    assert "│ earned Points (wallet 2) │ 20 │ 40 │" in flat(card.stdout)
    gold = openpxs("config", "simulate", str(draft), "--check", str(check), "--tier", "2")
    assert "│ earned Points (wallet 2) │ 30 │ 60 │" in flat(gold.stdout)
    assert table_counts(client) == before


def test_simulate_refuses_a_bad_check_file(openpxs: Any, tmp_path: Path) -> None:
    draft = draft_file(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = openpxs("config", "simulate", str(draft), "--check", str(broken))
    assert result.exit_code == 2 and "not JSON" in result.stderr
    no_items = check_file(tmp_path, {"storeCode": "1001", "check": {"number": "1"}})
    result = openpxs("config", "simulate", str(draft), "--check", str(no_items))
    assert result.exit_code == 2 and "check.items: Field required" in result.stderr
    both = openpxs(
        "config", "simulate", str(draft), "--check", str(no_items), "--card", "1", "--account", "2"
    )
    assert both.exit_code == 2 and "--card or --account" in both.stderr


def test_apply_if_version_refuses_a_stale_draft(openpxs: Any, tmp_path: Path) -> None:
    draft = draft_file(tmp_path)
    taken = live_version(openpxs("config", "diff", str(draft)).stdout)
    (tmp_path / "other").mkdir()
    other = draft_file(tmp_path / "other", per_currency=3)
    applied = openpxs("config", "apply", str(other), "--if-version", str(taken))
    assert applied.exit_code == 0, applied.output
    assert "merchant 1000 updated" in applied.stdout
    stale = openpxs("config", "apply", str(draft), "--if-version", str(taken))
    assert stale.exit_code == 1
    assert f"changed since the draft was taken (version {taken}, now {taken + 1})" in stale.stderr
    still = openpxs("config", "diff", str(draft)).stdout
    assert '"3" -> "2"' in still and live_version(still) == taken + 1
    fresh = openpxs("config", "apply", str(draft), "--if-version", str(taken + 1))
    assert fresh.exit_code == 0, fresh.output
    assert "0 changes" in openpxs("config", "diff", str(draft)).stdout


def test_a_print_file_card_registers_with_its_code(
    client: TestClient, openpxs: Any, tmp_path: Path
) -> None:
    print_file = tmp_path / "range.csv"
    args = ["cards", "generate", "--merchant", "1000", "--template", "1"]
    args += ["--start", "7300000000000001", "--count", "5", "--print-file", str(print_file)]
    result = openpxs(*args)
    assert result.exit_code == 0, result.output
    assert "5 new cards, 0 already existed" in result.stdout
    assert stat.S_IMODE(print_file.stat().st_mode) == 0o600
    with print_file.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["printed_card_number"] for r in rows] == [f"730000000000000{i}" for i in range(1, 6)]
    assert {r["range"] for r in rows} == {"7300000000000001-7300000000000005"}
    assert {r["template"] for r in rows} == {"1"}
    assert len({r["registration_code"] for r in rows}) == 5

    chosen = rows[3]
    reply = body_of(
        gpost(
            client,
            "enrollment",
            "activateAndRegister",
            {
                "authentication": "anonymous",
                "printedCardNumber": chosen["printed_card_number"],
                "registrationCode": chosen["registration_code"],
                "setUserFields": user_fields("printed"),
            },
        )
    )
    assert reply["result"] == "success"

    # An existing file is never overwritten, and no card is issued without its file.
    again = openpxs(*[a if a != "7300000000000001" else "7400000000000001" for a in args])
    assert again.exit_code == 3 and "--print-file" in again.stderr
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def issued() -> int:
        async with engine.connect() as conn:
            found = select(func.count()).where(cards.c.printed_card_number.like("74%"))
            return int((await conn.execute(found)).scalar())

    assert client.portal is not None
    assert client.portal.call(issued) == 0
    unknown = tmp_path / "unknown.csv"
    bad = [a if a != "1" else "77" for a in args[:-1]] + [str(unknown)]
    refused = openpxs(*bad)
    assert refused.exit_code == 3 and "no card template 77" in refused.stderr
    assert not unknown.exists()
