"""Visit codes: one-time codes an operator hands out, each crediting a wallet once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import visit_codes


@dataclass(frozen=True)
class VisitCode:
    code: str
    # The store the visit counts at.
    store_code: str | None
    wallet_code: int
    units: int
    expires_at: datetime | None
    used_at: datetime | None


class VisitCodeRepository(Repository):
    __slots__ = ()

    async def find(self, merchant_id: int, code: str, *, lock: bool = False) -> VisitCode | None:
        query = select(visit_codes).where(
            visit_codes.c.merchant_id == merchant_id, visit_codes.c.code == code
        )
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        return VisitCode(
            row.code, row.store_code, row.wallet_code, row.units, row.expires_at, row.used_at
        )

    async def mark_used(
        self, merchant_id: int, code: str, account_id: int, transaction_id: int, now: datetime
    ) -> bool:
        """Record which account and transaction used the code; False when it was used
        already."""
        marked = await self.conn.execute(
            update(visit_codes)
            .where(
                visit_codes.c.merchant_id == merchant_id,
                visit_codes.c.code == code,
                visit_codes.c.used_at.is_(None),
            )
            .values(used_at=now, used_by_account_id=account_id, transaction_id=transaction_id)
        )
        return marked.rowcount == 1
