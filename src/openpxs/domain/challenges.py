"""The rules of challenges: when each occurrence runs, who may take part, what a posted
check adds to an account's progress and when that progress completes an occurrence.

A challenge runs as occurrences: one for a one-off challenge, one per 7 days or per
calendar month (from the schedule's start, in the merchant's local time) for a
recurring one. An occurrence is named by its challenge code, a dot and its local start
date (``VISIT3.20261130``), which is what clients send as occurrenceCode.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from openpxs.config.challenges import (
    Challenge,
    ChallengeAudience,
    ChallengeGoal,
    ChallengeSchedule,
)
from openpxs.domain.earning import CheckFacts, line_matches, store_matches

ZERO = Decimal(0)
WEEK = timedelta(days=7)
KEY_FORMAT = "%Y%m%d"


@dataclass(frozen=True)
class AudienceFacts:
    """What a challenge's audience looks at on an account."""

    template_code: int
    tier: int | None
    # When the guest registered, else when the account was made.
    enrolled_at: datetime
    # The guest the account belongs to (group challenges go by the guest's groups).
    user_id: int | None = None


class Status(StrEnum):
    """Where an account (or group) stands in one occurrence (Challenge.status)."""

    ELIGIBLE = "ELIGIBLE"  # may opt in
    OPTED_IN = "OPTED_IN"  # joined, the occurrence has not started
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"  # ended without reaching the goal


