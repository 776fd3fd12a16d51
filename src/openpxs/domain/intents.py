"""Work a refusal asks for after its call has rolled back.

A refused sign-in must still be counted, or passwords could be tried without end; but
the refused call's own transaction is rolled back, so nothing it wrote survives. The
use case therefore says what must happen as data carried by the refusal
(``DomainError.intents``), and the dispatcher carries it out in a transaction of its
own once the call has rolled back (``services.after_refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FailureLimit:
    """How many failures a subject may have in a window before it is locked."""

    subject: str  # "user:<name>", "card:<number>", "client:<integration>", "otp:<digits>"
    limit: int


@dataclass(frozen=True)
class CountFailures:
    """Count one failed attempt against each subject; lock those at their limit.

    ``slow``: the refusal is answered a little later for every failure already in the
    window, so guessing at speed costs time as well.
    """

    merchant_id: int
    limits: tuple[FailureLimit, ...]
    window: timedelta
    lock_for: timedelta
    now: datetime
    slow: bool = False


@dataclass(frozen=True)
class WearOutCodes:
    """A wrong code for a known guest or address counts against their live codes."""

    merchant_id: int
    purpose: str
    now: datetime
    target: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class EndSignIn:
    """Revoke every token of a sign-in (a refresh token was presented twice)."""

    merchant_id: int
    family: str
    now: datetime


Intent = CountFailures | WearOutCodes | EndSignIn
