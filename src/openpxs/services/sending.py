"""Limits on the messages a call may have sent to a guest (reset e-mails, one-time
passwords by SMS), so that nobody can bomb a guest's mailbox or phone with the app's
public credential, or keep retiring the code the guest was just sent.

Two counters, in the same table as the guessing counters (``services.guessing``):

- per recipient (a user, a phone number): ``max_sends_per_recipient`` messages per
  ``send_window_minutes``; past it nothing more is sent until the window has passed
  (the code already sent stays valid). A caller with the app's credential is answered
  as if it had been sent, so the limit does not tell which guests exist;
- per client address: ``max_sends_per_source`` requests per window, whoever they name
  (known or not, so that the count reveals nothing either); past it the address is
  refused with ``TOO_MANY_ATTEMPTS``. A trusted back end (b2b) has no address limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.program import Program
from openpxs.store.uow import UnitOfWork


def _window(program: Program) -> timedelta:
    return timedelta(minutes=program.guest.security.send_window_minutes)


async def _count(
    uow: UnitOfWork, program: Program, subject: str, limit: int, now: datetime
) -> None:
    window = _window(program)
    await uow.failures.record_failure(
        program.merchant_id,
        subject,
        now,
        free=limit,
        first_backoff=window,
        longest=window,
        window=window,
    )


async def count_request(
    uow: UnitOfWork, program: Program, source: str | None, now: datetime
) -> None:
    """Refuse an address that asked for too many messages lately, else count this ask."""
    if source is None:
        return
    subject = f"send:source:{source}"
    until = await uow.failures.locked_until(program.merchant_id, [subject], now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() + 59) // 60)
        raise Refused(Reason.TOO_MANY_ATTEMPTS, f"try again in {minutes} minutes")
    await _count(uow, program, subject, program.guest.security.max_sends_per_source, now)


async def may_send(uow: UnitOfWork, program: Program, recipient: str, now: datetime) -> bool:
    """Whether one more message may go to ``recipient``; if so, it is counted."""
    subject = f"send:{recipient}"[:300]
    if await uow.failures.locked_until(program.merchant_id, [subject], now) is not None:
        return False
    await _count(uow, program, subject, program.guest.security.max_sends_per_recipient, now)
    return True


def masked(email: str) -> str:
    """An address as a reply may show it to anyone: "d***@example.com"."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"
