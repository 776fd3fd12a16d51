"""Balance transfers racing redemptions and each other on the same cards (run as in
test_races.py: a second application, calls fired at once, on SQLite and PostgreSQL).

Whatever the interleaving, value is neither made nor lost: what the cards hold plus
what was redeemed is what was sold, and the journal audits clean."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from openpxs.domain.clock import ShiftedClock
from openpxs.services.gift_transfers import return_lapsed
from openpxs.store.uow import unit_of_work
from tests.api.pos import GIFT, GIFT2, add_redeem_body, sell_body, sv
from tests.pg.test_races import AUTH, Pos, outcome, race, race_url

__all__ = ["race_url"]


async def transfer(pos: Pos, to: str, source: str) -> dict[str, Any]:
    response = await pos.http.post(
        "/rest/24.11/balancetransfer/transferBalances.json",
        json={
            "authentication": "b2b",
            "merchantId": 1000,
            "printedCardNumber": to,
            "fromPrintedCardNumber": source,
        },
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_a_transfer_racing_twenty_redemptions_on_its_source_card(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        await pos.call("activateAdd", sell_body(GIFT2, "1.00"))
        redeems = [
            pos.call("addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"))) for _ in range(20)
        ]
        # The transfer goes in the middle, so some redemptions come before it and some after.
        calls = [*redeems[:10], transfer(pos, GIFT2, GIFT), *redeems[10:]]
        replies = await asyncio.gather(*calls)
        moved = replies[10]
        assert moved == {"result": "success"}, moved
        spent = Counter(map(outcome, replies[:10] + replies[11:]))
        assert set(spent) <= {"authorizedSuccess", "transaction.insufficient_balance"}, spent
        redeemed = spent["authorizedSuccess"]
        assert await pos.balance(GIFT) == "0.00"
        assert Decimal(await pos.balance(GIFT2)) == Decimal(26 - redeemed)
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_transfers_both_ways_at_once_neither_deadlock_nor_lose_value(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        await pos.call("activateAdd", sell_body(GIFT2, "10.00"))
        calls = []
        for _ in range(5):
            calls += [
                transfer(pos, GIFT2, GIFT),
                transfer(pos, GIFT, GIFT2),
                pos.call("addRedeem", add_redeem_body(GIFT2, redeem=sv("0.50"))),
            ]
        replies = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
        seen = Counter(map(outcome, replies))
        assert set(seen) <= {
            "success",
            "authorizedSuccess",
            "balancetransfer.nothing_to_transfer",
            "transaction.insufficient_balance",
        }, seen
        assert seen["success"] >= 1
        redeemed = Decimal("0.50") * seen["authorizedSuccess"]
        held = Decimal(await pos.balance(GIFT)) + Decimal(await pos.balance(GIFT2))
        assert held + redeemed == Decimal("35.00")
        assert await pos.audit_problems() == []

    race(race_url, scenario)


async def gift(pos: Pos, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await pos.http.post(
        f"/rest/24.11/gifttransfer/{operation}.json",
        json={"authentication": "b2b", "merchantId": 1000, **body},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def held_gifts(pos: Pos, count: int) -> list[str]:
    codes = []
    for i in range(count):
        reply = await gift(
            pos,
            "transferOut",
            {
                "fromPrintedCardNumber": GIFT,
                "walletCode": 1,
                "to": {"email": f"friend{i}@example.com"},
            },
        )
        assert reply["transferInfo"]["status"] == "PENDING_CLAIM", reply
        codes.append(reply["transferInfo"]["claimCode"])
    return codes


def test_ten_claims_of_one_gift_credit_it_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        await pos.call("activateAdd", sell_body(GIFT2, "1.00"))
        [code] = await held_gifts(pos, 1)
        body = {"claimCode": code, "printedCardNumber": GIFT2}
        replies = await asyncio.gather(*(gift(pos, "transferIn", body) for _ in range(10)))
        assert Counter(map(outcome, replies)) == {
            "success": 1,
            "gifttransfer.transfer_already_claimed": 9,
        }
        assert await pos.balance(GIFT2) == "6.00"
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_claims_racing_the_return_job_settle_each_gift_once(race_url: str) -> None:
    """The job runs as if the claim time had passed while the claims come in: each gift
    ends claimed or returned, never both, and no value is made or lost."""

    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        await pos.call("activateAdd", sell_body(GIFT2, "1.00"))
        codes = await held_gifts(pos, 5)
        assert await pos.balance(GIFT) == "0.00"
        later = ShiftedClock().now() + timedelta(days=31)
        claims = [
            gift(pos, "transferIn", {"claimCode": c, "printedCardNumber": GIFT2}) for c in codes
        ]
        job = return_lapsed(lambda: unit_of_work(pos.engine), later)
        # The job goes in among the claims, so some come before it and some after.
        results = await asyncio.gather(*claims[:2], job, *claims[2:])
        returned, replies = results[2], [*results[:2], *results[3:]]
        assert isinstance(returned, int)
        claimed = sum(1 for r in replies if isinstance(r, dict) and r["result"] == "success")
        assert claimed + returned == 5, (replies, returned)
        assert Decimal(await pos.balance(GIFT)) == Decimal(5 * returned)
        assert Decimal(await pos.balance(GIFT2)) == Decimal(1 + 5 * claimed)
        assert await pos.audit_problems() == []

    race(race_url, scenario)
