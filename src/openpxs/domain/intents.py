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
    """How many failures a counter takes before it backs off, and for how long.

    At ``free`` failures the counter refuses for ``first_backoff``; each further failure
    doubles that, up to ``longest``. Refusals while it backs off are not failures: a
    stranger cannot stretch the wait, only a real (and wrong) try after it can.
    """

    # "user:<name>@<source>", "user:<name>", "source:<address>", "range:<card prefix>"...
    subject: str
    free: int
    first_backoff: timedelta
    longest: timedelta
    # Its count slows the refusal's reply (``CountFailures.slow``); an address's or a
    # range's counter grows with every subject tried and would slow it for too long.
    slows: bool = False


@dataclass(frozen=True)
class CountFailures:
    """Count one failed attempt against each counter; back off those at their limit.

    A counter forgets its failures once ``window`` has passed since its last failure
    and the end of its backoff. ``slow``: the refusal is answered a little later for
    every failure already counted, so guessing at speed costs time as well.
    """

    merchant_id: int
    limits: tuple[FailureLimit, ...]
    window: timedelta
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


@dataclass(frozen=True)
class AuditFailedSignIn:
    """A known operator's refused console sign-in, written to the audit (never what was
    typed): the refusal's rollback must not erase it."""

    merchant_id: int
    operator_id: int
    now: datetime
    source: str | None = None


Intent = CountFailures | WearOutCodes | EndSignIn | AuditFailedSignIn
