"""Retry keys: one row per retry-safe call, claimed in the call's own transaction.

The primary key (merchant, scope) makes a concurrent twin wait for the first call
and then fail, so the database, not a read, decides which one ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import idempotency_keys

MAX_SCOPE = 400

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


def bounded(scope: str) -> str:
    """The scope as stored: long ones (many ids) are replaced by their digest."""
    if len(scope) <= MAX_SCOPE:
        return scope
    return "sha256:" + hashlib.sha256(scope.encode()).hexdigest()


class RetryKeyRepository(Repository):
    __slots__ = ()

    async def claim(self, merchant_id: int, scope: str, request_hash: str, now: datetime) -> None:
        """Insert the key; a key already held fails the insert (IntegrityError)."""
        await self.conn.execute(
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
        self, merchant_id: int, scope: str, reply: bytes, transaction_id: int | None
    ) -> None:
        await self.conn.execute(
            _RECORD, {"m": merchant_id, "s": scope, "reply": reply.decode(), "txn": transaction_id}
        )

    async def earlier_calls(
        self, merchant_id: int, scopes: list[str]
    ) -> list[tuple[str, str | None]]:
        """(request_hash, reply) of the calls that already hold these keys."""
        rows = await self.conn.execute(
            select(idempotency_keys.c.request_hash, idempotency_keys.c.reply).where(
                idempotency_keys.c.merchant_id == merchant_id,
                idempotency_keys.c.scope.in_(scopes),
            )
        )
        return [(r.request_hash, r.reply) for r in rows]

    async def release(self, merchant_id: int, transaction_id: int) -> None:
        """Forget the keys of a voided or reversed transaction.

        Its posTransactionId may then be used again (the same check number sold anew
        after a void) instead of replaying a reply that no longer holds.
        """
        await self.conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.merchant_id == merchant_id,
                idempotency_keys.c.transaction_id == transaction_id,
            )
        )


@dataclass
class RetryKeys:
    """The keys one call holds, claimed in its own database transaction.

    Most keys are known from the request and claimed before the handler runs; a use
    case may claim one more once it knows what the call acts on (a void claims "void of
    transaction N", so its retry replays while a later sale under the same
    posTransactionId can still be voided).
    """

    repository: RetryKeyRepository
    merchant_id: int
    request_hash: str
    now: datetime
    scopes: list[str] = field(default_factory=list)
    # Claims left to the call's first statement (``take_pending``), which makes them in
    # the same round trip as it locks the card.
    defer: bool = False
    pending: list[str] = field(default_factory=list)
    # Records the reply with the call's pending write when there is one (UnitOfWork):
    # (reply, scopes, transaction id) -> whether it did.
    finish: Callable[[str, list[str], int | None], Awaitable[bool]] | None = None

    async def claim(self, key: str) -> None:
        scope = bounded(key)
        # Listed before the insert: if the key is taken, the replay looks it up.
        self.scopes.append(scope)
        if self.defer:
            self.pending.append(scope)
            return
        await self.repository.claim(self.merchant_id, scope, self.request_hash, self.now)

    def take_pending(self) -> list[str]:
        """The deferred claims, for a statement that makes them; they are then made."""
        taken, self.pending = self.pending, []
        return taken

    async def claim_pending(self) -> None:
        """Make the deferred claims no statement took (before the reply is recorded)."""
        for scope in self.take_pending():
            await self.repository.claim(self.merchant_id, scope, self.request_hash, self.now)

    async def record(self, reply: bytes, transaction_id: int | None) -> None:
        if self.finish is not None and await self.finish(
            reply.decode(), self.scopes, transaction_id
        ):
            return
        for scope in self.scopes:
            await self.repository.record_reply(self.merchant_id, scope, reply, transaction_id)
