"""The ``spreedly`` processor through the HTTP API, against a local Spreedly that speaks
the gateway API's shapes: iFrame parameters, recharges, declines, kept cards, a lost
answer settled by lookup, and the follow-up calls."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.payments import ChargeRequest, Outcome
from openpxs.processors.spreedly_gateway import SpreedlyGateway
from tests.api.guests import as_guest, body_of, gget, gpost
from tests.api.test_auto_recharge import enable, run_worker, spend
from tests.api.test_payment import guest, recharge, saved_card, sv_balance
from tests.fakes.spreedly import ACCESS_SECRET, ENVIRONMENT_KEY, GATEWAY, FakeSpreedly
from tests.program_config import Edit, program_editor

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
DECLINED = "4012888888881881"
NO_FUNDS = "4000000000009995"
SECRET_VARIABLE = "OPENPXS_TEST_SPREEDLY_SECRET"
CERTIFICATE_KEY = "-----BEGIN PRIVATE KEY-----\ntest key\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def spreedly_merchant(
    client: TestClient,
    spreedly: FakeSpreedly,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Callable[[Edit], None]]:
    """Merchant 1000 charging through the local Spreedly; the access secret in the
    environment and the certificate's key in a file."""
    monkeypatch.setenv(SECRET_VARIABLE, ACCESS_SECRET)
    key_file = tmp_path / "spreedly-certificate.pem"
    key_file.write_text(CERTIFICATE_KEY, encoding="utf-8")

    def to_spreedly(data: dict[str, Any]) -> None:
        data["payments"]["processor"] = {
            "kind": "spreedly",
            "environment_key": ENVIRONMENT_KEY,
            "access_secret": {"env": SECRET_VARIABLE},
            "gateway_token": GATEWAY,
            "certificate_token": "cert_openpxs",
            "certificate_key": {"file": str(key_file)},
            "api_base": spreedly.url,
        }

    with program_editor(client) as change:
        change(to_spreedly)
        yield change


def method(token: str, **extra: Any) -> dict[str, Any]:
    return {"type": "CC", "token": token, **extra}


def iframe_params(client: TestClient, **auth: Any) -> dict[str, Any]:
    return body_of(gget(client, "payment", "spreedlyIframeParams", {"merchantId": 1000, **auth}))


@pytest.mark.usefixtures("spreedly_merchant")
def test_iframe_params_are_fresh_and_signed_with_the_certificate_key(client: TestClient) -> None:
    first = iframe_params(client)
    second = iframe_params(client)
    assert first["result"] == "success", first
    assert first["environmentKey"] == ENVIRONMENT_KEY
    assert first["certificateToken"] == "cert_openpxs"
    assert first["nonce"] != second["nonce"]
    message = f"{first['nonce']}{first['timestamp']}{first['certificateToken']}".encode()
    expected = hmac.new(CERTIFICATE_KEY.strip().encode(), message, hashlib.sha256).hexdigest()
    assert first["signature"] == expected
    assert ACCESS_SECRET not in str(first) and "PRIVATE" not in str(first)
    config = body_of(gget(client, "payment", "paymentConfig", as_guest(guest(client)[1])))
    assert config["paymentConfig"]["processor"] == "SPREEDLY"
    assert config["paymentConfig"]["processorClientParams"] == {"environmentKey": ENVIRONMENT_KEY}


def test_iframe_params_need_a_spreedly_merchant(client: TestClient) -> None:
    reply = iframe_params(client)
    assert (reply["result"], reply["errorCode"]) == ("failure", "payment.not_configured")


def test_iframe_params_without_a_certificate_are_the_environment_key_alone(
    client: TestClient, spreedly: FakeSpreedly, spreedly_merchant: Callable[[Edit], None]
) -> None:
    assert iframe_params(client)["signature"]

    def unsigned(data: dict[str, Any]) -> None:
        data["payments"]["processor"] = {
            "kind": "spreedly",
            "environment_key": ENVIRONMENT_KEY,
            "access_secret": {"env": SECRET_VARIABLE},
            "gateway_token": GATEWAY,
            "api_base": spreedly.url,
        }

    spreedly_merchant(unsigned)
    assert iframe_params(client) == {"result": "success", "environmentKey": ENVIRONMENT_KEY}


