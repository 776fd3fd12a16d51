"""Reward Yourself orders racing on one account (run as in test_races.py: a second
application, calls fired at once, on SQLite and PostgreSQL): points are spent at most
once, and never below what the account holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.api.pos import LOYALTY, add_redeem_body, card, header, sv
from tests.pg.test_races import AUTH, Pos, outcome, race, race_url

__all__ = ["race_url"]


async def buy(pos: Pos, key: str, amount: str = "10.00") -> dict[str, Any]:
    response = await pos.http.post(
        "/rest/24.11/sale/executeSaleForAccount.json",
        json={
            "authentication": "b2b",
            "merchantId": 1000,
            "printedCardNumber": LOYALTY,
            "programType": "REWARD_YOURSELF",
            "items": [{"amount": amount}],
            "shippingMethodCode": "EMAIL",
        },
        headers={**AUTH, "Idempotency-Key": key},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def wallets_of(pos: Pos) -> dict[int, str]:
    reply = await pos.call("balanceInquiry", {"headerInfo": header(), "cardInfo": card(LOYALTY)})
    return {w["walletCode"]: w["balance"] for w in reply["walletBalances"]}


async def loyalty_card_with_points(pos: Pos, points: int) -> None:
    """The demo's loyalty card (template 1), active, with exactly ``points`` points (the
    SQLite demo file ships it active with a few; the emptied session database does not)."""
    activated = await pos.call(
        "activate",
        {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY, cardRegCode="1234")},
    )
    assert outcome(activated) in {"authorizedSuccess", "transaction.card_already_active"}
    held = int((await wallets_of(pos))[2])
    body = (
        add_redeem_body(LOYALTY, add=sv(str(points - held), 2), program="LP")
        if points > held
        else add_redeem_body(LOYALTY, redeem=sv(str(held - points), 2), program="LP")
    )
    changed = await pos.call("addRedeem", body)
    assert changed["result"] == "authorizedSuccess", changed
    assert (await wallets_of(pos))[2] == str(points)


def test_five_orders_at_once_spend_only_the_points_there_are(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await loyalty_card_with_points(pos, 500)
        replies = await asyncio.wait_for(
            asyncio.gather(*(buy(pos, f"order-{n}") for n in range(5))), timeout=60
        )
        seen = Counter(map(outcome, replies))
        # 200 points each: two fit in 500.
        assert seen == {"success": 2, "sale.insufficient_points": 3}, seen
        held = await wallets_of(pos)
        assert (held[2], held[1]) == ("100", "20.00"), held  # two $10.00 bought
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_one_order_sent_three_times_at_once_is_bought_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await loyalty_card_with_points(pos, 500)
        replies = await asyncio.wait_for(
            asyncio.gather(*(buy(pos, "same-order") for _ in range(3))), timeout=60
        )
        assert {r["result"] for r in replies} == {"success"}, replies
        assert len({r["orderNumber"] for r in replies}) == 1
        held = await wallets_of(pos)
        assert (held[2], held[1]) == ("300", "10.00"), held
        assert await pos.audit_problems() == []

    race(race_url, scenario)
