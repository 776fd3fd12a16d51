"""The ``stripe`` processor through the HTTP API, against localstripe in its own process:
recharges, declines, saved cards, automatic recharge, compensation and lookup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.payments import ChargeRequest, Outcome
from openpxs.processors.stripe_gateway import KEY_FIELD, StripeGateway
from tests.api.guests import as_guest, body_of, gget, gpost
from tests.api.no_card_numbers import assert_no_card_numbers
from tests.api.test_auto_recharge import enable, run_worker, spend
from tests.api.test_payment import guest, recharge, saved_card, sv_balance
from tests.fakes.localstripe import SECRET_KEY, LocalStripe
from tests.fakes.servers import free_port
from tests.program_config import Edit, program_editor

VISA = "4242424242424242"
CHARGE_DECLINED = "4000000000000341"  # attaches, then declines every charge
ATTACH_DECLINED = "4000000000000002"  # refused when kept
NEEDS_3DS = "4000002500003155"
KEY_VARIABLE = "OPENPXS_TEST_STRIPE_KEY"


@pytest.fixture
def stripe_merchant(
    client: TestClient, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Edit], None]]:
    """Merchant 1000 with the stripe processor at localstripe; its key in the environment."""
    monkeypatch.setenv(KEY_VARIABLE, SECRET_KEY)

    def to_stripe(data: dict[str, Any]) -> None:
        data["payments"]["processor"] = {
            "kind": "stripe",
            "api_key": {"env": KEY_VARIABLE},
            "publishable_key": "pk_test_openpxs",
            "api_base": localstripe.url,
        }

    with program_editor(client) as change:
        change(to_stripe)
        yield change


def method(pm: str, **extra: Any) -> dict[str, Any]:
    return {"type": "CC", "token": pm, **extra}


def intent(localstripe: LocalStripe, reference: str) -> dict[str, Any]:
    return localstripe.get(f"/v1/payment_intents/{reference}")


@pytest.mark.usefixtures("stripe_merchant")
def test_a_recharge_charges_a_payment_intent_and_credits_the_card(
    client: TestClient, localstripe: LocalStripe
) -> None:
    card, token = guest(client)
    config = body_of(gget(client, "payment", "paymentConfig", as_guest(token)))
    assert config["paymentConfig"]["processor"] == "STRIPE"
    pm = localstripe.payment_method(VISA)
    reply = recharge(client, token, card, paymentMethod=method(pm))
    assert reply["result"] == "success", reply
    charged = reply["chargeResponse"]
    assert (charged["cardType"], charged["lastFour"], charged["expDate"]) == (
        "VISA",
        "4242",
        "12/2034",
    )
    assert charged["transactionState"] == "Succeeded"
    paid = intent(localstripe, charged["processorReferenceNumber"])
    assert (paid["status"], paid["amount"], paid["currency"]) == ("succeeded", 2000, "usd")
    assert paid["metadata"][KEY_FIELD].startswith("recharge:")
    assert sv_balance(client, card) == "20.00"


@pytest.mark.usefixtures("stripe_merchant")
@pytest.mark.parametrize(
    ("number", "code"),
    [(CHARGE_DECLINED, "payment.processor_declined"), (NEEDS_3DS, "payment.processor_declined")],
)
def test_a_declined_charge_leaves_the_balance(
    client: TestClient, localstripe: LocalStripe, number: str, code: str
) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card, paymentMethod=method(localstripe.payment_method(number)))
    assert (reply["result"], reply["errorCode"]) == ("failure", code), reply
    assert reply["chargeResponse"]["transactionState"] == "Declined"
    assert sv_balance(client, card) in ("", "0.00")


@pytest.mark.usefixtures("stripe_merchant")
def test_an_unknown_token_is_refused_without_a_charge(client: TestClient) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card, paymentMethod=method("pm_neverissued"))
    assert (reply["result"], reply["errorCode"]) == ("failure", "payment.processor_error")
    assert sv_balance(client, card) in ("", "0.00")


@pytest.mark.usefixtures("stripe_merchant")
def test_a_saved_card_is_a_customer_and_pays_off_session(
    client: TestClient, localstripe: LocalStripe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    card, token = guest(client)
    pm = localstripe.payment_method(VISA)
    first = recharge(client, token, card, paymentMethod=method(pm, saveCard=True))
    assert first["result"] == "success", first
    attached = localstripe.get(f"/v1/payment_methods/{pm}")
    assert attached["customer"].startswith("cus_")
    kept = saved_card(client, token, card)["savedCreditCard"]
    assert (kept["cardType"], kept["lastFour"]) == ("VISA", "4242")
    again = recharge(client, token, card, amount="5.00", paymentMethod={"type": "SAVED_CC"})
    assert again["result"] == "success", again
    later = intent(localstripe, again["chargeResponse"]["processorReferenceNumber"])
    assert (later["customer"], later["payment_method"], later["amount"]) == (
        attached["customer"],
        pm,
        500,
    )
    assert sv_balance(client, card) == "25.00"
    assert_no_card_numbers(client, [VISA], caplog.text)
    gone = gpost(
        client, "payment", "deleteSavedCreditCard", as_guest(token, printedCardNumber=card)
    )
    assert body_of(gone) == {"result": "success"}
    assert localstripe.get(f"/v1/payment_methods/{pm}")["customer"] is None  # detached


@pytest.mark.usefixtures("stripe_merchant")
def test_a_card_the_issuer_refuses_to_keep_is_not_saved_or_charged(
    client: TestClient, localstripe: LocalStripe
) -> None:
    card, token = guest(client)
    pm = localstripe.payment_method(ATTACH_DECLINED)
    reply = recharge(client, token, card, paymentMethod=method(pm, saveCard=True))
    assert (reply["result"], reply["errorCode"]) == ("failure", "payment.processor_declined")
    assert saved_card(client, token, card)["errorCode"] == "payment.no_saved_credit_card"
    assert sv_balance(client, card) in ("", "0.00")


@pytest.mark.usefixtures("stripe_merchant")
def test_automatic_recharge_charges_the_saved_card_at_stripe(
    client: TestClient, localstripe: LocalStripe
) -> None:
    card, token = guest(client)
    pm = localstripe.payment_method(VISA)
    assert recharge(client, token, card, paymentMethod=method(pm))["result"] == "success"
    assert enable(client, token, card, paymentMethod=method(localstripe.payment_method(VISA)))[
        "result"
    ] == ("success")
    spend(client, card, "12.00")  # 20 -> 8: below the threshold of 10
    assert run_worker(client) == 1
    assert sv_balance(client, card) == "33.00"
    history = body_of(
        gget(client, "payment", "rechargeHistory", as_guest(token, printedCardNumber=card))
    )
    automatic = history["recharges"][0]
    assert automatic["automatic"] is True
    paid = intent(localstripe, automatic["chargeResponse"]["processorReferenceNumber"])
    assert (paid["status"], paid["amount"]) == ("succeeded", 2500)


def gateway(localstripe: LocalStripe) -> StripeGateway:
    return StripeGateway(SECRET_KEY, localstripe.url, 10)


def order(pm: str, key: str, amount: str = "12.50") -> ChargeRequest:
    return ChargeRequest(amount=Decimal(amount), currency="USD", token=pm, idempotency_key=key)


def test_authorize_capture_void_refund_and_lookup(localstripe: LocalStripe) -> None:
    stripe = gateway(localstripe)

    async def scenario() -> None:
        held = await stripe.authorize(order(localstripe.payment_method(VISA), "auth-1"))
        assert held.approved and held.reference
        assert intent(localstripe, held.reference)["status"] == "requires_capture"
        taken = await stripe.capture(held.reference, Decimal("10.00"), "auth-1:capture")
        assert taken.approved
        assert intent(localstripe, held.reference)["status"] == "succeeded"

        other = await stripe.authorize(order(localstripe.payment_method(VISA), "auth-2"))
        assert other.reference is not None
        assert (await stripe.void(other.reference, "auth-2:void")).approved
        assert intent(localstripe, other.reference)["status"] == "canceled"

        paid = await stripe.charge(order(localstripe.payment_method(VISA), "charge-1"))
        assert paid.approved and paid.reference is not None
        # A settled charge cannot be voided: the caller then refunds it.
        assert not (await stripe.void(paid.reference, "charge-1:void")).approved
        back = await stripe.refund(paid.reference, Decimal("12.50"), "charge-1:refund")
        assert back.approved and back.reference and back.reference.startswith("re_")

        found = await stripe.lookup("charge-1")
        assert found is not None and found.approved and found.reference == paid.reference
        declined = await stripe.charge(
            order(localstripe.payment_method(CHARGE_DECLINED), "charge-2")
        )
        assert declined.outcome is Outcome.DECLINED
        assert await stripe.lookup("never-sent") is None

    asyncio.run(scenario())


def test_an_unreachable_stripe_is_an_unknown_outcome() -> None:
    stripe = StripeGateway(SECRET_KEY, f"http://127.0.0.1:{free_port()}", 2)
    result = asyncio.run(stripe.charge(order("pm_any", "lost-1")))
    assert result.outcome is Outcome.TIMEOUT
