"""Balance transfers racing redemptions and each other on the same cards (run as in
test_races.py: a second application, calls fired at once, on SQLite and PostgreSQL).

Whatever the interleaving, value is neither made nor lost: what the cards hold plus
what was redeemed is what was sold, and the journal audits clean."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

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
