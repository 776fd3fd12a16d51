"""A user's secondary addresses (enrollment addAddressForUser and its kin)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import user_addresses


@dataclass(frozen=True)
class Address:
    """The values of one address; a member left None is empty."""

    label: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country: str | None = None


def _one(merchant_id: int, user_id: int, address_id: int) -> Any:
    return (
        (user_addresses.c.merchant_id == merchant_id)
        & (user_addresses.c.user_id == user_id)
        & (user_addresses.c.id == address_id)
    )


class AddressRepository(Repository):
    __slots__ = ()

    async def count_of(self, merchant_id: int, user_id: int) -> int:
        return int(
            (
                await self.conn.execute(
                    select(func.count()).where(
                        user_addresses.c.merchant_id == merchant_id,
                        user_addresses.c.user_id == user_id,
                    )
                )
            ).scalar_one()
        )

    async def add(self, merchant_id: int, user_id: int, address: Address) -> int:
        result = await self.conn.execute(
            insert(user_addresses).values(
                merchant_id=merchant_id, user_id=user_id, **asdict(address)
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def replace(
        self, merchant_id: int, user_id: int, address_id: int, address: Address
    ) -> bool:
        """Overwrite every value of the user's address; False when the user has no such
        address."""
        result = await self.conn.execute(
            update(user_addresses)
            .where(_one(merchant_id, user_id, address_id))
            .values(**asdict(address))
        )
        return result.rowcount == 1

    async def remove(self, merchant_id: int, user_id: int, address_id: int) -> bool:
        """Delete the user's address; False when the user has no such address."""
        result = await self.conn.execute(
            delete(user_addresses).where(_one(merchant_id, user_id, address_id))
        )
        return result.rowcount == 1

    async def remove_all_of(self, merchant_id: int, user_id: int) -> None:
        await self.conn.execute(
            delete(user_addresses).where(
                user_addresses.c.merchant_id == merchant_id, user_addresses.c.user_id == user_id
            )
        )
