"""Tours: which distinct items of a tour a guest has bought.

Progress is read from the checks the POS posted for the guest's account (the Check
Service's stored bodies), so a purchase counts for a tour exactly when it counted for
earning: one source of truth, no second scoring path. An item counts once, at its first
purchase within the tour's dates; a line with no positive quantity (a return) does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpxs.config.places import TourConfig


@dataclass(frozen=True)
class ItemProgress:
    item_code: str
    name: str | None
    first_purchase: datetime


@dataclass(frozen=True)
class TourProgress:
    tour: TourConfig
    done: list[ItemProgress]

    @property
    def total(self) -> int:
        return len(self.tour.items)

    @property
    def completed(self) -> bool:
        return len(self.done) == self.total


def _quantity(line: dict[str, Any]) -> Decimal:
    try:
        return Decimal(str(line.get("quantity", "1")))
    except InvalidOperation:
        return Decimal(0)


def _categories(line: dict[str, Any]) -> set[str]:
    found = set()
    for category in line.get("categories") or ():
        if isinstance(category, dict) and category.get("categoryId") is not None:
            found.add(str(category["categoryId"]))
    return found


def progress(
    tour: TourConfig,
    checks: Iterable[tuple[datetime, dict[str, Any]]],
    local_day: Any,
) -> TourProgress:
    """The tour's items bought in ``checks`` ((posted_at, body), any order);
    ``local_day(posted_at)`` gives the merchant's business day of a posting."""
    wanted = {item.item_code: item for item in tour.items}
    first: dict[str, datetime] = {}
    for posted_at, body in checks:
        day: date = local_day(posted_at)
        if not tour.active_on(day):
            continue
        for line in body.get("items") or ():
            if not isinstance(line, dict) or line.get("itemId") is None:
                continue
            code = str(line["itemId"])
            if code not in wanted or _quantity(line) <= 0:
                continue
            if tour.category is not None and tour.category not in _categories(line):
                continue
            if code not in first or posted_at < first[code]:
                first[code] = posted_at
    done = [
        ItemProgress(item.item_code, item.name, first[item.item_code])
        for item in tour.items
        if item.item_code in first
    ]
    return TourProgress(tour, done)
