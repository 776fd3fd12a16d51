"""Signed webhooks: events written to the outbox in the transaction of the change they
tell of, one row per endpoint of the program subscribed to them; the outbox worker
posts them (``messaging.webhooks``). A refused or rolled-back call announces nothing.

Every event has the same envelope: ``id`` (the same on every attempt and replay, for a
receiver to drop duplicates: delivery is at least once), ``type``, ``created``,
``merchantId`` and ``data`` (docs/webhooks.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openpxs.domain.money import from_units
from openpxs.domain.program import Program
from openpxs.domain.webhooks import VALUE_MOVED
from openpxs.messaging.outbox import enqueue
from openpxs.store.repositories.outbox import FailedMessage
from openpxs.store.uow import UnitOfWork

# A wallet the program no longer lists is shown at the storage scale.
_FALLBACK_SCALE = 4


def event_body(event: str, merchant_id: int, data: Mapping[str, Any], now: datetime) -> str:
    """The event's JSON, as it is signed and sent."""
    envelope = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event,
        "created": now.isoformat().replace("+00:00", "Z"),
        "merchantId": merchant_id,
        "data": dict(data),
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


async def announce(
    uow: UnitOfWork, program: Program, event: str, data: Mapping[str, Any], now: datetime
) -> int:
    """Queue ``event`` for every endpoint subscribed to it, in the caller's transaction;
    returns how many were queued."""
    endpoints = program.outreach.webhooks_for(event)
    if not endpoints:
        return 0
    body = event_body(event, program.merchant_id, data, now)
    for endpoint in endpoints:
        await enqueue(
            uow,
            merchant_id=program.merchant_id,
            channel="webhook",
            recipient=endpoint.name,
            subject=event,
            body=body,
            now=now,
        )
    return len(endpoints)


def subscribed(program: Program, event: str) -> bool:
    return bool(program.outreach.webhooks_for(event))


async def announce_value_moves(uow: UnitOfWork, program: Program, now: datetime) -> int:
    """One ``value.moved`` event per account and transaction the unit of work wrote
    since it last announced (sales, loads, redemptions, voids, checks, expiry...): each
    wallet's signed change and the balance it left. The dispatcher runs it when a
    call's handler is done; work that commits its own units of work (card payments,
    web store orders) runs it before each commit."""
    moves = uow.take_value_moves()
    if not moves or not subscribed(program, VALUE_MOVED):
        return 0
    queued = 0
    for move in moves:
        wallets = []
        for code, (units, balance) in sorted(move.changes.items()):
            wallet = program.wallets.get(code)
            scale = wallet.scale if wallet is not None else _FALLBACK_SCALE
            wallets.append(
                {
                    "walletCode": code,
                    "walletName": wallet.name if wallet is not None else None,
                    "change": str(from_units(units, scale)),
                    "balance": str(from_units(balance, scale)),
                }
            )
        card = move.card_number or await uow.users.primary_card(move.merchant_id, move.account_id)
        data = {
            "pxTransactionId": move.transaction_id,
            "transactionType": move.kind,
            "accountId": move.account_id,
            "printedCardNumber": card,
            "wallets": wallets,
        }
        queued += await announce(uow, program, VALUE_MOVED, data, now)
    return queued


async def failed_deliveries(uow: UnitOfWork, merchant_id: int | None = None) -> list[FailedMessage]:
    """Webhook deliveries given up, oldest first (``openpxs webhooks failed``)."""
    return await uow.outbox.failed("webhook", merchant_id=merchant_id)


async def replay(
    uow: UnitOfWork,
    now: datetime,
    *,
    ids: list[int] | None = None,
    merchant_id: int | None = None,
) -> list[int]:
    """Given-up deliveries (those of ``ids``, or all) due again now with fresh attempts,
    the same event id and body; the ids made due."""
    return await uow.outbox.requeue_failed("webhook", now=now, ids=ids, merchant_id=merchant_id)
