"""A frequently loaded card: its open lots stay bounded, so a call on it reads no more
than a call on a card loaded once, while the journal keeps every posting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.audit import audit
from openpxs.store.tables import cards, journal, lots
from tests.api.pos import GIFT, add_redeem, balance, ok, run_db, sell, sv

LOADS = 150


def on(day: date) -> dict[str, Any]:
    return {"date": day.isoformat(), "type": "absolute"}


async def _lots_and_postings(conn: AsyncConnection) -> tuple[int, int, int]:
    account = (
        await conn.execute(
            select(cards.c.account_id).where(
                cards.c.merchant_id == 1000, cards.c.printed_card_number == GIFT
            )
        )
    ).scalar_one()
    mine = (lots.c.merchant_id == 1000, lots.c.account_id == account)
    open_lots = await conn.scalar(
        select(func.count()).select_from(lots).where(*mine, lots.c.remaining_units > 0)
    )
    all_lots = await conn.scalar(select(func.count()).select_from(lots).where(*mine))
    postings = await conn.scalar(
        select(func.count())
        .select_from(journal)
        .where(journal.c.merchant_id == 1000, journal.c.account_id == account)
    )
    return int(open_lots or 0), int(all_lots or 0), int(postings or 0)


async def _audit(conn: AsyncConnection) -> list[Any]:
    _, problems = await audit(conn)
    return problems


def test_many_loads_keep_one_open_lot_per_expiry(client: TestClient) -> None:
    ok(sell(client, GIFT, "10.00"))
    soon = date.today() + timedelta(days=30)
    later = soon + timedelta(days=30)
    for n in range(LOADS):
        # Loads without an expiry, and two expiry dates taking turns.
        expiry = [None, soon, later][n % 3]
        extra = {"expiration": on(expiry)} if expiry else {}
        ok(add_redeem(client, GIFT, add=sv("1.00", **extra), pos_id=f"load-{n}"))
        if n % 10 == 9:
            ok(add_redeem(client, GIFT, redeem=sv("0.50"), pos_id=f"spend-{n}"))
    open_lots, all_lots, postings = run_db(client, _lots_and_postings)
    # One open lot per distinct expiry (none, soon, later), however often it was loaded.
    assert open_lots == 3
    assert all_lots == 3
    # Every credit and redemption is still its own journal row (the sale, the loads,
    # the redemptions: a redemption here spends from one lot).
    assert postings == 1 + LOADS + LOADS // 10
    assert balance(client, GIFT)["svCurrentBalance"] == f"{10 + LOADS - (LOADS // 10) / 2:.2f}"
    assert run_db(client, _audit) == []


def test_spending_takes_the_soonest_expiring_joined_lot_first(client: TestClient) -> None:
    ok(sell(client, GIFT, "5.00"))  # never expires
    soon = date.today() + timedelta(days=10)
    later = soon + timedelta(days=10)
    for n in range(4):
        ok(add_redeem(client, GIFT, add=sv("2.00", expiration=on(later)), pos_id=f"l{n}"))
        ok(add_redeem(client, GIFT, add=sv("1.00", expiration=on(soon)), pos_id=f"s{n}"))
    # 4.00 expiring soon, 8.00 later, 5.00 never: spending 6.00 empties the soon lot
    # and takes 2.00 of the later one.
    ok(add_redeem(client, GIFT, redeem=sv("6.00"), pos_id="spend"))

    async def remaining(conn: AsyncConnection) -> list[tuple[Any, int]]:
        rows = await conn.execute(
            select(lots.c.expires_on, lots.c.remaining_units)
            .join(cards, (cards.c.account_id == lots.c.account_id))
            .where(cards.c.printed_card_number == GIFT, lots.c.merchant_id == 1000)
            .order_by(lots.c.id)
        )
        return [(r.expires_on, r.remaining_units) for r in rows]

    assert run_db(client, remaining) == [(None, 50_000), (later, 60_000), (soon, 0)]
    assert run_db(client, _audit) == []
