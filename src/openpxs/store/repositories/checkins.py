"""Mobile check-ins at stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from openpxs.store.repositories import Repository
from openpxs.store.tables import cards, checkins, users


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

    async def live_at(self, merchant_id: int, store_code: str, now: datetime) -> list[Checkin]:
        """Guests whose check-in at this store has not yet lapsed, newest first."""
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
                checkins.c.store_code == store_code,
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
