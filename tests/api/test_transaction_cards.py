"""Activation, gift card sales, their voids, balance inquiry and identifyCustomer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    LOYALTY2,
    OTHER_MERCHANT_GIFT,
    UNKNOWN_CARD,
    activate,
    add_redeem,
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


def test_sell_gift_card_loads_value_and_echoes_contents(client: TestClient) -> None:
    sold = ok(sell(client, GIFT, "25.00"))
    assert sold["addWalletContents"] == [{"walletCode": 1, "quantity": "25.00"}]
    assert sold["svCurrentBalance"] == "25.00"
    assert sold["printedCardNumber"] == GIFT
    assert isinstance(sold["pxTransactionId"], int)
    assert wallets(sold) == {1: "25.00"}
    assert ok(balance(client, GIFT))["svCurrentBalance"] == "25.00"


def test_selling_an_active_card_again_is_refused_and_moves_nothing(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        user_error(sell(client, GIFT, "25.00"), "transaction.card_already_active")
    assert balance(client, GIFT)["svCurrentBalance"] == "25.00"


def test_sell_refusals(client: TestClient) -> None:
    with unchanged(client, GIFT):
        wrong_code = sell_body(GIFT)
        wrong_code["cardInfo"]["cardRegCode"] = "9999"
        user_error(call(client, "activateAdd", wrong_code), "transaction.invalid_registration_code")
        user_error(sell(client, UNKNOWN_CARD), "transaction.card_not_found")
        user_error(sell(client, OTHER_MERCHANT_GIFT), "transaction.card_not_found")
        refused(sell(client, GIFT, "0.00"), "transaction.invalid_quantity")
        refused(sell(client, GIFT, "-5"), "transaction.invalid_quantity")
        points_on_gift = sell_body(GIFT)
        points_on_gift["addWalletContents"] = sv("10", wallet=2)
        refused(call(client, "activateAdd", points_on_gift), "transaction.invalid_wallet_code")
        empty = sell_body(GIFT)
        empty["addWalletContents"] = []
        refused(call(client, "activateAdd", empty), "transaction.invalid_request")


def test_sell_exchanged_card_is_not_in_required_state(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    exchange = {
        "headerInfo": header(programId="PX"),
        "cardInfo": card(LOYALTY),
        "newCardInfo": card(LOYALTY2),
    }
    ok(call(client, "exchange", exchange))
    body = sell_body(LOYALTY)
    user_error(call(client, "activateAdd", body), "transaction.card_not_in_required_state")
    user_error(activate(client, LOYALTY), "transaction.card_not_in_required_state")


def test_void_gift_card_sale_returns_card_to_inactive(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00", pos_id="S-1"))
    body = sell_body(GIFT, "25.00", pos_id="S-1")
    voided = ok(call(client, "voidActivateAdd", body))
    assert voided["addWalletContents"] == [{"walletCode": 1, "quantity": "25.00"}]
    user_error(balance(client, GIFT), "transaction.card_not_active")
    # The POS may sell the card again under a new check number.
    assert ok(sell(client, GIFT, "10.00", pos_id="S-2"))["svCurrentBalance"] == "10.00"


def test_void_sale_refusals(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00", pos_id="S-1"))
    with unchanged(client, GIFT):
        refused(
            call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="S-9")),
            "transaction.transaction_not_found",
        )
        refused(
            call(client, "voidActivateAdd", sell_body(GIFT, "20.00", pos_id="S-1")),
            "transaction.transaction_not_found",
        )
        refused(
            call(client, "voidActivateAdd", sell_body(GIFT, "25.00")), "transaction.invalid_request"
        )
        user_error(
            call(client, "voidActivateAdd", sell_body(UNKNOWN_CARD, pos_id="S-1")),
            "transaction.card_not_found",
        )
    ok(add_redeem(client, GIFT, redeem=sv("5.00")))
    with unchanged(client, GIFT):
        user_error(
            call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="S-1")),
            "transaction.insufficient_balance",
        )


def test_void_sale_twice_from_another_terminal_is_already_voided(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00", pos_id="S-1"))
    first = ok(call(client, "voidActivateAdd", sell_body(GIFT, pos_id="S-1")))
    # The same request again is a retry: the first reply, nothing moved.
    assert call(client, "voidActivateAdd", sell_body(GIFT, pos_id="S-1")) == first
    with unchanged(client, GIFT):
        again = sell_body(GIFT, pos_id="S-1", terminalId="2")
        refused(call(client, "voidActivateAdd", again), "transaction.already_voided")


def test_activate_loyalty_card_opens_empty_wallets(client: TestClient) -> None:
    activated = ok(activate(client, LOYALTY))
    assert isinstance(activated["pxTransactionId"], int)
    assert wallets(activated) == {1: "0.00", 2: "0", 3: "0", 4: "0"}
    assert activated["svCurrentBalance"] == "0.00"
    assert activated["maskedCardNumber"] == "000001"  # as the Guest Service shows it
    assert wallets(ok(balance(client, LOYALTY))) == {1: "0.00", 2: "0", 3: "0", 4: "0"}


def test_activate_refusals(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    with unchanged(client, LOYALTY, LOYALTY2):
        user_error(activate(client, LOYALTY), "transaction.card_already_active")
        user_error(activate(client, UNKNOWN_CARD), "transaction.card_not_found")
        wrong = {
            "headerInfo": header(programId="LP"),
            "cardInfo": card(LOYALTY2, cardRegCode="0000"),
        }
        user_error(call(client, "activate", wrong), "transaction.invalid_registration_code")
        no_card = {"headerInfo": header(programId="LP"), "cardInfo": {"swipeFlag": False}}
        refused(call(client, "activate", no_card), "transaction.invalid_request")
        bad_store = {
            "headerInfo": header(programId="LP", storeCode="9999"),
            "cardInfo": card(LOYALTY2),
        }
        refused(call(client, "activate", bad_store), "transaction.invalid_store")


def test_void_activation(client: TestClient) -> None:
    ok(activate(client, LOYALTY, pos_id="A-1"))
    body = {"headerInfo": header(programId="LP", posTransactionId="A-1"), "cardInfo": card(LOYALTY)}
    with unchanged(client, LOYALTY):
        refused(
            call(
                client,
                "voidActivate",
                {**body, "headerInfo": header(programId="LP", posTransactionId="A-2")},
            ),
            "transaction.transaction_not_found",
        )
        refused(
            call(client, "voidActivate", {**body, "headerInfo": header(programId="LP")}),
            "transaction.invalid_request",
        )
    ok(call(client, "voidActivate", body))
    user_error(balance(client, LOYALTY), "transaction.card_not_active")
    ok(activate(client, LOYALTY, pos_id="A-3"))


def test_void_activation_refused_once_the_card_was_used(client: TestClient) -> None:
    ok(activate(client, LOYALTY, pos_id="A-1"))
    ok(add_redeem(client, LOYALTY, add=sv("10", wallet=2), program="LP"))
    body = {"headerInfo": header(programId="LP", posTransactionId="A-1"), "cardInfo": card(LOYALTY)}
    with unchanged(client, LOYALTY):
        user_error(call(client, "voidActivate", body), "transaction.card_not_in_required_state")


def test_balance_inquiry_and_identify_customer(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(activate(client, LOYALTY))
    ok(add_redeem(client, LOYALTY, add=sv("120", wallet=2), program="LP"))
    for operation in ("balanceInquiry", "identifyCustomer"):
        gift = ok(call(client, operation, {"headerInfo": header(), "cardInfo": card(GIFT)}))
        assert gift["svCurrentBalance"] == "25.00"
        assert wallets(gift) == {1: "25.00"}
        assert "pxTransactionId" not in gift
        loyal = ok(
            call(
                client, operation, {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY)}
            )
        )
        assert wallets(loyal) == {1: "0.00", 2: "120", 3: "0", 4: "0"}
    # Read-only: neither call wrote history.
    assert len(history(client, GIFT)["transactions"]) == 1


@pytest.mark.parametrize("operation", ["balanceInquiry", "identifyCustomer"])
def test_balance_inquiry_and_identify_customer_refusals(client: TestClient, operation: str) -> None:
    def ask(number: str, **h: object) -> dict[str, object]:
        return call(client, operation, {"headerInfo": header(**h), "cardInfo": card(number)})

    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT, GIFT2):
        user_error(ask(GIFT2), "transaction.card_not_active")
        user_error(ask(UNKNOWN_CARD), "transaction.card_not_found")
        user_error(ask(OTHER_MERCHANT_GIFT), "transaction.card_not_found")
        refused(ask(GIFT, merchantId=2000), "transaction.invalid_merchant")
        refused(ask(GIFT, storeCode="nope"), "transaction.invalid_store")
        wrong_code = {"headerInfo": header(), "cardInfo": card(GIFT, cardRegCode="1")}
        user_error(call(client, operation, wrong_code), "transaction.invalid_registration_code")
        refused(call(client, operation, {"cardInfo": card(GIFT)}), "transaction.invalid_request")
