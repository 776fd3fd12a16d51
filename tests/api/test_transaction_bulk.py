"""bulkActivateAdd and voidBulkActivateAdd: selling many gift cards at once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.pos import (
    GIFT,
    OTHER_MERCHANT_GIFT,
    UNKNOWN_CARD,
    add_redeem,
    balance,
    call,
    card,
    header,
    ok,
    refused,
    sell,
    sv,
    unchanged,
    user_error,
)

HUNDRED = [f"60000000000001{n:02d}" for n in range(100)]  # ...0100 to ...0199


def bulk_body(
    numbers: list[str], amount: str = "25.00", pos_id: str | None = None
) -> dict[str, Any]:
    return {
        "authentication": "b2b",
        "headerInfo": header(posTransactionId=pos_id),
        "cardInfos": [card(n) for n in numbers],
        "addWalletContents": sv(amount),
    }


def void_bulk(client: TestClient, px: object, **h: Any) -> dict[str, Any]:
    return call(client, "voidBulkActivateAdd", {"headerInfo": header(**h), "pxTransactionId": px})


def test_bulk_sale_of_a_hundred_cards(client: TestClient) -> None:
    sold = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED, "25.00")))
    assert isinstance(sold["pxTransactionId"], int)
    assert [r["printedCardNumber"] for r in sold["cardResults"]] == HUNDRED
    assert {r["result"] for r in sold["cardResults"]} == {"authorizedSuccess"}
    for number in (HUNDRED[0], HUNDRED[57], HUNDRED[-1]):
        assert ok(balance(client, number))["svCurrentBalance"] == "25.00"
    user_error(balance(client, "6000000000000200"), "transaction.card_not_active")


def test_one_bad_card_refuses_the_whole_batch(client: TestClient) -> None:
    ok(sell(client, HUNDRED[42]))
    with unchanged(client, HUNDRED[0], HUNDRED[42], HUNDRED[99]):
        reply = user_error(
            call(client, "bulkActivateAdd", bulk_body(HUNDRED)), "transaction.card_already_active"
        )
        assert "pxTransactionId" not in reply
        assert reply["cardResults"] == [
            {
                "printedCardNumber": HUNDRED[42],
                "result": "userDataError",
                "errorCode": "transaction.card_already_active",
                "errorMessage": "Card is already active",
            }
        ]
        unknown = user_error(
            call(
                client,
                "bulkActivateAdd",
                bulk_body([HUNDRED[0], UNKNOWN_CARD, OTHER_MERCHANT_GIFT]),
            ),
            "transaction.card_not_found",
        )
        assert [(r["printedCardNumber"], r["errorCode"]) for r in unknown["cardResults"]] == [
            (UNKNOWN_CARD, "transaction.card_not_found"),
            (OTHER_MERCHANT_GIFT, "transaction.card_not_found"),
        ]
    user_error(balance(client, HUNDRED[0]), "transaction.card_not_active")


def test_bulk_input_refusals(client: TestClient) -> None:
    with unchanged(client, HUNDRED[0]):
        refused(call(client, "bulkActivateAdd", bulk_body([])), "transaction.invalid_request")
        refused(
            call(client, "bulkActivateAdd", bulk_body([HUNDRED[0], HUNDRED[0]])),
            "transaction.invalid_request",
        )
        refused(
            call(client, "bulkActivateAdd", bulk_body(HUNDRED[:3], "0")),
            "transaction.invalid_quantity",
        )
        wrong_wallet = bulk_body(HUNDRED[:3])
        wrong_wallet["addWalletContents"] = sv("5", wallet=2)
        refused(call(client, "bulkActivateAdd", wrong_wallet), "transaction.invalid_wallet_code")
        no_contents = bulk_body(HUNDRED[:3])
        del no_contents["addWalletContents"]
        refused(call(client, "bulkActivateAdd", no_contents), "transaction.invalid_request")


def test_bulk_sale_retry_replays(client: TestClient) -> None:
    first = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:5], pos_id="B-1")))
    with unchanged(client, HUNDRED[0]):
        assert call(client, "bulkActivateAdd", bulk_body(HUNDRED[:5], pos_id="B-1")) == first
        refused(
            call(client, "bulkActivateAdd", bulk_body(HUNDRED[:6], pos_id="B-1")),
            "transaction.duplicate_transaction",
        )


def test_void_bulk_sale(client: TestClient) -> None:
    sold = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:10])))
    voided = ok(void_bulk(client, sold["pxTransactionId"]))
    assert isinstance(voided["pxTransactionId"], int)
    assert voided["pxTransactionId"] != sold["pxTransactionId"]
    for number in HUNDRED[:10]:
        user_error(balance(client, number), "transaction.card_not_active")
    with unchanged(client, HUNDRED[0]):
        refused(void_bulk(client, sold["pxTransactionId"]), "transaction.already_voided")
    # Every card can be sold again.
    ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:10], "5.00")))
    assert balance(client, HUNDRED[9])["svCurrentBalance"] == "5.00"


def test_void_bulk_refusals(client: TestClient) -> None:
    sold = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:3])))
    single = ok(sell(client, GIFT))
    ok(add_redeem(client, HUNDRED[1], redeem=sv("1.00")))
    with unchanged(client, HUNDRED[0], HUNDRED[1], GIFT):
        refused(void_bulk(client, 999_999_999), "transaction.transaction_not_found")
        refused(void_bulk(client, single["pxTransactionId"]), "transaction.transaction_not_found")
        refused(void_bulk(client, "x"), "transaction.invalid_request")
        user_error(void_bulk(client, sold["pxTransactionId"]), "transaction.insufficient_balance")


def test_void_bulk_is_refused_once_a_card_was_used(client: TestClient) -> None:
    sold = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:3])))
    ok(add_redeem(client, HUNDRED[2], add=sv("1.00")))
    with unchanged(client, HUNDRED[0], HUNDRED[2]):
        user_error(
            void_bulk(client, sold["pxTransactionId"]), "transaction.card_not_in_required_state"
        )


def test_void_bulk_of_another_merchant_is_not_found(client: TestClient) -> None:
    sold = ok(call(client, "bulkActivateAdd", bulk_body(HUNDRED[:2])))
    other = call(
        client,
        "voidBulkActivateAdd",
        {
            "headerInfo": header(merchantId=2000, storeCode="corp"),
            "pxTransactionId": sold["pxTransactionId"],
        },
        auth=("demo2-pos", "demo2-pos-secret"),
    )
    refused(other, "transaction.transaction_not_found")
    ok(balance(client, HUNDRED[0]))
