"""Coupon uses below HTTP: the slots a use claims are what enforce a coupon's limits,
whatever was judged before; a void gives the slot back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.config.loyalty import Coupon
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.coupons import CouponLimits, CouponUse, Limit
from openpxs.domain.errors import DomainError, Reason
from openpxs.services import coupons
from openpxs.services.context import Call
from openpxs.store.uow import UnitOfWork, unit_of_work
from tests.api.pos import LOYALTY, LOYALTY2, activate
from tests.api.test_coupon import a_coupon
from tests.program_config import as_yaml, program_editor
from tests.services.conftest import merchant_call

MERCHANT = 1000
ONCE_EACH = a_coupon(21, "ONCEEACH", per_account_limit=1)
LAST_TWO = a_coupon(22, "LASTTWO", max_uses=2, per_account_limit=2)


@pytest.fixture
def with_coupons(client: TestClient) -> Iterator[None]:
    with program_editor(client) as change:
        change(
            lambda data: data["loyalty"]["coupons"].extend(
                as_yaml(c) for c in (ONCE_EACH, LAST_TWO)
            )
        )
        yield


def account_of(in_unit_of_work: Callable[..., Any], number: str) -> int:
    async def work(uow: UnitOfWork) -> int:
        card = await uow.cards.find(MERCHANT, number)
        assert card is not None and card.account_id is not None
        return card.account_id

    account: int = in_unit_of_work(work)
    return account


def use_of(coupon: Coupon, account_id: int | None, check: str) -> CouponUse:
    return CouponUse(coupon.id, "1001", account_id=account_id, check_number=check)


def record(in_unit_of_work: Callable[..., Any], coupon: Coupon, use: CouponUse) -> Limit | None:
    """The repository's insert alone: no judging beforehand."""

    async def work(uow: UnitOfWork) -> Limit | None:
        return await uow.coupons.record(
            MERCHANT, use, CouponLimits.of(coupon), ShiftedClock().now()
        )

    found: Limit | None = in_unit_of_work(work)
    return found


def held(in_unit_of_work: Callable[..., Any], coupon: Coupon, account_id: int | None) -> int:
    async def work(uow: UnitOfWork) -> int:
        limit = Limit.ACCOUNT if account_id is not None else Limit.COUPON
        return await uow.coupons.held(MERCHANT, coupon.id, limit, account_id)

    count: int = in_unit_of_work(work)
    return count


def test_the_slots_refuse_a_use_beyond_the_limits_without_any_judging(
    client: TestClient, in_unit_of_work: Callable[..., Any], with_coupons: None
) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    first, second = account_of(in_unit_of_work, LOYALTY), account_of(in_unit_of_work, LOYALTY2)
    assert record(in_unit_of_work, ONCE_EACH, use_of(ONCE_EACH, first, "A")) is None
    assert record(in_unit_of_work, ONCE_EACH, use_of(ONCE_EACH, first, "B")) == Limit.ACCOUNT
    assert record(in_unit_of_work, ONCE_EACH, use_of(ONCE_EACH, second, "C")) is None
    # Without an account the per-account limit does not apply.
    assert record(in_unit_of_work, ONCE_EACH, use_of(ONCE_EACH, None, "D")) is None
    assert record(in_unit_of_work, LAST_TWO, use_of(LAST_TWO, first, "E")) is None
    assert record(in_unit_of_work, LAST_TWO, use_of(LAST_TWO, second, "F")) is None
    assert record(in_unit_of_work, LAST_TWO, use_of(LAST_TWO, first, "G")) == Limit.COUPON
    assert held(in_unit_of_work, ONCE_EACH, first) == 1
    assert held(in_unit_of_work, LAST_TWO, None) == 2


def test_a_void_gives_the_use_back_to_the_guest(
    client: TestClient, in_unit_of_work: Callable[..., Any], with_coupons: None
) -> None:
    activate(client, LOYALTY)
    account = account_of(in_unit_of_work, LOYALTY)
    first = coupons.Redemption(
        ONCE_EACH.id, "1001", "2026-03-01T12:30:00", "2026-03-01T12:00:00", "C-1",
        card_number=LOYALTY,
    )  # fmt: skip
    second = replace(first, check_number="C-2")

    def run(step: Callable[[Call, coupons.Redemption], Any], sent: coupons.Redemption) -> None:
        async def work(uow: UnitOfWork) -> None:
            await step(await merchant_call(uow, ShiftedClock().now()), sent)

        in_unit_of_work(work)

    run(coupons.record_usage, first)
    with pytest.raises(DomainError) as refused:
        run(coupons.record_usage, second)
    assert refused.value.reason == Reason.COUPON_USED_UP
    # A resend of the use that stands is no second use.
    run(coupons.record_usage, first)
    run(coupons.void_usage, first)
    assert held(in_unit_of_work, ONCE_EACH, account) == 0
    run(coupons.record_usage, second)
    assert held(in_unit_of_work, ONCE_EACH, account) == 1


def test_two_units_of_work_racing_for_one_guests_use_let_one_through(
    client: TestClient, with_coupons: None
) -> None:
    """Both judge the coupon usable, then both record: on PostgreSQL the second insert
    waits for the first and finds the slot taken; on SQLite the writers take turns.
    Either way exactly one use stands and the other is refused as used up."""
    activate(client, LOYALTY)
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def one(check: str) -> str:
        try:
            async with unit_of_work(engine) as uow:
                call = await merchant_call(uow, ShiftedClock().now())
                card = await uow.cards.find(MERCHANT, LOYALTY)
                assert card is not None
                use = use_of(ONCE_EACH, card.account_id, check)
                await coupons.judge(
                    uow, call.program, ONCE_EACH, call.now, store_code="1001",
                    account_id=card.account_id,
                )  # fmt: skip
                await coupons.record_use(uow, call.program, ONCE_EACH, use, call.now)
        except DomainError as refused:
            return refused.reason
        return "recorded"

    async def race() -> list[str]:
        return list(await asyncio.gather(one("A"), one("B")))

    assert client.portal is not None
    outcomes = client.portal.call(race)
    assert sorted(outcomes) == sorted(["recorded", Reason.COUPON_USED_UP])
