"""Retry safety: a repeated call replays its first reply and moves nothing.

A call is keyed by its natural retry key (posTransactionId at a store, terminal and
card) and by an ``Idempotency-Key`` header if it sends one. The key is claimed by
inserting a row in the same database transaction as the value it moves; the
primary key makes a concurrent twin wait for the first and then fail, so the
database, not a read, decides which one ran.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import idempotency_keys

# Members that may differ between a call and its retry without changing its meaning.
VOLATILE_MEMBERS = frozenset({"authentication", "datetime"})


def _strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_volatile(v) for k, v in value.items() if k not in VOLATILE_MEMBERS}
    if isinstance(value, list):
        return [_strip_volatile(v) for v in value]
    return value


def fingerprint(path: str, request: BaseModel) -> str:
    canonical = json.dumps(
        [path, _strip_volatile(request.model_dump(mode="json", by_alias=True))],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    conn: AsyncConnection, merchant_id: int, scope: str, request_hash: str, now: datetime
) -> None:
    await conn.execute(
        idempotency_keys.insert().values(
            merchant_id=merchant_id,
            scope=scope,
            request_hash=request_hash,
            reply=None,
            created_at=now,
        )
    )


async def record_reply(conn: AsyncConnection, merchant_id: int, scope: str, reply: bytes) -> None:
    await conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.merchant_id == merchant_id, idempotency_keys.c.scope == scope)
        .values(reply=reply.decode())
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
