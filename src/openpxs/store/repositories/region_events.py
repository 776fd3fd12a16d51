"""Geofence crossings reported by mobile apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from openpxs.store.repositories import Repository
from openpxs.store.tables import region_events


@dataclass(frozen=True)
class RegionEvent:
    account_id: int
    store_code: str
    event_type: str
    event_time: datetime
    recorded_at: datetime


class RegionEventRepository(Repository):
    __slots__ = ()

    async def record(self, merchant_id: int, event: RegionEvent) -> None:
        await self.conn.execute(
            insert(region_events).values(
                merchant_id=merchant_id,
                account_id=event.account_id,
                store_code=event.store_code,
                event_type=event.event_type,
                event_time=event.event_time,
                recorded_at=event.recorded_at,
            )
        )

    async def of_account(self, merchant_id: int, account_id: int) -> list[RegionEvent]:
        """The account's crossings, newest first (what campaign rules read)."""
        rows = await self.conn.execute(
            select(region_events)
            .where(
                region_events.c.merchant_id == merchant_id,
                region_events.c.account_id == account_id,
            )
            .order_by(region_events.c.event_time.desc(), region_events.c.id.desc())
        )
        return [
            RegionEvent(r.account_id, r.store_code, r.event_type, r.event_time, r.recorded_at)
            for r in rows
        ]
