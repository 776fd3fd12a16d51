"""addRedeem and voidAddRedeem: moving value, retries, duplicates and refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from openpxs.store.tables import accounts
from tests.api.pos import (
    GIFT,
    LOYALTY,
    OTHER_MERCHANT_GIFT,
    UNKNOWN_CARD,
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
    run_db,
    sell,
    sv,
    unchanged,
    user_error,
    wallets,
)


def test_redeem_moves_value_and_echoes_contents(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    redeemed = ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1"))
    assert redeemed["redeemWalletContents"] == [{"walletCode": 1, "quantity": "10.00"}]
    assert redeemed["addWalletContents"] == []
    assert redeemed["svCurrentBalance"] == "15.00"
    assert isinstance(redeemed["pxTransactionId"], int)
    assert balance(client, GIFT)["svCurrentBalance"] == "15.00"


def test_add_and_redeem_in_one_call_is_atomic(client: TestClient) -> None:
    ok(sell(client, GIFT, "5.00"))
    both = ok(add_redeem(client, GIFT, add=sv("10"), redeem=sv("12.50")))
    assert both["svCurrentBalance"] == "2.50"
    with unchanged(client, GIFT):
        # The add would cover the redeem only if it were applied alone: all or nothing.
        user_error(
            add_redeem(client, GIFT, add=sv("1.00"), redeem=sv("4.00")),
            "transaction.insufficient_balance",
        )


def test_replayed_redeem_gives_the_first_reply_and_moves_once(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    first = ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1"))
    with unchanged(client, GIFT):
        again = add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1")
    assert again == first
    assert balance(client, GIFT)["svCurrentBalance"] == "15.00"


def test_same_pos_id_with_a_different_body_is_a_duplicate(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1"))
    with unchanged(client, GIFT):
        refused(
            add_redeem(client, GIFT, redeem=sv("11.00"), pos_id="R-1"),
            "transaction.duplicate_transaction",
        )
    # Another terminal may reuse its own numbering.
    body = add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="R-1", terminalId="2")
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "14.00"


def test_over_redeem_is_refused_and_moves_nothing(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        user_error(
            add_redeem(client, GIFT, redeem=sv("25.01"), pos_id="R-1"),
            "transaction.insufficient_balance",
        )
    # The refused call did not consume its posTransactionId.
    assert (
        ok(add_redeem(client, GIFT, redeem=sv("25.00"), pos_id="R-1"))["svCurrentBalance"] == "0.00"
    )


def test_quantity_forms(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    assert ok(add_redeem(client, GIFT, redeem=sv(10.1)))["svCurrentBalance"] == "14.90"
    assert ok(add_redeem(client, GIFT, redeem=sv(4)))["redeemWalletContents"] == [
        {"walletCode": 1, "quantity": "4.00"}
    ]
    assert ok(add_redeem(client, GIFT, add=sv("0.1")))["svCurrentBalance"] == "11.00"
    assert (
        ok(add_redeem(client, GIFT, add=[{"walletCode": "1", "quantity": "+1"}]))[
            "svCurrentBalance"
        ]
        == "12.00"
    )


def test_bad_quantities_are_invalid_quantity(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    bad = [
        "0",
        "0.00",
        "-1.00",
        "-0",
        "abc",
        "",
        "1.001",
        "10.",
        ".5",
        "1e2",
        "1_000",
        "NaN",
        "Infinity",
        "\u0661\u0660",
        "100000000000.01",
        None,
        True,
        0,
        -3,
        1.005,
        {"amount": "1"},
    ]
    with unchanged(client, GIFT):
        for quantity in bad:
            refused(add_redeem(client, GIFT, add=sv(quantity)), "transaction.invalid_quantity")
            refused(add_redeem(client, GIFT, redeem=sv(quantity)), "transaction.invalid_quantity")


def test_points_use_their_own_scale(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    earned = ok(add_redeem(client, LOYALTY, add=sv("150", wallet=2), program="LP"))
    assert earned["addWalletContents"] == [{"walletCode": 2, "quantity": "150"}]
    assert wallets(earned)[2] == "150"
    with unchanged(client, LOYALTY):
        refused(
            add_redeem(client, LOYALTY, add=sv("1.5", wallet=2), program="LP"),
            "transaction.invalid_quantity",
        )
    px = ok(add_redeem(client, LOYALTY, add=sv("1.00") + sv("2", wallet=4), program="PX"))
    assert wallets(px) == {1: "1.00", 2: "150", 3: "0", 4: "2"}


def test_wallet_and_program_refusals(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(activate(client, LOYALTY))
    with unchanged(client, GIFT, LOYALTY):
        refused(add_redeem(client, GIFT, add=sv("1", wallet=99)), "transaction.invalid_wallet_code")
        refused(
            add_redeem(client, GIFT, add=sv("1", wallet=2), program="LP"),
            "transaction.invalid_wallet_code",
        )
        # An SV call may not move a loyalty wallet, even on a card that has it.
        refused(
            add_redeem(client, LOYALTY, add=sv("1", wallet=2), program="SV"),
            "transaction.invalid_wallet_code",
        )
        refused(
            add_redeem(client, LOYALTY, add=sv("1.00", wallet=1), program="LP"),
            "transaction.invalid_wallet_code",
        )
        # A good entry does not go through when another one is refused.
        refused(
            add_redeem(client, GIFT, add=sv("1.00") + sv("1", wallet=7)),
            "transaction.invalid_wallet_code",
        )
        refused(add_redeem(client, GIFT), "transaction.invalid_request")


def test_card_refusals(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT, LOYALTY):
        user_error(add_redeem(client, LOYALTY, add=sv("1.00")), "transaction.card_not_active")
        user_error(add_redeem(client, UNKNOWN_CARD, add=sv("1.00")), "transaction.card_not_found")
        user_error(
            add_redeem(client, OTHER_MERCHANT_GIFT, add=sv("1.00")), "transaction.card_not_found"
        )
        body = add_redeem_body(GIFT, add=sv("1.00"))
        body["cardInfo"]["cardRegCode"] = "4321"
        user_error(call(client, "addRedeem", body), "transaction.invalid_registration_code")
        body = add_redeem_body(GIFT, add=sv("1.00"))
        del body["redeemWalletContents"]
        refused(call(client, "addRedeem", body), "transaction.invalid_request")


def test_auto_activate_card(client: TestClient) -> None:
    body = add_redeem_body(GIFT, add=sv("20.00"))
    body["autoActivateCard"] = True
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "20.00"
    assert balance(client, GIFT)["svCurrentBalance"] == "20.00"


def test_expiration_on_added_value(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    future = sv("5.00", expiration={"date": "2999-01-31", "type": "absolute"})
    added = ok(add_redeem(client, GIFT, add=future))
    assert added["addWalletContents"] == [
        {
            "walletCode": 1,
            "quantity": "5.00",
            "expiration": {"date": "2999-01-31", "type": "absolute"},
        }
    ]
    as_date = ok(add_redeem(client, GIFT, add=sv("1.00", expiration="2999-02-01")))
    assert as_date["addWalletContents"][0]["expiration"]["date"] == "2999-02-01"
    with unchanged(client, GIFT):
        refused(
            add_redeem(client, GIFT, add=sv("5.00", expiration="2001-01-01")),
            "transaction.invalid_request",
        )
        refused(
            add_redeem(client, GIFT, add=sv("5.00", expiration="not a date")),
            "transaction.invalid_request",
        )


def test_void_add_redeem_puts_value_back(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1"))
    body = add_redeem_body(GIFT, redeem=sv("10.00"), pos_id="R-1")
    voided = ok(call(client, "voidAddRedeem", body))
    assert voided["svCurrentBalance"] == "25.00"
    assert voided["redeemWalletContents"] == [{"walletCode": 1, "quantity": "10.00"}]
    assert isinstance(voided["pxTransactionId"], int)
    kinds = [t["transactionType"] for t in history(client, GIFT)["transactions"]]
    assert kinds == ["voidAddRedeem", "addRedeem", "activateAdd"]
    # A retry of the void replays it; from another terminal it is already voided.
    assert call(client, "voidAddRedeem", body) == voided
    with unchanged(client, GIFT):
        other = add_redeem_body(GIFT, redeem=sv("10.00"), pos_id="R-1", terminalId="2")
        refused(call(client, "voidAddRedeem", other), "transaction.already_voided")


def test_void_add_redeem_refusals(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(add_redeem(client, GIFT, add=sv("10.00"), pos_id="R-1"))
    ok(add_redeem(client, GIFT, redeem=sv("30.00")))
    with unchanged(client, GIFT):
        for body in (
            add_redeem_body(GIFT, add=sv("10.00"), pos_id="R-2"),
            add_redeem_body(GIFT, add=sv("9.00"), pos_id="R-1"),
            add_redeem_body(GIFT, redeem=sv("10.00"), pos_id="R-1"),
            add_redeem_body(GIFT, add=sv("10.00"), pos_id="R-1", storeCode="1002"),
        ):
            refused(call(client, "voidAddRedeem", body), "transaction.transaction_not_found")
        refused(
            call(client, "voidAddRedeem", add_redeem_body(GIFT, add=sv("10.00"))),
            "transaction.invalid_request",
        )
        user_error(
            call(
                client,
                "voidAddRedeem",
                add_redeem_body(UNKNOWN_CARD, add=sv("10.00"), pos_id="R-1"),
            ),
            "transaction.card_not_found",
        )
        # Only 5.00 is left: taking the added 10.00 back would go negative.
        user_error(
            call(client, "voidAddRedeem", add_redeem_body(GIFT, add=sv("10.00"), pos_id="R-1")),
            "transaction.insufficient_balance",
        )


def test_value_never_moves_onto_a_closed_account(client: TestClient) -> None:
    """What a void that commits between a load's card read and its account lock leaves:
    the card still reads active but its account is closed. The load must refuse it."""
    ok(sell(client, GIFT, "25.00"))

    async def close_account(conn: Any) -> None:
        await conn.execute(update(accounts).values(status="closed"))

    run_db(client, close_account)
    for operation, body in (
        ("addRedeem", add_redeem_body(GIFT, add=sv("10.00"))),
        ("balanceInquiry", {"headerInfo": header(), "cardInfo": card(GIFT)}),
    ):
        user_error(call(client, operation, body), "transaction.card_not_active")
