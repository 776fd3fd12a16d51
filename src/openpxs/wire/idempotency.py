"""Retry safety: a repeated call replays its first reply and moves nothing.

A call is keyed by its natural retry key (posTransactionId at a store, terminal and
card) and by an ``Idempotency-Key`` header if it sends one; ``store.idempotency``
claims the keys in the call's own transaction. Here: what makes two calls "the same".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store import idempotency as retry_keys

MAX_SCOPE = 400


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


def bounded(scope: str) -> str:
    """The scope as stored: long ones (many ids) are replaced by their digest."""
    if len(scope) <= MAX_SCOPE:
        return scope
    return "sha256:" + hashlib.sha256(scope.encode()).hexdigest()


@dataclass
class RetryKeys:
    """The keys one call holds, claimed in its own database transaction.

    Most keys are known from the request and claimed before the handler runs; a
    handler may claim one more once it knows what the call acts on (a void claims
    "void of transaction N", so its retry replays while a later sale under the same
    posTransactionId can still be voided).
    """

    conn: AsyncConnection
    merchant_id: int
    request_hash: str
    now: datetime
    scopes: list[str] = field(default_factory=list)

    async def claim(self, key: str) -> None:
        scope = bounded(key)
        # Listed before the insert: if the key is taken, the replay looks it up.
        self.scopes.append(scope)
        await retry_keys.claim(self.conn, self.merchant_id, scope, self.request_hash, self.now)

    async def record(self, reply: bytes, transaction_id: int | None) -> None:
        for scope in self.scopes:
            await retry_keys.record_reply(self.conn, self.merchant_id, scope, reply, transaction_id)
