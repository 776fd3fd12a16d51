"""Auto recharge threshold monitoring: the server watches, raises one pending event per
crossing, and charges nothing; a recharge or disabling settles the event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.processors.builtin import BuiltinTestProcessor
from tests.api.guests import POS, as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.test_auto_recharge import spend, status
from tests.api.test_payment import counts, guest, recharge, sv_balance


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def enable(client: TestClient, token: str, card: str, **body: Any) -> dict[str, Any]:
    request = {"printedCardNumber": card, "thresholdAmount": "10.00", "amount": "25.00", **body}
    return body_of(
        gpost(client, "payment", "enableAutoRechargeMonitoring", as_guest(token, **request))
    )


def disable(client: TestClient, token: str, card: str) -> dict[str, Any]:
    request = as_guest(token, printedCardNumber=card)
    return body_of(gpost(client, "payment", "disableAutoRechargeMonitoring", request))


def pending(client: TestClient, token: str, card: str) -> list[dict[str, Any]]:
    request = as_guest(token, printedCardNumber=card)
    reply = body_of(gget(client, "payment", "pendingMonitoredAutoRechargeEvents", request))
    assert reply["result"] == "success", reply
    events: list[dict[str, Any]] = reply["events"]
    return events


def test_a_crossing_raises_one_event_that_a_recharge_settles(client: TestClient) -> None:
    card, token = guest(client)
    assert recharge(client, token, card)["result"] == "success"  # $20
    assert enable(client, token, card) == {"result": "success"}
    assert status(client, token, card)["thresholdMonitoringEnabled"] is True
    assert pending(client, token, card) == []
    attempts_before = counts(client)[0]

    spend(client, card, "12.00")  # 20 -> 8: below 10
    spend(client, card, "1.00")  # still below: the same event
    events = pending(client, token, card)
    assert len(events) == 1
    event = events[0]
    assert (event["printedCardNumber"], event["balance"], event["thresholdAmount"]) == (
        card,
        "8.00",
        "10.00",
    )
    assert event["amount"] == "25.00" and event["eventDatetime"]
    assert counts(client)[0] == attempts_before  # nothing was charged
    assert sv_balance(client, card) == "7.00"

    everyone = body_of(
        gget(client, "payment", "pendingMonitoredAutoRechargeEvents", b2b(), auth=POS)
    )
    assert [e["eventId"] for e in everyone["events"]] == [event["eventId"]]

    assert recharge(client, token, card, amount="25.00")["result"] == "success"
    assert pending(client, token, card) == []
    spend(client, card, "25.00")  # 32 -> 7: a new crossing, a new event
    again = pending(client, token, card)
    assert len(again) == 1 and again[0]["eventId"] != event["eventId"]

    assert disable(client, token, card) == {"result": "success"}
    assert pending(client, token, card) == []
    assert status(client, token, card)["thresholdMonitoringEnabled"] is False
    spend(client, card, "1.00")
    assert pending(client, token, card) == []  # no longer watched
    twice = disable(client, token, card)
    assert (twice["result"], twice["errorCode"]) == ("failure", "payment.monitoring_not_enabled")


def test_a_declined_recharge_leaves_the_event_pending(client: TestClient) -> None:
    card, token = guest(client)
    assert recharge(client, token, card)["result"] == "success"
    assert enable(client, token, card)["result"] == "success"
    spend(client, card, "15.00")
    declined = recharge(client, token, card, paymentMethod={"type": "CC", "token": "tok_decline"})
    assert declined["errorCode"] == "payment.processor_declined"
    assert len(pending(client, token, card)) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"thresholdAmount": "500.00"}, "payment.amount_out_of_range"),
        ({"amount": "1000.00"}, "payment.amount_out_of_range"),
        ({"amount": None}, "payment.invalid_amount"),
        ({"thresholdAmount": "ten"}, "payment.invalid_amount"),
        ({"printedCardNumber": "7000000000000999"}, "payment.invalid_card"),
    ],
)
def test_enabling_refuses_what_automatic_recharge_refuses(
    client: TestClient, body: dict[str, Any], code: str
) -> None:
    card, token = guest(client)
    reply = enable(client, token, card, **body)
    assert reply["errorCode"] == code, reply
    assert status(client, token, card)["thresholdMonitoringEnabled"] is False


def test_another_guests_card_is_not_reachable(client: TestClient) -> None:
    card, token = guest(client)
    assert enable(client, token, card)["result"] == "success"
    stranger = enroll(client, "bob")["oauthTokens"]["access_token"]
    for reply in (
        enable(client, stranger, card),
        disable(client, stranger, card),
        body_of(
            gget(
                client,
                "payment",
                "pendingMonitoredAutoRechargeEvents",
                as_guest(stranger, printedCardNumber=card),
            )
        ),
    ):
        assert reply["errorCode"] == "payment.invalid_card", reply
    assert status(client, token, card)["thresholdMonitoringEnabled"] is True
