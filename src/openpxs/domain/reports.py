"""The period a report covers: whole days of the merchant's calendar, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpxs.domain.clock import end_of_day
from openpxs.domain.errors import InvalidRequest

# A year and a leap day with room to spare; longer periods are several reports.
MAX_REPORT_DAYS = 400
# Wallet kinds whose value a merchant owes its guests as money, and as loyalty.
STORED_VALUE_KINDS = frozenset({"currency"})
LOYALTY_KINDS = frozenset({"points", "reward"})


@dataclass(frozen=True)
class Period:
    """The days ``first`` to ``last``, both included, in ``timezone``."""

    first: date
    last: date
    timezone: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidRequest(f"the period ends ({self.last}) before it starts ({self.first})")
        if self.length > MAX_REPORT_DAYS:
            raise InvalidRequest(
                f"a report covers at most {MAX_REPORT_DAYS} days; this period has {self.length}"
            )

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.length)]

    def bounds(self) -> list[datetime]:
        """The UTC instants the days start and end at: the start of the first day, then
        the end of each (so day ``i`` is ``[bounds[i], bounds[i + 1])``). A day is 23 or
        25 hours long when daylight-saving time starts or ends."""
        before = self.first - timedelta(days=1)
        return [end_of_day(before, self.timezone)] + [
            end_of_day(day, self.timezone) for day in self.days
        ]


def parse_day(text: str) -> date:
    """A calendar day written YYYY-MM-DD."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{text!r} is not a day written YYYY-MM-DD") from None
