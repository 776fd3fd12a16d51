"""Proof that the ledger adds up: every balance and lot equals the sum of its journal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import journal, lots, wallet_balances, wallets


@dataclass(frozen=True)
class Discrepancy:
    merchant_id: int
    what: str
    detail: str


async def audit(conn: AsyncConnection) -> tuple[int, list[Discrepancy]]:
    """(balances checked, discrepancies found) over every merchant."""
    problems: list[Discrepancy] = []
    sums = {
        (r.merchant_id, r.account_id, r.wallet_code): int(r.total)
        for r in await conn.execute(
            select(
                journal.c.merchant_id,
                journal.c.account_id,
                journal.c.wallet_code,
                func.sum(journal.c.units).label("total"),
            ).group_by(journal.c.merchant_id, journal.c.account_id, journal.c.wallet_code)
        )
    }
    negative_ok = {
        (r.merchant_id, r.code): r.allow_negative
        for r in await conn.execute(
            select(wallets.c.merchant_id, wallets.c.code, wallets.c.allow_negative)
        )
    }
    checked = 0
    seen = set()
    for r in await conn.execute(select(wallet_balances)):
        checked += 1
        key = (r.merchant_id, r.account_id, r.wallet_code)
        seen.add(key)
        total = sums.get(key, 0)
        where = f"account {r.account_id} wallet {r.wallet_code}"
        if total != r.units:
            problems.append(
                Discrepancy(
                    r.merchant_id, "balance", f"{where}: balance {r.units} != journal {total}"
                )
            )
        if r.units < 0 and not negative_ok.get((r.merchant_id, r.wallet_code), False):
            problems.append(Discrepancy(r.merchant_id, "negative", f"{where}: {r.units} < 0"))
    for key, total in sums.items():
        if key not in seen and total != 0:
            problems.append(
                Discrepancy(
                    key[0],
                    "balance",
                    f"account {key[1]} wallet {key[2]}: no balance row, journal {total}",
                )
            )
    lot_sums = {
        (r.merchant_id, r.lot_id): int(r.total)
        for r in await conn.execute(
            select(
                journal.c.merchant_id, journal.c.lot_id, func.sum(journal.c.units).label("total")
            )
            .where(journal.c.lot_id.is_not(None))
            .group_by(journal.c.merchant_id, journal.c.lot_id)
        )
    }
    for r in await conn.execute(select(lots.c.merchant_id, lots.c.id, lots.c.remaining_units)):
        total = lot_sums.get((r.merchant_id, r.id), 0)
        if total != r.remaining_units:
            problems.append(
                Discrepancy(
                    r.merchant_id,
                    "lot",
                    f"lot {r.id}: remaining {r.remaining_units} != journal {total}",
                )
            )
    return checked, problems
