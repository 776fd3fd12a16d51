"""Checkout sessions and payment intents with the built-in test processor: a checkout
only authorizes, a capture takes and credits exactly once, a cancel releases, and two
calls racing for one intent cannot both win."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from openpxs.domain.clock import ShiftedClock
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.processors.stripe_gateway import CAPTURE_KEY_FIELD
from openpxs.services import payment_intents
from openpxs.store.tables import cards, payment_attempts
from openpxs.store.tables import payment_intents as payment_intents_table
from openpxs.store.uow import unit_of_work
from tests.api.guests import as_guest, b2b, body_of, gget, gpost
from tests.api.pos import APP, POS, run_db
from tests.api.test_payment import guest, sv_balance
from tests.api.test_stripe_processor import VISA, stripe_merchant
from tests.fakes.localstripe import LocalStripe
from tests.pg.test_races import Pos, race, race_url
from tests.program_config import demo_program

__all__ = ["race_url", "stripe_merchant"]


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def checkout(client: TestClient, token: str, card: str, **body: Any) -> dict[str, Any]:
    request = {"printedCardNumber": card, "amount": "20.00", "purpose": "RECHARGE", **body}
    return body_of(gpost(client, "payment", "createCheckoutSession", as_guest(token, **request)))


def pay(opened: dict[str, Any], token: str = "tok_visa") -> str:
    """The guest pays the test processor's checkout page."""
    reference = opened["clientSecret"].split("_secret_")[0]
    return str(BuiltinTestProcessor.pay_checkout(1000, reference, token).outcome)


def read(client: TestClient, token: str, intent: str) -> dict[str, Any]:
    params = as_guest(token, paymentIntentId=intent)
    return body_of(gget(client, "payment", "paymentIntent", params))


def change(client: TestClient, token: str, operation: str, intent: str, **body: Any) -> Any:
    request = as_guest(token, paymentIntentId=intent, **body)
    return body_of(gpost(client, "payment", operation, request))


def attempts(client: TestClient) -> int:
    async def work(conn: Any) -> int:
        return int(
            (await conn.execute(select(func.count()).select_from(payment_attempts))).scalar()
        )

    return int(run_db(client, work))


def test_a_manual_intent_is_captured_once_and_credited_once(client: TestClient) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card, captureMethod="MANUAL")
    assert opened["result"] == "success", opened
    intent = opened["paymentIntentId"]
    assert opened["url"].endswith(opened["checkoutSessionId"])
    assert read(client, token, intent)["paymentIntent"]["status"] == "CREATED"
    # Capturing before the guest paid takes nothing.
    early = change(client, token, "capturePaymentIntent", intent)
    assert early["errorCode"] == "payment.invalid_payment_intent_state", early
    assert pay(opened) == "approved"
    held = read(client, token, intent)["paymentIntent"]
    assert (held["status"], held["amount"], held["purpose"]) == ("AUTHORIZED", "20.00", "RECHARGE")
    assert sv_balance(client, card) in ("", "0.00")  # authorized only: nothing credited
    too_much = change(client, token, "capturePaymentIntent", intent, amount="20.01")
    assert too_much["errorCode"] == "payment.invalid_amount", too_much
    captured = change(client, token, "capturePaymentIntent", intent, amount="15.00")
    assert captured["result"] == "success", captured
    shown = captured["paymentIntent"]
    assert (shown["status"], shown["capturedAmount"]) == ("CAPTURED", "15.00")
    assert shown["chargeResponse"]["transactionState"] == "Succeeded"
    assert sv_balance(client, card) == "15.00"
    for operation in ("capturePaymentIntent", "cancelPaymentIntent"):
        again = change(client, token, operation, intent)
        assert again["errorCode"] == "payment.invalid_payment_intent_state", again
    assert read(client, token, intent)["paymentIntent"]["status"] == "CAPTURED"
    assert sv_balance(client, card) == "15.00"
    assert attempts(client) == 1


