"""Which campaign rewards each account has loaded (one row per account and event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import event_loads, transactions


@dataclass(frozen=True)
class EventLoad:
    transaction_id: int
    # The reversal of the load, if it was reversed: the reward may then load again.
    undone_by_id: int | None


class EventLoadRepository(Repository):
    __slots__ = ()

    async def earlier(self, merchant_id: int, account_id: int, event_id: str) -> EventLoad | None:
        row = (
            await self.conn.execute(
                select(event_loads.c.transaction_id, transactions.c.undone_by_id)
                .select_from(
                    event_loads.outerjoin(
                        transactions,
                        (transactions.c.merchant_id == event_loads.c.merchant_id)
                        & (transactions.c.id == event_loads.c.transaction_id),
                    )
                )
                .where(
                    event_loads.c.merchant_id == merchant_id,
                    event_loads.c.account_id == account_id,
                    event_loads.c.event_id == event_id,
                )
            )
        ).first()
        return EventLoad(row.transaction_id, row.undone_by_id) if row is not None else None

    async def remember(
        self,
        merchant_id: int,
        account_id: int,
        event_id: str,
        transaction_id: int,
        now: datetime,
        *,
        first: bool,
    ) -> None:
        """The account's row for the event (its primary key): a reload after a reversal
        points the row at the new load."""
        if first:
            await self.conn.execute(
                insert(event_loads).values(
                    merchant_id=merchant_id,
                    account_id=account_id,
                    event_id=event_id,
                    transaction_id=transaction_id,
                    loaded_at=now,
                )
            )
            return
        await self.conn.execute(
            update(event_loads)
            .where(
                event_loads.c.merchant_id == merchant_id,
                event_loads.c.account_id == account_id,
                event_loads.c.event_id == event_id,
            )
            .values(transaction_id=transaction_id, loaded_at=now)
        )
