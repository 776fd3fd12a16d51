"""Concurrent uses of a limited coupon: the unique constraints on the uses' slots let
exactly as many through as the limit allows, however the calls interleave.

The races run as in test_races.py (a second application on its own event loop, calls
fired at once); on SQLite the writers take turns, and the outcome must be the same.
The coupons are applied as an operator would, from the demo program's YAML.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from openpxs.config import load_config
from openpxs.config.loyalty import Coupon
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.coupons import CouponLimits, CouponUse, Limit
from openpxs.services import coupons
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine
from openpxs.store.tables import coupon_uses
from openpxs.store.uow import UnitOfWork
from tests.api.checks import a_check, item
from tests.api.pos import LOYALTY, POS, activate, card, header
from tests.api.test_coupon import a_coupon
from tests.pg.test_races import Pos, outcome, race, race_url
from tests.program_config import DEMO_1000, Edit, as_yaml, edited_config, program_editor
from tests.services.conftest import merchant_call

__all__ = ["race_url"]  # the fixture, shared with test_races.py

AUTH = {"Authorization": "Basic " + base64.b64encode(":".join(POS).encode()).decode()}
ONCE_EACH = a_coupon(31, "ONCEEACH", per_account_limit=1)
THREE_IN_ALL = a_coupon(32, "THREE", max_uses=3)
ANY_NUMBER = a_coupon(33, "ANYNUMBER")


def add_coupons(data: dict[str, Any]) -> None:
    data["loyalty"]["coupons"].extend(as_yaml(c) for c in (ONCE_EACH, THREE_IN_ALL, ANY_NUMBER))


@contextmanager
def program_applied(url: str, edit: Edit) -> Iterator[None]:
    """The demo program with ``edit`` applied to the database at ``url``; the shipped
    program again afterwards."""

    async def apply(edited: bool) -> None:
        engine = create_engine(url)
        try:
            config = edited_config(edit) if edited else load_config(DEMO_1000)
            async with engine.begin() as conn:
                await apply_config(conn, config, datetime.now(UTC))
        finally:
            await engine.dispose()

    asyncio.run(apply(True))
    try:
        yield
    finally:
        asyncio.run(apply(False))


def coupons_applied(url: str) -> AbstractContextManager[None]:
    """The demo program with the race's coupons, for the duration of the block."""
    return program_applied(url, add_coupons)