def test_the_guest_pays_on_the_test_processors_own_checkout_page(client: TestClient) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card, captureMethod="MANUAL")
    intent, url = opened["paymentIntentId"], opened["url"]
    assert url == f"/test-processor/checkout/1000/{opened['checkoutSessionId']}"
    shown = client.get(url)
    assert shown.status_code == 200 and "Amount: 20.00" in shown.text
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    # Not a test card: the page asks again and nothing is held.
    assert client.post(url, data={"token": "4242424242424242"}).status_code == 400
    declined = client.post(url, data={"token": "tok_decline"})
    assert declined.status_code == 402 and "The card was refused" in declined.text
    assert read(client, token, intent)["paymentIntent"]["status"] == "CREATED"
    paid = client.post(url, data={"token": "tok_visa"})
    assert paid.status_code == 200 and "The amount is authorized" in paid.text
    assert read(client, token, intent)["paymentIntent"]["status"] == "AUTHORIZED"
    # Paying twice is refused by the page; the app captures what was authorized once.
    assert client.post(url, data={"token": "tok_visa"}).status_code == 409
    captured = change(client, token, "capturePaymentIntent", intent)
    assert captured["paymentIntent"]["status"] == "CAPTURED", captured
    assert sv_balance(client, card) == "20.00"
    assert "This checkout is closed" in client.get(url).text
    assert client.get("/test-processor/checkout/1000/cs_unknown").status_code == 404


def test_cancel_releases_and_a_capture_after_cancel_is_refused(client: TestClient) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card, captureMethod="MANUAL")
    pay(opened)
    intent = opened["paymentIntentId"]
    canceled = change(client, token, "cancelPaymentIntent", intent)
    assert canceled["paymentIntent"]["status"] == "CANCELED", canceled
    late = change(client, token, "capturePaymentIntent", intent)
    assert late["errorCode"] == "payment.invalid_payment_intent_state", late
    assert read(client, token, intent)["paymentIntent"]["status"] == "CANCELED"
    assert sv_balance(client, card) in ("", "0.00")
    reference = opened["clientSecret"].split("_secret_")[0]
    assert BuiltinTestProcessor.for_merchant(1000)._books.payments[reference].voided
    assert attempts(client) == 0


def test_an_automatic_intent_is_captured_when_read_once_paid(client: TestClient) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card)
    intent = opened["paymentIntentId"]
    assert pay(opened, "tok_decline") == "declined"
    still = read(client, token, intent)["paymentIntent"]
    assert still["status"] == "CREATED"
    assert still["chargeResponse"]["transactionState"] == "Declined"
    pay(opened)
    first = read(client, token, intent)["paymentIntent"]
    assert (first["status"], first["capturedAmount"]) == ("CAPTURED", "20.00"), first
    assert read(client, token, intent)["paymentIntent"]["status"] == "CAPTURED"
    assert sv_balance(client, card) == "20.00"
    assert attempts(client) == 1


def test_a_capture_the_card_cannot_take_is_refused_or_given_back(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card, captureMethod="MANUAL")
    pay(opened)
    intent = opened["paymentIntentId"]

    def card_status(status: str) -> None:
        async def work(conn: Any) -> None:
            await conn.execute(
                update(cards).where(cards.c.printed_card_number == card).values(status=status)
            )

        run_db(client, work)

    # A card closed before the capture: refused before the processor captures anything.
    card_status("disabled")
    refused = capture_b2b(client, intent)
    assert refused["errorCode"] == "payment.card_not_active", refused
    assert read_b2b(client, intent)["paymentIntent"]["status"] == "AUTHORIZED"
    books = BuiltinTestProcessor.for_merchant(1000)._books
    assert "capture" not in [op for op, _ in books.calls.values()]
    # A credit failing after the capture: the capture is given back before the reply.
    card_status("active")

    async def broken(*args: Any) -> Any:
        raise RuntimeError("the ledger is unwell")

    monkeypatch.setattr(payment_intents, "credit_value", broken)
    failed = capture_b2b(client, intent)
    assert failed["errorCode"] == "payment.processor_error", failed
    assert read_b2b(client, intent)["paymentIntent"]["status"] == "CANCELED"
    reference = opened["clientSecret"].split("_secret_")[0]
    assert books.payments[reference].voided
    assert sv_balance(client, card) in ("", "0.00")


def capture_b2b(client: TestClient, intent: str) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "payment",
            "capturePaymentIntent",
            b2b(paymentIntentId=intent),
            auth=("demo-pos", "demo-pos-secret"),
        )
    )


def read_b2b(client: TestClient, intent: str) -> dict[str, Any]:
    return body_of(
        gget(
            client,
            "payment",
            "paymentIntent",
            b2b(paymentIntentId=intent),
            auth=("demo-pos", "demo-pos-secret"),
        )
    )


