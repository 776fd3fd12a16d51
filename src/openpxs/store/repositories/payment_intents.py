"""Payment intents (services.payment_intents): recorded when a checkout opens, moved on
only from the status they were read in, so two calls racing for one intent (two
captures, a capture and a cancel) cannot both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.store.repositories import Repository
from openpxs.store.tables import payment_intents as pi


@dataclass(frozen=True)
class NewIntent:
    merchant_id: int
    public_id: str
    purpose: str
    capture_method: str
    amount_units: int
    currency: str
    account_id: int | None
    card_number: str | None
    wallet_code: int
    processor: str
    processor_reference: str
    session_id: str | None
    url: str | None
    open_key: str
    integration_id: int | None
    expires_at: datetime | None


@dataclass(frozen=True)
class StoredIntent:
    merchant_id: int
    id: int
    public_id: str
    status: str
    purpose: str
    capture_method: str
    amount_units: int
    captured_units: int | None
    currency: str
    account_id: int | None
    card_number: str | None
    wallet_code: int
    processor: str
    processor_reference: str
    session_id: str | None
    url: str | None
    capture_tries: int
    integration_id: int | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _intent(row: Row[Any]) -> StoredIntent:
    m = row._mapping
    return StoredIntent(
        merchant_id=m["merchant_id"],
        id=m["id"],
        public_id=m["public_id"],
        status=m["status"],
        purpose=m["purpose"],
        capture_method=m["capture_method"],
        amount_units=m["amount"],
        captured_units=m["captured"],
        currency=m["currency"],
        account_id=m["account_id"],
        card_number=m["card_number"],
        wallet_code=m["wallet_code"],
        processor=m["processor"],
        processor_reference=m["processor_reference"],
        session_id=m["session_id"],
        url=m["url"],
        capture_tries=m["capture_tries"],
        integration_id=m["integration_id"],
        expires_at=m["expires_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class PaymentIntentRepository(Repository):
    __slots__ = ()

    async def record(self, new: NewIntent, status: str, now: datetime) -> StoredIntent:
        """The new intent; or the one a retried creation (same open key) made first."""
        insert = postgresql.insert(pi) if self.postgres else sqlite.insert(pi)
        row = (
            await self.conn.execute(
                insert.values(
                    merchant_id=new.merchant_id,
                    public_id=new.public_id,
                    status=status,
                    purpose=new.purpose,
                    capture_method=new.capture_method,
                    amount=new.amount_units,
                    currency=new.currency,
                    account_id=new.account_id,
                    card_number=new.card_number,
                    wallet_code=new.wallet_code,
                    processor=new.processor,
                    processor_reference=new.processor_reference,
                    session_id=new.session_id,
                    url=new.url,
                    open_key=new.open_key,
                    capture_tries=0,
                    integration_id=new.integration_id,
                    expires_at=new.expires_at,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=[pi.c.merchant_id, pi.c.open_key])
                .returning(pi)
            )
        ).one_or_none()
        if row is not None:
            return _intent(row)
        earlier = await self.by_open_key(new.merchant_id, new.open_key)
        if earlier is None:  # the other insert rolled back after all
            return await self.record(new, status, now)
        return earlier

    async def by_open_key(self, merchant_id: int, open_key: str) -> StoredIntent | None:
        row = (
            await self.conn.execute(
                select(pi).where(pi.c.merchant_id == merchant_id, pi.c.open_key == open_key)
            )
        ).one_or_none()
        return None if row is None else _intent(row)

    async def find(self, merchant_id: int, public_id: str) -> StoredIntent | None:
        row = (
            await self.conn.execute(
                select(pi).where(pi.c.merchant_id == merchant_id, pi.c.public_id == public_id)
            )
        ).one_or_none()
        return None if row is None else _intent(row)

    async def merchants_open_before(self, statuses: tuple[str, ...], before: datetime) -> list[int]:
        """The merchants with an intent in one of ``statuses`` opened before ``before``."""
        rows = await self.conn.execute(
            select(pi.c.merchant_id)
            .where(pi.c.status.in_(statuses), pi.c.created_at < before)
            .distinct()
            .order_by(pi.c.merchant_id)
        )
        return [r.merchant_id for r in rows]

    async def open_before(
        self, merchant_id: int, statuses: tuple[str, ...], before: datetime, limit: int
    ) -> list[StoredIntent]:
        """The merchant's intents in one of ``statuses`` opened before ``before``, oldest
        first."""
        rows = await self.conn.execute(
            select(pi)
            .where(
                pi.c.merchant_id == merchant_id,
                pi.c.status.in_(statuses),
                pi.c.created_at < before,
            )
            .order_by(pi.c.created_at, pi.c.id)
            .limit(limit)
        )
        return [_intent(r) for r in rows]

    async def move(
        self,
        intent: StoredIntent,
        status: str,
        now: datetime,
        *,
        amount_units: int | None = None,
        captured_units: int | None = None,
        next_capture: bool = False,
    ) -> StoredIntent | None:
        """Move the intent to ``status`` only from the status it was read in (and the
        capture try it was read at); None when another call moved it first."""
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if amount_units is not None:
            values["amount"] = amount_units
        if captured_units is not None:
            values["captured"] = captured_units
        if next_capture:
            values["capture_tries"] = intent.capture_tries + 1
        row = (
            await self.conn.execute(
                update(pi)
                .where(
                    pi.c.merchant_id == intent.merchant_id,
                    pi.c.id == intent.id,
                    pi.c.status == intent.status,
                    pi.c.capture_tries == intent.capture_tries,
                )
                .values(**values)
                .returning(pi)
            )
        ).one_or_none()
        return None if row is None else _intent(row)