@pytest.mark.usefixtures("spreedly_merchant")
def test_a_recharge_purchases_on_the_gateway_and_credits_the_card(
    client: TestClient, spreedly: FakeSpreedly
) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card, paymentMethod=method(spreedly.tokenize(MASTERCARD)))
    assert reply["result"] == "success", reply
    charged = reply["chargeResponse"]
    assert (charged["cardType"], charged["lastFour"]) == ("MASTERCARD", "4444")
    purchase = spreedly.transactions[charged["processorReferenceNumber"]]
    assert (purchase["transaction_type"], purchase["amount"], purchase["currency_code"]) == (
        "Purchase",
        2000,
        "USD",
    )
    assert purchase["order_id"].startswith("recharge:")
    assert sv_balance(client, card) == "20.00"


@pytest.mark.usefixtures("spreedly_merchant")
@pytest.mark.parametrize("number", [DECLINED, NO_FUNDS])
def test_a_declined_purchase_leaves_the_balance(
    client: TestClient, spreedly: FakeSpreedly, number: str
) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card, paymentMethod=method(spreedly.tokenize(number)))
    assert (reply["result"], reply["errorCode"]) == ("failure", "payment.processor_declined")
    code = reply["chargeResponse"]["processorResponseCode"]
    assert code == (51 if number == NO_FUNDS else 5)
    assert sv_balance(client, card) in ("", "0.00")


