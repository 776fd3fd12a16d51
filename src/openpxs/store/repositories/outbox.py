"""The outbox table: messages written with the change that causes them, read by the
delivery worker (``messaging.worker``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Column, ColumnElement, String, and_, case, func, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import outbox

# pass_update: an Apple Wallet pass-update push (recipient: the device's push token,
# subject: the pass type identifier, body "{}"); google_wallet: a Google Wallet loyalty
# object update (recipient: the object id, body: the JSON patch); webhook: a signed event
# (recipient: the endpoint's name in the program, subject: the event type, body: the
# event's JSON, kept once sent so an operator can replay it).
Channel = Literal["email", "sms", "apns", "fcm", "pass_update", "google_wallet", "webhook"]
CHANNELS: tuple[str, ...] = get_args(Channel)
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
    # An e-mail's HTML part, sent beside the body as its text alternative.
    html: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OutboxCounts:
    """Where the outbox stands: for ``openpxs outbox pending`` and monitoring."""

    due: int  # waiting to be sent now
    waiting: int  # waiting for a retry (or claimed by a worker right now)
    failed: int  # given up
    sent: int


@dataclass(frozen=True)
class FailedMessage:
    """A message given up, as ``openpxs webhooks failed`` lists it."""

    id: int
    merchant_id: int
    recipient: str
    subject: str | None
    attempts: int
    created_at: datetime
    failed_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class QueuedMessage:
    """A message not sent yet, or given up, as the console's outbox page lists it:
    never its body (it may carry a one-time code)."""

    id: int
    channel: str
    recipient: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    failed_at: datetime | None
    last_error: str | None


# What a sent (or given up) message's body becomes.
REMOVED_BODY = "(removed once sent)"
# Channels whose bodies stay once sent or given up: they carry no codes, and an
# operator may send them again (a webhook replayed).
KEPT_BODIES = ("webhook",)


def _length(column: Column[str]) -> int:
    kind = column.type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


RECIPIENT_LIMIT = _length(outbox.c.recipient)
SUBJECT_LIMIT = _length(outbox.c.subject)


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        outbox.c.sent_at.is_(None),
        outbox.c.failed_at.is_(None),
        outbox.c.next_attempt_at <= now,
    ]


class OutboxRepository(Repository):
    __slots__ = ()

    async def add(
        self,
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
        """One message, due at once (or at ``due_at``), in the caller's transaction;
        returns its id."""
        result = await self.conn.execute(
            outbox.insert()
            .values(
                merchant_id=merchant_id,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                html_body=html,
                created_at=now,
                attempts=0,
                next_attempt_at=max(now, due_at) if due_at is not None else now,
            )
            .returning(outbox.c.id)
        )
        message_id: int = result.scalar_one()
        return message_id

    async def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutgoingMessage]:
        """Take up to ``limit`` due messages for this worker until ``lease_until``.

        Run it in a transaction of its own and commit at once: the claim is the moved
        next_attempt_at, which hides the rows from every other worker until the lease
        ends. On PostgreSQL, SKIP LOCKED lets concurrent workers claim different rows
        instead of queueing behind each other; on SQLite the transaction's BEGIN
        IMMEDIATE (store.db) already makes concurrent claims take turns, and FOR UPDATE
        is left out.
        """
        rows = (
            await self.conn.execute(
                select(
                    outbox.c.id,
                    outbox.c.merchant_id,
                    outbox.c.channel,
                    outbox.c.recipient,
                    outbox.c.subject,
                    outbox.c.body,
                    outbox.c.html_body,
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
        await self.conn.execute(
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
                html=row.html_body,
            )
            for row in rows
        ]

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        # The body goes once it is sent: it carries one-time codes, which the database
        # otherwise keeps only as digests.
        await self.conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.sent_at.is_(None))
            .values(sent_at=now, last_error=None, body=_removed_body(), html_body=None)
        )

    async def record_failure(
        self,
        message: OutgoingMessage,
        *,
        error: str,
        now: datetime,
        give_up: bool,
        retry_at: datetime,
    ) -> None:
        """Count a failed send: give up, or schedule the retry at ``retry_at``."""
        values: dict[str, object] = {
            "attempts": message.attempts + 1,
            "last_error": error[:ERROR_LIMIT],
        }
        if give_up:
            values["failed_at"] = now
            values["body"] = _removed_body()  # never to be sent: its codes go too
            values["html_body"] = None
        else:
            values["next_attempt_at"] = retry_at
        await self.conn.execute(
            update(outbox)
            .where(outbox.c.id == message.id, outbox.c.sent_at.is_(None))
            .values(**values)
        )

    async def release(
        self, message_ids: list[int], *, lease_until: datetime, now: datetime
    ) -> None:
        """Hand claimed but unattempted messages back, so another worker sends them now.

        Only rows still carrying this worker's lease are touched: a row whose lease ran
        out may already belong to another worker.
        """
        if not message_ids:
            return
        await self.conn.execute(
            update(outbox)
            .where(
                outbox.c.id.in_(message_ids),
                outbox.c.sent_at.is_(None),
                outbox.c.failed_at.is_(None),
                outbox.c.next_attempt_at == lease_until,
            )
            .values(next_attempt_at=now)
        )

    async def failed(
        self, channel: Channel, *, merchant_id: int | None = None, limit: int = 1000
    ) -> list[FailedMessage]:
        """The messages of ``channel`` given up, oldest first."""
        query = select(
            outbox.c.id,
            outbox.c.merchant_id,
            outbox.c.recipient,
            outbox.c.subject,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.failed_at,
            outbox.c.last_error,
        ).where(outbox.c.channel == channel, outbox.c.failed_at.is_not(None))
        if merchant_id is not None:
            query = query.where(outbox.c.merchant_id == merchant_id)
        rows = await self.conn.execute(query.order_by(outbox.c.id).limit(limit))
        return [FailedMessage(*row) for row in rows]

    async def requeue_failed(
        self,
        channel: Channel,
        *,
        now: datetime,
        ids: list[int] | None = None,
        merchant_id: int | None = None,
    ) -> list[int]:
        """Make given-up messages of ``channel`` due again with a fresh count of attempts
        (all of them, or those of ``ids``); the ids requeued."""
        if channel not in KEPT_BODIES:
            raise ValueError(f"{channel} messages lose their bodies and cannot be sent again")
        where = [outbox.c.channel == channel, outbox.c.failed_at.is_not(None)]
        if ids is not None:
            where.append(outbox.c.id.in_(ids))
        if merchant_id is not None:
            where.append(outbox.c.merchant_id == merchant_id)
        result = await self.conn.execute(
            update(outbox)
            .where(*where)
            .values(failed_at=None, attempts=0, next_attempt_at=now)
            .returning(outbox.c.id)
        )
        return sorted(int(row[0]) for row in result)

    async def unsent_of(self, merchant_id: int, *, limit: int = 200) -> list[QueuedMessage]:
        """The merchant's messages waiting or given up, given-up first, then oldest
        first; the body is never read."""
        rows = await self.conn.execute(
            select(
                outbox.c.id,
                outbox.c.channel,
                outbox.c.recipient,
                outbox.c.attempts,
                outbox.c.created_at,
                outbox.c.next_attempt_at,
                outbox.c.failed_at,
                outbox.c.last_error,
            )
            .where(outbox.c.merchant_id == merchant_id, outbox.c.sent_at.is_(None))
            .order_by(outbox.c.failed_at.is_(None), outbox.c.id)
            .limit(limit)
        )
        return [QueuedMessage(*row) for row in rows]

    async def counts(self, *, now: datetime, merchant_id: int | None = None) -> OutboxCounts:
        """Every merchant's counts, or ``merchant_id``'s."""
        unsent = and_(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
        query = select(
            func.count().filter(and_(unsent, outbox.c.next_attempt_at <= now)),
            func.count().filter(and_(unsent, outbox.c.next_attempt_at > now)),
            func.count().filter(outbox.c.failed_at.is_not(None)),
            func.count().filter(outbox.c.sent_at.is_not(None)),
        ).select_from(outbox)
        if merchant_id is not None:
            query = query.where(outbox.c.merchant_id == merchant_id)
        row = (await self.conn.execute(query)).one()
        return OutboxCounts(due=row[0], waiting=row[1], failed=row[2], sent=row[3])


def _removed_body() -> ColumnElement[str]:
    """The body a sent or given-up row keeps: its own on the KEPT_BODIES channels."""
    return case((outbox.c.channel.in_(KEPT_BODIES), outbox.c.body), else_=REMOVED_BODY)
