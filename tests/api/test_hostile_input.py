"""Input built to break the server gets a clear refusal, never a 500, and moves nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.money import MAX_BALANCE, MAX_QUANTITY
from openpxs.wire.decoding import MAX_OBJECT_MEMBERS
from tests.api.guests import APP
from tests.api.pos import (
    GIFT,
    LOYALTY,
    POS,
    add_redeem,
    add_redeem_body,
    balance,
    call,
    card,
    header,
    ok,
    refused,
    sell,
    sv,
    unchanged,
)


def raw(client: TestClient, operation: str, text: str) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/rest/24.11/transaction/{operation}.json",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
        auth=POS,
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "number",
    ["1e999999", "1e-9999999", "-1E+401", "1" * 101, "0." + "0" * 100 + "1"],
)
def test_numbers_out_of_any_range_are_refused_as_unreadable(
    client: TestClient, number: str
) -> None:
    ok(sell(client, GIFT, "25.00"))
    template = json.dumps(add_redeem_body(GIFT, redeem=sv("1.00")))
    bodies = (
        template.replace('"merchantId": 1000', f'"merchantId": {number}'),
        template.replace('"quantity": "1.00"', f'"quantity": {number}'),
    )
    with unchanged(client, GIFT):
        for body in bodies:
            assert body != template
            status, reply = raw(client, "addRedeem", body)
            assert status == 400, reply
            assert reply["errorCode"] == "transaction.invalid_request"


def test_ordinary_doubles_in_unknown_members_are_ignored(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    body = {
        **add_redeem_body(GIFT, redeem=sv("1.00")),
        "latitude": -4.337781060089554e-118,
        "big": 1.7976931348623157e308,
    }
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "24.00"


def test_tiny_or_huge_quantities_are_refused_quickly(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for quantity in ("1e-300", "1e300", "1E-399"):
            text = json.dumps(add_redeem_body(GIFT, redeem=sv("1.00"))).replace(
                '"quantity": "1.00"', f'"quantity": {quantity}'
            )
            status, reply = raw(client, "addRedeem", text)
            assert status == 200
            assert reply["errorCode"] == "transaction.invalid_quantity", reply


def test_ids_wider_than_their_type_are_invalid_requests(client: TestClient) -> None:
    for operation, body in (
        ("reverse", {"headerInfo": header(programId="PX"), "pxTransactionId": 2**63}),
        ("voidBulkActivateAdd", {"headerInfo": header(), "pxTransactionId": "9" * 30}),
        ("balanceInquiry", {"headerInfo": header(merchantId=2**31), "cardInfo": card(GIFT)}),
    ):
        refused(call(client, operation, body), "transaction.invalid_request")


def test_expiration_on_the_last_day_of_the_calendar_is_refused(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for day in ("9999-12-31",):
            far = sv("1.00", expiration={"date": day, "type": "absolute"})
            reply = call(client, "addRedeem", add_redeem_body(GIFT, add=far))
            refused(reply, "transaction.invalid_request")
            assert "too far ahead" in reply["errorMessage"]


def test_history_accepts_the_ends_of_the_calendar(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    body = {
        "headerInfo": header(),
        "cardInfo": card(GIFT),
        "dateStart": "0001-01-01",
        "dateEnd": "9999-12-31",
    }
    assert len(ok(call(client, "transactionHistory", body))["transactions"]) == 1


def test_nul_characters_are_refused_before_reaching_the_database(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for body in (
            add_redeem_body(GIFT + "\x00", redeem=sv("1.00")),
            add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="P\x00"),
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "extra\x00": 1},
        ):
            reply = refused(call(client, "addRedeem", body), "transaction.invalid_request")
            assert "NUL" in reply["errorMessage"]


def send(
    client: TestClient, path: str, body: dict[str, Any], auth: tuple[str, str] = POS
) -> dict[str, Any]:
    """POST a body as JSON text: json.dumps escapes a lone surrogate as "\\ud800", which
    is how a hostile client spells one (it cannot be sent as UTF-8)."""
    response = client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}, auth=auth
    )
    assert response.status_code < 500, response.text
    reply: dict[str, Any] = response.json()
    return reply


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"inner": value}
    return value


LONE = "\ud800"


def test_lone_surrogates_are_refused_as_invalid_requests(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for body in (
            add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="P" + LONE),
            add_redeem_body(GIFT + LONE, redeem=sv("1.00")),
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "note" + LONE: 1},
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "tags": ["a", "\udc00b"]},
        ):
            reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
            refused(reply, "transaction.invalid_request")
            assert "surrogate" in reply["errorMessage"], reply
    signing_in = {
        "merchantId": 1000,
        "authentication": "anonymous",
        "grant_type": "password",
        "username": "ada" + LONE,
        "password": "x",
    }
    reply = send(client, "/rest/24.11/oauth/requestGuestToken.json", signing_in, APP)
    assert reply["errorCode"] == "oauth.invalid_request", reply


def test_free_form_objects_nested_hundreds_deep_are_refused(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        body = add_redeem_body(GIFT, redeem=sv("1.00"))
        body["headerInfo"]["extra"] = nested(300)
        reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
        refused(reply, "transaction.invalid_request")
        assert "nested more than" in reply["errorMessage"]
    check = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": "1001",
        "cardInfo": {"printedCardNumber": LOYALTY},
        "check": {"number": "1", "businessDate": "2026-11-26", "items": [], "subtotal": "0"},
        "receiptSettings": nested(300),
    }
    reply = send(client, "/rest/24.11/check/postAndAccruePoints.json", check)
    refused(reply, "check.invalid_request")
    # A few levels, as real receipt settings have, are still taken.
    assert "nested" not in send(
        client,
        "/rest/24.11/check/postAndAccruePoints.json",
        {**check, "receiptSettings": nested(5)},
    ).get("errorMessage", "")


def test_objects_with_too_many_members_are_refused(client: TestClient) -> None:
    body = add_redeem_body(GIFT, redeem=sv("1.00"))
    body["headerInfo"]["extra"] = {f"m{i}": i for i in range(MAX_OBJECT_MEMBERS + 1)}
    reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
    refused(reply, "transaction.invalid_request")
    assert "members" in reply["errorMessage"]


def test_a_balance_cannot_be_loaded_past_its_maximum(client: TestClient) -> None:
    largest = f"{MAX_QUANTITY}.00"
    loads = int(MAX_BALANCE / MAX_QUANTITY)
    ok(sell(client, GIFT, largest))
    for _ in range(loads - 1):
        ok(add_redeem(client, GIFT, add=sv(largest)))
    assert Decimal(ok(balance(client, GIFT))["svCurrentBalance"]) == MAX_BALANCE
    with unchanged(client, GIFT):
        for _ in range(3):
            reply = call(client, "addRedeem", add_redeem_body(GIFT, add=sv("0.01")))
            refused(reply, "transaction.amount_out_of_range")
            assert "1,000,000,000,000" in reply["errorMessage"]
    # The card goes on working: spending, then loading what was spent.
    ok(add_redeem(client, GIFT, redeem=sv("10.00")))
    ok(add_redeem(client, GIFT, add=sv("10.00")))
    assert Decimal(ok(balance(client, GIFT))["svCurrentBalance"]) == MAX_BALANCE
