"""The POS session of the issue, end to end, and input refusals common to every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    LOYALTY2,
    POS2,
    activate,
    add_redeem,
    add_redeem_body,
    balance,
    call,
    card,
    header,
    history,
    ok,
    refused,
    sell,
    sell_body,
    sv,
    unchanged,
    user_error,
    wallets,
)

BATCH = [f"6000000000000{n:03d}" for n in range(300, 400)]


def test_pos_session(client: TestClient) -> None:
    # Sell a $25 gift card, then try to sell it again.
    sold = ok(sell(client, GIFT, "25.00", pos_id="1001"))
    assert sold["addWalletContents"][0]["quantity"] == "25.00"
    user_error(sell(client, GIFT, "25.00", pos_id="1002"), "transaction.card_already_active")
    assert ok(balance(client, GIFT))["svCurrentBalance"] == "25.00"

    # Redeem $10, replay it, change it, overspend.
    redeemed = ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="1003"))
    assert redeemed["svCurrentBalance"] == "15.00"
    assert add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="1003") == redeemed
    refused(
        add_redeem(client, GIFT, redeem=sv("12.00"), pos_id="1003"),
        "transaction.duplicate_transaction",
    )
    with unchanged(client, GIFT):
        user_error(
            add_redeem(client, GIFT, redeem=sv("15.01"), pos_id="1004"),
            "transaction.insufficient_balance",
        )
    assert balance(client, GIFT)["svCurrentBalance"] == "15.00"

    # Void the redeem.
    voided = ok(
        call(client, "voidAddRedeem", add_redeem_body(GIFT, redeem=sv("10.00"), pos_id="1003"))
    )
    assert voided["svCurrentBalance"] == "25.00"

    # Reverse another sale by its pxTransactionId; sell that card again.
    second = ok(sell(client, GIFT2, "50.00", pos_id="1005"))
    reverse = {"headerInfo": header(programId="PX"), "pxTransactionId": second["pxTransactionId"]}
    ok(call(client, "reverse", reverse))
    user_error(balance(client, GIFT2), "transaction.card_not_active")
    refused(call(client, "reverse", reverse), "transaction.already_voided")
    assert ok(sell(client, GIFT2, "20.00", pos_id="1006"))["svCurrentBalance"] == "20.00"

    # Bulk-sell 100 cards; a batch with one bad card sells nothing and names it.
    bulk = {
        "headerInfo": header(posTransactionId="1007"),
        "cardInfos": [card(n) for n in BATCH],
        "addWalletContents": sv("10.00"),
    }
    batch = ok(call(client, "bulkActivateAdd", bulk))
    assert len(batch["cardResults"]) == 100
    bad = {
        "headerInfo": header(posTransactionId="1008"),
        "cardInfos": [card("6000000000000500"), card(GIFT), card("6000000000000501")],
        "addWalletContents": sv("10.00"),
    }
    with unchanged(client, "6000000000000500", GIFT):
        failed = user_error(call(client, "bulkActivateAdd", bad), "transaction.card_already_active")
    assert [r["printedCardNumber"] for r in failed["cardResults"]] == [GIFT]
    ok(
        call(
            client,
            "voidBulkActivateAdd",
            {"headerInfo": header(), "pxTransactionId": batch["pxTransactionId"]},
        )
    )
    user_error(balance(client, BATCH[50]), "transaction.card_not_active")

    # Exchange a loyalty card: balances and history follow the account.
    ok(activate(client, LOYALTY, pos_id="1009"))
    ok(
        add_redeem(
            client, LOYALTY, add=sv("40", wallet=2) + sv("1", wallet=3), program="LP", pos_id="1010"
        )
    )
    ok(
        call(
            client,
            "exchange",
            {
                "headerInfo": header(programId="PX", posTransactionId="1011"),
                "cardInfo": card(LOYALTY),
                "newCardInfo": card(LOYALTY2),
            },
        )
    )
    user_error(balance(client, LOYALTY), "transaction.card_not_active")
    assert wallets(balance(client, LOYALTY2)) == {1: "0.00", 2: "40", 3: "1", 4: "0"}
    moved = history(client, LOYALTY2)["transactions"]
    assert [e["posTransactionNumber"] for e in moved] == ["1011", "1010", "1009"]

    # The gift card's own history, newest first.
    entries = history(client, GIFT)["transactions"]
    assert [e["transactionType"] for e in entries] == ["voidAddRedeem", "addRedeem", "activateAdd"]
    assert [d["balance"] for e in entries for d in e["details"]] == ["25.00", "15.00", "25.00"]
    limited = history(client, GIFT, maxNumberOfResults=1, limitToBalanceAffectingTransactions=True)[
        "transactions"
    ]
    assert [e["transactionType"] for e in limited] == ["voidAddRedeem"]

    # The map the POS uses instead of hard-coded wallet codes.
    codes = [
        w["walletCode"]
        for w in ok(call(client, "loadMap", {"headerInfo": header(programId="PX")}))["wallets"]
    ]
    assert codes == [1, 2, 3, 4]


# One valid request per endpoint, to break one piece at a time.
def requests() -> dict[str, dict[str, Any]]:
    return {
        "activate": {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY2)},
        "voidActivate": {
            "headerInfo": header(programId="LP", posTransactionId="A"),
            "cardInfo": card(LOYALTY),
        },
        "balanceInquiry": {"headerInfo": header(), "cardInfo": card(GIFT)},
        "identifyCustomer": {"headerInfo": header(), "cardInfo": card(GIFT)},
        "addRedeem": add_redeem_body(GIFT, redeem=sv("1.00")),
        "voidAddRedeem": add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="R"),
        "activateAdd": sell_body(GIFT2),
        "voidActivateAdd": sell_body(GIFT, pos_id="S"),
        "bulkActivateAdd": {
            "headerInfo": header(),
            "cardInfos": [card(GIFT2)],
            "addWalletContents": sv("5.00"),
        },
        "voidBulkActivateAdd": {"headerInfo": header(), "pxTransactionId": 1},
        "accountQuery": {"headerInfo": header(), "accountQueries": [{"phone": "555"}]},
        "checkinsQuery": {"headerInfo": header()},
        "transactionHistory": {"headerInfo": header(), "cardInfo": card(GIFT)},
        "exchange": {
            "headerInfo": header(programId="PX"),
            "cardInfo": card(LOYALTY),
            "newCardInfo": card(LOYALTY2),
        },
        "loadMap": {"headerInfo": header(programId="PX")},
        "reverse": {"headerInfo": header(programId="PX"), "pxTransactionId": 1},
    }


ENDPOINTS = sorted(requests())


@pytest.fixture
def busy(client: TestClient) -> TestClient:
    """A gift card sold under posTransactionId S and redeemed under R, a loyalty card
    activated under A."""
    ok(sell(client, GIFT, "25.00", pos_id="S"))
    ok(add_redeem(client, GIFT, redeem=sv("1.00"), pos_id="R"))
    ok(activate(client, LOYALTY, pos_id="A"))
    return client


@pytest.mark.parametrize("operation", ENDPOINTS)
def test_missing_header_info(busy: TestClient, operation: str) -> None:
    body = requests()[operation]
    del body["headerInfo"]
    with unchanged(busy, GIFT, GIFT2, LOYALTY):
        reply = refused(call(busy, operation, body), "transaction.invalid_request")
    assert "headerInfo" in reply["errorMessage"]


@pytest.mark.parametrize("operation", ENDPOINTS)
def test_unknown_store(busy: TestClient, operation: str) -> None:
    body = requests()[operation]
    body["headerInfo"]["storeCode"] = "0000"
    with unchanged(busy, GIFT, GIFT2, LOYALTY):
        refused(call(busy, operation, body), "transaction.invalid_store")


@pytest.mark.parametrize("operation", [*ENDPOINTS, "status"])
def test_other_merchants_credentials(busy: TestClient, operation: str) -> None:
    body = requests().get(operation, {"headerInfo": header()})
    with unchanged(busy, GIFT, GIFT2, LOYALTY):
        refused(call(busy, operation, body, auth=POS2), "transaction.invalid_merchant")


@pytest.mark.parametrize("operation", ENDPOINTS)
def test_bad_program_id(busy: TestClient, operation: str) -> None:
    body = requests()[operation]
    body["headerInfo"]["programId"] = "GIFT"
    with unchanged(busy, GIFT, GIFT2, LOYALTY):
        refused(call(busy, operation, body), "transaction.invalid_request")


@pytest.mark.parametrize("operation", ENDPOINTS)
def test_each_request_is_valid_as_written(busy: TestClient, operation: str) -> None:
    reply = call(busy, operation, requests()[operation])
    assert reply.get("errorCode") not in (
        "transaction.invalid_request",
        "transaction.invalid_store",
        "transaction.invalid_merchant",
    ), reply
