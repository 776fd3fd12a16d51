"""reverse, exchange and adminAdjust."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.pos import (
    GIFT,
    LOYALTY,
    LOYALTY2,
    OTHER_MERCHANT_GIFT,
    POS2,
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


def reverse(client: TestClient, px: object, **kwargs: Any) -> dict[str, Any]:
    return call(
        client,
        "reverse",
        {"authentication": "b2b", "headerInfo": header(programId="PX"), "pxTransactionId": px},
        **kwargs,
    )


def exchange(client: TestClient, old: str, new: str, **h: Any) -> dict[str, Any]:
    return call(
        client,
        "exchange",
        {
            "headerInfo": header(programId="PX", **h),
            "cardInfo": card(old),
            "newCardInfo": card(new),
        },
    )


def adjust(client: TestClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": "corp",
        "operatorId": "0",
        "printedCardNumber": LOYALTY,
        "walletCode": 2,
        "quantity": "25",
        "activityType": "ADD",
        "comment": "goodwill",
        "headerInfo": {"merchantId": 1000, "applicationId": "", "programId": "PX"},
    }
    body.update(overrides)
    return call(client, "adminAdjust", {k: v for k, v in body.items() if v is not None})


def test_reverse_a_sale_returns_the_card_to_inactive(client: TestClient) -> None:
    sold = ok(sell(client, GIFT, "25.00"))
    reversed_ = ok(reverse(client, sold["pxTransactionId"]))
    assert isinstance(reversed_["pxTransactionId"], int)
    assert reversed_["pxTransactionId"] != sold["pxTransactionId"]
    user_error(balance(client, GIFT), "transaction.card_not_active")
    with unchanged(client, GIFT):
        refused(reverse(client, sold["pxTransactionId"]), "transaction.already_voided")
    assert ok(sell(client, GIFT, "30.00"))["svCurrentBalance"] == "30.00"


def test_reverse_a_redeem_puts_the_value_back(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    spent = ok(add_redeem(client, GIFT, redeem=sv("10.00")))
    back = ok(reverse(client, spent["pxTransactionId"]))
    assert back["svCurrentBalance"] == "25.00"
    assert balance(client, GIFT)["svCurrentBalance"] == "25.00"
    assert history(client, GIFT)["transactions"][0]["transactionType"] == "reverse"


def test_reverse_refusals(client: TestClient) -> None:
    sold = ok(sell(client, GIFT, "25.00"))
    loaded = ok(add_redeem(client, GIFT, add=sv("10.00")))
    ok(add_redeem(client, GIFT, redeem=sv("30.00")))
    other = ok(
        call(
            client,
            "activateAdd",
            {
                "headerInfo": header(merchantId=2000, storeCode="corp"),
                "cardInfo": card(OTHER_MERCHANT_GIFT),
                "addWalletContents": sv("5.00"),
            },
            auth=POS2,
        )
    )
    with unchanged(client, GIFT):
        refused(reverse(client, 987_654_321), "transaction.transaction_not_found")
        refused(reverse(client, other["pxTransactionId"]), "transaction.transaction_not_found")
        refused(reverse(client, None), "transaction.invalid_request")
        # 5.00 is left: the 10.00 load cannot come off again.
        user_error(reverse(client, loaded["pxTransactionId"]), "transaction.insufficient_balance")
        # The card has been used since it was sold.
        user_error(reverse(client, sold["pxTransactionId"]), "transaction.insufficient_balance")


def test_a_reversal_cannot_itself_be_reversed(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    spent = ok(add_redeem(client, GIFT, redeem=sv("10.00")))
    back = ok(reverse(client, spent["pxTransactionId"]))
    with unchanged(client, GIFT):
        refused(reverse(client, back["pxTransactionId"]), "transaction.invalid_request")


def test_exchange_moves_the_account_to_the_new_card(client: TestClient) -> None:
    ok(activate(client, LOYALTY, pos_id="A-1"))
    ok(
        add_redeem(
            client, LOYALTY, add=sv("12.50") + sv("300", wallet=2), program="PX", pos_id="P-1"
        )
    )
    swapped = ok(exchange(client, LOYALTY, LOYALTY2, posTransactionId="X-1"))
    assert swapped["printedCardNumber"] == LOYALTY2
    assert isinstance(swapped["pxTransactionId"], int)
    assert wallets(swapped) == {1: "12.50", 2: "300", 3: "0", 4: "0"}
    user_error(balance(client, LOYALTY), "transaction.card_not_active")
    user_error(add_redeem(client, LOYALTY, redeem=sv("1.00")), "transaction.card_not_active")
    assert wallets(ok(balance(client, LOYALTY2))) == {1: "12.50", 2: "300", 3: "0", 4: "0"}
    entries = history(client, LOYALTY2)["transactions"]
    assert [e["transactionType"] for e in entries] == ["exchange", "addRedeem", "activate"]
    assert [e["posTransactionNumber"] for e in entries] == ["X-1", "P-1", "A-1"]
    ok(add_redeem(client, LOYALTY2, redeem=sv("2.50")))
    assert balance(client, LOYALTY2)["svCurrentBalance"] == "10.00"


def test_exchange_refusals(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    ok(sell(client, GIFT))
    with unchanged(client, LOYALTY, LOYALTY2, GIFT):
        user_error(exchange(client, LOYALTY, GIFT), "transaction.card_already_active")
        user_error(exchange(client, LOYALTY2, "7000000000000003"), "transaction.card_not_active")
        user_error(exchange(client, LOYALTY, UNKNOWN_CARD), "transaction.card_not_found")
        user_error(exchange(client, UNKNOWN_CARD, LOYALTY2), "transaction.card_not_found")
        user_error(exchange(client, LOYALTY, OTHER_MERCHANT_GIFT), "transaction.card_not_found")
        refused(exchange(client, LOYALTY, LOYALTY), "transaction.invalid_request")
        refused(
            call(client, "exchange", {"headerInfo": header(), "cardInfo": card(LOYALTY)}),
            "transaction.invalid_request",
        )
    ok(exchange(client, LOYALTY, LOYALTY2))
    with unchanged(client, LOYALTY, LOYALTY2):
        user_error(exchange(client, LOYALTY2, LOYALTY), "transaction.card_not_in_required_state")


def test_admin_adjust_add_and_redeem(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    added = ok(adjust(client, quantity="25"))
    assert wallets(added)[2] == "25"
    assert isinstance(added["pxTransactionId"], int)
    taken = ok(adjust(client, quantity=10, activityType="REDEEM", comment=None))
    assert wallets(taken)[2] == "15"
    sv_added = ok(
        adjust(
            client,
            walletCode=1,
            quantity="25.00",
            expiration={"date": "2999-12-31", "type": "absolute"},
        )
    )
    assert sv_added["svCurrentBalance"] == "25.00"
    entries = history(client, LOYALTY)["transactions"]
    assert [(e["transactionType"], e["hasVisibleComment"], e["storeCode"]) for e in entries] == [
        ("adminAdjust", True, "corp"),
        ("adminAdjust", False, "corp"),
        ("adminAdjust", True, "corp"),
        ("activate", False, "1001"),
    ]


def test_admin_adjust_refusals(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    ok(adjust(client, quantity="5"))
    with unchanged(client, LOYALTY, LOYALTY2):
        refused(
            adjust(client, quantity="6", activityType="REDEEM"), "transaction.insufficient_balance"
        )
        refused(adjust(client, walletCode=42), "transaction.invalid_wallet_code")
        refused(adjust(client, quantity="0"), "transaction.invalid_quantity")
        refused(adjust(client, quantity="2.5"), "transaction.invalid_quantity")
        refused(adjust(client, printedCardNumber=UNKNOWN_CARD), "transaction.card_not_found")
        refused(adjust(client, printedCardNumber=LOYALTY2), "transaction.card_not_active")
        refused(adjust(client, activityType="SUBTRACT"), "transaction.invalid_request")
        refused(adjust(client, walletCode=None), "transaction.invalid_request")
        refused(adjust(client, storeCode="9999"), "transaction.invalid_store")
        refused(adjust(client, merchantId=2000), "transaction.invalid_merchant")
        refused(adjust(client, expiration="1999-01-01"), "transaction.invalid_request")


def test_admin_adjust_retry_replays(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    first = ok(adjust(client, posTransactionId="ADJ-1"))
    assert adjust(client, posTransactionId="ADJ-1") == first
    assert wallets(balance(client, LOYALTY))[2] == "25"
    refused(
        adjust(client, posTransactionId="ADJ-1", quantity="26"), "transaction.duplicate_transaction"
    )


def test_a_posTransactionId_can_be_sold_again_after_its_void(client: TestClient) -> None:
    first = ok(call(client, "activateAdd", sell_body(GIFT, "25.00", pos_id="S-1")))
    voided = ok(call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="S-1")))
    # The void released the sale's retry key: the same check number sells for real.
    again = ok(call(client, "activateAdd", sell_body(GIFT, "25.00", pos_id="S-1")))
    assert again["pxTransactionId"] != first["pxTransactionId"]
    assert balance(client, GIFT)["svCurrentBalance"] == "25.00"
    # Voiding again voids the new sale, not a replay of the first void.
    second_void = ok(call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="S-1")))
    assert second_void["pxTransactionId"] != voided["pxTransactionId"]
    user_error(balance(client, GIFT), "transaction.card_not_active")
    # ...and retrying that void replays it.
    assert call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="S-1")) == second_void


def test_reversing_a_load_takes_back_only_what_has_not_expired(
    client: TestClient, clock: ShiftedClock
) -> None:
    ok(sell(client, GIFT, "20.00"))
    tomorrow = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    load = ok(
        add_redeem(
            client, GIFT, add=sv("10.00", expiration={"date": str(tomorrow), "type": "absolute"})
        )
    )
    assert load["svCurrentBalance"] == "30.00"
    clock.offset = timedelta(days=3)
    assert balance(client, GIFT)["svCurrentBalance"] == "20.00"  # the $10 expired
    reversed_load = ok(reverse(client, load["pxTransactionId"]))
    # The expired $10 is gone already; the reversal must not take $10 of other value.
    assert reversed_load["svCurrentBalance"] == "20.00"
