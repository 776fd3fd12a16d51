"""The web domains a merchant has registered with Apple Pay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from openpxs.store.repositories import Repository
from openpxs.store.tables import apple_pay_domains as d


class ApplePayDomainRepository(Repository):
    __slots__ = ()

    async def domains(self, merchant_id: int) -> list[str]:
        rows = await self.conn.execute(
            select(d.c.domain_name).where(d.c.merchant_id == merchant_id).order_by(d.c.domain_name)
        )
        return [str(r[0]) for r in rows]

    async def has(self, merchant_id: int, domain_name: str) -> bool:
        row = await self.conn.execute(
            select(d.c.domain_name).where(
                d.c.merchant_id == merchant_id, d.c.domain_name == domain_name
            )
        )
        return row.first() is not None

    async def add(self, merchant_id: int, domain_name: str, now: datetime) -> None:
        await self.conn.execute(
            insert(d).values(merchant_id=merchant_id, domain_name=domain_name, registered_at=now)
        )

    async def remove(self, merchant_id: int, domain_name: str) -> bool:
        done = await self.conn.execute(
            delete(d).where(d.c.merchant_id == merchant_id, d.c.domain_name == domain_name)
        )
        return bool(done.rowcount)
