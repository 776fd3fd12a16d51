"""The Gift Service as a POS or partner calls it: sell, reload, balance, redeem, reverse."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import transactions
from tests.api.guest_state import audit_clean
from tests.api.pos import (
    GIFT,
    OTHER_MERCHANT_GIFT,
    POS,
    UNKNOWN_CARD,
    balance,
    run_db,
    unchanged,
    wallets,
)
from tests.program_config import demo_program

SECOND = "6000000000000002"


def gift(client: TestClient, operation: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/rest/24.11/gift/{operation}.json",
        json={"authentication": "b2b", "merchantId": 1000, "storeCode": "1001", **body},
        auth=POS,
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def card(number: str = GIFT) -> dict[str, Any]:
    return {"printedCardNumber": number}


def refused(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"]


def sold(client: TestClient, number: str = GIFT, amount: str = "25.00", **extra: Any) -> Any:
    return gift(client, "sell", cardInfo=card(number), amount=amount, **extra)


def test_sell_activates_and_loads_the_card(client: TestClient) -> None:
    reply = sold(
        client, checkNumber="4711", cashier="Jo", terminalId="T9", externalTransactionId="e1"
    )
    assert reply["result"] == "success", reply
    assert (reply["printedCardNumber"], reply["currentBalance"]) == (GIFT, "25.00")
    assert isinstance(reply["pxTransactionId"], int)
    assert wallets(balance(client, GIFT)) == {1: "25.00"}

    async def recorded(conn: Any) -> Any:
        return (
            await conn.execute(
                select(transactions).where(transactions.c.id == reply["pxTransactionId"])
            )
        ).one()

    row = run_db(client, recorded)
    assert (row.store_code, row.operator_id, row.terminal_id, row.pos_transaction_id) == (
        "1001",
        "Jo",
        "T9",
        "e1",
    )
    assert "check 4711" in row.comment
    refused(sold(client), "gift.card_already_active")
    audit_clean(client)


def test_reload_balance_redeem(client: TestClient) -> None:
    sold(client)
    reloaded = gift(client, "reload", cardInfo=card(), amount="10.50")
    assert reloaded["currentBalance"] == "35.50"
    assert gift(client, "balance", cardInfo=card())["currentBalance"] == "35.50"
    spent = gift(client, "redeem", cardInfo=card(), amount="20.00", tip="3.00")
    assert (spent["result"], spent["currentBalance"]) == ("success", "12.50")
    with unchanged(client, GIFT):
        refused(
            gift(client, "redeem", cardInfo=card(), amount="12.00", tip="1.00"),
            "gift.insufficient_balance",
        )
    assert wallets(balance(client, GIFT)) == {1: "12.50"}
    audit_clean(client)


@pytest.mark.parametrize(
    ("operation", "body", "code"),
    [
        ("reload", {"cardInfo": card(SECOND), "amount": "5.00"}, "gift.card_not_active"),
        ("redeem", {"cardInfo": card(SECOND), "amount": "5.00"}, "gift.card_not_active"),
        ("balance", {"cardInfo": card(SECOND)}, "gift.card_not_active"),
        ("sell", {"cardInfo": card(UNKNOWN_CARD), "amount": "5.00"}, "gift.invalid_card"),
        ("sell", {"cardInfo": card(OTHER_MERCHANT_GIFT), "amount": "5.00"}, "gift.invalid_card"),
        (
            "sell",
            {"cardInfo": {"printedCardNumber": SECOND, "cardRegCode": "9999"}, "amount": "5"},
            "gift.invalid_card",
        ),
        ("sell", {"cardInfo": card(SECOND), "amount": "-5"}, "gift.invalid_amount"),
        ("sell", {"cardInfo": card(SECOND), "amount": "1.234"}, "gift.invalid_amount"),
        ("sell", {"cardInfo": card(SECOND), "amount": "lots"}, "gift.invalid_amount"),
        ("sell", {"cardInfo": card(SECOND)}, "gift.invalid_amount"),
        ("sell", {"cardInfo": card(SECOND), "amount": "5", "storeCode": "9"}, "gift.invalid_store"),
        (
            "sell",
            {"cardInfo": card(SECOND), "amount": "5", "checkNumber": "9" * 256},
            "gift.field_too_long",
        ),
        (
            "sell",
            {"cardInfo": card(SECOND), "amount": "5", "cashier": "c" * 101},
            "gift.field_too_long",
        ),
        (
            "sell",
            {"cardInfo": card(SECOND), "amount": "5", "externalTransactionId": "x" * 129},
            "gift.field_too_long",
        ),
        ("reverse", {"externalTransactionId": "never-sent"}, "gift.transaction_not_found"),
    ],
)
def test_refusals_change_nothing(
    client: TestClient, operation: str, body: dict[str, Any], code: str
) -> None:
    with unchanged(client, GIFT, SECOND):
        refused(gift(client, operation, **body), code)


def test_a_retried_call_loads_once(client: TestClient) -> None:
    first = sold(client, externalTransactionId="sale-1")
    again = sold(client, externalTransactionId="sale-1")
    assert again == first
    load = gift(client, "reload", cardInfo=card(), amount="5.00", externalTransactionId="r-1")
    assert (
        gift(client, "reload", cardInfo=card(), amount="5.00", externalTransactionId="r-1") == load
    )
    assert wallets(balance(client, GIFT)) == {1: "30.00"}
    # The same id with another request is not a retry.
    other = gift(client, "reload", cardInfo=card(), amount="6.00", externalTransactionId="r-1")
    refused(other, "gift.duplicate_transaction")
    assert wallets(balance(client, GIFT)) == {1: "30.00"}


def test_reverse_undoes_each_kind_once(client: TestClient) -> None:
    sold(client, externalTransactionId="s")
    gift(client, "reload", cardInfo=card(), amount="10.00", externalTransactionId="l")
    gift(client, "redeem", cardInfo=card(), amount="4.00", externalTransactionId="d")
    assert wallets(balance(client, GIFT)) == {1: "31.00"}

    back = gift(client, "reverse", externalTransactionId="d")
    assert (back["result"], back["printedCardNumber"]) == ("success", GIFT)
    assert wallets(balance(client, GIFT)) == {1: "35.00"}
    assert gift(client, "reverse", externalTransactionId="d") == back  # a retry
    gift(client, "reverse", externalTransactionId="l")
    assert wallets(balance(client, GIFT)) == {1: "25.00"}
    gift(client, "reverse", externalTransactionId="s")
    refused(gift(client, "balance", cardInfo=card()), "gift.card_not_active")
    # Sold again under a fresh id, the card can be sold and reversed anew.
    assert sold(client, externalTransactionId="s2")["result"] == "success"
    audit_clean(client)


def test_reversing_a_spent_reload_is_refused(client: TestClient) -> None:
    sold(client, amount="5.00", externalTransactionId="s")
    gift(client, "reload", cardInfo=card(), amount="10.00", externalTransactionId="l")
    gift(client, "redeem", cardInfo=card(), amount="12.00", externalTransactionId="d")
    with unchanged(client, GIFT):
        refused(gift(client, "reverse", externalTransactionId="l"), "gift.insufficient_balance")


def test_a_reversal_only_finds_the_callers_own_transactions(client: TestClient) -> None:
    sold(client, externalTransactionId="mine")
    elsewhere = gift(client, "reverse", externalTransactionId="mine", storeCode="1002")
    refused(elsewhere, "gift.transaction_not_found")


def test_the_merchants_largest_balance_is_kept(client: TestClient) -> None:
    def cap(data: dict[str, Any]) -> None:
        data["payments"]["max_card_balance"] = "100.00"

    with demo_program(client, cap):
        sold(client, amount="60.00")
        with unchanged(client, GIFT):
            refused(
                gift(client, "reload", cardInfo=card(), amount="40.01"), "gift.max_balance_exceeded"
            )
        assert gift(client, "reload", cardInfo=card(), amount="40.00")["currentBalance"] == "100.00"
        with unchanged(client, SECOND):
            refused(sold(client, SECOND, amount="100.01"), "gift.max_balance_exceeded")
