"""Retry keys: one row per retry-safe call, claimed in the call's own transaction.

The primary key (merchant, scope) makes a concurrent twin wait for the first call
and then fail, so the database, not a read, decides which one ran.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import idempotency_keys

# Built once: every retry-safe call claims a key and records its reply.
_CLAIM = idempotency_keys.insert()
_RECORD = (
    update(idempotency_keys)
    .where(
        idempotency_keys.c.merchant_id == bindparam("m"),
        idempotency_keys.c.scope == bindparam("s"),
    )
    .values(reply=bindparam("reply"), transaction_id=bindparam("txn"))
)


async def claim(
    conn: AsyncConnection, merchant_id: int, scope: str, request_hash: str, now: datetime
) -> None:
    await conn.execute(
        _CLAIM,
        {
            "merchant_id": merchant_id,
            "scope": scope,
            "request_hash": request_hash,
            "reply": None,
            "created_at": now,
        },
    )


async def record_reply(
    conn: AsyncConnection, merchant_id: int, scope: str, reply: bytes, transaction_id: int | None
) -> None:
    await conn.execute(
        _RECORD, {"m": merchant_id, "s": scope, "reply": reply.decode(), "txn": transaction_id}
    )


async def earlier_calls(
    conn: AsyncConnection, merchant_id: int, scopes: list[str]
) -> list[tuple[str, str | None]]:
    """(request_hash, reply) of the calls that already hold these keys."""
    rows = await conn.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.reply).where(
            idempotency_keys.c.merchant_id == merchant_id, idempotency_keys.c.scope.in_(scopes)
        )
    )
    return [(r.request_hash, r.reply) for r in rows]


async def release(conn: AsyncConnection, merchant_id: int, transaction_id: int) -> None:
    """Forget the keys of a voided or reversed transaction.

    Its posTransactionId may then be used again (the same check number sold anew
    after a void) instead of replaying a reply that no longer holds.
    """
    await conn.execute(
        delete(idempotency_keys).where(
            idempotency_keys.c.merchant_id == merchant_id,
            idempotency_keys.c.transaction_id == transaction_id,
        )
    )
