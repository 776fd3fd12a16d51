"""Payment attempts: recorded before the processor is called, moved through their states
(domain.payments.AttemptState) and found again by reconciliation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.domain.payments import (
    AttemptState,
    CardDisplay,
    PaymentKind,
    ProcessorResult,
    check_move,
)
from openpxs.store.repositories import Repository
from openpxs.store.tables import payment_attempts as pa


@dataclass(frozen=True)
class PaymentAttempt:
    merchant_id: int
    id: int
    kind: PaymentKind
    state: AttemptState
    account_id: int | None
    card_number: str
    wallet_code: int
    amount_units: int
    currency: str
    processor: str
    idempotency_key: str
    store_code: str | None
    integration_id: int | None
    processor_reference: str | None
    outcome: str | None
    processor_code: str | None
    transaction_id: int | None
    created_at: datetime
    updated_at: datetime
    processor_message: str | None = None
    auth_code: str | None = None
    card: CardDisplay | None = None


@dataclass(frozen=True)
class NewAttempt:
    merchant_id: int
    kind: PaymentKind
    account_id: int | None
    card_number: str
    wallet_code: int
    amount_units: int
    currency: str
    processor: str
    idempotency_key: str
    store_code: str | None
    integration_id: int | None


def _attempt(row: Row[Any]) -> PaymentAttempt:
    m = row._mapping
    return PaymentAttempt(
        merchant_id=m["merchant_id"],
        id=m["id"],
        kind=PaymentKind(m["kind"]),
        state=AttemptState(m["state"]),
        account_id=m["account_id"],
        card_number=m["card_number"],
        wallet_code=m["wallet_code"],
        amount_units=m["amount"],
        currency=m["currency"],
        processor=m["processor"],
        idempotency_key=m["idempotency_key"],
        store_code=m["store_code"],
        integration_id=m["integration_id"],
        processor_reference=m["processor_reference"],
        outcome=m["outcome"],
        processor_code=m["processor_code"],
        transaction_id=m["transaction_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        processor_message=m["processor_message"],
        auth_code=m["auth_code"],
        card=_card(m["card_brand"], m["card_last4"], m["card_expiry"]),
    )


def _card(brand: str | None, last4: str | None, expiry: str | None) -> CardDisplay | None:
    if brand is None or last4 is None:
        return None
    month, _, year = (expiry or "").partition("/")
    return CardDisplay(
        brand, last4, int(month) if month.isdigit() else None, int(year) if year.isdigit() else None
    )


_BY_ID = select(pa).where(pa.c.merchant_id == bindparam("merchant_id"), pa.c.id == bindparam("id"))


class PaymentAttemptRepository(Repository):
    __slots__ = ()

    async def record(self, new: NewAttempt, now: datetime) -> tuple[PaymentAttempt, bool]:
        """A pending attempt, and True; or, when an attempt already holds the idempotency
        key (a retry, or the same order sent twice at once), that attempt and False.

        The insert does nothing on a taken key instead of failing: on PostgreSQL it waits
        for the attempt being recorded with the same key to commit, and then finds it."""
        insert = postgresql.insert(pa) if self.postgres else sqlite.insert(pa)
        result = await self.conn.execute(
            insert.values(
                merchant_id=new.merchant_id,
                kind=new.kind.value,
                state=AttemptState.PENDING.value,
                account_id=new.account_id,
                card_number=new.card_number,
                wallet_code=new.wallet_code,
                amount=new.amount_units,
                currency=new.currency,
                processor=new.processor,
                idempotency_key=new.idempotency_key,
                store_code=new.store_code,
                integration_id=new.integration_id,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[pa.c.merchant_id, pa.c.idempotency_key])
            .returning(pa)
        )
        row = result.one_or_none()
        if row is not None:
            return _attempt(row), True
        earlier = await self.by_key(new.merchant_id, new.idempotency_key)
        if earlier is None:  # the other insert rolled back after all: try once more
            return await self.record(new, now)
        return earlier, False

    async def get(self, merchant_id: int, attempt_id: int, *, lock: bool = False) -> PaymentAttempt:
        query = _BY_ID.with_for_update() if lock and self.postgres else _BY_ID
        row = (await self.conn.execute(query, {"merchant_id": merchant_id, "id": attempt_id})).one()
        return _attempt(row)

    async def move(
        self,
        attempt: PaymentAttempt,
        state: AttemptState,
        now: datetime,
        *,
        outcome: str | None = None,
        processor_code: str | None = None,
        processor_reference: str | None = None,
        transaction_id: int | None = None,
        result: ProcessorResult | None = None,
    ) -> PaymentAttempt:
        """Move the attempt on, only from the state it was read in: a concurrent
        reconciliation that moved it first makes this fail instead of overwriting."""
        check_move(attempt.state, state)
        values: dict[str, Any] = {"state": state.value, "updated_at": now}
        if outcome is not None:
            values["outcome"] = outcome
        if processor_code is not None:
            values["processor_code"] = processor_code
        if processor_reference is not None:
            values["processor_reference"] = processor_reference
        if transaction_id is not None:
            values["transaction_id"] = transaction_id
        if result is not None:
            values.update(_result_values(result))
        done = await self.conn.execute(
            update(pa)
            .where(
                pa.c.merchant_id == attempt.merchant_id,
                pa.c.id == attempt.id,
                pa.c.state == attempt.state.value,
            )
            .values(**values)
            .returning(pa)
        )
        row = done.one_or_none()
        if row is None:
            raise StaleAttempt(f"payment attempt {attempt.id} moved on meanwhile")
        return _attempt(row)

    async def by_key(self, merchant_id: int, idempotency_key: str) -> PaymentAttempt | None:
        row = (
            await self.conn.execute(
                select(pa).where(
                    pa.c.merchant_id == merchant_id, pa.c.idempotency_key == idempotency_key
                )
            )
        ).one_or_none()
        return None if row is None else _attempt(row)

    async def open_before(self, cutoff: datetime, limit: int = 100) -> list[PaymentAttempt]:
        """Attempts of every merchant left pending or charged since before ``cutoff``."""
        rows = await self.conn.execute(
            select(pa)
            .where(
                pa.c.state.in_([AttemptState.PENDING.value, AttemptState.CHARGED.value]),
                pa.c.updated_at < cutoff,
            )
            .order_by(pa.c.id)
            .limit(limit)
        )
        return [_attempt(r) for r in rows]

    async def of_card(
        self,
        merchant_id: int,
        card_number: str,
        limit: int = 100,
        *,
        since: datetime | None = None,
        before: datetime | None = None,
        kinds: Iterable[PaymentKind] | None = None,
    ) -> list[PaymentAttempt]:
        """The card's attempts (of these kinds), newest first; made after ``since`` and
        before ``before`` when they are given."""
        conditions = [pa.c.merchant_id == merchant_id, pa.c.card_number == card_number]
        if kinds is not None:
            conditions.append(pa.c.kind.in_(sorted(k.value for k in kinds)))
        if since is not None:
            conditions.append(pa.c.created_at > since)
        if before is not None:
            conditions.append(pa.c.created_at < before)
        rows = await self.conn.execute(
            select(pa).where(*conditions).order_by(pa.c.id.desc()).limit(limit)
        )
        return [_attempt(r) for r in rows]


class StaleAttempt(RuntimeError):
    """The attempt was not in the state the caller read it in."""


def _result_values(result: ProcessorResult) -> dict[str, Any]:
    """The processor's answer as columns (what it says of the card, never a number)."""
    values: dict[str, Any] = {
        "outcome": result.outcome.value,
        "processor_code": (result.code or "")[:64] or None,
        "processor_message": (result.message or "")[:200] or None,
        "auth_code": (result.auth_code or "")[:32] or None,
    }
    if result.reference is not None:
        values["processor_reference"] = result.reference[:100]
    if result.card is not None:
        values["card_brand"] = result.card.brand[:16]
        values["card_last4"] = result.card.last4[-4:]
        if result.card.exp_month and result.card.exp_year:
            values["card_expiry"] = f"{result.card.exp_month:02d}/{result.card.exp_year}"
    return values