def test_refusals_before_any_money_moves(client: TestClient) -> None:
    card, token = guest(client)
    other_card, other = guest_named(client, "bob")
    unknown = read(client, token, "pi_nothing")
    assert unknown["errorCode"] == "payment.payment_intent_not_found", unknown
    purpose = checkout(client, token, card, purpose="LUNCH")
    assert purpose["errorCode"] == "payment.checkout_session_error", purpose
    out_of_range = checkout(client, token, card, amount="0.50")
    assert out_of_range["errorCode"] == "payment.amount_out_of_range", out_of_range
    theirs = checkout(client, token, other_card)
    assert theirs["errorCode"] == "payment.invalid_card", theirs
    opened = checkout(client, token, card)
    hidden = read(client, other, opened["paymentIntentId"])
    assert hidden["errorCode"] == "payment.payment_intent_not_found", hidden
    anonymous = body_of(
        gpost(
            client,
            "payment",
            "createCheckoutSession",
            {"authentication": "anonymous", "amount": "12.00", "purpose": "SALE"},
            auth=APP,
        )
    )
    assert anonymous["result"] == "success", anonymous
    assert attempts(client) == 0


def as_pos(client: TestClient, operation: str, intent: str, method: str = "POST") -> Any:
    """A back end's call on an intent (a guest's token would not outlive a week)."""
    call = gget if method == "GET" else gpost
    return body_of(call(client, "payment", operation, b2b(paymentIntentId=intent), POS))