async def post(pos: Pos, service: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await pos.http.post(
        f"/rest/24.11/{service}/{operation}.json",
        json={"authentication": "b2b", "merchantId": 1000, **body},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def check_with_coupon(pos: Pos, number: str, code: str) -> Any:
    return post(
        pos,
        "check",
        "postAndAccruePointsWithRedeem",
        {
            "storeCode": "1001",
            "cardInfo": {"printedCardNumber": LOYALTY},
            "check": a_check(number, item("A", "25.00")),
            "couponCodes": [code],
        },
    )


def till_use(pos: Pos, coupon_id: int, check: str, card: str | None = LOYALTY) -> Any:
    body = {
        "couponId": coupon_id,
        "storeCode": "1001",
        "redemptionDatetime": "2026-03-01T12:30:00",
        "checkOpenDatetime": "2026-03-01T12:00:00",
        "checkNumber": check,
    }
    return post(
        pos, "coupon", "recordCouponUsage", body | ({"printedCardNumber": card} if card else {})
    )


async def activate_loyalty(pos: Pos) -> None:
    """The guest's card (a fresh demo installation has it active already)."""
    reply = await pos.call(
        "activate", {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY)}
    )
    assert outcome(reply) in ("authorizedSuccess", "transaction.card_already_active"), reply


async def standing_uses(pos: Pos, coupon: Coupon) -> int:
    return await pos.count(
        coupon_uses, coupon_uses.c.coupon_id == coupon.id, coupon_uses.c.voided_at.is_(None)
    )


def test_two_checks_cannot_both_use_a_once_per_guest_coupon(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await activate_loyalty(pos)
        replies = await asyncio.gather(
            check_with_coupon(pos, "R-1", "ONCEEACH"), check_with_coupon(pos, "R-2", "ONCEEACH")
        )
        assert Counter(map(outcome, replies)) == {
            "success": 1,
            "check.coupon_not_applicable": 1,
        }, replies
        assert await standing_uses(pos, ONCE_EACH) == 1
        assert await pos.audit_problems() == []

    with coupons_applied(race_url):
        race(race_url, scenario)


def test_a_check_and_a_till_cannot_both_use_a_once_per_guest_coupon(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await activate_loyalty(pos)
        check, till = await asyncio.gather(
            check_with_coupon(pos, "R-3", "ONCEEACH"), till_use(pos, ONCE_EACH.id, "T-3")
        )
        assert {outcome(check), outcome(till)} in (
            {"success", "coupon.usage_limit_reached"},
            {"check.coupon_not_applicable", "success"},
        ), (check, till)
        assert await standing_uses(pos, ONCE_EACH) == 1
        assert await pos.audit_problems() == []

    with coupons_applied(race_url):
        race(race_url, scenario)


def test_ten_tills_racing_for_three_uses(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        replies = await asyncio.gather(
            *(till_use(pos, THREE_IN_ALL.id, f"T-{n}", card=None) for n in range(10))
        )
        assert Counter(map(outcome, replies)) == {
            "success": 3,
            "coupon.usage_limit_reached": 7,
        }
        assert await standing_uses(pos, THREE_IN_ALL) == 3

    with coupons_applied(race_url):
        race(race_url, scenario)


def test_a_record_resent_while_the_first_is_in_flight_counts_once(race_url: str) -> None:
    """Identical records of one use take turns, so the later ones are resends, even of
    a coupon without limits (no slot to decide between them)."""

    async def scenario(pos: Pos) -> None:
        for coupon in (ANY_NUMBER, THREE_IN_ALL):
            replies = await asyncio.gather(
                *(till_use(pos, coupon.id, "T-1", card=None) for _ in range(5))
            )
            assert Counter(map(outcome, replies)) == {"success": 5}
            assert await standing_uses(pos, coupon) == 1

    with coupons_applied(race_url):
        race(race_url, scenario)


@pytest.mark.postgresql
def test_the_constraint_decides_between_two_uses_judged_at_once(client: TestClient) -> None:
    """Two transactions both find the guest's use free; the second insert waits on the
    first's slot and, once the first commits, finds it taken: the unique constraint, not
    the count read before, refuses the second use."""
    activate(client, LOYALTY)
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def race_two() -> tuple[Limit | None, Limit | None, int]:
        async with engine.connect() as one, engine.connect() as two, engine.connect() as watch:
            await one.begin()
            await two.begin()
            waiter = (await two.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            first, second = UnitOfWork(one), UnitOfWork(two)
            for uow in (first, second):
                call = await merchant_call(uow, ShiftedClock().now())
                card = await uow.cards.find(1000, LOYALTY)
                assert card is not None
                await coupons.judge(
                    uow, call.program, ONCE_EACH, call.now, store_code="1001",
                    account_id=card.account_id,
                )  # fmt: skip
            limits = CouponLimits.of(ONCE_EACH)
            now = ShiftedClock().now()
            use = CouponUse(ONCE_EACH.id, "1001", account_id=card.account_id)
            won = await first.coupons.record(1000, use, limits, now)
            lost = asyncio.create_task(second.coupons.record(1000, use, limits, now))
            # Wait until the second insert is blocked on the first one's slot (or, were
            # nothing to stop it, has finished).
            while (
                not lost.done()
                and not (
                    await watch.execute(
                        text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                        {"pid": waiter},
                    )
                ).scalar()
            ):
                await watch.rollback()
                await asyncio.sleep(0.01)
            await one.commit()
            refused = await lost
            await two.commit()
            stored = (
                await watch.execute(
                    select(func.count()).where(coupon_uses.c.coupon_id == ONCE_EACH.id)
                )
            ).scalar_one()
            return won, refused, int(stored)

    with program_editor(client) as change:
        change(add_coupons)
        assert client.portal is not None
        won, refused, stored = client.portal.call(race_two)
    assert (won, refused, stored) == (None, Limit.ACCOUNT, 1)
