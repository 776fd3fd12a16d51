"""Payment methods kept on a card's account, as an app calls them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.processors.builtin import BuiltinTestProcessor
from tests.api.guests import as_guest, body_of, gget, gpost
from tests.api.test_payment import ADDRESS, cc, guest


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def add(client: TestClient, token: str, card: str, **body: Any) -> dict[str, Any]:
    request = {"printedCardNumber": card, "paymentMethod": cc(), "address": ADDRESS, **body}
    return body_of(gpost(client, "payment", "addPaymentMethod", as_guest(token, **request)))


def listed(client: TestClient, token: str, card: str) -> list[dict[str, Any]]:
    reply = body_of(
        gget(client, "payment", "savedPaymentMethods", as_guest(token, printedCardNumber=card))
    )
    assert reply["result"] == "success", reply
    methods: list[dict[str, Any]] = reply["paymentMethods"]
    return methods


def test_methods_are_added_listed_moved_and_deleted(client: TestClient) -> None:
    card, token = guest(client)
    assert listed(client, token, card) == []
    visa = add(client, token, card, usages=["RECHARGE", "AUTO_RECHARGE"])["paymentMethod"]
    assert (visa["type"], visa["cardType"], visa["lastFour"]) == ("CREDIT_CARD", "VISA", "4242")
    assert visa["usages"] == ["RECHARGE", "AUTO_RECHARGE"] and "pm_" not in str(visa)
    amex = add(client, token, card, paymentMethod=cc("tok_amex"), usages=["recharge"])
    amex = amex["paymentMethod"]
    # RECHARGE moved to the new method.
    by_id = {m["paymentMethodId"]: m["usages"] for m in listed(client, token, card)}
    assert by_id == {
        visa["paymentMethodId"]: ["AUTO_RECHARGE"],
        amex["paymentMethodId"]: ["RECHARGE"],
    }

    one = body_of(
        gget(
            client,
            "payment",
            "savedPaymentMethod",
            as_guest(token, printedCardNumber=card, usage="AUTO_RECHARGE"),
        )
    )
    assert one["paymentMethod"]["paymentMethodId"] == visa["paymentMethodId"]

    edited = body_of(
        gpost(
            client,
            "payment",
            "editPaymentMethodUsages",
            as_guest(
                token,
                printedCardNumber=card,
                paymentMethodId=visa["paymentMethodId"],
                usages=["RECHARGE", "SALE"],
            ),
        )
    )
    assert edited["paymentMethod"]["usages"] == ["RECHARGE", "SALE"]
    by_id = {m["paymentMethodId"]: m["usages"] for m in listed(client, token, card)}
    assert by_id[amex["paymentMethodId"]] == []

    gone = body_of(
        gpost(
            client,
            "payment",
            "deletePaymentMethod",
            as_guest(token, printedCardNumber=card, paymentMethodId=amex["paymentMethodId"]),
        )
    )
    assert gone == {"result": "success"}
    assert [m["paymentMethodId"] for m in listed(client, token, card)] == [visa["paymentMethodId"]]
    again = body_of(
        gpost(
            client,
            "payment",
            "deletePaymentMethod",
            as_guest(token, printedCardNumber=card, paymentMethodId=amex["paymentMethodId"]),
        )
    )
    assert again["errorCode"] == "payment.payment_method_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"usages": ["GROCERIES"]}, "payment.invalid_usage"),
        ({"paymentMethod": {"type": "CC"}}, "payment.invalid_payment_method"),
        ({"paymentMethod": cc("4111111111111111")}, "payment.invalid_payment_method"),
        ({"address": None}, "payment.address_required"),
        ({"paymentMethod": cc("tok_decline")}, "payment.processor_declined"),
        ({"paymentMethod": cc("tok_processor_error")}, "payment.processor_error"),
    ],
)
def test_refused_methods_keep_nothing(client: TestClient, body: dict[str, Any], code: str) -> None:
    card, token = guest(client)
    reply = add(client, token, card, **body)
    assert reply["errorCode"] == code, reply
    assert listed(client, token, card) == []


def test_an_unverified_email_cannot_add_a_method(client: TestClient) -> None:
    card, token = guest(client, verified=False)
    assert add(client, token, card)["errorCode"] == "payment.email_not_verified"


def test_unknown_methods_and_usages(client: TestClient) -> None:
    card, token = guest(client)
    for params in ({"paymentMethodId": "999"}, {"usage": "SALE"}, {}):
        reply = body_of(
            gget(
                client,
                "payment",
                "savedPaymentMethod",
                as_guest(token, printedCardNumber=card, **params),
            )
        )
        assert reply["errorCode"] == "payment.payment_method_not_found", reply
    reply = body_of(
        gpost(
            client,
            "payment",
            "editPaymentMethodUsages",
            as_guest(token, printedCardNumber=card, paymentMethodId="999", usages=[]),
        )
    )
    assert reply["errorCode"] == "payment.payment_method_not_found"