@pytest.mark.usefixtures("spreedly_merchant")
def test_an_unknown_token_and_a_wrong_secret_charge_nothing(
    client: TestClient, spreedly: FakeSpreedly, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, token = guest(client)
    unknown = recharge(client, token, card, paymentMethod=method("not_a_spreedly_token"))
    assert (unknown["result"], unknown["errorCode"]) == ("failure", "payment.processor_error")
    monkeypatch.setenv(SECRET_VARIABLE, "wrong")
    refused = recharge(client, token, card, paymentMethod=method(spreedly.tokenize(VISA)))
    assert (refused["result"], refused["errorCode"]) == ("failure", "payment.processor_error")
    monkeypatch.delenv(SECRET_VARIABLE)
    missing = recharge(client, token, card, paymentMethod=method(spreedly.tokenize(VISA)))
    assert (missing["result"], missing["errorCode"]) == ("failure", "payment.not_configured")
    assert sv_balance(client, card) in ("", "0.00")
    assert not [t for t in spreedly.transactions.values() if t["succeeded"]]


@pytest.mark.usefixtures("spreedly_merchant")
def test_a_lost_answer_is_settled_by_the_order_id(
    client: TestClient, spreedly: FakeSpreedly
) -> None:
    card, token = guest(client)
    spreedly.lose_next_answer = True
    reply = recharge(client, token, card, paymentMethod=method(spreedly.tokenize(VISA)))
    assert reply["result"] == "success", reply
    purchases = [t for t in spreedly.transactions.values() if t["_action"] == "purchase"]
    assert len(purchases) == 1  # asked, not charged again
    assert reply["chargeResponse"]["processorReferenceNumber"] == purchases[0]["token"]
    assert sv_balance(client, card) == "20.00"


@pytest.mark.usefixtures("spreedly_merchant")
def test_a_kept_card_is_verified_retained_charged_again_and_redacted(
    client: TestClient, spreedly: FakeSpreedly, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    card, token = guest(client)
    pm = spreedly.tokenize(VISA)
    first = recharge(client, token, card, paymentMethod=method(pm, saveCard=True))
    assert first["result"] == "success", first
    assert spreedly.payment_methods[pm]["storage_state"] == "retained"
    actions = [t["_action"] for t in spreedly.transactions.values()]
    assert actions == ["verify", "retain", "purchase"]
    assert saved_card(client, token, card)["savedCreditCard"]["lastFour"] == "1111"
    again = recharge(client, token, card, amount="5.00", paymentMethod={"type": "SAVED_CC"})
    assert again["result"] == "success", again
    assert sv_balance(client, card) == "25.00"
    gone = gpost(
        client, "payment", "deleteSavedCreditCard", as_guest(token, printedCardNumber=card)
    )
    assert body_of(gone) == {"result": "success"}
    assert spreedly.payment_methods[pm]["storage_state"] == "redacted"


@pytest.mark.usefixtures("spreedly_merchant")
def test_a_declined_verification_keeps_nothing(client: TestClient, spreedly: FakeSpreedly) -> None:
    card, token = guest(client)
    pm = spreedly.tokenize(DECLINED)
    reply = recharge(client, token, card, paymentMethod=method(pm, saveCard=True))
    assert (reply["result"], reply["errorCode"]) == ("failure", "payment.processor_declined")
    assert spreedly.payment_methods[pm]["storage_state"] == "cached"
    assert saved_card(client, token, card)["errorCode"] == "payment.no_saved_credit_card"


@pytest.mark.usefixtures("spreedly_merchant")
def test_automatic_recharge_purchases_with_the_retained_card(
    client: TestClient, spreedly: FakeSpreedly
) -> None:
    card, token = guest(client)
    assert recharge(client, token, card, paymentMethod=method(spreedly.tokenize(VISA)))[
        "result"
    ] == ("success")
    assert enable(client, token, card, paymentMethod=method(spreedly.tokenize(VISA)))["result"] == (
        "success"
    )
    spend(client, card, "12.00")
    assert run_worker(client) == 1
    assert sv_balance(client, card) == "33.00"


def gateway(spreedly: FakeSpreedly) -> SpreedlyGateway:
    return SpreedlyGateway(ENVIRONMENT_KEY, ACCESS_SECRET, GATEWAY, spreedly.url, 5)


def order(token: str, key: str, amount: str = "12.50") -> ChargeRequest:
    return ChargeRequest(amount=Decimal(amount), currency="USD", token=token, idempotency_key=key)


def test_authorize_capture_void_credit_and_lookup(spreedly: FakeSpreedly) -> None:
    gw = gateway(spreedly)

    async def scenario() -> None:
        held = await gw.authorize(order(spreedly.tokenize(VISA), "auth-1"))
        assert held.approved and held.reference
        assert (await gw.capture(held.reference, Decimal("10.00"), "auth-1:capture")).approved
        assert spreedly.transactions[held.reference]["_captured"] == 1000
        twice = await gw.capture(held.reference, Decimal("10.00"), "auth-1:capture-2")
        assert not twice.approved

        other = await gw.authorize(order(spreedly.tokenize(VISA), "auth-2"))
        assert other.reference is not None
        assert (await gw.void(other.reference, "auth-2:void")).approved

        paid = await gw.charge(order(spreedly.tokenize(VISA), "charge-1"))
        assert paid.approved and paid.reference is not None
        back = await gw.refund(paid.reference, Decimal("12.50"), "charge-1:refund")
        assert back.approved and back.reference != paid.reference
        too_much = await gw.refund(paid.reference, Decimal("1.00"), "charge-1:refund-2")
        assert not too_much.approved

        found = await gw.lookup("charge-1")
        assert found is not None and found.approved and found.reference == paid.reference
        assert await gw.lookup("never-sent") is None
        sent = [body for _, path, body in spreedly.requests if path.endswith("capture.json")]
        assert sent[0] == {"transaction": {"amount": 1000, "order_id": "auth-1:capture"}}

    asyncio.run(scenario())


def test_an_unreachable_spreedly_is_an_unknown_outcome() -> None:
    gw = SpreedlyGateway(ENVIRONMENT_KEY, ACCESS_SECRET, GATEWAY, "http://127.0.0.1:9", 2)
    assert asyncio.run(gw.charge(order("tok", "lost"))).outcome is Outcome.TIMEOUT
