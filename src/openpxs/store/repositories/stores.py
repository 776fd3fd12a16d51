"""The merchant's store directory, as the store locator reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select

from openpxs.domain.geo import Box
from openpxs.store.repositories import Repository
from openpxs.store.tables import stores


@dataclass(frozen=True)
class StoreListing:
    code: str
    name: str
    address: dict[str, str]
    # The coordinates as written in the program file, and as numbers.
    latitude: str | None
    longitude: str | None
    lat: float | None
    lon: float | None
    phone: str | None
    hours: str | None
    groups: frozenset[str]
    attributes: list[dict[str, Any]] = field(default_factory=list)


_COLUMNS = (
    stores.c.code,
    stores.c.name,
    stores.c.address,
    stores.c.latitude,
    stores.c.longitude,
    stores.c.lat,
    stores.c.lon,
    stores.c.phone,
    stores.c.hours,
    stores.c.groups,
    stores.c.attributes,
)


def _listing(row: Any) -> StoreListing:
    return StoreListing(
        code=row.code,
        name=row.name,
        address=dict(row.address or {}),
        latitude=row.latitude,
        longitude=row.longitude,
        lat=row.lat,
        lon=row.lon,
        phone=row.phone,
        hours=row.hours,
        groups=frozenset(row.groups or ()),
        attributes=list(row.attributes or ()),
    )


class StoreRepository(Repository):
    __slots__ = ()

    async def all(self, merchant_id: int) -> list[StoreListing]:
        """Every store of the merchant, by code."""
        rows = await self.conn.execute(
            select(*_COLUMNS).where(stores.c.merchant_id == merchant_id).order_by(stores.c.code)
        )
        return [_listing(r) for r in rows]

    async def by_code(self, merchant_id: int, code: str) -> StoreListing | None:
        row = (
            await self.conn.execute(
                select(*_COLUMNS).where(stores.c.merchant_id == merchant_id, stores.c.code == code)
            )
        ).first()
        return _listing(row) if row is not None else None

    async def in_box(self, merchant_id: int, box: Box) -> list[StoreListing]:
        """The stores with coordinates inside the box: a range on the (merchant_id, lat)
        index, then the longitude test on the rows it leaves."""
        conditions = [
            stores.c.merchant_id == merchant_id,
            stores.c.lat.between(box.min_lat, box.max_lat),
            stores.c.lon.is_not(None),
        ]
        if not box.all_longitudes:
            conditions.append(or_(*(stores.c.lon.between(w, e) for w, e in box.lon_ranges)))
        rows = await self.conn.execute(select(*_COLUMNS).where(and_(*conditions)))
        return [_listing(r) for r in rows]
