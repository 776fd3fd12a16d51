"""Threshold monitoring: the accounts watched and the events their redemptions raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Row, and_, bindparam, delete, exists, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import UTCDateTime
from openpxs.store.tables import recharge_monitor_events as ev
from openpxs.store.tables import recharge_monitors as mon


@dataclass(frozen=True)
class Monitor:
    card_number: str
    amount_units: int
    threshold_units: int


@dataclass(frozen=True)
class MonitorEvent:
    id: int
    card_number: str
    balance_units: int
    threshold_units: int
    amount_units: int
    raised_at: datetime


def _event(row: Row[Any]) -> MonitorEvent:
    m = row._mapping
    return MonitorEvent(
        m["id"], m["card_number"], m["balance"], m["threshold"], m["amount"], m["raised_at"]
    )


# Run after a redemption that leaves a balance below every threshold a guest may choose:
# one event for a watched account whose threshold the balance is below, unless one is
# still pending. The redemption holds the account's lock, so two cannot both insert.
_pending = and_(
    ev.c.merchant_id == mon.c.merchant_id,
    ev.c.account_id == mon.c.account_id,
    ev.c.settled_at.is_(None),
)
_RAISE = insert(ev).from_select(
    ["merchant_id", "account_id", "card_number", "balance", "threshold", "amount", "raised_at"],
    select(
        mon.c.merchant_id,
        mon.c.account_id,
        mon.c.card_number,
        bindparam("balance", type_=BigInteger()),
        mon.c.threshold,
        mon.c.amount,
        bindparam("now", type_=UTCDateTime()),
    ).where(
        mon.c.merchant_id == bindparam("m"),
        mon.c.account_id == bindparam("a"),
        mon.c.wallet_code == bindparam("w"),
        mon.c.threshold > bindparam("balance"),
        ~exists().where(_pending),
    ),
)


class RechargeMonitorRepository(Repository):
    __slots__ = ()

    async def get(self, merchant_id: int, account_id: int) -> Monitor | None:
        row = (
            await self.conn.execute(
                select(mon.c.card_number, mon.c.amount, mon.c.threshold).where(
                    mon.c.merchant_id == merchant_id, mon.c.account_id == account_id
                )
            )
        ).first()
        return None if row is None else Monitor(row[0], row[1], row[2])

    async def watch(
        self,
        merchant_id: int,
        account_id: int,
        card_number: str,
        wallet_code: int,
        amount_units: int,
        threshold_units: int,
        now: datetime,
    ) -> None:
        """Start watching, or change what is watched (the pending event stays)."""
        values = {
            "card_number": card_number,
            "wallet_code": wallet_code,
            "amount": amount_units,
            "threshold": threshold_units,
            "updated_at": now,
        }
        changed = await self.conn.execute(
            update(mon)
            .where(mon.c.merchant_id == merchant_id, mon.c.account_id == account_id)
            .values(**values)
        )
        if not changed.rowcount:
            await self.conn.execute(
                insert(mon).values(merchant_id=merchant_id, account_id=account_id, **values)
            )

    async def stop(self, merchant_id: int, account_id: int, now: datetime) -> bool:
        """Stop watching and drop the pending event; whether the account was watched."""
        removed = await self.conn.execute(
            delete(mon).where(mon.c.merchant_id == merchant_id, mon.c.account_id == account_id)
        )
        await self.settle(merchant_id, account_id, now)
        return bool(removed.rowcount)

    async def raise_event(
        self, merchant_id: int, account_id: int, wallet_code: int, balance: int, now: datetime
    ) -> None:
        await self.conn.execute(
            _RAISE,
            {"m": merchant_id, "a": account_id, "w": wallet_code, "balance": balance, "now": now},
        )

    async def settle(self, merchant_id: int, account_id: int, now: datetime) -> None:
        await self.conn.execute(
            update(ev)
            .where(
                ev.c.merchant_id == merchant_id,
                ev.c.account_id == account_id,
                ev.c.settled_at.is_(None),
            )
            .values(settled_at=now)
        )

    async def pending(
        self, merchant_id: int, account_id: int | None = None, limit: int = 500
    ) -> list[MonitorEvent]:
        """Pending events, oldest first: one account's, or the merchant's."""
        query = select(ev).where(ev.c.merchant_id == merchant_id, ev.c.settled_at.is_(None))
        if account_id is not None:
            query = query.where(ev.c.account_id == account_id)
        rows = await self.conn.execute(query.order_by(ev.c.id).limit(limit))
        return [_event(r) for r in rows]
