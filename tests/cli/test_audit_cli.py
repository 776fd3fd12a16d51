"""``openpxs audit``: exit 0 on a clean ledger, exit 1 naming each discrepancy.

Uses a SQLite database file of its own, so tampering never touches the session one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from openpxs.app import create_app
from openpxs.cli import app as cli
from openpxs.demo import install_demo
from openpxs.settings import Settings
from tests.api.pos import GIFT, GIFT2, POS, add_redeem_body, sell_body, sv


def flat(text: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    asyncio.run(install_demo(url))
    with TestClient(create_app(Settings(database_url=url, log_level="WARNING"))) as client:
        for body in (sell_body(GIFT, "25.00"), sell_body(GIFT2, "3.00")):
            reply = client.post("/rest/24.11/transaction/activateAdd.json", json=body, auth=POS)
            assert reply.json()["result"] == "authorizedSuccess"
        reply = client.post(
            "/rest/24.11/transaction/addRedeem.json",
            json=add_redeem_body(GIFT, redeem=sv("5.00")),
            auth=POS,
        )
        assert reply.json()["svCurrentBalance"] == "20.00"
    return path


def run_audit(path: Path) -> Result:
    return CliRunner().invoke(cli, ["audit", "--database", f"sqlite:///{path}"])


def execute(path: Path, sql: str, *params: object) -> int:
    with sqlite3.connect(path) as db:
        changed = db.execute(sql, params).rowcount
    return changed


def gift_account(path: Path) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT account_id FROM cards WHERE printed_card_number = ?", (GIFT,)
        ).fetchone()
    return int(row[0])


def test_clean_ledger_exits_zero(ledger_file: Path) -> None:
    result = run_audit(ledger_file)
    assert result.exit_code == 0, result.output
    # Two gift-card purchases and the demo guest's points.
    assert "audit clean: 3 balances match their journal" in flat(result.output)


def test_tampered_balance_exits_one_and_names_it(ledger_file: Path) -> None:
    account = gift_account(ledger_file)
    assert (
        execute(
            ledger_file,
            "UPDATE wallet_balances SET units = units + 1 WHERE account_id = ? AND wallet_code = 1",
            account,
        )
        == 1
    )
    result = run_audit(ledger_file)
    assert result.exit_code == 1, result.output
    text = flat(result.output)
    assert f"account {account} wallet 1: balance 200001 != journal 200000" in text
    assert "audit failed: 1 discrepancy in 3 balances" in text

    execute(
        ledger_file, "UPDATE wallet_balances SET units = units - 1 WHERE account_id = ?", account
    )
    assert run_audit(ledger_file).exit_code == 0


def test_negative_balance_is_a_discrepancy_even_when_the_journal_agrees(
    ledger_file: Path,
) -> None:
    account = gift_account(ledger_file)
    execute(ledger_file, "UPDATE wallet_balances SET units = -1 WHERE account_id = ?", account)
    execute(
        ledger_file,
        "UPDATE journal SET units = units - 200001 WHERE id = "
        "(SELECT max(id) FROM journal WHERE account_id = ?)",
        account,
    )
    execute(
        ledger_file,
        "UPDATE journal SET lot_id = NULL WHERE id = "
        "(SELECT max(id) FROM journal WHERE account_id = ?)",
        account,
    )
    execute(ledger_file, "UPDATE lots SET remaining_units = 250000 WHERE account_id = ?", account)
    result = run_audit(ledger_file)
    assert result.exit_code == 1, result.output
    text = flat(result.output)
    assert f"account {account} wallet 1: -1 < 0" in text
    assert "balance 200001" not in text  # the balance itself matches its journal


def test_tampered_lot_exits_one_and_names_it(ledger_file: Path) -> None:
    account = gift_account(ledger_file)
    with sqlite3.connect(ledger_file) as db:
        [lot_id] = db.execute("SELECT id FROM lots WHERE account_id = ?", (account,)).fetchone()
    execute(ledger_file, "UPDATE lots SET remaining_units = 0 WHERE id = ?", lot_id)
    result = run_audit(ledger_file)
    assert result.exit_code == 1, result.output
    assert f"lot {lot_id}: remaining 0 != journal 200000" in flat(result.output)


def test_journal_without_a_balance_row_is_a_discrepancy(ledger_file: Path) -> None:
    with sqlite3.connect(ledger_file) as db:
        row = db.execute(
            "SELECT account_id FROM cards WHERE printed_card_number = ?", (GIFT2,)
        ).fetchone()
    account = int(row[0])
    execute(ledger_file, "DELETE FROM wallet_balances WHERE account_id = ?", account)
    result = run_audit(ledger_file)
    assert result.exit_code == 1, result.output
    assert f"account {account} wallet 1: no balance row, journal 30000" in flat(result.output)
