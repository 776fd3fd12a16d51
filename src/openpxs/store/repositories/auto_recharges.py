"""Automatic recharge rules of accounts, and the recharges they make due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import auto_recharges as ar


@dataclass(frozen=True)
class AutoRecharge:
    merchant_id: int
    account_id: int
    card_number: str
    wallet_code: int
    amount_units: int
    threshold_units: int
    enabled: bool
    declines: int
    due_since: datetime | None


def _rule(row: Row[Any]) -> AutoRecharge:
    m = row._mapping
    return AutoRecharge(
        merchant_id=m["merchant_id"],
        account_id=m["account_id"],
        card_number=m["card_number"],
        wallet_code=m["wallet_code"],
        amount_units=m["amount"],
        threshold_units=m["threshold"],
        enabled=bool(m["enabled"]),
        declines=m["declines"],
        due_since=m["due_since"],
    )


# Run after every redemption that leaves a balance: built once, at import. Sets due_since
# only while it is null, so however many redemptions cross the threshold, one recharge
# is due until the worker has made it.
_MAKE_DUE = (
    update(ar)
    .where(
        ar.c.merchant_id == bindparam("m"),
        ar.c.account_id == bindparam("a"),
        ar.c.wallet_code == bindparam("w"),
        ar.c.enabled.is_(True),
        ar.c.due_since.is_(None),
        ar.c.threshold > bindparam("balance"),
    )
    .values(due_since=bindparam("now"))
)


class AutoRechargeRepository(Repository):
    __slots__ = ()

    async def get(self, merchant_id: int, account_id: int) -> AutoRecharge | None:
        row = (
            await self.conn.execute(
                select(ar).where(ar.c.merchant_id == merchant_id, ar.c.account_id == account_id)
            )
        ).one_or_none()
        return None if row is None else _rule(row)

    async def enable(
        self,
        merchant_id: int,
        account_id: int,
        card_number: str,
        wallet_code: int,
        amount_units: int,
        threshold_units: int,
        now: datetime,
    ) -> None:
        """Store the rule, replacing any earlier one (declines start again)."""
        await self.conn.execute(
            delete(ar).where(ar.c.merchant_id == merchant_id, ar.c.account_id == account_id)
        )
        await self.conn.execute(
            insert(ar).values(
                merchant_id=merchant_id,
                account_id=account_id,
                card_number=card_number,
                wallet_code=wallet_code,
                amount=amount_units,
                threshold=threshold_units,
                enabled=True,
                declines=0,
                due_since=None,
                updated_at=now,
            )
        )

    async def disable(self, merchant_id: int, account_id: int, now: datetime) -> bool:
        """Switch the rule off; whether one was on."""
        result = await self.conn.execute(
            update(ar)
            .where(
                ar.c.merchant_id == merchant_id,
                ar.c.account_id == account_id,
                ar.c.enabled.is_(True),
            )
            .values(enabled=False, due_since=None, updated_at=now)
        )
        return bool(result.rowcount)

    async def make_due(
        self, merchant_id: int, account_id: int, wallet_code: int, balance: int, now: datetime
    ) -> None:
        await self.conn.execute(
            _MAKE_DUE,
            {"m": merchant_id, "a": account_id, "w": wallet_code, "balance": balance, "now": now},
        )

    async def due(self, limit: int = 50) -> list[AutoRecharge]:
        rows = await self.conn.execute(
            select(ar)
            .where(ar.c.enabled.is_(True), ar.c.due_since.is_not(None))
            .order_by(ar.c.due_since)
            .limit(limit)
        )
        return [_rule(r) for r in rows]

    async def settle(
        self, rule: AutoRecharge, *, declined: bool, max_declines: int, now: datetime
    ) -> AutoRecharge | None:
        """The due recharge was made (or declined): clear it, count a decline, and switch
        the rule off after ``max_declines`` in a row. None when another worker settled it."""
        declines = rule.declines + 1 if declined else 0
        result = await self.conn.execute(
            update(ar)
            .where(
                ar.c.merchant_id == rule.merchant_id,
                ar.c.account_id == rule.account_id,
                ar.c.due_since == rule.due_since,
            )
            .values(
                due_since=None,
                declines=declines,
                enabled=declines < max_declines,
                updated_at=now,
            )
            .returning(ar)
        )
        row = result.one_or_none()
        return None if row is None else _rule(row)
