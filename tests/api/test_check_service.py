"""Check Service endpoints one by one: refusals, split checks, redeem-then-accrue,
coupons, tiers, and properties tying simulation, posting and reversal together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from openpxs.store.tables import checks, coupon_uses, journal, transactions
from tests.api.checks import a_check, audit_clean, check_call, item, moved, post_check, wallets
from tests.api.pos import LOYALTY, LOYALTY2, UNKNOWN_CARD, call, header, ok, run_db
from tests.api.test_check_flow import activate_loyalty
from tests.program_config import demo_program


def counts(client: TestClient) -> tuple[int, int, int, int]:
    async def work(conn: Any) -> tuple[int, int, int, int]:
        out = []
        for table in (transactions, journal, checks, coupon_uses):
            out.append(int((await conn.execute(select(func.count()).select_from(table))).scalar()))
        return out[0], out[1], out[2], out[3]

    result: tuple[int, int, int, int] = run_db(client, work)
    return result


BAD_CHECKS = [
    ("no items", {"number": "B1", "items": [], "subtotal": "0"}),
    ("subtotal off", a_check("B2", item("A", "10.00")) | {"subtotal": "9.99"}),
    ("total off", a_check("B3", item("A", "10.00")) | {"tax": "1.00", "total": "12.00"}),
    (
        "discount on an unknown line",
        a_check("B4", item("A", "10.00"), discounts=[{"amount": "1.00", "lineId": "9"}]),
    ),
    ("two lines, one id", a_check("B5", item("A", "5", lineId="1"), item("B", "5", lineId="1"))),
]


@pytest.mark.parametrize(("why", "bad"), BAD_CHECKS, ids=[w for w, _ in BAD_CHECKS])
def test_a_check_that_does_not_add_up_is_refused_and_changes_nothing(
    client: TestClient, why: str, bad: dict[str, Any]
) -> None:
    activate_loyalty(client)
    before = counts(client)
    for operation in (
        "postAndAccruePoints",
        "postAndAccruePointsWithRedeem",
        "computeApplicableRewards",
        "post",
    ):
        reply = check_call(
            client, operation, {"cardInfo": {"printedCardNumber": LOYALTY}, "check": bad}
        )
        assert (reply["result"], reply["errorCode"]) == ("failure", "check.invalid_request"), (
            operation,
            reply,
        )
    assert counts(client) == before


def test_negative_prices_unknown_cards_and_stores_are_refused(client: TestClient) -> None:
    activate_loyalty(client)
    before = counts(client)
    negative = a_check("N1", item("A", "10.00"))
    negative["items"][0]["price"] = "-1.00"
    reply = post_check(client, LOYALTY, negative)
    assert reply["errorCode"] == "check.invalid_request"
    assert (
        post_check(client, UNKNOWN_CARD, a_check("N2", item("A", "10")))["errorCode"]
        == "check.card_not_found"
    )
    assert (
        post_check(client, LOYALTY2, a_check("N3", item("A", "10")))["errorCode"]
        == "check.card_not_active"
    )
    wrong_store = check_call(
        client,
        "postAndAccruePoints",
        {
            "storeCode": "nowhere",
            "cardInfo": {"printedCardNumber": LOYALTY},
            "check": a_check("N4", item("A", "10")),
        },
    )
    assert wrong_store["errorCode"] == "check.invalid_store"
    assert counts(client) == before


def test_auto_activation_then_accrual_in_one_call(client: TestClient) -> None:
    reply = post_check(client, LOYALTY2, a_check("AA", item("A", "12.00")), autoActivateCard=True)
    assert reply["result"] == "success"
    assert wallets(reply)[2] == "12"


def test_compute_point_accrual_gives_a_ready_add_redeem(client: TestClient) -> None:
    activate_loyalty(client)
    computed = check_call(
        client,
        "computePointAccrual",
        {
            "cardInfo": {"printedCardNumber": LOYALTY},
            "check": a_check("C1", item("A", "21.50", "FEATURED")),
            "terminal": "4",
        },
    )
    request = computed["addRedeemRequest"]
    assert request["addWalletContents"] == [
        {"walletCode": 2, "quantity": "43"},
        {"walletCode": 4, "quantity": "1"},
    ]
    assert (
        request["headerInfo"]["posTransactionId"] == "C1"
        and request["headerInfo"]["terminalId"] == "4"
    )
    sent = ok(call(client, "addRedeem", {"authentication": "b2b", **request}))
    assert {b["walletCode"]: b["balance"] for b in sent["walletBalances"]}[2] == "43"


def test_redeem_only_then_accrue_the_same_check(client: TestClient) -> None:
    activate_loyalty(client)
    post_check(client, LOYALTY, a_check("R0", item("A", "100.00")))  # 100 points -> a reward
    card = {"printedCardNumber": LOYALTY}
    check = a_check("R1", item("A", "30.00"))
    redeemed = check_call(
        client,
        "redeemOnly",
        {
            "cardInfo": card,
            "check": check,
            "redeemWalletContents": [{"walletCode": 3, "quantity": 1}],
        },
    )
    assert (
        moved(redeemed["redeemWalletContents"]) == {3: "1"} and redeemed["addWalletContents"] == []
    )
    twice = check_call(
        client,
        "redeemOnly",
        {
            "cardInfo": card,
            "check": check,
            "redeemWalletContents": [{"walletCode": 3, "quantity": 1}],
        },
    )
    assert twice["errorCode"] in ("check.duplicate_check", "check.insufficient_balance")
    accrued = post_check(client, LOYALTY, check)
    # The reward redeemed first paid $5 of the $30: the guest earns on the other $25.
    assert moved(accrued["addWalletContents"]) == {2: "25", 4: "1"}
    assert post_check(client, LOYALTY, check)["errorCode"] == "check.duplicate_check"


def test_post_stores_once_and_accrual_may_follow(client: TestClient) -> None:
    activate_loyalty(client)
    check = a_check("P1", item("A", "8.00"))
    assert check_call(client, "post", {"check": check})["result"] == "success"
    assert check_call(client, "post", {"check": check})["errorCode"] == "check.duplicate_check"
    assert moved(post_check(client, LOYALTY, check)["addWalletContents"]) == {2: "8", 4: "1"}


def test_rewards_that_cannot_be_redeemed(client: TestClient) -> None:
    activate_loyalty(client)
    card = {"printedCardNumber": LOYALTY}
    before = counts(client)
    for redeem, code in (
        ([{"walletCode": 3, "quantity": 1}], "check.insufficient_balance"),
        ([{"walletCode": 2, "quantity": 1}], "check.reward_not_available"),
        ([{"walletCode": 3, "quantity": "0.5"}], "check.reward_not_available"),
    ):
        reply = check_call(
            client,
            "postAndAccruePointsWithRedeem",
            {
                "cardInfo": card,
                "check": a_check("RX", item("A", "10")),
                "redeemWalletContents": redeem,
            },
        )
        assert reply["errorCode"] == code, reply
    assert counts(client) == before


def test_a_split_check_earns_by_share_paid(client: TestClient) -> None:
    activate_loyalty(client)
    activate_loyalty(client, LOYALTY2)
    check = a_check("S1", item("A", "50.00"))
    too_much = check_call(
        client,
        "multiPostAndAccruePoints",
        {
            "check": check,
            "cardAmounts": [
                {"cardInfo": {"printedCardNumber": LOYALTY}, "amountPaid": "30"},
                {"cardInfo": {"printedCardNumber": LOYALTY2}, "amountPaid": "30"},
            ],
        },
    )
    assert too_much["errorCode"] == "check.amounts_exceed_check_total"
    split = check_call(
        client,
        "multiPostAndAccruePoints",
        {
            "check": check,
            "cardAmounts": [
                {"cardInfo": {"printedCardNumber": LOYALTY}, "amountPaid": "30"},
                {"cardInfo": {"printedCardNumber": LOYALTY2}, "amountPaid": "20"},
            ],
        },
    )
    assert [moved(r["addWalletContents"])[2] for r in split["cardResults"]] == ["30", "20"]
    again = check_call(
        client,
        "multiPostAndAccruePoints",
        {
            "check": check,
            "cardAmounts": [{"cardInfo": {"printedCardNumber": LOYALTY}, "amountPaid": "10"}],
        },
    )
    assert again["errorCode"] == "check.duplicate_check"
    audit_clean(client)


def test_welcome_coupon_once_per_account_until_its_check_is_reversed(client: TestClient) -> None:
    activate_loyalty(client)
    card = {"printedCardNumber": LOYALTY}

    def use(number: str) -> dict[str, Any]:
        return check_call(
            client,
            "postAndAccruePointsWithRedeem",
            {
                "cardInfo": card,
                "check": a_check(number, item("A", "25.00")),
                "couponCodes": ["WELCOME5"],
            },
        )

    first = use("W1")
    assert moved(first["addWalletContents"])[2] == "20"
    assert use("W2")["errorCode"] == "check.coupon_not_applicable"
    ok(
        call(
            client,
            "reverse",
            {"headerInfo": header(programId="PX"), "pxTransactionId": first["pxTransactionId"]},
        )
    )
    assert use("W3")["result"] == "success"
    unknown = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {"cardInfo": card, "check": a_check("W4", item("A", "25.00")), "couponCodes": ["NOPE"]},
    )
    assert unknown["errorCode"] == "check.invalid_coupon"


def test_gold_tier_after_500_points_earns_half_as_much_again(client: TestClient) -> None:
    activate_loyalty(client)
    reached = post_check(client, LOYALTY, a_check("G1", item("A", "250.00", "FEATURED")))
    assert reached["tierCode"] == 2
    gold = post_check(client, LOYALTY, a_check("G2", item("A", "10.00")))
    assert any(
        r["rule"] == "Points per dollar" and r["quantity"] == "15" for r in gold["ruleBreakdown"]
    )


def test_the_tier_falls_back_when_the_check_that_reached_it_is_reversed(
    client: TestClient,
) -> None:
    activate_loyalty(client)
    first = post_check(client, LOYALTY, a_check("T1", item("A", "10.00")))
    assert first["tierCode"] == 1
    reached = post_check(client, LOYALTY, a_check("T2", item("A", "250.00", "FEATURED")))
    assert reached["tierCode"] == 2
    assert post_check(client, LOYALTY, a_check("T3", item("A", "1.00")))["tierCode"] == 2
    ok(
        call(
            client,
            "reverse",
            {"headerInfo": header(programId="PX"), "pxTransactionId": reached["pxTransactionId"]},
        )
    )
    # Re-qualified at the next check, from what still stands.
    assert post_check(client, LOYALTY, a_check("T4", item("A", "1.00")))["tierCode"] == 1


def test_reward_details_and_simulation_without_a_choice(client: TestClient) -> None:
    activate_loyalty(client)
    post_check(client, LOYALTY, a_check("D0", item("A", "100.00")))
    simulated = check_call(
        client,
        "simulateAccrualAndRedemption",
        {"cardInfo": {"printedCardNumber": LOYALTY}, "check": a_check("D1", item("A", "20.00"))},
    )
    assert simulated["subtotalDiscounts"][0]["discountAmount"] == "5.00"
    assert moved(simulated["pointsToAccrue"]) == {2: "15", 4: "1"}
    assert wallets(simulated)[3] == "0" and wallets(simulated)[2] == "15"


items = st.lists(
    st.tuples(
        st.decimals(min_value=0, max_value=300, places=2),
        st.sampled_from(["FOOD", "ALCOHOL", "FEATURED", "GIFTCARD"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=items, redeem=st.booleans())
def test_simulate_and_post_agree_and_reversal_restores(
    client: TestClient, lines: list[tuple[Decimal, str]], redeem: bool
) -> None:
    from tests.conftest import reset

    reset(client)
    activate_loyalty(client)
    post_check(client, LOYALTY, a_check("seed", item("S", "100.00")))  # one reward to spend
    card = {"printedCardNumber": LOYALTY}
    check = a_check("H", *(item(f"I{i}", str(price), cat) for i, (price, cat) in enumerate(lines)))
    asks = [{"walletCode": 3, "quantity": 1}] if redeem else []
    before = wallets(
        check_call(client, "computeApplicableRewards", {"cardInfo": card, "check": check})
    )
    simulated = check_call(
        client,
        "simulateAccrualAndRedemption",
        {"cardInfo": card, "check": check, "redeemWalletContents": asks},
    )
    posted = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {"cardInfo": card, "check": check, "redeemWalletContents": asks},
    )
    if simulated["result"] != "success":
        assert posted["errorCode"] == simulated["errorCode"]
        return
    assert moved(simulated["pointsToAccrue"]) == moved(posted["addWalletContents"])
    assert wallets(simulated) == wallets(posted)
    for value in moved(posted["addWalletContents"]).values():
        assert Decimal(value) >= 0
    if posted.get("pxTransactionId") is not None:
        undone = ok(
            call(
                client,
                "reverse",
                {
                    "headerInfo": header(programId="PX"),
                    "pxTransactionId": posted["pxTransactionId"],
                },
            )
        )
        assert {b["walletCode"]: b["balance"] for b in undone["walletBalances"]} == before
    audit_clean(client)


def test_the_pos_sees_the_guests_name_and_tier(client: TestClient) -> None:
    from tests.api.guests import enroll

    number = enroll(client, "ada")["printedCardNumber"]
    posted = post_check(client, number, a_check("N1", item("A", "12.00")))
    assert (posted["customerName"], posted["tierCode"]) == ("Ada Lovelace", 1)
    offered = check_call(
        client,
        "computeApplicableRewards",
        {"cardInfo": {"printedCardNumber": number}, "check": a_check("N2", item("A", "3"))},
    )
    assert (offered["customerName"], offered["tierCode"]) == ("Ada Lovelace", 1)


def test_a_first_visit_bonus_comes_once_and_again_when_every_visit_is_reversed(
    client: TestClient,
) -> None:
    def first_visit_bonus(data: dict[str, Any]) -> None:
        data["loyalty"]["bonuses"] = [
            {"name": "Welcome visit", "wallet": 2, "quantity": 50, "first_visit": True}
        ]

    def welcomed(reply: dict[str, Any]) -> bool:
        assert reply["result"] == "success", reply
        return any(r["rule"] == "Welcome visit" for r in reply["ruleBreakdown"])

    def reverse(reply: dict[str, Any]) -> None:
        undo = {"headerInfo": header(programId="PX"), "pxTransactionId": reply["pxTransactionId"]}
        ok(call(client, "reverse", undo))

    with demo_program(client, first_visit_bonus):
        activate_loyalty(client, LOYALTY2)
        first = post_check(client, LOYALTY2, a_check("FV1", item("A", "10.00")))
        assert welcomed(first)
        second = post_check(client, LOYALTY2, a_check("FV2", item("A", "10.00")))
        assert not welcomed(second)
        reverse(second)
        # The first visit still stands.
        third = post_check(client, LOYALTY2, a_check("FV3", item("A", "10.00")))
        assert not welcomed(third)
        reverse(third)
        reverse(first)
        # No visit stands any more: the next check is a first visit again.
        assert welcomed(post_check(client, LOYALTY2, a_check("FV4", item("A", "10.00"))))