def expire_now(client: TestClient) -> int:
    """One pass of the sweep the outbox worker makes, at the server's clock."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert client.portal is not None
    released: int = client.portal.call(
        payment_intents.expire_stale, lambda: unit_of_work(runtime.engine), runtime.clock.now()
    )
    return released


def status_of(client: TestClient, intent: str) -> str:
    return str(as_pos(client, "paymentIntent", intent, "GET")["paymentIntent"]["status"])


# The test alone sweeps: the server's worker would race it for the same intents.
@pytest.mark.usefixtures("quiet_worker")
def test_an_intent_not_captured_in_time_is_released(
    client: TestClient, clock: ShiftedClock
) -> None:
    card, token = guest(client)
    held = checkout(client, token, card, captureMethod="MANUAL")
    pay(held)
    unpaid = checkout(client, token, card, captureMethod="MANUAL")
    taken = checkout(client, token, card, captureMethod="MANUAL")
    pay(taken)
    assert (
        change(client, token, "capturePaymentIntent", taken["paymentIntentId"])["result"]
        == "success"
    )
    assert status_of(client, held["paymentIntentId"]) == "AUTHORIZED"
    clock.offset += timedelta(days=6, hours=23)
    assert expire_now(client) == 0  # the demo's seven days have not passed
    clock.offset += timedelta(hours=2)
    # Past its window a capture is refused even before the sweep has released it.
    late = as_pos(client, "capturePaymentIntent", held["paymentIntentId"])
    assert late["errorCode"] == "payment.invalid_payment_intent_state", late
    assert "expired" in late["errorMessage"]
    assert expire_now(client) == 2
    assert expire_now(client) == 0
    assert [status_of(client, i["paymentIntentId"]) for i in (held, unpaid, taken)] == [
        "CANCELED",
        "CANCELED",
        "CAPTURED",
    ]
    books = BuiltinTestProcessor.for_merchant(1000)._books.payments
    assert books[held["clientSecret"].split("_secret_")[0]].voided
    for operation in ("capturePaymentIntent", "cancelPaymentIntent"):
        again = as_pos(client, operation, held["paymentIntentId"])
        assert again["errorCode"] == "payment.invalid_payment_intent_state", again
        assert "CANCELED" in again["errorMessage"]
    assert sv_balance(client, card) == "20.00"  # the captured intent only
    assert attempts(client) == 1


# The test alone sweeps: the server's worker would race it for the same intents.
@pytest.mark.usefixtures("quiet_worker")
def test_the_capture_window_is_the_programs(client: TestClient, clock: ShiftedClock) -> None:
    card, token = guest(client)
    with demo_program(client, lambda data: data["payments"].update(intent_capture_days=2)):
        held = checkout(client, token, card, captureMethod="MANUAL")
        pay(held)
        clock.offset += timedelta(days=1, hours=23)
        assert expire_now(client) == 0
        clock.offset += timedelta(hours=2)
        assert expire_now(client) == 1
        assert status_of(client, held["paymentIntentId"]) == "CANCELED"


# The test alone sweeps: the server's worker would race it for the same intents.
@pytest.mark.usefixtures("quiet_worker")
def test_an_intent_a_call_is_changing_is_left_to_it(
    client: TestClient, clock: ShiftedClock
) -> None:
    card, token = guest(client)
    held = checkout(client, token, card, captureMethod="MANUAL")
    pay(held)

    async def capturing(conn: Any) -> None:
        await conn.execute(update(payment_intents_table).values(status="CAPTURING"))

    run_db(client, capturing)
    clock.offset += timedelta(days=8)
    assert expire_now(client) == 0
    assert (
        BuiltinTestProcessor.for_merchant(1000)
        ._books.payments[held["clientSecret"].split("_secret_")[0]]
        .voided
        is False
    )


def guest_named(client: TestClient, name: str) -> tuple[str, str]:
    from tests.api.guests import enroll
    from tests.api.test_payment import verify_emails

    created = enroll(client, name)
    verify_emails(client)
    return created["printedCardNumber"], created["oauthTokens"]["access_token"]


AUTH = {"Authorization": "Basic " + base64.b64encode(b"demo-pos:demo-pos-secret").decode()}


def test_two_captures_at_once_capture_once(race_url: str) -> None:
    async def post(http: httpx.AsyncClient, operation: str, **body: Any) -> dict[str, Any]:
        reply = await http.post(
            f"/rest/24.11/payment/{operation}.json",
            json=b2b(merchantId=1000, **body),
            headers=AUTH,
        )
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    async def scenario(pos: Pos) -> None:
        opened = await post(
            pos.http,
            "createCheckoutSession",
            amount="30.00",
            purpose="SALE",
            captureMethod="MANUAL",
        )
        pay(opened)
        intent = opened["paymentIntentId"]
        replies = await asyncio.gather(
            *(post(pos.http, "capturePaymentIntent", paymentIntentId=intent) for _ in range(4))
        )
        outcomes = Counter(r.get("errorCode", r["result"]) for r in replies)
        assert outcomes == {"success": 1, "payment.invalid_payment_intent_state": 3}, replies
        assert await pos.count(payment_attempts) == 1
        reference = opened["clientSecret"].split("_secret_")[0]
        books = BuiltinTestProcessor.for_merchant(1000)._books
        assert [op for op, _ in books.calls.values()] == ["capture"]
        assert books.payments[reference].captured == Decimal("30.00")

    race(race_url, scenario)


@pytest.mark.usefixtures("stripe_merchant")
def test_a_stripe_checkout_authorizes_and_the_capture_credits_once(
    client: TestClient, localstripe: LocalStripe
) -> None:
    card, token = guest(client)
    opened = checkout(client, token, card, captureMethod="MANUAL")
    assert opened["result"] == "success", opened
    assert opened.get("url") is None  # an embedded Payment Element, no hosted page
    reference = opened["clientSecret"].split("_secret_")[0]
    assert localstripe.get(f"/v1/payment_intents/{reference}")["capture_method"] == "manual"
    # The guest pays in Stripe's Payment Element: a card on the intent, confirmed.
    localstripe.post(
        f"/v1/payment_intents/{reference}", {"payment_method": localstripe.payment_method(VISA)}
    )
    localstripe.post(f"/v1/payment_intents/{reference}/confirm", {})
    intent = opened["paymentIntentId"]
    assert read(client, token, intent)["paymentIntent"]["status"] == "AUTHORIZED"
    assert sv_balance(client, card) in ("", "0.00")
    captured = change(client, token, "capturePaymentIntent", intent, amount="12.00")
    assert captured["paymentIntent"]["status"] == "CAPTURED", captured
    at_stripe = localstripe.get(f"/v1/payment_intents/{reference}")
    assert at_stripe["status"] == "succeeded"
    assert at_stripe["metadata"][CAPTURE_KEY_FIELD].startswith("intent:")
    assert sv_balance(client, card) == "12.00"
    again = change(client, token, "capturePaymentIntent", intent)
    assert again["errorCode"] == "payment.invalid_payment_intent_state", again
    assert sv_balance(client, card) == "12.00"
    # Another checkout, released: Stripe cancels its intent.
    second = checkout(client, token, card, captureMethod="MANUAL")
    released = change(client, token, "cancelPaymentIntent", second["paymentIntentId"])
    assert released["paymentIntent"]["status"] == "CANCELED", released
    other = second["clientSecret"].split("_secret_")[0]
    assert localstripe.get(f"/v1/payment_intents/{other}")["status"] == "canceled"
