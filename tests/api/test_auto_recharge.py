"""Automatic recharge: the rule, the one recharge a redemption makes due, declines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.services.auto_recharge import make_due_recharges
from openpxs.store.tables import outbox
from openpxs.store.uow import unit_of_work
from tests.api.guests import as_guest, body_of, gget, gpost
from tests.api.pos import add_redeem, run_db, sv
from tests.api.test_payment import ADDRESS, cc, guest, recharge, sv_balance


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def enable(client: TestClient, token: str, card: str, **body: Any) -> dict[str, Any]:
    request = {
        "printedCardNumber": card,
        "amount": "25.00",
        "thresholdAmount": "10.00",
        "paymentMethod": cc(),
        "address": ADDRESS,
        **body,
    }
    return body_of(gpost(client, "payment", "enableAutoRecharge", as_guest(token, **request)))


def status(client: TestClient, token: str, card: str) -> dict[str, Any]:
    return body_of(
        gget(client, "payment", "autoRechargeStatus", as_guest(token, printedCardNumber=card))
    )


def run_worker(client: TestClient) -> int:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> int:
        return await make_due_recharges(lambda: unit_of_work(engine), ShiftedClock().now())

    assert client.portal is not None
    return client.portal.call(go)


def spend(client: TestClient, card: str, amount: str) -> None:
    reply = add_redeem(client, card, redeem=sv(amount), program="SV")
    assert reply["result"] == "authorizedSuccess", reply


def test_a_redemption_below_the_threshold_makes_one_recharge(client: TestClient) -> None:
    card, token = guest(client)
    assert enable(client, token, card) == {"result": "success"}
    on = status(client, token, card)
    assert (on["autoRechargeEnabled"], on["amount"], on["thresholdAmount"]) == (
        True,
        "25.00",
        "10.00",
    )
    assert on["savedCreditCard"]["lastFour"] == "4242"
    assert not BuiltinTestProcessor.for_merchant(1000)._books.payments  # no money moved
    assert recharge(client, token, card, paymentMethod={"type": "SAVED_CC"})["result"] == "success"
    spend(client, card, "12.00")  # 20 -> 8: below 10
    spend(client, card, "1.00")  # still below: no second recharge
    assert sv_balance(client, card) == "7.00"
    assert run_worker(client) == 1
    assert sv_balance(client, card) == "32.00"
    assert run_worker(client) == 0  # nothing due any more
    history = body_of(
        gget(client, "payment", "rechargeHistory", as_guest(token, printedCardNumber=card))
    )
    assert [r["automatic"] for r in history["recharges"]] == [True, False]


def test_repeated_declines_switch_it_off(client: TestClient) -> None:
    card, token = guest(client)
    assert recharge(client, token, card)["result"] == "success"  # $20 on the card
    assert enable(client, token, card, paymentMethod=cc("tok_insufficient_funds"))["result"] == (
        "success"
    )
    for n in range(3):
        spend(client, card, "1.00" if n else "11.00")
        assert run_worker(client) == 0
    assert status(client, token, card)["autoRechargeEnabled"] is False
    assert sv_balance(client, card) == "7.00"
    history = body_of(
        gget(client, "payment", "rechargeHistory", as_guest(token, printedCardNumber=card))
    )
    assert [r["chargeResponse"]["transactionState"] for r in history["recharges"]][:3] == [
        "Declined"
    ] * 3
    # The guest is told once, by e-mail through the outbox.
    assert told_switched_off(client) == [("email", "ada@example.com")]


def told_switched_off(client: TestClient) -> list[tuple[str, str]]:
    async def work(conn: Any) -> list[tuple[str, str]]:
        rows = await conn.execute(
            select(outbox.c.channel, outbox.c.recipient).where(
                outbox.c.subject.like("Automatic reload turned off%")
            )
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    found: list[tuple[str, str]] = run_db(client, work)
    return found


def test_disable_and_its_refusals(client: TestClient) -> None:
    card, token = guest(client)
    none = body_of(
        gpost(client, "payment", "disableAutoRecharge", as_guest(token, printedCardNumber=card))
    )
    assert none["errorCode"] == "payment.auto_recharge_not_enabled"
    no_card = enable(client, token, card, paymentMethod=None)
    assert no_card["errorCode"] == "payment.no_saved_credit_card"
    low = enable(client, token, card, thresholdAmount="1.00")
    assert low["errorCode"] == "payment.amount_out_of_range"
    assert enable(client, token, card)["result"] == "success"
    off = body_of(
        gpost(client, "payment", "disableAutoRecharge", as_guest(token, printedCardNumber=card))
    )
    assert off == {"result": "success"}
    state = status(client, token, card)
    assert state["autoRechargeEnabled"] is False and "amount" not in state
    assert state["savedCreditCard"]["cardType"] == "VISA"  # the card stays


def test_deleting_the_saved_card_switches_auto_recharge_off(client: TestClient) -> None:
    card, token = guest(client)
    assert enable(client, token, card)["result"] == "success"
    body_of(
        gpost(client, "payment", "deleteSavedCreditCard", as_guest(token, printedCardNumber=card))
    )
    assert status(client, token, card)["autoRechargeEnabled"] is False
