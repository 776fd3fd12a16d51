"""Subscription rules, with no I/O: when a period ends, and what a declined renewal
leads to."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from enum import StrEnum


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"  # paid through renews_at, renews then
    CANCELLED = "cancelled"  # paid through renews_at, ends then
    PAST_DUE = "past_due"  # the renewal was declined; retried on a schedule
    EXPIRED = "expired"  # over: no benefits, no charges


def add_months(start: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def next_renewal(renews_at: datetime, enrolled_at: datetime, period: str) -> datetime:
    """When the period that starts at ``renews_at`` ends.

    Months and years keep the sign-up's day of the month, so a plan joined on the 31st
    renews on the last day of short months and on the 31st again after them; a late
    (retried) renewal does not move the billing day either, as the new period starts
    where the unpaid one was due.
    """
    if period == "week":
        return renews_at + timedelta(weeks=1)
    moved = add_months(renews_at, 12 if period == "year" else 1)
    last = calendar.monthrange(moved.year, moved.month)[1]
    return moved.replace(day=min(enrolled_at.day, last))


def after_decline(
    renews_at: datetime, declines: int, retry_days: list[int]
) -> tuple[SubscriptionStatus, datetime | None]:
    """The status and next try after the ``declines``-th declined renewal in a row:
    past due until the retry schedule is used up, then expired."""
    if declines <= len(retry_days):
        return SubscriptionStatus.PAST_DUE, renews_at + timedelta(days=retry_days[declines - 1])
    return SubscriptionStatus.EXPIRED, None
