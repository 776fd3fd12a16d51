"""The price-per-unit discounts each store matches (check/priceMatchDiscounts.json)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from openpxs.domain.money import from_units, to_units
from openpxs.domain.price_match import PriceMatch
from openpxs.store.repositories import Repository
from openpxs.store.tables import price_match_discounts as pmd

# Discounts are stored in ten-thousandths, as every amount (domain.money).
_SCALE = 4


def _record(row: Any) -> PriceMatch:
    return PriceMatch(
        row.store_code,
        row.item_id,
        from_units(row.discount_per_unit_units, _SCALE),
        row.start_at,
        row.end_at,
    )


class PriceMatchRepository(Repository):
    __slots__ = ()

    async def replace(
        self, merchant_id: int, store_code: str, records: Sequence[PriceMatch]
    ) -> None:
        """The store's list becomes ``records``, in this order."""
        await self.conn.execute(
            delete(pmd).where(pmd.c.merchant_id == merchant_id, pmd.c.store_code == store_code)
        )
        if records:
            await self.conn.execute(
                insert(pmd),
                [
                    {
                        "merchant_id": merchant_id,
                        "store_code": store_code,
                        "item_id": r.item_id,
                        "discount_per_unit_units": to_units(r.discount_per_unit),
                        "start_at": r.start_at,
                        "end_at": r.end_at,
                    }
                    for r in records
                ],
            )

    async def listed(self, merchant_id: int, store_code: str | None = None) -> list[PriceMatch]:
        """The records of one store, or of every store; in upload order per store."""
        query = select(pmd).where(pmd.c.merchant_id == merchant_id)
        if store_code is not None:
            query = query.where(pmd.c.store_code == store_code)
        rows = await self.conn.execute(query.order_by(pmd.c.store_code, pmd.c.id))
        return [_record(r) for r in rows]

    async def for_items(
        self, merchant_id: int, store_code: str, item_ids: Collection[str]
    ) -> list[PriceMatch]:
        """The store's records for these items, whatever their dates."""
        rows = await self.conn.execute(
            select(pmd).where(
                pmd.c.merchant_id == merchant_id,
                pmd.c.store_code == store_code,
                pmd.c.item_id.in_(list(item_ids)),
            )
        )
        return [_record(r) for r in rows]
