"""The outbox: messages written with the change that causes them, sent afterwards.

``enqueue`` runs in the caller's unit of work, inside the caller's transaction, so a
change that rolls back leaves no message behind. The delivery worker
(``messaging.worker``) claims due rows, then records how each send went; here is its
retry policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from openpxs.store.repositories.outbox import (
    CHANNELS,
    RECIPIENT_LIMIT,
    SUBJECT_LIMIT,
    Channel,
    OutboxCounts,
    OutgoingMessage,
)
from openpxs.store.uow import UnitOfWork

__all__ = ["MAX_ATTEMPTS", "OutboxCounts", "OutgoingMessage", "enqueue", "retry_delay"]

# After this many failed sends a message is given up (failed_at is set).
MAX_ATTEMPTS = 8
# Waits between attempts double from FIRST_RETRY up to LAST_RETRY: 30 s, 1 min, 2 min,
# ... so a relay that is down for a while is not hammered, yet a blip costs 30 s.
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


async def enqueue(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    channel: Channel,
    recipient: str,
    subject: str | None,
    body: str,
    now: datetime,
    due_at: datetime | None = None,
    html: str | None = None,
) -> int:
    """Add one message to the outbox in the caller's transaction; returns its id. It is
    sent at once, or not before ``due_at`` (a gift card e-mailed on a chosen day).

    The subject is logged when the message is sent, the body never is: put one-time
    codes in the body only. ``html`` (e-mail only) is sent as the HTML alternative of
    the body.
    """
    if html is not None and channel != "email":
        raise ValueError("only an e-mail has an HTML part")
    if channel not in CHANNELS:
        raise ValueError(f"unknown message channel {channel!r}")
    # Header values with line breaks would let a recipient or subject inject headers
    # into the e-mail; refusing them here fails the causing call instead of retrying
    # an undeliverable message eight times.
    _check_header("recipient", recipient, RECIPIENT_LIMIT)
    if subject is not None:
        _check_header("subject", subject, SUBJECT_LIMIT)
    return await uow.outbox.add(
        merchant_id=merchant_id,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        now=now,
        due_at=due_at,
        html=html,
    )


def _check_header(name: str, value: str, limit: int) -> None:
    if not value.strip():
        raise ValueError(f"message {name} is empty")
    if "\r" in value or "\n" in value:
        raise ValueError(f"message {name} contains a line break")
    if len(value) > limit:
        raise ValueError(f"message {name} is longer than {limit} characters")


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th failed attempt (1-based)."""
    exponent = max(failures - 1, 0)
    # Capped before multiplying, so a huge attempt count cannot overflow timedelta.
    if exponent >= 32:
        return LAST_RETRY
    return min(FIRST_RETRY * (1 << exponent), LAST_RETRY)


async def record_failure(
    uow: UnitOfWork,
    message: OutgoingMessage,
    *,
    error: str,
    now: datetime,
    give_up: bool = False,
) -> bool:
    """Count a failed send: schedule the retry, or give up (after MAX_ATTEMPTS, or at
    once with ``give_up``: the service refused it for good). True when given up."""
    failures = message.attempts + 1
    gave_up = give_up or failures >= MAX_ATTEMPTS
    await uow.outbox.record_failure(
        message, error=error, now=now, give_up=gave_up, retry_at=now + retry_delay(failures)
    )
    return gave_up
