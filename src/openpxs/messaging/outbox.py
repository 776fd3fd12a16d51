"""The outbox table: messages written with the change that causes them, read by the worker.

``enqueue`` runs on the caller's connection, inside the caller's transaction, so a change
that rolls back leaves no message behind. Everything else here is for the delivery
worker (``messaging.worker``): claiming due rows, then recording how each send went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import Column, ColumnElement, String, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import outbox

Channel = Literal["email", "sms"]
CHANNELS: tuple[str, ...] = get_args(Channel)

# After this many failed sends a message is given up (failed_at is set).
MAX_ATTEMPTS = 8
# Waits between attempts double from FIRST_RETRY up to LAST_RETRY: 30 s, 1 min, 2 min,
# ... so a relay that is down for a while is not hammered, yet a blip costs 30 s.
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
# last_error is a String(500) column.
ERROR_LIMIT = 500


@dataclass(frozen=True)
class OutgoingMessage:
    """One claimed outbox row, as handed to a transport."""

    id: int
    merchant_id: int
    channel: Channel
    recipient: str
    subject: str | None
    # Bodies carry one-time codes: kept out of repr so a logged message cannot leak one.
    body: str = field(repr=False)
    # Sends tried before this one.
    attempts: int = 0


@dataclass(frozen=True)
class OutboxCounts:
    """Where the outbox stands: for ``openpxs outbox pending`` and monitoring."""

    due: int  # waiting to be sent now
    waiting: int  # waiting for a retry (or claimed by a worker right now)
    failed: int  # given up after MAX_ATTEMPTS
    sent: int


async def enqueue(
    conn: AsyncConnection,
    *,
    merchant_id: int,
    channel: Literal["email", "sms"],
    recipient: str,
    subject: str | None,
    body: str,
    now: datetime,
) -> int:
    """Add one message to the outbox in the caller's transaction; returns its id.

    The subject is logged when the message is sent, the body never is: put one-time
    codes in the body only.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown message channel {channel!r}")
    # Header values with line breaks would let a recipient or subject inject headers
    # into the e-mail; refusing them here fails the causing call instead of retrying
    # an undeliverable message eight times.
    _check_header("recipient", recipient, _length(outbox.c.recipient))
    if subject is not None:
        _check_header("subject", subject, _length(outbox.c.subject))
    result = await conn.execute(
        outbox.insert()
        .values(
            merchant_id=merchant_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        .returning(outbox.c.id)
    )
    message_id: int = result.scalar_one()
    return message_id


def _length(column: Column[str]) -> int:
    kind = column.type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


def _check_header(name: str, value: str, limit: int) -> None:
    if not value.strip():
        raise ValueError(f"message {name} is empty")
    if "\r" in value or "\n" in value:
        raise ValueError(f"message {name} contains a line break")
    if len(value) > limit:
        raise ValueError(f"message {name} is longer than {limit} characters")


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        outbox.c.sent_at.is_(None),
        outbox.c.failed_at.is_(None),
        outbox.c.next_attempt_at <= now,
    ]


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease_until: datetime, limit: int
) -> list[OutgoingMessage]:
    """Take up to ``limit`` due messages for this worker until ``lease_until``.

    Run it in a transaction of its own and commit at once: the claim is the moved
    next_attempt_at, which hides the rows from every other worker until the lease ends.
    On PostgreSQL, SKIP LOCKED lets concurrent workers claim different rows instead of
    queueing behind each other; on SQLite the transaction's BEGIN IMMEDIATE
    (store.db) already makes concurrent claims take turns, and FOR UPDATE is left out.
    """
    rows = (
        await conn.execute(
            select(
                outbox.c.id,
                outbox.c.merchant_id,
                outbox.c.channel,
                outbox.c.recipient,
                outbox.c.subject,
                outbox.c.body,
                outbox.c.attempts,
            )
            .where(*_due(now))
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([row.id for row in rows]))
        .values(next_attempt_at=lease_until)
    )
    return [
        OutgoingMessage(
            id=row.id,
            merchant_id=row.merchant_id,
            channel=row.channel,
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            attempts=row.attempts,
        )
        for row in rows
    ]


async def mark_sent(conn: AsyncConnection, message_id: int, *, now: datetime) -> None:
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.sent_at.is_(None))
        .values(sent_at=now, last_error=None)
    )


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th failed attempt (1-based)."""
    exponent = max(failures - 1, 0)
    # Capped before multiplying, so a huge attempt count cannot overflow timedelta.
    if exponent >= 32:
        return LAST_RETRY
    return min(FIRST_RETRY * (1 << exponent), LAST_RETRY)


async def record_failure(
    conn: AsyncConnection, message: OutgoingMessage, *, error: str, now: datetime
) -> bool:
    """Count a failed send: schedule the retry, or give up. True when given up."""
    failures = message.attempts + 1
    gave_up = failures >= MAX_ATTEMPTS
    values: dict[str, object] = {"attempts": failures, "last_error": error[:ERROR_LIMIT]}
    if gave_up:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + retry_delay(failures)
    await conn.execute(
        update(outbox).where(outbox.c.id == message.id, outbox.c.sent_at.is_(None)).values(**values)
    )
    return gave_up


async def release(
    conn: AsyncConnection, message_ids: list[int], *, lease_until: datetime, now: datetime
) -> None:
    """Hand claimed but unattempted messages back, so another worker sends them now.

    Only rows still carrying this worker's lease are touched: a row whose lease ran out
    may already belong to another worker.
    """
    if not message_ids:
        return
    await conn.execute(
        update(outbox)
        .where(
            outbox.c.id.in_(message_ids),
            outbox.c.sent_at.is_(None),
            outbox.c.failed_at.is_(None),
            outbox.c.next_attempt_at == lease_until,
        )
        .values(next_attempt_at=now)
    )


async def counts(conn: AsyncConnection, *, now: datetime) -> OutboxCounts:
    unsent = and_(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
    row = (
        await conn.execute(
            select(
                func.count().filter(and_(unsent, outbox.c.next_attempt_at <= now)),
                func.count().filter(and_(unsent, outbox.c.next_attempt_at > now)),
                func.count().filter(outbox.c.failed_at.is_not(None)),
                func.count().filter(outbox.c.sent_at.is_not(None)),
            ).select_from(outbox)
        )
    ).one()
    return OutboxCounts(due=row[0], waiting=row[1], failed=row[2], sent=row[3])
