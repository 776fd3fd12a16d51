"""The console's outbox page: the merchant's messages waiting or given up, and sending
given-up ones again.

Only what tells messages apart is shown: the channel, the recipient masked, the
attempts, the last error and when the next attempt is due. Bodies never leave the
database (they may carry one-time codes). A given-up e-mail, SMS or push loses its
body (``store.repositories.outbox``), so only webhook deliveries can be sent again:
through the same use case as ``openpxs webhooks replay``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.operators import Permission
from openpxs.messaging.transports import mask_recipient
from openpxs.services import webhooks
from openpxs.services.staff import StaffCall
from openpxs.store.repositories.outbox import KEPT_BODIES, OutboxCounts, QueuedMessage

__all__ = ["OutboxCounts", "OutboxMessage", "OutboxView", "outbox_of", "retry_failed"]

SHOWN_ROWS = 200


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    recipient: str  # masked, except a webhook's endpoint name (the program's own)
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None  # None once given up
    failed_at: datetime | None
    last_error: str | None
    # Whether it can be sent again (a given-up webhook delivery).
    retryable: bool


@dataclass(frozen=True)
class OutboxView:
    messages: list[OutboxMessage]
    counts: OutboxCounts


def _shown(message: QueuedMessage) -> OutboxMessage:
    kept = message.channel in KEPT_BODIES
    failed = message.failed_at is not None
    return OutboxMessage(
        id=message.id,
        channel=message.channel,
        recipient=message.recipient if kept else mask_recipient(message.recipient),
        attempts=message.attempts,
        created_at=message.created_at,
        next_attempt_at=None if failed else message.next_attempt_at,
        failed_at=message.failed_at,
        last_error=message.last_error,
        retryable=failed and kept,
    )


async def outbox_of(call: StaffCall) -> OutboxView:
    call.require(Permission.MANAGE_OUTBOX)
    found = await call.uow.outbox.unsent_of(call.merchant_id, limit=SHOWN_ROWS)
    counts = await call.uow.outbox.counts(now=call.now, merchant_id=call.merchant_id)
    return OutboxView([_shown(m) for m in found], counts)


async def retry_failed(call: StaffCall, message_id: int | None) -> list[int]:
    """Make one given-up webhook delivery (or, with None, every one of the merchant)
    due again now; audited with the ids. Refused when there is none to retry."""
    call.require(Permission.MANAGE_OUTBOX)
    ids = None if message_id is None else [message_id]
    done = await webhooks.replay(call.uow, call.now, ids=ids, merchant_id=call.merchant_id)
    if not done:
        raise Refused(Reason.INVALID_REQUEST, "no failed webhook delivery to retry")
    await call.audit("outbox_retry", None, {"failed": done}, {"pending": done})
    return done
