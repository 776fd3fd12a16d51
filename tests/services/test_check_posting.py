"""Posting checks below HTTP: what lands in the account's book and on the stored check,
and what a reversal gives back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.cards import CardRef
from openpxs.domain.checks import CheckKey, PosCheck, PosItem, SentCheck
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.coupons import Limit
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import check_posting, stored_checks, undo
from openpxs.services.books import read_book
from openpxs.services.check_evaluation import CardCheck
from openpxs.services.check_posting import Posted
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import audit_clean, nothing_changes
from tests.api.pos import LOYALTY, activate
from tests.services.conftest import merchant_call

MERCHANT = 1000
STORE = "1001"
WELCOME5 = 1  # $5.00 off a check of $20.00 or more, once per account


def a_check(number: str, *prices: str) -> SentCheck:
    items = tuple(
        PosItem(None, f"ITEM-{i}", frozenset(), Decimal(1), Decimal(price))
        for i, price in enumerate(prices, start=1)
    )
    subtotal = sum((Decimal(p) for p in prices), Decimal(0))
    check = PosCheck(number=number, items=items, discounts=(), subtotal=subtotal)
    key = CheckKey(STORE, "ServiceTest", number, "2026-11-26")
    return SentCheck(key, check, {"number": number, "subtotal": str(subtotal)})


def stamp(number: str, now: datetime) -> CallStamp:
    return CallStamp(MERCHANT, STORE, "T1", "7", number, None, None, now)


def post(
    in_unit_of_work: Callable[..., Any], number: str, *prices: str, coupons: tuple[str, ...] = ()
) -> Posted:
    async def work(uow: UnitOfWork) -> Posted:
        call = await merchant_call(uow, ShiftedClock().now())
        asked = CardCheck(stamp(number, call.now), a_check(number, *prices), CardRef(LOYALTY))
        return await check_posting.post_check(
            uow,
            call.program,
            asked,
            coupon_codes=coupons,
            accrue=True,
            store=True,
        )

    posted: Posted = in_unit_of_work(work)
    return posted


def standing(in_unit_of_work: Callable[..., Any], number: str) -> dict[str, Any]:
    """The account's book, the stored check and the coupon's uses, read afresh."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        call = await merchant_call(uow, ShiftedClock().now())
        card = await uow.cards.find(MERCHANT, LOYALTY)
        assert card is not None and card.account_id is not None
        book = await read_book(uow, call.program, card.account_id)
        stored = await stored_checks.find_stored(
            uow, MERCHANT, STORE, number, business_date="2026-11-26", agent_name="ServiceTest"
        )
        return {
            "units": book.balances(),
            "transactions": stored.transaction_ids(),
            "outcome": stored.outcome,
            "coupon_uses": await uow.coupons.held(
                MERCHANT, WELCOME5, Limit.ACCOUNT, card.account_id
            ),
        }

    found: dict[str, Any] = in_unit_of_work(work)
    return found


def test_a_posted_check_is_in_the_accounts_book_and_on_the_stored_check(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    activate(client, LOYALTY)
    posted = post(in_unit_of_work, "S-1", "20.00", "5.00", coupons=("welcome5",))
    # $25.00 less the coupon's $5.00: 20 points (wallet 2) and a visit (wallet 4).
    assert {mv.wallet.code: mv.quantity for mv in posted.plan.added} == {2: 20, 4: 1}
    after = standing(in_unit_of_work, "S-1")
    assert after["units"][2] == 20 * 10_000 and after["units"][4] == 10_000
    assert after["transactions"] == [posted.transaction_id]
    assert after["outcome"]["accrued"] is True
    assert [o["source"] for o in after["outcome"]["offers"]] == ["Welcome $5 off"]
    assert after["outcome"]["spend"] == "20.00"
    assert after["coupon_uses"] == 1
    audit_clean(client)


def test_a_check_posts_once_and_a_repeat_changes_nothing(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    activate(client, LOYALTY)
    post(in_unit_of_work, "S-2", "12.00")
    with nothing_changes(client), pytest.raises(DomainError) as refused:
        post(in_unit_of_work, "S-2", "12.00")
    assert refused.value.reason == Reason.DUPLICATE_CHECK


def test_reversing_a_check_gives_its_coupon_use_back(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    activate(client, LOYALTY)
    first = post(in_unit_of_work, "S-3", "25.00", coupons=("WELCOME5",))
    with pytest.raises(DomainError) as refused:
        post(in_unit_of_work, "S-4", "25.00", coupons=("WELCOME5",))
    assert refused.value.reason == Reason.COUPON_USED_UP
    assert first.transaction_id is not None
    txn = first.transaction_id

    async def reverse(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, ShiftedClock().now())
        await undo.undo_by_id(uow, call.program, stamp("R-1", call.now), txn, Kind.REVERSE)

    in_unit_of_work(reverse)
    assert standing(in_unit_of_work, "S-3")["coupon_uses"] == 0
    again = post(in_unit_of_work, "S-5", "25.00", coupons=("WELCOME5",))
    assert standing(in_unit_of_work, "S-5")["coupon_uses"] == 1
    assert {mv.wallet.code: mv.quantity for mv in again.plan.added}[2] == 20
    audit_clean(client)
