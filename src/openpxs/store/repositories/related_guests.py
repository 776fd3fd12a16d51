"""Related guests: family members or others kept under an account (birthday rewards
and the like)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import related_guests

# The members a caller may set, as RelatedGuest names them (they are the columns too).
MEMBERS = ("first_name", "last_name", "date_of_birth", "relationship")


@dataclass(frozen=True)
class RelatedGuest:
    id: int
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    relationship: str | None


def _one(merchant_id: int, account_id: int, guest_id: int) -> Any:
    return (
        (related_guests.c.merchant_id == merchant_id)
        & (related_guests.c.account_id == account_id)
        & (related_guests.c.id == guest_id)
    )


def _values(values: Mapping[str, object]) -> dict[str, object]:
    unknown = set(values) - set(MEMBERS)
    if unknown:
        raise ValueError(f"related guests have no {sorted(unknown)}")
    return dict(values)


class RelatedGuestRepository(Repository):
    __slots__ = ()

    async def of_account(self, merchant_id: int, account_id: int) -> list[RelatedGuest]:
        rows = await self.conn.execute(
            select(related_guests.c.id, *(related_guests.c[m] for m in MEMBERS))
            .where(
                related_guests.c.merchant_id == merchant_id,
                related_guests.c.account_id == account_id,
            )
            .order_by(related_guests.c.id)
        )
        return [RelatedGuest(*row) for row in rows]

    async def count_of(self, merchant_id: int, account_id: int) -> int:
        return int(
            (
                await self.conn.execute(
                    select(func.count()).where(
                        related_guests.c.merchant_id == merchant_id,
                        related_guests.c.account_id == account_id,
                    )
                )
            ).scalar_one()
        )

    async def add(
        self, merchant_id: int, account_id: int, guests: Sequence[Mapping[str, object]]
    ) -> None:
        for values in guests:
            await self.conn.execute(
                insert(related_guests).values(
                    merchant_id=merchant_id, account_id=account_id, **_values(values)
                )
            )

    async def exists(self, merchant_id: int, account_id: int, guest_id: int) -> bool:
        found = await self.conn.execute(
            select(related_guests.c.id).where(_one(merchant_id, account_id, guest_id))
        )
        return found.first() is not None

    async def change(
        self, merchant_id: int, account_id: int, guest_id: int, values: Mapping[str, object]
    ) -> None:
        """Set the given members of the account's related guest; the others stay."""
        if values:
            await self.conn.execute(
                update(related_guests)
                .where(_one(merchant_id, account_id, guest_id))
                .values(**_values(values))
            )

    async def remove(self, merchant_id: int, account_id: int, guest_id: int) -> bool:
        """Delete the account's related guest; False when the account has no such guest."""
        result = await self.conn.execute(
            delete(related_guests).where(_one(merchant_id, account_id, guest_id))
        )
        return result.rowcount == 1