@dataclass(frozen=True)
class Occurrence:
    """One run of a challenge, in local wall-clock time and as UTC instants."""

    challenge: Challenge
    key: str
    local_start: datetime
    local_end: datetime
    start: datetime
    end: datetime
    opt_in_opens: datetime

    @property
    def code(self) -> str:
        return f"{self.challenge.code}.{self.key}"

    def has_started(self, now: datetime) -> bool:
        return now >= self.start

    def has_ended(self, now: datetime) -> bool:
        return now >= self.end

    def contains(self, now: datetime) -> bool:
        return self.start <= now < self.end


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later; a day the month lacks is its last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _utc(local: datetime, timezone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _local_now(now: datetime, timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _bounds(schedule: ChallengeSchedule, n: int) -> tuple[datetime, datetime]:
    if schedule.repeat == "weekly":
        return schedule.start + n * WEEK, schedule.start + (n + 1) * WEEK
    if schedule.repeat == "monthly":
        return _add_months(schedule.start, n), _add_months(schedule.start, n + 1)
    assert schedule.end is not None, "a one-off schedule has an end (validated)"
    return schedule.start, schedule.end


@functools.lru_cache(maxsize=4096)
def _window(
    schedule: ChallengeSchedule, timezone: str, n: int
) -> tuple[str, datetime, datetime, datetime, datetime, datetime] | None:
    """Occurrence ``n``'s key and times, or None when the schedule has none. Kept once
    worked out: every posted check asks for the running occurrence of every challenge,
    and the zone conversions cost more than the rest of the rules."""
    if n < 0 or (schedule.repeat == "none" and n > 0):
        return None
    local_start, local_end = _bounds(schedule, n)
    if schedule.until is not None and local_start.date() > schedule.until:
        return None
    # Opting in opens as long before each occurrence as before the first one.
    lead = schedule.start - schedule.opt_in_from if schedule.opt_in_from else timedelta(0)
    return (
        local_start.strftime(KEY_FORMAT),
        local_start,
        local_end,
        _utc(local_start, timezone),
        _utc(local_end, timezone),
        _utc(local_start - lead, timezone),
    )


def _nth(challenge: Challenge, timezone: str, n: int) -> Occurrence | None:
    """Occurrence ``n`` (from 0), or None when the schedule has no such occurrence."""
    window = _window(challenge.schedule, timezone, n)
    return None if window is None else Occurrence(challenge, *window)


def _index_near(challenge: Challenge, local: datetime) -> int:
    """The index of the occurrence running at local time ``local`` (negative: before
    the first one)."""
    schedule = challenge.schedule
    if local < schedule.start:
        return -1
    if schedule.repeat == "weekly":
        return (local - schedule.start) // WEEK
    if schedule.repeat == "monthly":
        n = (local.year - schedule.start.year) * 12 + local.month - schedule.start.month
        # Start-of-month arithmetic may be one off around the start's day and time.
        while n > 0 and _add_months(schedule.start, n) > local:
            n -= 1
        while _add_months(schedule.start, n + 1) <= local:
            n += 1
        return n
    return 0


def running_at(challenge: Challenge, timezone: str, now: datetime) -> Occurrence | None:
    """The occurrence whose window holds ``now``, if any."""
    found = _nth(challenge, timezone, _index_near(challenge, _local_now(now, timezone)))
    return found if found is not None and found.contains(now) else None


def current_or_next(challenge: Challenge, timezone: str, now: datetime) -> Occurrence | None:
    """The occurrence running now, else the next one to start; None once the challenge
    has ended."""
    n = _index_near(challenge, _local_now(now, timezone))
    for index in (max(n, 0), max(n, 0) + 1):
        found = _nth(challenge, timezone, index)
        if found is not None and not found.has_ended(now):
            return found
    return None


def ended_between(
    challenge: Challenge, timezone: str, since: datetime | None, now: datetime, limit: int
) -> list[Occurrence]:
    """Up to ``limit`` occurrences that had ended by ``now`` and were still running at
    ``since`` (None: any), newest first."""
    found: list[Occurrence] = []
    index = _index_near(challenge, _local_now(now, timezone))
    while index >= 0 and len(found) < limit:
        occurrence = _nth(challenge, timezone, index)
        index -= 1
        if occurrence is None or not occurrence.has_ended(now):
            continue
        if since is not None and occurrence.end <= since:
            break
        found.append(occurrence)
    return found


def occurrence_by_key(challenge: Challenge, timezone: str, key: str) -> Occurrence | None:
    """The occurrence that starts on local day ``key`` (YYYYMMDD), if the schedule has
    one."""
    try:
        day = datetime.strptime(key, KEY_FORMAT)
    except ValueError:
        return None
    if len(key) != 8:
        return None
    try:
        n = _index_near(challenge, day.replace(hour=23, minute=59, second=59))
        found = _nth(challenge, timezone, n)
    except (OverflowError, ValueError):
        # A day so far off that its occurrence would end past the calendar's last year.
        return None
    return found if found is not None and found.key == key else None


def parse_occurrence_code(code: str) -> tuple[str, str] | None:
    """(challenge code, occurrence key) of ``CODE.YYYYMMDD``."""
    challenge_code, dot, key = code.strip().rpartition(".")
    if not dot or not challenge_code or not key:
        return None
    return challenge_code, key


def in_audience(
    audience: ChallengeAudience,
    *,
    tier: int | None,
    enrolled_on: date,
    card_numbers: Iterable[str],
) -> bool:
    """Whether an account may take part: every condition the audience names holds."""
    if audience.tiers and tier not in audience.tiers:
        return False
    if audience.enrolled_after is not None and enrolled_on < audience.enrolled_after:
        return False
    return not audience.cards or bool(set(audience.cards) & set(card_numbers))


def contribution(
    goal: ChallengeGoal,
    check: CheckFacts,
    net_amounts: Mapping[str, Decimal],
    points_earned: Decimal,
) -> Decimal:
    """What one posted check adds towards ``goal``.

    ``net_amounts`` are the check's line amounts after every discount (what the guest
    paid for each line); ``points_earned`` the check's accrual into the goal's wallet.
    A check at a store the goal leaves out adds nothing.
    """
    if not store_matches(goal.eligible, check):
        return ZERO
    if goal.measure == "points":
        return max(points_earned, ZERO)
    lines = [line for line in check.lines if line_matches(goal.eligible, line)]
    spend = sum((net_amounts.get(line.line_id, ZERO) for line in lines), ZERO)
    if goal.measure == "spend":
        return spend
    if goal.measure == "items":
        return sum((line.quantity for line in lines), ZERO)
    # visits and stores: the check counts once when it has an eligible line and,
    # when the goal asks for it, enough eligible spend.
    if not lines or (goal.min_spend is not None and spend < goal.min_spend):
        return ZERO
    return Decimal(1)


def progress_of(goal: ChallengeGoal, standing: Iterable[tuple[str, Decimal]]) -> Decimal:
    """Progress from the standing contributions, each (store code, amount)."""
    rows = list(standing)
    if goal.measure == "stores":
        return Decimal(len({store for store, amount in rows if amount > 0}))
    return sum((amount for _, amount in rows), ZERO)


def reached(goal: ChallengeGoal, progress: Decimal) -> bool:
    return progress >= goal.target


def status_of(
    occurrence: Occurrence, now: datetime, *, taking_part: bool, completed: bool
) -> Status:
    if completed:
        return Status.COMPLETED
    if occurrence.has_ended(now):
        return Status.FAILED
    if not taking_part:
        return Status.ELIGIBLE
    return Status.IN_PROGRESS if occurrence.has_started(now) else Status.OPTED_IN


def may_join(occurrence: Occurrence, now: datetime) -> bool:
    """Opting in is open from the occurrence's opt-in start until its end."""
    return occurrence.opt_in_opens <= now < occurrence.end
