"""Price-per-unit (PPU) discounts a store matches, e.g. a competitor's fuel price.

A store's list is replaced whole; two records for one item may not be in force at the
same instant, so a calculation finds one discount and never has to choose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openpxs.domain.errors import InvalidRequest


@dataclass(frozen=True)
class PriceMatch:
    store_code: str
    item_id: str
    discount_per_unit: Decimal
    start_at: datetime | None
    end_at: datetime | None

    def in_force(self, at: datetime) -> bool:
        return (self.start_at is None or self.start_at <= at) and (
            self.end_at is None or self.end_at > at
        )


def _overlap(a: PriceMatch, b: PriceMatch) -> bool:
    """Whether two records are in force at some common instant (open ends: always)."""
    return _before(a.start_at, b.end_at) and _before(b.start_at, a.end_at)


def _before(start: datetime | None, end: datetime | None) -> bool:
    return start is None or end is None or start < end


def check_store_list(records: Sequence[PriceMatch]) -> None:
    """Refuse a list with a record that ends before it starts, or two records for one
    item in force at the same time."""
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


def best_in_force(records: Iterable[PriceMatch], at: datetime) -> dict[str, Decimal]:
    """Per item, the largest discount in force at ``at``."""
    best: dict[str, Decimal] = {}
    for record in records:
        if record.in_force(at):
            best[record.item_id] = max(
                best.get(record.item_id, record.discount_per_unit), record.discount_per_unit
            )
    return best
