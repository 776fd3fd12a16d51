"""A stored check's row through its posting steps, below HTTP: each step records its
body and what it gave, and what a step did not give keeps its value (one statement
built once, which PostgreSQL runs on the driver)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from openpxs.domain.checks import CheckKey, StoredCheck
from openpxs.store.tables import checks
from openpxs.store.uow import UnitOfWork

MERCHANT = 1000
KEY = CheckKey(store_code="1001", agent_name="TestPOS", number="steps-1", business_date="")


def _claimed(in_unit_of_work: Callable[..., Any]) -> StoredCheck:
    async def work(uow: UnitOfWork) -> StoredCheck:
        return await uow.checks.claim(MERCHANT, KEY, {"step": 0}, datetime.now(UTC))

    check: StoredCheck = in_unit_of_work(work)
    return check


def _recorded(in_unit_of_work: Callable[..., Any], **given: Any) -> tuple[StoredCheck, Any]:
    """The check after a step recorded ``given``, and its row's account."""

    async def work(uow: UnitOfWork) -> tuple[StoredCheck, Any]:
        check = await uow.checks.claim(MERCHANT, KEY, {"unused": True}, datetime.now(UTC))
        await uow.checks.record(MERCHANT, check.id, **given)
        found = await uow.checks.newest(MERCHANT, KEY.store_code, KEY.number, "", "TestPOS")
        assert found is not None
        stored_account = select(checks.c.account_id).where(checks.c.id == check.id)
        account = await uow.checks.conn.scalar(stored_account)
        return found, account

    recorded: tuple[StoredCheck, Any] = in_unit_of_work(work)
    return recorded


def test_a_step_keeps_what_it_did_not_give(in_unit_of_work: Callable[..., Any]) -> None:
    new = _claimed(in_unit_of_work)
    assert (new.body, new.card_number, new.outcome, new.stored) == ({"step": 0}, None, {}, False)

    first, account = _recorded(
        in_unit_of_work,
        body={"step": 1},
        stored=True,
        card_number="7000000000000001",
        account_id=77,
        accrual_transaction_id=41,
        outcome={"points": "12"},
    )
    assert first.id == new.id
    assert account == 77
    assert first.body == {"step": 1}
    assert (first.card_number, first.accrual_transaction_id) == ("7000000000000001", 41)
    assert (first.outcome, first.stored) == ({"points": "12"}, True)

    # A later step that gives only its body and a redemption: the card, the accrual,
    # the outcome (not JSON's null) and "stored" stay as the first step left them.
    second, account = _recorded(in_unit_of_work, body={"step": 2}, redemption_transaction_id=42)
    assert second.body == {"step": 2}
    assert account == 77
    assert (second.card_number, second.accrual_transaction_id) == ("7000000000000001", 41)
    assert second.redemption_transaction_id == 42
    assert (second.outcome, second.stored) == ({"points": "12"}, True)

    # A step that names another card sets the card and its account together.
    third, account = _recorded(in_unit_of_work, body={"step": 3}, card_number="7000000000000002")
    assert (third.card_number, account) == ("7000000000000002", None)
    assert (third.accrual_transaction_id, third.redemption_transaction_id) == (41, 42)
    assert (third.outcome, third.stored) == ({"points": "12"}, True)
