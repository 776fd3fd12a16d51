"""SQLite plans the busiest read (the card with its account's book) from the card.

Its planner once walked every lot and balance of the merchant to find one card's, so
every balanceInquiry and addRedeem cost grew with the number of accounts. Checked on
the server's own schema with many accounts, where the difference shows in the plan."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from openpxs.store.db import create_engine, migrate
from openpxs.store.repositories.ledger_batches import _CARD_WITH_BOOK


async def _migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def test_the_book_is_found_through_the_cards_account(tmp_path: Path) -> None:
    path = tmp_path / "plan.db"
    asyncio.run(_migrated(f"sqlite:///{path}"))
    db = sqlite3.connect(path)
    accounts = range(1, 2001)
    db.executemany(
        "INSERT INTO accounts (merchant_id, id, template_code, status, created_at) "
        "VALUES (1000, ?, 2, 'active', '2026-01-01')",
        [(n,) for n in accounts],
    )
    db.executemany(
        "INSERT INTO cards (merchant_id, id, printed_card_number, template_code, status, "
        "account_id) VALUES (1000, ?, ?, 2, 'active', ?)",
        [(n, f"6{n:015d}", n) for n in accounts],
    )
    db.executemany(
        "INSERT INTO lots (merchant_id, id, account_id, wallet_code, remaining_units, "
        "transaction_id) VALUES (1000, ?, ?, 1, 100, 1)",
        [(n, n) for n in accounts],
    )
    db.executemany(
        "INSERT INTO wallet_balances (merchant_id, account_id, wallet_code, units) "
        "VALUES (1000, ?, 1, 100)",
        [(n,) for n in accounts],
    )
    params = dict(m=1000, n=f"6{7:015d}")
    values = [params[name] for name, _ in _CARD_WITH_BOOK.binds]
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {_CARD_WITH_BOOK.sql}", values)]
    searches = [step for step in plan if step.startswith(("SEARCH l ", "SEARCH b "))]
    assert len(searches) == 2, plan
    for step in searches:
        assert "merchant_id=? AND account_id=?" in step, plan
    rows = db.execute(_CARD_WITH_BOOK.sql, values).fetchall()
    assert [row[0] for row in rows] == [0, 1, 2]
    assert rows[1][6] == rows[2][6] == 7
