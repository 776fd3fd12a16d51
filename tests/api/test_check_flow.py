"""The demo program through the Check Service: the scenario the README promises."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.checks import a_check, audit_clean, check_call, item, moved, post_check, wallets
from tests.api.pos import LOYALTY, call, header, ok


def activate_loyalty(client: TestClient, number: str = LOYALTY) -> None:
    ok(
        call(
            client,
            "activate",
            {
                "authentication": "b2b",
                "headerInfo": header(programId="LP"),
                "cardInfo": {"printedCardNumber": number},
            },
        )
    )


def test_the_demo_program_end_to_end(client: TestClient) -> None:
    activate_loyalty(client)
    card = {"printedCardNumber": LOYALTY}

    first = post_check(
        client,
        LOYALTY,
        a_check("1001", item("BURGER", "30.00", "FOOD"), item("IPA", "25.00", "ALCOHOL")),
    )
    assert first["result"] == "success", first
    assert moved(first["addWalletContents"]) == {2: "30", 4: "1"}
    assert wallets(first)[2] == "30" and wallets(first)[4] == "1"
    assert [r["rule"] for r in first["ruleBreakdown"]] == ["Points per dollar", "Visit"]
    assert "Points per dollar: +30" in first["receiptText"]

    again = post_check(
        client,
        LOYALTY,
        a_check("1001", item("BURGER", "30.00", "FOOD"), item("IPA", "25.00", "ALCOHOL")),
    )
    assert again["result"] == "failure" and again["errorCode"] == "check.duplicate_check"

    second = post_check(client, LOYALTY, a_check("1002", item("SPECIAL", "40.00", "FEATURED")))
    assert moved(second["addWalletContents"]) == {2: "80", 3: "1", 4: "1"}
    assert moved(second["redeemWalletContents"]) == {2: "100"}
    assert (wallets(second)[2], wallets(second)[3]) == ("10", "1")

    offered = check_call(
        client,
        "computeApplicableRewards",
        {"cardInfo": card, "check": a_check("1003", item("SALAD", "20.00", "FOOD"))},
    )
    assert offered["subtotalDiscounts"] == [
        {"walletCode": 3, "rewardName": "$5 Reward", "discountAmount": "5.00", "quantity": "1"}
    ]

    redeemed = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {
            "cardInfo": card,
            "check": a_check("1003", item("SALAD", "20.00", "FOOD")),
            "redeemWalletContents": [{"walletCode": 3, "quantity": "1"}],
        },
    )
    assert redeemed["result"] == "success", redeemed
    assert moved(redeemed["addWalletContents"]) == {2: "15", 4: "1"}
    assert moved(redeemed["redeemWalletContents"]) == {3: "1"}
    assert (wallets(redeemed)[2], wallets(redeemed)[3]) == ("25", "0")

    undone = ok(
        call(
            client,
            "reverse",
            {"headerInfo": header(programId="PX"), "pxTransactionId": redeemed["pxTransactionId"]},
        )
    )
    balances = {b["walletCode"]: b["balance"] for b in undone["walletBalances"]}
    assert (balances[2], balances[3]) == ("10", "1")

    coupon = check_call(
        client,
        "simulateCoupon",
        {
            "couponCode": "WELCOME5",
            "check": a_check("1004", item("STEAK", "25.00", "FOOD")),
            "cardInfo": card,
        },
    )
    assert coupon["subtotalDiscounts"][0]["discountAmount"] == "5.00"
    refused = check_call(
        client,
        "simulateCoupon",
        {
            "couponCode": "welcome5",
            "check": a_check("1005", item("SOUP", "19.00", "FOOD")),
            "cardInfo": card,
        },
    )
    assert refused["errorCode"] == "check.coupon_not_applicable"

    stored = client.get(
        "/rest/24.11/check/check.json",
        params={
            "authentication": "b2b",
            "merchantId": 1000,
            "storeCode": "1001",
            "checkNumber": "1001",
        },
        auth=("demo-pos", "demo-pos-secret"),
    ).json()
    assert stored["result"] == "success", stored
    assert stored["storedCheck"]["printedCardNumber"] == LOYALTY
    assert moved(stored["storedCheck"]["addWalletContents"]) == {2: "30", 4: "1"}
    assert stored["storedCheck"]["check"]["items"][0]["itemId"] == "BURGER"
    audit_clean(client)


def test_reversing_a_check_whose_reward_was_spent_claws_the_points_back(client: TestClient) -> None:
    activate_loyalty(client)
    card = {"printedCardNumber": LOYALTY}
    post_check(client, LOYALTY, a_check("W", item("RIBS", "80.00", "FOOD")))
    converting = post_check(client, LOYALTY, a_check("X", item("FISH", "30.00", "FOOD")))
    assert (wallets(converting)[2], wallets(converting)[3]) == ("10", "1")
    spent = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {
            "cardInfo": card,
            "check": a_check("Y", item("DUCK", "45.00", "FOOD")),
            "redeemWalletContents": [{"walletCode": 3, "quantity": 1}],
        },
    )
    assert (wallets(spent)[2], wallets(spent)[3]) == ("50", "0")
    undone = ok(
        call(
            client,
            "reverse",
            {
                "headerInfo": header(programId="PX"),
                "pxTransactionId": converting["pxTransactionId"],
            },
        )
    )
    balances = {b["walletCode"]: b["balance"] for b in undone["walletBalances"]}
    # The 30 points of X go; the reward they helped buy is spent, so the 100 points that
    # paid for it stay spent instead of coming back.
    assert (balances[2], balances[3], balances[4]) == ("20", "0", "2")
    audit_clean(client)
