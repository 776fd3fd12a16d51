"""Input built to break the server gets a clear refusal, never a 500, and moves nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.pos import (
    GIFT,
    POS,
    add_redeem_body,
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
