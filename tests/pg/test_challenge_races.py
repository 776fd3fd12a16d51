"""Concurrent checks crossing a challenge's goal: the occurrence completes once and its
reward is paid once, however the postings interleave (row locks on PostgreSQL,
serialized writers on SQLite). For a group challenge the checks come from different
members' accounts, so nothing but the group's lock keeps them apart; for a cap across
every account, nothing but the challenge's tally."""

from __future__ import annotations

import asyncio
import base64
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
from openpxs.store.tables import (
    challenge_completions,
    challenge_group_completions,
    challenge_group_payouts,
    challenge_progress,
    transactions,
)
from openpxs.store.uow import unit_of_work
from tests.api.checks import a_check, item
from tests.api.guests import user_fields
from tests.api.pos import APP, LOYALTY
from tests.pg.test_coupon_races import activate_loyalty, post, program_applied
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


def visit(pos: Pos, number: str, card: str = LOYALTY) -> Any:
    return post(
        pos,
        "check",
        "postAndAccruePoints",
        {
            "storeCode": "1001",
            "cardInfo": {"printedCardNumber": card},
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


# --- group challenges and the cap across every account ---------------------------------


async def enrolled(pos: Pos, name: str) -> str:
    """A registered guest's card number."""
    credentials = base64.b64encode(":".join(APP).encode()).decode()
    response = await pos.http.post(
        "/rest/24.11/enrollment/createAndRegister.json",
        json={
            "merchantId": 1000,
            "authentication": "anonymous",
            "cardTemplateCode": 1,
            "activationStoreCode": "corp",
            "setUserFields": user_fields(name),
            "setAccountFields": {"style": "typed"},
        },
        headers={"Authorization": f"Basic {credentials}"},
    )
    reply = response.json()
    assert reply["result"] == "cardCreatedSuccess", reply
    number: str = reply["printedCardNumber"]
    return number


async def team_of_two(pos: Pos) -> tuple[int, dict[str, str]]:
    """ada and bob in one group, opted in to the demo's TEAM10 (10 visits a month)."""
    cards = {name: await enrolled(pos, name) for name in ("ada", "bob")}
    made = await post(pos, "socialgroup", "createGroup", {"username": "ada", "name": "Race"})
    group: int = made["group"]["groupCode"]
    shared = await post(
        pos, "socialgroup", "createInvitationMessage", {"username": "ada", "groupCode": group}
    )
    joined = await post(
        pos,
        "socialgroup",
        "acceptInvitation",
        {"username": "bob", "invitationCode": shared["invitationCode"]},
    )
    assert outcome(joined) == "success", joined
    opted = await post(
        pos,
        "challenge",
        "optIn",
        {"username": "ada", "groupCode": group, "challengeCode": "TEAM10"},
    )
    assert outcome(opted) == "success", opted
    return group, cards


def test_two_members_crossing_the_group_goal_at_once_complete_it_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        group, cards = await team_of_two(pos)
        for n in range(8):
            reply = await visit(pos, f"G-{n}", cards["ada" if n % 2 else "bob"])
            assert outcome(reply) == "success", reply
        # Both members post at once, twice each: the group's 9th to 12th visits.
        replies = await asyncio.gather(
            *(visit(pos, f"X-{who}-{n}", cards[who]) for n in range(2) for who in ("ada", "bob"))
        )
        assert Counter(map(outcome, replies)) == {"success": 4}, replies
        done = await rows(pos, select(challenge_group_completions))
        assert [(r.challenge_code, r.group_id) for r in done] == [("TEAM10", group)]
        payouts = await rows(pos, select(challenge_group_payouts))
        assert len(payouts) == 2 and all(p.reward_transaction_id for p in payouts)
        paid = await rows(
            pos, select(transactions.c.id).where(transactions.c.kind == "challengeReward")
        )
        assert sorted(r.id for r in paid) == sorted(p.reward_transaction_id for p in payouts)
        assert await pos.audit_problems() == []

    race_at(race_url, WEDNESDAY, scenario)


def _first_two(data: dict[str, Any]) -> None:
    """An automatic challenge that pays its first two completions, whoever they are."""
    data["challenges"].append(
        {
            "code": "FIRST2",
            "name": "First two",
            "opt_in": False,
            "max_total_completions": 2,
            "schedule": {"start": "2026-01-05T00:00:00", "repeat": "weekly"},
            "goal": {"measure": "visits", "target": 1},
            "reward": {"wallet": 3, "quantity": 1},
        }
    )


def test_a_cap_across_every_account_pays_no_more_than_it_says(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        cards = [await enrolled(pos, name) for name in ("ada", "bob", "cyd", "dee")]
        replies = await asyncio.gather(*(visit(pos, f"F-{n}", c) for n, c in enumerate(cards)))
        assert Counter(map(outcome, replies)) == {"success": 4}, replies
        done = await rows(
            pos,
            select(challenge_completions).where(challenge_completions.c.challenge_code == "FIRST2"),
        )
        assert len(done) == 2
        paid = await rows(
            pos, select(transactions.c.id).where(transactions.c.kind == "challengeReward")
        )
        assert sorted(r.id for r in paid) == sorted(d.reward_transaction_id for d in done)
        assert await pos.audit_problems() == []

    with program_applied(race_url, _first_two):
        race_at(race_url, WEDNESDAY, scenario)
