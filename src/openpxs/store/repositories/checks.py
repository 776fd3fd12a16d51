"""Stored checks: claimed once per (store, agent, number, business date), then updated
with what each posting step did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql

from openpxs.domain.checks import CheckKey, StoredCheck
from openpxs.store.direct import DirectQuery, bound_by_name, by_name
from openpxs.store.repositories import Repository
from openpxs.store.tables import checks, transactions

# Built once: every check posting claims its row. A check posted before keeps its row
# as it is (both dialects skip the conflict without the savepoint a failed insert
# would need). A new row comes back whole: the call that inserted it holds it until
# it commits, so only a check posted before is read (and locked) again.
# On PostgreSQL a posting's first statement (SQLAlchemy sends BEGIN with it), so it
# goes through SQLAlchemy; the statements after it go to the driver. SQLite's
# transaction is begun before it (BEGIN IMMEDIATE), so there it runs in the event
# loop's thread as they do (direct.DirectQuery). Both dialects write ON CONFLICT DO
# NOTHING alike.
_CLAIMED = ("merchant_id", "store_code", "agent_name", "check_number", "business_date")
_CLAIM = DirectQuery(
    postgresql.insert(checks)
    .values(bound_by_name((*_CLAIMED, "body", "posted_at")))
    .on_conflict_do_nothing()
    .returning(*checks.c)
)
# Bound by the key's column names, so the claim's own values find the row.
_FIND = select(checks).where(*(checks.c[name] == bindparam(name) for name in _CLAIMED))
_LOCK = _FIND.with_for_update()
# One step of a posting recorded on the check's row: the body as last sent, and each
# other column when the step gave it (a column it did not give keeps its value). One
# statement whatever the step gave, so it is built once and, on PostgreSQL, sent
# straight to the driver.
_GIVEN_CARD = bindparam("v_card_number", type_=checks.c.card_number.type)
_RECORD = DirectQuery(
    update(checks)
    .where(checks.c.merchant_id == bindparam("m"), checks.c.id == bindparam("check_id"))
    .values(
        body=bindparam("v_body", type_=checks.c.body.type),
        stored=or_(checks.c.stored, bindparam("v_stored", type_=Boolean)),
        card_number=func.coalesce(_GIVEN_CARD, checks.c.card_number),
        account_id=case(
            (_GIVEN_CARD.is_(None), checks.c.account_id),
            else_=bindparam("v_account_id", type_=checks.c.account_id.type),
        ),
        **{
            name: func.coalesce(bindparam(f"v_{name}", type_=checks.c[name].type), checks.c[name])
            for name in ("accrual_transaction_id", "redemption_transaction_id")
        },
        # An outcome not given is SQL's NULL, not JSON's null, so the one kept stays.
        outcome=func.coalesce(
            bindparam("v_outcome", type_=JSON(none_as_null=True)), checks.c.outcome
        ),
    )
)


def _stored(row: Any) -> StoredCheck:
    return StoredCheck(
        id=row.id,
        store_code=row.store_code,
        agent_name=row.agent_name,
        card_number=row.card_number,
        body=row.body,
        outcome=dict(row.outcome or {}),
        stored=bool(row.stored),
        accrual_transaction_id=row.accrual_transaction_id,
        redemption_transaction_id=row.redemption_transaction_id,
        posted_at=row.posted_at,
    )


class CheckRepository(Repository):
    __slots__ = ()

    async def claim(
        self, merchant_id: int, key: CheckKey, body: dict[str, Any], now: datetime
    ) -> StoredCheck:
        """The stored row of this check, created if new, locked for this call (SQLite:
        BEGIN IMMEDIATE holds the whole database already)."""
        row = {
            "merchant_id": merchant_id,
            "store_code": key.store_code,
            "agent_name": key.agent_name,
            "check_number": key.number,
            "business_date": key.business_date,
            "body": body,
            "posted_at": now,
        }
        new = await _CLAIM.first(self.conn, by_name(row))
        if new is not None:
            return _stored(new)
        # A check posted before: the same key finds it (its body and time go unused).
        found = await self.conn.execute(_LOCK if self.postgres else _FIND, row)
        return _stored(found.one())

    async def record(
        self,
        merchant_id: int,
        check_id: int,
        *,
        body: dict[str, Any],
        stored: bool = False,
        card_number: str | None = None,
        account_id: int | None = None,
        accrual_transaction_id: int | None = None,
        redemption_transaction_id: int | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        """Record a step on the check's row: its body, and the card (with its account),
        transactions and outcome when given; ``stored`` once set stays set."""
        given = {
            "body": body,
            "stored": stored,
            "card_number": card_number,
            "account_id": account_id,
            "accrual_transaction_id": accrual_transaction_id,
            "redemption_transaction_id": redemption_transaction_id,
            "outcome": outcome,
        }
        await _RECORD.rows(self.conn, {"m": merchant_id, "check_id": check_id, **by_name(given)})

    async def newest(
        self,
        merchant_id: int,
        store_code: str,
        number: str,
        business_date: str | None,
        agent_name: str | None,
    ) -> StoredCheck | None:
        """The newest stored check with this number at this store (and this business
        date and agent, when given)."""
        stmt = select(checks).where(
            checks.c.merchant_id == merchant_id,
            checks.c.store_code == store_code,
            checks.c.check_number == number,
        )
        if business_date is not None:
            stmt = stmt.where(checks.c.business_date == business_date)
        if agent_name is not None:
            stmt = stmt.where(checks.c.agent_name == agent_name)
        row = (await self.conn.execute(stmt.order_by(checks.c.id.desc()).limit(1))).first()
        return _stored(row) if row is not None else None

    async def accrued_outcomes_since(
        self, merchant_id: int, account_id: int, since: datetime
    ) -> list[dict[str, Any]]:
        """The outcomes of the account's checks that accrued since ``since``."""
        rows = await self.conn.execute(
            select(checks.c.outcome).where(
                checks.c.merchant_id == merchant_id,
                checks.c.account_id == account_id,
                checks.c.posted_at >= since,
                checks.c.accrual_transaction_id.is_not(None),
            )
        )
        return [dict(row.outcome or {}) for row in rows]

    async def accrued_of_account(
        self, merchant_id: int, account_id: int
    ) -> list[tuple[datetime, dict[str, Any]]]:
        """(posted_at, body) of the account's checks whose accrual stands (not reversed
        or voided), oldest first: what a guest has bought, as the POS sent it."""
        rows = await self.conn.execute(
            select(checks.c.posted_at, checks.c.body)
            .select_from(
                checks.join(
                    transactions,
                    (transactions.c.merchant_id == checks.c.merchant_id)
                    & (transactions.c.id == checks.c.accrual_transaction_id),
                )
            )
            .where(
                checks.c.merchant_id == merchant_id,
                checks.c.account_id == account_id,
                transactions.c.undone_by_id.is_(None),
            )
            .order_by(checks.c.posted_at, checks.c.id)
        )
        return [(row.posted_at, dict(row.body or {})) for row in rows]
