"""Money paths a review found open, each closed and held here."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.checks import a_check, check_call, item, moved, post_check, wallets
from tests.api.guests import as_guest, body_of, gpost
from tests.api.pos import LOYALTY, add_redeem, call, header, ok, refused
from tests.api.test_check_flow import activate_loyalty
from tests.api.test_guest_cards import account, guest, loyalty_card_with_points, points

CARD = {"printedCardNumber": LOYALTY}
REWARD_DISCOUNT = {"walletCode": 3, "name": "$5 Reward", "amount": "5.00"}


def combine_into_home(client: TestClient) -> tuple[str, str]:
    home, token = guest(client, "ada")
    attach = as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234")
    assert body_of(gpost(client, "guest", "attachCard", attach))["result"] == "success"
    combine = as_guest(token, primaryPrintedCardNumber=home, printedCardNumbers=[LOYALTY])
    assert body_of(gpost(client, "guest", "combineCards", combine))["result"] == "success"
    return home, token


def test_a_reward_listed_twice_is_held_to_its_limit_per_check(client: TestClient) -> None:
    activate_loyalty(client)
    assert wallets(post_check(client, LOYALTY, a_check("A", item("RIBS", "200.00"))))[3] == "2"
    twice = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {
            "cardInfo": CARD,
            "check": a_check("B", item("DUCK", "40.00")),
            "redeemWalletContents": [
                {"walletCode": 3, "quantity": "1"},
                {"walletCode": 3, "quantity": "1"},
            ],
        },
    )
    assert twice["errorCode"] == "check.reward_not_available"


def test_redeem_then_accrue_earns_on_what_the_guest_paid(client: TestClient) -> None:
    activate_loyalty(client)
    post_check(client, LOYALTY, a_check("A", item("RIBS", "200.00")))
    redeemed = check_call(
        client,
        "redeemOnly",
        {
            "cardInfo": CARD,
            "check": a_check("C", item("DUCK", "40.00")),
            "redeemWalletContents": [{"walletCode": 3, "quantity": "1"}],
        },
    )
    assert moved(redeemed["redeemWalletContents"]) == {3: "1"}
    # The POS closes the check with the reward's discount on it, as in one step.
    accrued = post_check(
        client, LOYALTY, a_check("C", item("DUCK", "40.00"), discounts=[REWARD_DISCOUNT])
    )
    assert moved(accrued["addWalletContents"])[2] == "35"


def test_reversing_on_an_account_merged_away_is_refused(client: TestClient) -> None:
    loyalty_card_with_points(client, LOYALTY, "40")
    spent = ok(
        add_redeem(client, LOYALTY, redeem=[{"walletCode": 2, "quantity": "10"}], program="LP")
    )
    home, token = combine_into_home(client)
    assert points(account(client, token, home))[2] == "30"
    undone = call(
        client,
        "reverse",
        {"headerInfo": header(programId="PX"), "pxTransactionId": spent["pxTransactionId"]},
    )
    refused(undone, "transaction.card_not_in_required_state", "userDataError")
    assert points(account(client, token, home))[2] == "30"


def test_two_cards_of_one_account_cannot_split_one_check(client: TestClient) -> None:
    loyalty_card_with_points(client, LOYALTY, "1")
    home, token = combine_into_home(client)
    before = points(account(client, token, home))
    split = check_call(
        client,
        "multiPostAndAccruePoints",
        {
            "check": a_check("S1", item("STEAK", "20.00")),
            "cardAmounts": [
                {"cardInfo": {"printedCardNumber": home}, "amountPaid": "10"},
                {"cardInfo": CARD, "amountPaid": "10"},
            ],
        },
    )
    assert split["errorCode"] == "check.invalid_request"
    assert points(account(client, token, home)) == before
