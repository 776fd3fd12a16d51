"""Limits on guessing passwords, registration codes, card numbers and sent codes.

An app's credential ships inside the app, so anyone may call with it: limits keyed by
the integration would let one stranger lock every guest of the app out. Every miss is
counted instead against (docs/security.md, "Guessing, lockouts and secrets"):

- the subject from the client address that tried it (a username, a card, a phone
  number; ``max_failed_sign_ins`` or ``max_card_guesses``): the usual guesser stops
  here, and nobody else is affected;
- the subject from every address (``max_subject_failures``, several times larger):
  guessing one guest's password from many addresses is bounded too;
- the client address across subjects (``max_source_failures``): spraying one password
  over many usernames or cards is bounded;
- for card guesses, the range of card numbers (``budget_guesses``): a budget for the
  whole world; once spent, only addresses that have missed in the window are refused.

A counter at its limit backs off: refused for ``backoff_seconds``, doubled with each
further miss up to ``lock_minutes``. Refusals while it backs off count nothing, so a
stranger cannot stretch the wait, and the right answer after it is accepted. A trusted
back end (``source`` None: b2b calls checking a guest's credentials) is no single
address: only the subject's counter over every address applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import normalise_unique
from openpxs.domain.intents import CountFailures, FailureLimit
from openpxs.domain.program import Program
from openpxs.store.uow import UnitOfWork

# The sign_in_failures.subject column holds 300 characters.
_SUBJECT_CHARS = 240


@dataclass(frozen=True)
class Guess:
    """What a call guessed at."""

    subject: str  # "user:<name>", "card:<number>", "otp:<digits>", "reset", ...
    # Counted across addresses as well (not for codes no guest owns, such as reset codes:
    # that counter would be one for the whole app).
    shared: bool = True
    budget: str | None = None
    kind: str = "password"  # "password" or "card": which per-address limit applies


def password_guess(username: str) -> Guess:
    return Guess(f"user:{normalise_unique('username', username)}"[:_SUBJECT_CHARS])


def card_guess(number: str) -> Guess:
    """A card number with a registration code, or a number alone (attaching, combining)."""
    prefix = number[:-4] if len(number) > 8 else ""
    return Guess(f"card:{number[:64]}", budget=f"range:{prefix[:60]}", kind="card")


def code_guess(subject: str, *, shared: bool, budget: str | None = None) -> Guess:
    """A code sent to a guest: ``shared`` when the subject is one guest's (a phone
    number); a ``budget`` for codes tried without naming whose they are."""
    return Guess(subject[:_SUBJECT_CHARS], shared=shared, budget=budget)


def _per_source(guess: Guess, source: str) -> str:
    return f"{guess.subject}@{source}"


def _source_key(source: str) -> str:
    return f"source:{source}"


def _limits(program: Program, guess: Guess, source: str | None) -> list[FailureLimit]:
    security = program.guest.security
    first = timedelta(seconds=security.backoff_seconds)
    longest = max(first, timedelta(minutes=security.lock_minutes))
    window = timedelta(minutes=security.failure_window_minutes)
    free = security.max_card_guesses if guess.kind == "card" else security.max_failed_sign_ins
    limits = []
    if source is not None:
        limits.append(FailureLimit(_per_source(guess, source), free, first, longest, True))
    if guess.shared:
        limits.append(
            FailureLimit(guess.subject, security.max_subject_failures, first, longest, True)
        )
    if source is not None:
        limits.append(
            FailureLimit(_source_key(source), security.max_source_failures, first, longest)
        )
    if guess.budget is not None:
        # Spent, the range stays marked for a window; only missers are refused meanwhile.
        limits.append(FailureLimit(guess.budget, security.guess_budget, window, window))
    return limits


async def refuse_while_backing_off(
    uow: UnitOfWork,
    program: Program,
    guess: Guess,
    source: str | None,
    now: datetime,
    *,
    reason: Reason = Reason.TOO_MANY_ATTEMPTS,
) -> None:
    """Refuse, saying how long to wait, while a counter of this guess backs off."""
    merchant = program.merchant_id
    counters = [
        limit.subject for limit in _limits(program, guess, source) if limit.subject != guess.budget
    ]
    until = await uow.failures.locked_until(merchant, counters, now) if counters else None
    if until is None and guess.budget is not None and source is not None:
        spent = await uow.failures.locked_until(merchant, [guess.budget], now)
        window = timedelta(minutes=program.guest.security.failure_window_minutes)
        if spent is not None and await uow.failures.has_failed(
            merchant, _source_key(source), now, window
        ):
            until = spent
    if until is not None:
        raise Refused(reason, f"try again in {_wait(until - now)}")


def missed(
    program: Program, guess: Guess, source: str | None, now: datetime, *, slow: bool
) -> CountFailures:
    """What a wrong guess leaves behind once its call has rolled back."""
    return CountFailures(
        merchant_id=program.merchant_id,
        limits=tuple(_limits(program, guess, source)),
        window=timedelta(minutes=program.guest.security.failure_window_minutes),
        now=now,
        slow=slow,
    )


async def succeeded(uow: UnitOfWork, program: Program, guess: Guess, source: str | None) -> None:
    """The right answer clears what this address got wrong about this subject; what
    others got wrong still counts, or a guesser could sign in between guesses to reset
    the count."""
    if source is not None:
        await uow.failures.clear(program.merchant_id, _per_source(guess, source))


async def forgive(uow: UnitOfWork, program: Program, guess: Guess) -> None:
    """Clear the subject's counters, over every address and from each (the guest proved
    who they are another way, such as a reset code from their mailbox)."""
    await uow.failures.clear_everywhere(program.merchant_id, guess.subject)


def _wait(left: timedelta) -> str:
    seconds = max(1, int(left.total_seconds() + 0.999))
    if seconds < 120:
        return f"{seconds} second{'s' * (seconds > 1)}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"
