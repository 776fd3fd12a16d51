"""Stored checks: each posting step records what it did on the check's row, and the
POS reads a check back (check/check.json)."""

from __future__ import annotations

from typing import Any

from openpxs.domain.checks import StoredCheck
from openpxs.domain.errors import CheckNotFound
from openpxs.store.uow import UnitOfWork


async def record_step(
    uow: UnitOfWork,
    merchant_id: int,
    check: StoredCheck,
    *,
    body: dict[str, Any],
    stored: bool,
    card_number: str | None,
    account_id: int | None,
    accrual_txn: int | None = None,
    redemption_txn: int | None = None,
    outcome: dict[str, Any] | None = None,
) -> None:
    """Record one step on the check claimed for this call: the body as last sent, the
    card it was posted to, the transactions it wrote, its outcome added to the earlier
    steps'."""
    await uow.checks.record(
        merchant_id,
        check.id,
        body=body,
        stored=stored,
        card_number=card_number,
        account_id=account_id,
        accrual_transaction_id=accrual_txn,
        redemption_transaction_id=redemption_txn,
        outcome=None if outcome is None else check.merged_outcome(outcome),
    )


async def find_stored(
    uow: UnitOfWork,
    merchant_id: int,
    store_code: str,
    number: str,
    *,
    business_date: str | None,
    agent_name: str | None,
) -> StoredCheck:
    """The newest check stored under this number at this store (and business date and
    agent, when given)."""
    found = await uow.checks.newest(merchant_id, store_code, number, business_date, agent_name)
    if found is None:
        raise CheckNotFound()
    return found
