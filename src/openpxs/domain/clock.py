"""Time as the domain sees it: injected, so tests can move it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ShiftedClock(Clock):
    """The real clock moved by an offset; tests use it to reach expiry dates."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def end_of_day(day: date, timezone: str) -> datetime:
    """The instant (UTC) at which ``day`` ends in ``timezone``.

    Computed as local midnight of the next day, so it is right on days that are 23 or
    25 hours long when daylight-saving time starts or ends.
    """
    zone = ZoneInfo(timezone)
    local_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC)


def local_date(instant: datetime, timezone: str) -> date:
    return instant.astimezone(ZoneInfo(timezone)).date()
