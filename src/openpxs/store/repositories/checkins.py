"""Mobile check-ins at stores.

A check-in at the corporate store (merchant-wide) is kept with the empty store code,
which no configured store can have, and is listed at every store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, or_, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import cards, checkins, users

# The store code of a merchant-wide check-in.
CORPORATE = ""


@dataclass(frozen=True)
class Checkin:
    account_id: int
    card_number: str
    first_name: str | None
    last_name: str | None
    at: datetime
    short_card_number: str | None
    expires_at: datetime


class CheckinRepository(Repository):
    __slots__ = ()

    async def record(
        self,
        merchant_id: int,
        *,
        account_id: int,
        card_id: int,
        store_code: str,
        short_card_number: str | None,
        at: datetime,
        expires_at: datetime,
        external_store_code: str | None,
    ) -> None:
        await self.conn.execute(
            insert(checkins).values(
                merchant_id=merchant_id,
                account_id=account_id,
                card_id=card_id,
                store_code=store_code,
                short_card_number=short_card_number,
                checked_in_at=at,
                expires_at=expires_at,
                external_store_code=external_store_code,
            )
        )

    async def since(self, merchant_id: int, account_id: int, start: datetime) -> list[datetime]:
        """When the account checked in at ``start`` or later (any store), newest first."""
        rows = await self.conn.execute(
            select(checkins.c.checked_in_at)
            .where(
                checkins.c.merchant_id == merchant_id,
                checkins.c.account_id == account_id,
                checkins.c.checked_in_at >= start,
            )
            .order_by(checkins.c.checked_in_at.desc())
        )
        return [r.checked_in_at for r in rows]

    async def short_numbers_in_use(self, merchant_id: int, now: datetime, length: int) -> set[str]:
        """The short card numbers of this length that live check-ins hold."""
        rows = await self.conn.execute(
            select(checkins.c.short_card_number).where(
                checkins.c.merchant_id == merchant_id,
                checkins.c.expires_at > now,
                checkins.c.short_card_number.is_not(None),
                func.length(checkins.c.short_card_number) == length,
            )
        )
        return {r.short_card_number for r in rows}

    async def end_live(
        self, merchant_id: int, account_id: int, store_code: str, at: datetime
    ) -> int:
        """End the account's live check-ins at this store (a new one replaces them)."""
        result = await self.conn.execute(
            update(checkins)
            .where(
                checkins.c.merchant_id == merchant_id,
                checkins.c.account_id == account_id,
                checkins.c.store_code == store_code,
                checkins.c.expires_at > at,
            )
            .values(expires_at=at)
        )
        return int(result.rowcount or 0)

    async def live_at(self, merchant_id: int, store_code: str, now: datetime) -> list[Checkin]:
        """Guests whose check-in at this store (or merchant-wide) has not yet lapsed,
        newest first."""
        rows = await self.conn.execute(
            select(checkins, cards.c.printed_card_number, users.c.first_name, users.c.last_name)
            .select_from(
                checkins.join(
                    cards,
                    and_(
                        cards.c.merchant_id == checkins.c.merchant_id,
                        cards.c.id == checkins.c.card_id,
                    ),
                ).outerjoin(
                    users,
                    and_(
                        users.c.merchant_id == checkins.c.merchant_id,
                        users.c.account_id == checkins.c.account_id,
                    ),
                )
            )
            .where(
                checkins.c.merchant_id == merchant_id,
                or_(checkins.c.store_code == store_code, checkins.c.store_code == CORPORATE),
                checkins.c.expires_at > now,
            )
            .order_by(checkins.c.checked_in_at.desc())
        )
        return [
            Checkin(
                r["account_id"],
                r["printed_card_number"],
                r["first_name"],
                r["last_name"],
                r["checked_in_at"],
                r["short_card_number"],
                r["expires_at"],
            )
            for r in rows.mappings()
        ]
