"""A report's period: whole days of the merchant's calendar, edges in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.reports import MAX_REPORT_DAYS, Period, parse_day

ZONE = "America/New_York"


def test_the_days_start_and_end_at_local_midnight() -> None:
    period = Period(date(2026, 7, 3), date(2026, 7, 4), ZONE)
    assert period.days == [date(2026, 7, 3), date(2026, 7, 4)]
    assert period.bounds() == [
        datetime(2026, 7, 3, 4, tzinfo=UTC),
        datetime(2026, 7, 4, 4, tzinfo=UTC),
        datetime(2026, 7, 5, 4, tzinfo=UTC),
    ]


def test_days_when_the_clocks_change_are_23_and_25_hours_long() -> None:
    spring = Period(date(2027, 3, 14), date(2027, 3, 14), ZONE).bounds()
    autumn = Period(date(2026, 11, 1), date(2026, 11, 1), ZONE).bounds()
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)


def test_a_period_is_one_to_the_longest_number_of_days() -> None:
    first = date(2026, 1, 1)
    assert Period(first, first, ZONE).length == 1
    longest = Period(first, first + timedelta(days=MAX_REPORT_DAYS - 1), ZONE)
    assert len(longest.bounds()) == MAX_REPORT_DAYS + 1
    with pytest.raises(InvalidRequest, match="at most"):
        Period(first, first + timedelta(days=MAX_REPORT_DAYS), ZONE)
    with pytest.raises(InvalidRequest, match="before it starts"):
        Period(first, first - timedelta(days=1), ZONE)


@pytest.mark.parametrize("text", ["2026-1-5", "05/01/2026", "2026-02-30", "", "2026-01-01T00"])
def test_a_day_is_written_year_month_day(text: str) -> None:
    with pytest.raises(InvalidRequest, match="YYYY-MM-DD"):
        parse_day(text)
    assert parse_day("2026-02-28") == date(2026, 2, 28)
