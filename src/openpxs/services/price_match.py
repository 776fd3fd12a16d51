"""Price-per-unit (PPU) discounts a store matches, e.g. a competitor's fuel price.

check/priceMatchDiscounts.json uploads a store's whole list, replacing the previous
one; the reads return what is stored. ``in_force`` is the question a PPU discount
calculation asks: which discount applies to an item at this store now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, or_, select

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.money import from_units, to_units
from openpxs.domain.program import Program
from openpxs.store.tables import price_match_discounts
from openpxs.store.uow import UnitOfWork

# "2013-08-20 18:14:25 -0400": the encoding page's alternative form puts a space
# before the offset, which fromisoformat does not take.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")


@dataclass(frozen=True)
class PriceMatch:
    store_code: str
    item_id: str
    discount_per_unit: Decimal
    start_at: datetime | None
    end_at: datetime | None


def parse_datetime(program: Program, value: str | None, member: str) -> datetime | None:
    """A DateTime member as an instant; one without a zone is the merchant's local time."""
    if value is None or not value.strip():
        return None
    text = _SPACED_OFFSET.sub(r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{member} {value!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(program.timezone))
    return parsed


def _overlap(a: PriceMatch, b: PriceMatch) -> bool:
    """Whether two records are in force at some common instant (open ends: always)."""
    return _before(a.start_at, b.end_at) and _before(b.start_at, a.end_at)


def _before(start: datetime | None, end: datetime | None) -> bool:
    return start is None or end is None or start < end


def _amount(units: int) -> Decimal:
    """Money-like: two places, or up to four when the discount needs them (0.125)."""
    value = from_units(units, 4)
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


async def replace_store_list(
    uow: UnitOfWork, program: Program, store_code: str, records: list[PriceMatch]
) -> None:
    """The store's list becomes ``records``. Two records for one item may not be in
    force at the same time: a calculation must find one discount, not choose."""
    program.store(store_code)
    for index, record in enumerate(records):
        if record.start_at and record.end_at and record.start_at >= record.end_at:
            raise InvalidRequest(
                f"priceMatchDiscounts.{index}: startDatetime is not before endDatetime"
            )
        for other in records[:index]:
            if other.item_id == record.item_id and _overlap(other, record):
                raise InvalidRequest(
                    f"priceMatchDiscounts.{index}: item {record.item_id!r} has another "
                    "discount in force at the same time"
                )
    await uow.conn.execute(
        delete(price_match_discounts).where(
            price_match_discounts.c.merchant_id == program.merchant_id,
            price_match_discounts.c.store_code == store_code,
        )
    )
    if records:
        await uow.conn.execute(
            insert(price_match_discounts),
            [
                {
                    "merchant_id": program.merchant_id,
                    "store_code": store_code,
                    "item_id": r.item_id,
                    "discount_per_unit_units": to_units(r.discount_per_unit),
                    "start_at": r.start_at,
                    "end_at": r.end_at,
                }
                for r in records
            ],
        )


async def stored(
    uow: UnitOfWork, merchant_id: int, store_code: str | None = None
) -> list[PriceMatch]:
    """The stored records of one store, or of every store; in upload order per store."""
    query = select(price_match_discounts).where(price_match_discounts.c.merchant_id == merchant_id)
    if store_code is not None:
        query = query.where(price_match_discounts.c.store_code == store_code)
    rows = await uow.conn.execute(
        query.order_by(price_match_discounts.c.store_code, price_match_discounts.c.id)
    )
    return [
        PriceMatch(
            store_code=r.store_code,
            item_id=r.item_id,
            discount_per_unit=_amount(r.discount_per_unit_units),
            start_at=r.start_at,
            end_at=r.end_at,
        )
        for r in rows
    ]


async def in_force(
    uow: UnitOfWork, merchant_id: int, store_code: str, item_id: str, at: datetime
) -> PriceMatch | None:
    """The store's discount on one item at instant ``at``, if any (for PPU calculations)."""
    row = (
        await uow.conn.execute(
            select(price_match_discounts)
            .where(
                price_match_discounts.c.merchant_id == merchant_id,
                price_match_discounts.c.store_code == store_code,
                price_match_discounts.c.item_id == item_id,
                or_(
                    price_match_discounts.c.start_at.is_(None),
                    price_match_discounts.c.start_at <= at,
                ),
                or_(price_match_discounts.c.end_at.is_(None), price_match_discounts.c.end_at > at),
            )
            .order_by(price_match_discounts.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return PriceMatch(
        row.store_code,
        row.item_id,
        _amount(row.discount_per_unit_units),
        row.start_at,
        row.end_at,
    )
