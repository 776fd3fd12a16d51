"""Price-per-unit (PPU) discounts a store matches, e.g. a competitor's fuel price.

check/priceMatchDiscounts.json uploads a store's whole list, replacing the previous
one; the reads return what is stored; a simulated check reports the discounts in force
on the items it names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.price_match import PriceMatch, best_in_force, check_store_list
from openpxs.domain.program import Program
from openpxs.store.uow import UnitOfWork

# "2013-08-20 18:14:25 -0400": the encoding page's alternative form puts a space
# before the offset, which fromisoformat does not take.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")


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


async def replace_store_list(
    uow: UnitOfWork, program: Program, store_code: str, records: list[PriceMatch]
) -> None:
    """The store's list becomes ``records``."""
    program.store(store_code)
    check_store_list(records)
    await uow.price_matches.replace(program.merchant_id, store_code, records)


async def stored(
    uow: UnitOfWork, program: Program, store_code: str | None = None
) -> list[PriceMatch]:
    """The stored records of one store (which must be the merchant's), or of every
    store; in upload order per store."""
    if store_code is not None:
        program.store(store_code)
    return await uow.price_matches.listed(program.merchant_id, store_code)


async def unit_discounts(
    uow: UnitOfWork,
    program: Program,
    store_code: str,
    items: Sequence[tuple[str, str | None]],
    now: datetime,
) -> list[tuple[str, str, Decimal]]:
    """(item, name, discount per unit) for the items the store price-matches now."""
    if not items:
        return []
    records = await uow.price_matches.for_items(
        program.merchant_id, store_code, {item for item, _ in items}
    )
    best = best_in_force(records, now)
    return [(item, name or "Price match", best[item]) for item, name in items if item in best]
