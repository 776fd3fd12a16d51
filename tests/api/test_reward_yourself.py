"""Reward Yourself as an app calls it: a signed-in guest prices items in points and buys
stored value with them, for their own card or as an e-mailed gift card (demo merchant
1000: 20 points a dollar, cards of $5, $10, $25 or $50)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.store.tables import cards, journal, payment_attempts, sale_orders
from tests.api.guest_state import audit_clean
from tests.api.guests import as_guest, body_of, enroll, gget, gpost
from tests.api.pos import add_redeem, balance, ok, run_db, sv, wallets
from tests.api.test_onetimepassword import outbox_messages
from tests.api.test_payment import guest
from tests.api.test_sale import count, item, refused, rows, to
from tests.api.test_transaction_corrections import reverse


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def give_points(client: TestClient, card: str, points: int) -> None:
    ok(add_redeem(client, card, add=sv(str(points), wallet=2), program="LP"))


def points_of(client: TestClient, card: str) -> str:
    return wallets(balance(client, card))[2]


def points_order(token: str, card: str, **changes: Any) -> dict[str, Any]:
    order = {
        "printedCardNumber": card,
        "programType": "REWARD_YOURSELF",
        "items": [item("10.00", design=None)],
        "shippingMethodCode": "EMAIL",
    }
    return as_guest(token, **{**order, **changes})


def buy(client: TestClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return body_of(gpost(client, "sale", "executeSaleForAccount", body, **kwargs))


def journal_rows(client: TestClient) -> list[Any]:
    async def work(conn: Any) -> list[Any]:
        return list((await conn.execute(select(journal).order_by(journal.c.id))).all())

    return run_db(client, work)  # type: ignore[no-any-return]


def test_the_program_shows_its_rate_and_no_card_payment(client: TestClient) -> None:
    card, token = guest(client)
    reply = body_of(
        gget(
            client,
            "sale",
            "saleConfigForAccount",
            as_guest(token, printedCardNumber=card, programType="REWARD_YOURSELF"),
        )
    )
    program = reply["program"]
    assert (program["programType"], program["pointsPerCurrencyUnit"]) == ("REWARD_YOURSELF", "20")
    assert program["amounts"] == ["5.00", "10.00", "25.00", "50.00"]
    assert program["paymentMethods"] == []
    every = body_of(
        gget(client, "sale", "saleConfigsForAccount", as_guest(token, printedCardNumber=card))
    )
    assert [p["programType"] for p in every["programs"]] == ["EGIFT", "REWARD_YOURSELF"]
    egift = next(p for p in every["programs"] if p["programType"] == "EGIFT")
    assert "pointsPerCurrencyUnit" not in egift


def test_points_are_quoted_next_to_the_balance_and_nothing_moves(client: TestClient) -> None:
    card, token = guest(client)
    give_points(client, card, 300)
    journal_before = len(journal_rows(client))
    body = as_guest(
        token,
        printedCardNumber=card,
        items=[item("10.00", design=None, quantity=2), item("5.00", design=None)],
    )
    reply = body_of(gpost(client, "sale", "calculateRewardYourselfPoints", body))
    assert reply == {
        "result": "success",
        "pointsRequired": "500",
        "pointsBalance": "300",
        "walletCode": 2,
    }
    priced = body_of(
        gpost(
            client,
            "sale",
            "calculatePriceForAccount",
            points_order(token, card, items=body["items"]),
        )
    )
    assert (priced["saleSummary"]["total"], priced["saleSummary"]["totalPoints"]) == (
        "25.00",
        "500",
    )
    assert len(journal_rows(client)) == journal_before
    assert count(client, sale_orders) == 0


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([], "sale.invalid_item"),
        ([item("7.00", design=None)], "sale.invalid_amount"),
        ([item("60.00", design=None)], "sale.invalid_amount"),
        ([item("5.00", design=None, quantity=6)], "sale.invalid_quantity"),
        ([item("5.00", design="BIRTHDAY")], "sale.invalid_design"),
    ],
)
def test_a_points_quote_checks_the_items(
    client: TestClient, items: list[dict[str, Any]], code: str
) -> None:
    card, token = guest(client)
    body = as_guest(token, printedCardNumber=card, items=items)
    refused(body_of(gpost(client, "sale", "calculateRewardYourselfPoints", body)), code)


def test_a_points_quote_needs_a_card_the_program_is_offered_to(client: TestClient) -> None:
    _card, token = guest(client)
    other = as_guest(token, printedCardNumber="6000000000000001", items=[item("5.00", None)])
    refused(
        body_of(gpost(client, "sale", "calculateRewardYourselfPoints", other)), "sale.invalid_card"
    )


def test_points_buy_value_for_the_card_and_a_gift_in_one_transaction(
    client: TestClient,
) -> None:
    card, token = guest(client)
    give_points(client, card, 400)
    cards_before = count(client, cards)
    body = points_order(
        token,
        card,
        items=[item("10.00", design=None), item("5.00", design=None, recipient=to())],
        expectedTotal="15.00",
    )
    reply = buy(client, body)
    assert reply["result"] == "success", reply
    assert "chargeResponse" not in reply
    assert (reply["saleSummary"]["total"], reply["saleSummary"]["totalPoints"]) == (
        "15.00",
        "300",
    )
    assert points_of(client, card) == "100"
    assert wallets(balance(client, card))[1] == "10.00"
    [order_row] = rows(client, sale_orders)
    assert order_row.program_type == "REWARD_YOURSELF" and order_row.fulfilled_at is not None
    [gift] = order_row.cards
    assert wallets(balance(client, gift)) == {1: "5.00"}
    assert count(client, cards) == cards_before + 1
    # The points paid and the value loaded are postings of one ledger transaction.
    paid = [r for r in journal_rows(client) if r.transaction_id == order_row.transaction_id]
    assert sorted((r.wallet_code, r.units) for r in paid) == [
        (1, 50_000),  # $5.00 on the gift card
        (1, 100_000),  # $10.00 on the guest's own card
        (2, -3_000_000),  # 300 points
    ]
    assert count(client, payment_attempts) == 0
    assert BuiltinTestProcessor.for_merchant(1000)._books.payments == {}
    [mail] = [m for m in outbox_messages(client) if gift in m["body"]]
    assert mail["recipient"] == "grace@example.com"
    audit_clean(client)


def test_reversing_a_points_order_gives_the_points_back_and_takes_the_value(
    client: TestClient,
) -> None:
    card, token = guest(client)
    give_points(client, card, 400)
    body = points_order(
        token,
        card,
        items=[item("10.00", design=None), item("5.00", design=None, recipient=to())],
        expectedTotal="15.00",
    )
    assert buy(client, body)["result"] == "success"
    [order_row] = rows(client, sale_orders)
    [gift] = order_row.cards
    undone = reverse(client, order_row.transaction_id)
    assert undone["result"] in ("success", "authorizedSuccess"), undone
    assert points_of(client, card) == "400"
    assert wallets(balance(client, card))[1] == "0.00"
    # The gift card the order issued is back to what it was before: not active.
    assert balance(client, gift)["errorCode"] == "transaction.card_not_active"
    audit_clean(client)


def test_too_few_points_refuse_the_whole_order(client: TestClient) -> None:
    card, token = guest(client)
    give_points(client, card, 299)
    cards_before = count(client, cards)
    journal_before = len(journal_rows(client))
    body = points_order(
        token, card, items=[item("10.00", design=None), item("5.00", None, recipient=to())]
    )
    refused(buy(client, body), "sale.insufficient_points")
    assert points_of(client, card) == "299"
    assert wallets(balance(client, card))[1] == "0.00"
    assert count(client, cards) == cards_before
    assert len(journal_rows(client)) == journal_before
    assert count(client, sale_orders) == 0
    assert not [m for m in outbox_messages(client) if m["recipient"] == "grace@example.com"]


def test_a_retry_with_the_same_key_spends_the_points_once(client: TestClient) -> None:
    card, token = guest(client)
    give_points(client, card, 1000)
    headers = {"Idempotency-Key": "points-1"}
    first = buy(client, points_order(token, card), headers=headers)
    again = buy(
        client, points_order(token, card, items=[item("50.00", design=None)]), headers=headers
    )
    assert first["result"] == again["result"] == "success", (first, again)
    assert again["orderNumber"] == first["orderNumber"]
    assert again["saleSummary"] == first["saleSummary"]
    assert again["saleSummary"]["totalPoints"] == "200"
    assert points_of(client, card) == "800"
    assert count(client, sale_orders) == 1
    # Another guest of the same app sending the same header places an order of their own.
    other = enroll(client, "lin", "lin@example.com")
    other_card = other["printedCardNumber"]
    give_points(client, other_card, 200)
    theirs = buy(
        client,
        points_order(other["oauthTokens"]["access_token"], other_card),
        headers=headers,
    )
    assert theirs["result"] == "success", theirs
    assert theirs["orderNumber"] != first["orderNumber"]
    assert points_of(client, other_card) == "0"
    audit_clean(client)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"paymentMethod": {"type": "CC", "token": "tok_visa"}}, "sale.invalid_payment_method"),
        ({"expectedTotal": "9.00"}, "sale.price_changed"),
        ({"shippingMethodCode": "POST"}, "sale.invalid_shipping_method"),
        ({"items": [item("5.00", None, recipient={"firstName": "G"})]}, "sale.invalid_recipient"),
    ],
)
def test_a_refused_points_order_changes_nothing(
    client: TestClient, changes: dict[str, Any], code: str
) -> None:
    card, token = guest(client)
    give_points(client, card, 1000)
    refused(buy(client, points_order(token, card, **changes)), code)
    assert points_of(client, card) == "1000"
    assert count(client, sale_orders) == 0


def test_points_are_spent_only_with_an_account(client: TestClient) -> None:
    body = {
        "authentication": "anonymous",
        "programType": "REWARD_YOURSELF",
        "cardTemplateCode": 1,
        "items": [item("5.00", design=None, recipient=to())],
        "shippingMethodCode": "EMAIL",
        "purchaser": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
    }
    refused(body_of(gpost(client, "sale", "executeSale", body)), "sale.invalid_program_type")
    assert count(client, sale_orders) == 0
