"""Concurrent checks crossing a challenge's goal: the occurrence completes once and its
reward is paid once, however the postings interleave (row locks on PostgreSQL,
serialized writers on SQLite)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from openpxs.app import create_app
from openpxs.domain.clock import ShiftedClock
from openpxs.settings import Settings
from openpxs.store.tables import challenge_completions, challenge_progress, transactions
from openpxs.store.uow import unit_of_work
from tests.api.checks import a_check, item
from tests.api.pos import LOYALTY
from tests.pg.test_coupon_races import activate_loyalty, post
from tests.pg.test_races import Pos, outcome, race_url

__all__ = ["race_url"]  # the fixture, shared with test_races.py

# A Wednesday in the demo's VISIT3 week of Monday 8 March 2027.
WEDNESDAY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)


def race_at(url: str, moment: datetime, scenario: Callable[[Pos], Awaitable[None]]) -> None:
    """``scenario`` against an application of its own whose clock reads ``moment``."""

    @asynccontextmanager
    async def running() -> AsyncIterator[Pos]:
        clock = ShiftedClock(offset=moment - datetime.now(UTC))
        app = create_app(
            Settings(database_url=url, log_level="WARNING", db_pool_size=10), clock=clock
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Pos(http, app.state.runtime.engine)

    async def main() -> None:
        async with running() as pos:
            await scenario(pos)

    asyncio.run(main())


def visit(pos: Pos, number: str) -> Any:
    return post(
        pos,
        "check",
        "postAndAccruePoints",
        {
            "storeCode": "1001",
            "cardInfo": {"printedCardNumber": LOYALTY},
            "check": a_check(number, item("BURGER", "12.00", "FOOD")),
        },
    )


async def opt_in(pos: Pos) -> None:
    async with unit_of_work(pos.engine) as uow:
        card = await uow.cards.find(1000, LOYALTY)
        assert card is not None and card.account_id is not None
        await uow.challenges.set_entry(
            1000,
            "VISIT3",
            card.account_id,
            opted_in=True,
            charity_code=None,
            now=WEDNESDAY,
        )


async def rows(pos: Pos, query: Any) -> list[Any]:
    async with pos.engine.connect() as conn:
        return list(await conn.execute(query))


def test_two_checks_crossing_the_goal_at_once_complete_it_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await activate_loyalty(pos)
        await opt_in(pos)
        assert outcome(await visit(pos, "R-1")) == "success"
        assert outcome(await visit(pos, "R-2")) == "success"
        # Either of these is the third visit; the other the fourth.
        replies = await asyncio.gather(visit(pos, "R-3"), visit(pos, "R-4"))
        assert Counter(map(outcome, replies)) == {"success": 2}, replies
        completions = await rows(pos, select(challenge_completions))
        assert len(completions) == 1
        progress = await rows(
            pos, select(challenge_progress).where(challenge_progress.c.challenge_code == "VISIT3")
        )
        assert len(progress) == 4
        paid = await rows(
            pos, select(transactions.c.id).where(transactions.c.kind == "challengeReward")
        )
        assert [row.id for row in paid] == [completions[0].reward_transaction_id]
        assert await pos.audit_problems() == []

    race_at(race_url, WEDNESDAY, scenario)


def test_six_checks_at_once_pay_the_week_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await activate_loyalty(pos)
        await opt_in(pos)
        replies = await asyncio.gather(*(visit(pos, f"M-{n}") for n in range(6)))
        assert Counter(map(outcome, replies)) == {"success": 6}, replies
        assert len(await rows(pos, select(challenge_completions))) == 1
        paid = await rows(
            pos, select(transactions.c.id).where(transactions.c.kind == "challengeReward")
        )
        assert len(paid) == 1
        assert await pos.audit_problems() == []

    race_at(race_url, WEDNESDAY, scenario)
