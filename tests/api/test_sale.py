"""The Sale Service as a web store calls it: programs, pricing, eGift and loyalty card
sales, their delivery by e-mail and the recipient's claim."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.domain.money import from_units
from openpxs.messaging import SmtpTransport, deliver_due
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.store.tables import cards, journal, outbox, payment_attempts, sale_orders
from tests.api.guest_state import audit_clean
from tests.api.guests import as_guest, body_of, enroll, gget, gpost
from tests.api.pos import balance, run_db, wallets
from tests.api.test_onetimepassword import outbox_messages
from tests.api.test_outbox_delivery import Inbox, inbox  # noqa: F401 (fixture)
from tests.api.test_payment import ADDRESS, guest
from tests.program_config import demo_program

TODAY = datetime.now(ZoneInfo("America/New_York")).date()
PURCHASER = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def item(amount: Any = "25.00", design: str | None = "BIRTHDAY", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"amount": amount, **extra}
    if design is not None:
        found["designCode"] = design
    return found


def to(email: str = "grace@example.com", **extra: Any) -> dict[str, Any]:
    return {"firstName": "Grace", "email": email, "message": "Happy birthday!", **extra}


def order(**changes: Any) -> dict[str, Any]:
    return {
        "authentication": "anonymous",
        "programType": "EGIFT",
        "cardTemplateCode": 1,
        "items": [item(recipient=to())],
        "shippingMethodCode": "EMAIL",
        **changes,
    }


def sale(**changes: Any) -> dict[str, Any]:
    return {
        **order(**changes),
        "purchaser": changes.get("purchaser", PURCHASER),
        "billingAddress": changes.get("billingAddress", ADDRESS),
        "paymentMethod": changes.get("paymentMethod", {"type": "CC", "token": "tok_visa"}),
    }


def sell(client: TestClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return body_of(gpost(client, "sale", "executeSale", body, **kwargs))


def refused(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply["errorCode"]) == ("failure", code), reply
    assert reply["errorMessage"]


def count(client: TestClient, table: Any) -> int:
    async def work(conn: Any) -> int:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar())

    return run_db(client, work)  # type: ignore[no-any-return]


def rows(client: TestClient, table: Any) -> list[Any]:
    async def work(conn: Any) -> list[Any]:
        return list((await conn.execute(select(table))).all())

    return run_db(client, work)  # type: ignore[no-any-return]


def nothing_moved(client: TestClient, cards_before: int) -> None:
    assert count(client, cards) == cards_before
    assert count(client, journal) == 0
    assert count(client, outbox) == 0


# --- configuration


def test_sale_config_shows_the_demo_egift(client: TestClient) -> None:
    reply = body_of(
        gget(
            client,
            "sale",
            "saleConfig",
            {"authentication": "anonymous", "programType": "EGIFT", "cardTemplateCode": 1},
        )
    )
    program = reply["program"]
    assert reply["result"] == "success"
    assert (program["programType"], program["cardTemplateCode"]) == ("EGIFT", 2)
    assert (program["minAmount"], program["maxAmount"]) == ("10.00", "500.00")
    assert [d["code"] for d in program["designs"]] == ["BIRTHDAY", "THANKS"]
    assert program["designs"][0]["imageUrl"].startswith("https://")
    assert program["shippingMethods"] == [
        {"code": "EMAIL", "name": "E-mail", "deliveryType": "EMAIL", "price": "0.00"}
    ]
    assert program["paymentMethods"] == ["CC"]
    assert program["discounts"][0]["scope"] == "ORDER"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"programType": "SUBSCRIPTION", "cardTemplateCode": 1}, "sale.invalid_program_type"),
        ({"programType": "EGIFT", "cardTemplateCode": 99}, "sale.invalid_card_template"),
        ({"programType": "LOYALTY_CARD", "cardTemplateCode": 1}, "sale.program_not_found"),
        # Reward Yourself is offered to loyalty cards only.
        ({"programType": "REWARD_YOURSELF", "cardTemplateCode": 2}, "sale.program_not_found"),
    ],
)
def test_sale_config_refusals(client: TestClient, params: dict[str, Any], code: str) -> None:
    reply = body_of(gget(client, "sale", "saleConfig", {"authentication": "anonymous", **params}))
    refused(reply, code)


def test_account_configs_follow_the_guests_card(client: TestClient) -> None:
    card, token = guest(client)
    one = body_of(
        gget(
            client,
            "sale",
            "saleConfigForAccount",
            as_guest(token, printedCardNumber=card, programType="EGIFT"),
        )
    )
    assert one["program"]["paymentMethods"] == ["CC", "SAVED_CC"]
    every = body_of(
        gget(client, "sale", "saleConfigsForAccount", as_guest(token, printedCardNumber=card))
    )
    assert [p["programType"] for p in every["programs"]] == ["EGIFT", "REWARD_YOURSELF"]
    other = body_of(
        gget(
            client,
            "sale",
            "saleConfigsForAccount",
            as_guest(token, printedCardNumber="6000000000000001"),
        )
    )
    refused(other, "sale.invalid_card")


def test_loyalty_card_sale_config_is_not_offered_by_the_demo(client: TestClient) -> None:
    reply = body_of(
        gget(
            client,
            "sale",
            "loyaltyCardSaleConfig",
            {"authentication": "anonymous", "cardTemplateCode": 1},
        )
    )
    refused(reply, "sale.program_not_found")


# --- pricing


def test_calculate_price_applies_discounts_and_stores_nothing(client: TestClient) -> None:
    body = order(items=[item("150.00", quantity=1), item("30.00", design="THANKS", quantity="2")])
    reply = body_of(gpost(client, "sale", "calculatePrice", body))
    summary = reply["saleSummary"]
    assert reply["result"] == "success"
    assert [(i["amount"], i["quantity"], i["price"]) for i in summary["items"]] == [
        ("150.00", 1, "150.00"),
        ("30.00", 2, "60.00"),
    ]
    # 5% off orders of $200 or more: 210.00 -> 10.50 off.
    assert (summary["subtotal"], summary["orderDiscount"]) == ("210.00", "10.50")
    assert (summary["shippingCost"], summary["total"]) == ("0.00", "199.50")
    small = body_of(gpost(client, "sale", "calculatePrice", order()))
    assert (small["saleSummary"]["orderDiscount"], small["saleSummary"]["total"]) == (
        "0.00",
        "25.00",
    )
    assert count(client, sale_orders) == 0 and count(client, payment_attempts) == 0


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"items": []}, "sale.invalid_item"),
        ({"items": [item("9.99")]}, "sale.invalid_amount"),
        ({"items": [item("500.01")]}, "sale.invalid_amount"),
        ({"items": [item("12.345")]}, "sale.invalid_amount"),
        ({"items": [item("ten")]}, "sale.invalid_amount"),
        ({"items": [item(quantity=0)]}, "sale.invalid_quantity"),
        ({"items": [item(quantity=11)]}, "sale.invalid_quantity"),
        ({"items": [item(quantity=6), item(quantity=5)]}, "sale.invalid_quantity"),
        ({"items": [item(design="GOLD")]}, "sale.invalid_design"),
        ({"items": [item(design=None)]}, "sale.invalid_design"),
        ({"shippingMethodCode": "COURIER"}, "sale.invalid_shipping_method"),
        ({"programType": "NOPE"}, "sale.invalid_program_type"),
    ],
)
def test_calculate_price_refusals(client: TestClient, changes: dict[str, Any], code: str) -> None:
    refused(body_of(gpost(client, "sale", "calculatePrice", order(**changes))), code)


def test_calculate_price_for_an_account(client: TestClient) -> None:
    card, token = guest(client)
    body = as_guest(
        token,
        printedCardNumber=card,
        programType="EGIFT",
        items=[item("40.00", quantity=2)],
        shippingMethodCode="EMAIL",
    )
    reply = body_of(gpost(client, "sale", "calculatePriceForAccount", body))
    assert reply["saleSummary"]["total"] == "80.00"
    assert "totalPoints" not in reply["saleSummary"]


# --- selling


def test_an_egift_sale_charges_then_issues_a_loaded_card(client: TestClient) -> None:
    reply = sell(client, sale(expectedTotal="25.00"))
    assert reply["result"] == "success", reply
    assert reply["orderNumber"].startswith("S") and len(reply["orderNumber"]) == 12
    assert reply["saleSummary"]["total"] == "25.00"
    charge = reply["chargeResponse"]
    assert (charge["amount"], charge["transactionState"], charge["lastFour"]) == (
        "25.00",
        "Succeeded",
        "4242",
    )
    [order_row] = rows(client, sale_orders)
    assert order_row.fulfilled_at is not None
    assert from_units(order_row.total, 2) == Decimal("25.00")
    [payment] = BuiltinTestProcessor.for_merchant(1000)._books.payments.values()
    assert payment.amount == Decimal("25.00")
    [number] = order_row.cards
    assert wallets(balance(client, number)) == {1: "25.00"}
    [attempt] = rows(client, payment_attempts)
    assert (attempt.kind, attempt.state, attempt.card_number) == (
        "sale",
        "credited",
        reply["orderNumber"],
    )
    [mail] = outbox_messages(client)
    assert mail["recipient"] == "grace@example.com" and number in mail["body"]
    assert "Ada Lovelace sent you" in mail["body"] and "Happy birthday!" in mail["body"]
    audit_clean(client)


def test_several_items_make_one_card_per_unit(client: TestClient) -> None:
    body = sale(
        items=[
            item("20.00", quantity=2, recipient=to("a@example.com")),
            item("50.00", design="THANKS"),  # no recipient: e-mailed to the purchaser
        ]
    )
    reply = sell(client, body)
    assert reply["result"] == "success", reply
    [order_row] = rows(client, sale_orders)
    assert len(order_row.cards) == 3
    assert [wallets(balance(client, n))[1] for n in order_row.cards] == [
        "20.00",
        "20.00",
        "50.00",
    ]
    recipients = sorted(m["recipient"] for m in outbox_messages(client))
    assert recipients == ["a@example.com", "a@example.com", "ada@example.com"]
    audit_clean(client)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"expectedTotal": "20.00"}, "sale.price_changed"),
        ({"items": [item("5.00", recipient=to())]}, "sale.invalid_amount"),
        ({"items": [item(recipient=to("not-an-address"))]}, "sale.invalid_recipient"),
        ({"items": [item(recipient={"firstName": "G"})]}, "sale.invalid_recipient"),
        (
            {"items": [item(recipient=to(deliveryDate="2020-01-01"))]},
            "sale.invalid_recipient",
        ),
        ({"items": [item(recipient=to(deliveryDate="tomorrow"))]}, "sale.invalid_recipient"),
        ({"items": [item(recipient=to(message="x" * 251))]}, "sale.invalid_recipient"),
        ({"purchaser": {"firstName": "Ada"}}, "sale.invalid_purchaser"),
        ({"purchaser": {**PURCHASER, "email": "nope"}}, "sale.invalid_purchaser"),
        ({"paymentMethod": {"type": "CC"}}, "sale.invalid_payment_method"),
        ({"paymentMethod": {"type": "SAVED_CC"}}, "sale.invalid_payment_method"),
        ({"paymentMethod": {"type": "WIRE"}}, "sale.invalid_payment_method"),
        (
            {"paymentMethod": {"type": "CC", "token": "4111111111111111"}},
            "sale.invalid_payment_method",
        ),
        ({"billingAddress": {"address1": "1 Main St"}}, "sale.address_required"),
        ({"paymentMethod": {"type": "CC", "token": "tok_decline"}}, "sale.payment_declined"),
        (
            {"paymentMethod": {"type": "CC", "token": "tok_insufficient_funds"}},
            "sale.payment_declined",
        ),
        (
            {"paymentMethod": {"type": "CC", "token": "tok_processor_error"}},
            "sale.processor_error",
        ),
        ({"paymentMethod": {"type": "CC", "token": "junk"}}, "sale.processor_error"),
    ],
)
def test_a_refused_sale_changes_nothing(
    client: TestClient, changes: dict[str, Any], code: str
) -> None:
    cards_before = count(client, cards)
    reply = sell(client, sale(**changes))
    refused(reply, code)
    nothing_moved(client, cards_before)
    assert all(r.fulfilled_at is None for r in rows(client, sale_orders))


def test_a_declined_sale_answers_the_processor_outcome(client: TestClient) -> None:
    reply = sell(client, sale(paymentMethod={"type": "CC", "token": "tok_decline"}))
    refused(reply, "sale.payment_declined")
    assert reply["chargeResponse"]["transactionState"] == "Declined"
    [attempt] = rows(client, payment_attempts)
    assert attempt.state == "failed"


def test_a_lost_answer_is_asked_again_and_the_sale_completes(client: TestClient) -> None:
    reply = sell(client, sale(paymentMethod={"type": "CC", "token": "tok_timeout"}))
    assert reply["result"] == "success", reply
    assert len(BuiltinTestProcessor.for_merchant(1000)._books.payments) == 1
    [order_row] = rows(client, sale_orders)
    assert wallets(balance(client, order_row.cards[0])) == {1: "25.00"}


def test_a_retry_with_the_same_key_is_the_same_order(client: TestClient) -> None:
    headers = {"Idempotency-Key": "order-77"}
    first = sell(client, sale(), headers=headers)
    again = sell(client, sale(items=[item("99.00", recipient=to())]), headers=headers)
    assert first["result"] == again["result"] == "success"
    assert again["orderNumber"] == first["orderNumber"]
    assert again["saleSummary"]["total"] == "25.00"
    assert len(BuiltinTestProcessor.for_merchant(1000)._books.payments) == 1
    assert count(client, sale_orders) == 1 and count(client, outbox) == 1
    other = sell(client, sale(), headers={"Idempotency-Key": "order-78"})
    assert other["orderNumber"] != first["orderNumber"]


def test_a_failure_after_the_charge_voids_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpxs.services import sale_fulfilment

    async def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("card inventory unavailable")

    monkeypatch.setattr(sale_fulfilment, "new_virtual_card", broken)
    cards_before = count(client, cards)
    reply = sell(client, sale())
    refused(reply, "sale.processor_error")
    nothing_moved(client, cards_before)
    [attempt] = rows(client, payment_attempts)
    assert attempt.state == "compensated"
    [payment] = BuiltinTestProcessor.for_merchant(1000)._books.payments.values()
    assert payment.voided or payment.refunded == payment.amount


def test_a_sale_for_an_account_keeps_own_items_on_the_card(client: TestClient) -> None:
    card, token = guest(client)
    body = as_guest(
        token,
        printedCardNumber=card,
        programType="EGIFT",
        items=[item("30.00"), item("20.00", recipient=to())],
        shippingMethodCode="EMAIL",
        billingAddress=ADDRESS,
        paymentMethod={"type": "CC", "token": "tok_visa"},
    )
    reply = body_of(gpost(client, "sale", "executeSaleForAccount", body))
    assert reply["result"] == "success", reply
    assert wallets(balance(client, card))[1] == "30.00"
    [order_row] = rows(client, sale_orders)
    [gift] = order_row.cards
    assert wallets(balance(client, gift)) == {1: "20.00"}
    mails = outbox_messages(client)
    assert [m["recipient"] for m in mails if gift in m["body"]] == ["grace@example.com"]
    saved = body_of(
        gpost(
            client,
            "sale",
            "executeSaleForAccount",
            {**body, "paymentMethod": {"type": "SAVED_CC"}},
        )
    )
    refused(saved, "sale.invalid_payment_method")
    nameless = {**body, "items": [item(recipient={"firstName": "Lee"})]}
    refused(
        body_of(gpost(client, "sale", "executeSaleForAccount", nameless)),
        "sale.invalid_recipient",
    )
    audit_clean(client)


def test_a_loyalty_card_sale_needs_a_program(client: TestClient) -> None:
    reply = sell_loyalty(client)
    refused(reply, "sale.program_not_found")


def sell_loyalty(client: TestClient, **changes: Any) -> dict[str, Any]:
    body = {
        "authentication": "anonymous",
        "cardTemplateCode": 1,
        "shippingMethodCode": "EMAIL",
        "purchaser": PURCHASER,
        "billingAddress": ADDRESS,
        "paymentMethod": {"type": "CC", "token": "tok_visa"},
        **changes,
    }
    return body_of(gpost(client, "sale", "executeLoyaltyCardSale", body))


# --- delivery and claim


def deliver(client: TestClient, box: Inbox, now: datetime) -> int:
    transport = SmtpTransport(
        host="127.0.0.1", port=box.port, from_address="Demo <gifts@demo.example>", timeout=5
    )
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    return int(client.portal.call(deliver_due, engine, transport, now))


def test_the_card_is_emailed_on_its_delivery_day_and_claimed(
    client: TestClient,
    inbox: Inbox,  # noqa: F811
) -> None:
    later = TODAY + timedelta(days=3)
    reply = sell(client, sale(items=[item(recipient=to(deliveryDate=later.isoformat()))]))
    assert reply["result"] == "success", reply
    now = datetime.now(UTC)
    assert deliver(client, inbox, now) == 0  # not before its day
    start = datetime.combine(later, datetime.min.time(), ZoneInfo("America/New_York"))
    assert deliver(client, inbox, start.astimezone(UTC) + timedelta(minutes=1)) == 1
    [got] = inbox.received
    assert got.recipients == ["grace@example.com"]
    assert got.message["Subject"] == "A gift card for you"
    text = got.message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    number = next(line.split(": ")[1] for line in text.splitlines() if "Card number" in line)
    code = next(line.split(": ")[1] for line in text.splitlines() if "Registration" in line)

    # The recipient, a guest of the merchant, adds the card to their account.
    created = enroll(client, "grace", "grace@example.com")
    token = created["oauthTokens"]["access_token"]
    wrong = body_of(
        gpost(
            client,
            "guest",
            "attachCard",
            as_guest(token, printedCardNumber=number, registrationCode="000000"),
        )
    )
    assert wrong["result"] != "success"
    claimed = body_of(
        gpost(
            client,
            "guest",
            "attachCard",
            as_guest(token, printedCardNumber=number, registrationCode=code),
        )
    )
    assert claimed["result"] == "success", claimed


def test_no_payment_card_number_is_kept(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    pan = "4242424242424242"
    caplog.set_level("DEBUG")
    sell(client, sale(paymentMethod={"type": "CC", "token": pan}))
    sell(client, sale(paymentMethod={"type": "CC", "token": "tok_visa", "cardholderName": pan}))

    async def dump(conn: Any) -> str:
        text = []
        for table in (sale_orders, payment_attempts, outbox, journal):
            text += [str(tuple(r)) for r in (await conn.execute(select(table))).all()]
        return "\n".join(text)

    assert pan not in run_db(client, dump)
    assert pan not in caplog.text


def test_delivery_dates_are_the_merchants_days() -> None:
    from openpxs.services.sale_fulfilment import _due

    due = _due("2027-03-14", "America/New_York")
    assert due == datetime(2027, 3, 14, 5, 0, tzinfo=UTC)  # still EST at midnight
    assert _due("2027-03-15", "America/New_York") == datetime(2027, 3, 15, 4, 0, tzinfo=UTC)
    assert _due(None, "UTC") is None


def _sells_loyalty_cards(data: dict[str, Any]) -> None:
    data["payments"]["sales"].append(
        {
            "type": "LOYALTY_CARD",
            "name": "Loyalty Card",
            "card_template": 1,
            "store": "corp",
            "price": "5.00",
            "max_quantity": 3,
            "shipping_methods": [
                {"code": "EMAIL", "name": "E-mail", "delivery_type": "EMAIL"},
                {"code": "POST", "name": "Post", "delivery_type": "MAIL", "price": "2.50"},
            ],
        }
    )


def test_a_loyalty_card_sale_reserves_cards(client: TestClient) -> None:
    with demo_program(client, _sells_loyalty_cards):
        config = body_of(
            gget(
                client,
                "sale",
                "loyaltyCardSaleConfig",
                {"authentication": "anonymous", "cardTemplateCode": 1},
            )
        )
        assert (config["program"]["minAmount"], config["program"]["amounts"]) == (
            "5.00",
            ["5.00"],
        )
        cards_before = count(client, cards)
        refused(sell_loyalty(client, shippingMethodCode="POST"), "sale.address_required")
        refused(sell_loyalty(client, quantity=4), "sale.invalid_quantity")
        refused(sell_loyalty(client, expectedTotal="5.00", quantity=2), "sale.price_changed")
        nothing_moved(client, cards_before)

        reply = sell_loyalty(client, quantity=2, shippingMethodCode="POST", shippingAddress=ADDRESS)
        assert reply["result"] == "success", reply
        assert reply["saleSummary"]["total"] == "12.50"
        [order_row] = rows(client, sale_orders)
        assert order_row.shipping_address["city"] == "Boston"
        assert len(order_row.cards) == 2 and order_row.transaction_id is None

        async def statuses(conn: Any) -> list[str]:
            found = await conn.execute(
                select(cards.c.status).where(cards.c.printed_card_number.in_(order_row.cards))
            )
            return [r.status for r in found]

        # Reserved for the guest to register, not active, and nothing loaded.
        assert run_db(client, statuses) == ["inactive", "inactive"]
        assert count(client, journal) == 0
        assert [m["recipient"] for m in outbox_messages(client)] == ["ada@example.com"] * 2


def test_reconciliation_gives_back_a_sale_charge_left_unfulfilled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpxs.services import sale_fulfilment
    from openpxs.services.card_payments import reconcile
    from openpxs.store.uow import unit_of_work

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unavailable")

    # The cards cannot be issued, and the processor cannot give the money back now.
    with monkeypatch.context() as patch:
        patch.setattr(sale_fulfilment, "new_virtual_card", broken)
        patch.setattr(BuiltinTestProcessor, "void", broken)
        patch.setattr(BuiltinTestProcessor, "refund", broken)
        refused(sell(client, sale()), "sale.processor_error")
    [attempt] = rows(client, payment_attempts)
    assert attempt.state == "charged"

    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def settle() -> Any:
        return await reconcile(lambda: unit_of_work(engine), datetime.now(UTC) + timedelta(hours=1))

    assert client.portal is not None
    report = client.portal.call(settle)
    assert (report.compensated, report.credited) == (1, 0)
    [attempt] = rows(client, payment_attempts)
    assert attempt.state == "compensated"
    [payment] = BuiltinTestProcessor.for_merchant(1000)._books.payments.values()
    assert payment.voided or payment.refunded == payment.amount
    assert count(client, journal) == 0
    assert all(r.fulfilled_at is None for r in rows(client, sale_orders))
