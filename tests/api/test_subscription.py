"""The Subscription Service as an app or back end calls it, and the renewal job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.subscriptions import add_months
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.services.subscriptions import RenewReport, renew_due
from openpxs.store.tables import outbox, payment_attempts
from openpxs.store.uow import unit_of_work
from tests.api.guest_state import audit_clean
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import GIFT, POS, UNKNOWN_CARD, balance, run_db, sell, wallets
from tests.program_config import demo_program

ADDRESS = {
    "address1": "1 Main St",
    "city": "Boston",
    "stateProvince": "MA",
    "postalCode": "02110",
    "country": "US",
}


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def cc(token: str = "tok_visa") -> dict[str, Any]:
    return {"type": "CC", "token": token, "address": ADDRESS}


def call(
    client: TestClient,
    operation: str,
    card: str,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> dict[str, Any]:
    request = {**b2b(), "printedCardNumber": card, **body}
    return body_of(gpost(client, "subscription", operation, request, POS, headers=headers))


def subscribe(
    client: TestClient, card: str, token: str = "tok_visa", **body: Any
) -> dict[str, Any]:
    request = {"subscriptionCode": "COFFEECLUB", "paymentMethod": cc(token), **body}
    return call(client, "subscribe", card, **request)


def info_of(client: TestClient, card: str) -> dict[str, Any]:
    return body_of(
        gget(client, "subscription", "subscriptionInfo", b2b(printedCardNumber=card), POS)
    )


def failed(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply


def sv_of(client: TestClient, card: str) -> str:
    return wallets(balance(client, card))[1]


def attempts(client: TestClient) -> list[tuple[str, str]]:
    async def work(conn: Any) -> list[tuple[str, str]]:
        rows = await conn.execute(
            select(payment_attempts.c.kind, payment_attempts.c.state).order_by(
                payment_attempts.c.id
            )
        )
        return [(r.kind, r.state) for r in rows]

    found: list[tuple[str, str]] = run_db(client, work)
    return found


def subjects(client: TestClient) -> list[str]:
    async def work(conn: Any) -> list[str]:
        rows = await conn.execute(select(outbox.c.subject).order_by(outbox.c.id))
        return [str(r.subject) for r in rows]

    found: list[str] = run_db(client, work)
    return found


def renew(client: TestClient) -> RenewReport:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert client.portal is not None
    report: RenewReport = client.portal.call(
        renew_due, lambda: unit_of_work(runtime.engine), runtime.clock.now()
    )
    return report


@pytest.fixture
def member(client: TestClient) -> str:
    card: str = enroll(client, "ada")["printedCardNumber"]
    return card


def test_subscribing_charges_then_grants_the_first_period(client: TestClient, member: str) -> None:
    reply = subscribe(client, member)
    assert reply["result"] == "success", reply
    info = reply["accountSubscriptionInfo"]
    enrolled = date.fromisoformat(info["enrollmentDate"])
    assert info["subscriptionCode"] == "COFFEECLUB"
    assert (info["status"], info["price"], info["subscriptionName"]) == (
        "ACTIVE",
        "9.99",
        "Coffee Club",
    )
    assert date.fromisoformat(info["renewalDate"]) in {
        add_months_date(enrolled, 1),
        add_months_date(enrolled, 1) + timedelta(days=1),
    }
    assert info["paymentMethod"]["cardType"] == "VISA"
    assert info["paymentMethod"]["lastFour"] == "4242"
    assert sv_of(client, member) == "12.00"
    assert attempts(client) == [("subscription", "credited")]
    assert "Welcome to Coffee Club" in subjects(client)
    assert info_of(client, member) == reply
    audit_clean(client)
    failed(subscribe(client, member), "subscription.already_subscribed")
    assert attempts(client) == [("subscription", "credited")]


def add_months_date(day: date, months: int) -> date:
    from datetime import UTC, datetime

    return add_months(datetime(day.year, day.month, day.day, tzinfo=UTC), months).date()


def test_a_declined_card_subscribes_nothing(client: TestClient, member: str) -> None:
    reply = subscribe(client, member, "tok_decline")
    failed(reply, "subscription.payment_declined")
    failed(info_of(client, member), "subscription.not_subscribed")
    assert sv_of(client, member) == "0.00"
    reply = subscribe(client, member, "tok_insufficient_funds")
    failed(reply, "subscription.payment_declined")
    assert reply["processorOutcome"] == "insufficient_funds"
    assert sv_of(client, member) == "0.00"
    assert all(state == "failed" for _, state in attempts(client))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"subscriptionCode": "NOPE"}, "subscription.invalid_subscription_code"),
        ({"subscriptionCode": None}, "subscription.invalid_subscription_code"),
        ({"paymentMethod": None}, "subscription.invalid_payment_method"),
        ({"paymentMethod": {"type": "CHEQUE"}}, "subscription.invalid_payment_method"),
        ({"paymentMethod": {"type": "CC"}}, "subscription.invalid_payment_method"),
        (
            {"paymentMethod": {"type": "CC", "token": "4111 1111 1111 1111"}},
            "subscription.invalid_payment_method",
        ),
        ({"paymentMethod": {"type": "SAVED"}}, "subscription.invalid_payment_method"),
    ],
)
def test_refusals_charge_nothing(
    client: TestClient, member: str, body: dict[str, Any], code: str
) -> None:
    failed(subscribe(client, member, **body), code)
    assert attempts(client) == []
    assert sv_of(client, member) == "0.00"


def test_cards_the_caller_cannot_use_are_invalid(client: TestClient, member: str) -> None:
    failed(subscribe(client, UNKNOWN_CARD), "subscription.invalid_card")
    # A gift card cannot hold... it can: stored value. An inactive one is refused.
    failed(subscribe(client, GIFT), "subscription.invalid_card")
    other = enroll(client, "bob")
    token = other["oauthTokens"]["access_token"]
    body = {
        **as_guest(token),
        "printedCardNumber": member,
        "subscriptionCode": "COFFEECLUB",
        "paymentMethod": cc(),
    }
    failed(body_of(gpost(client, "subscription", "subscribe", body)), "subscription.invalid_card")
    body["printedCardNumber"] = other["printedCardNumber"]
    assert body_of(gpost(client, "subscription", "subscribe", body))["result"] == "success"
    assert attempts(client) == [("subscription", "credited")]


def test_a_retried_subscribe_with_the_same_key_charges_once(
    client: TestClient, member: str
) -> None:
    key = {"Idempotency-Key": "sub-1"}
    first = call(
        client, "subscribe", member, key, subscriptionCode="COFFEECLUB", paymentMethod=cc()
    )
    again = call(
        client, "subscribe", member, key, subscriptionCode="COFFEECLUB", paymentMethod=cc()
    )
    assert first == again and first["result"] == "success"
    assert attempts(client) == [("subscription", "credited")]
    assert sv_of(client, member) == "12.00"


def test_renewals_charge_and_grant_once_per_period(
    client: TestClient, member: str, clock: ShiftedClock
) -> None:
    first = subscribe(client, member)["accountSubscriptionInfo"]
    assert renew(client).renewed == 0  # not due yet
    clock.offset += timedelta(days=32)
    assert renew(client).renewed == 1
    assert renew(client).renewed == 0
    info = info_of(client, member)["accountSubscriptionInfo"]
    assert info["status"] == "ACTIVE"
    assert info["renewalDate"] > first["renewalDate"]
    assert info["enrollmentDate"] == first["enrollmentDate"]
    assert sv_of(client, member) == "24.00"
    assert attempts(client) == [("subscription", "credited")] * 2
    audit_clean(client)


def test_declined_renewals_go_past_due_then_expire(
    client: TestClient, member: str, clock: ShiftedClock
) -> None:
    subscribe(client, member)
    # Keeping this card works; charging it later declines.
    moved = call(client, "updatePaymentMethod", member, paymentMethod=cc("tok_insufficient_funds"))
    assert moved["accountSubscriptionInfo"]["status"] == "ACTIVE", moved
    clock.offset += timedelta(days=32)
    assert renew(client).declined == 1
    info = info_of(client, member)["accountSubscriptionInfo"]
    assert info["status"] == "PAST_DUE" and info["nextRetryDate"], info
    assert "Your subscription payment" in subjects(client)
    # The demo's retry_days [1, 3, 7]: three more tries, then it ends.
    declines = 1
    for _ in range(6):
        clock.offset += timedelta(days=4)
        declines += renew(client).declined
    assert declines == 4
    assert info_of(client, member)["accountSubscriptionInfo"]["status"] == "EXPIRED"
    assert sv_of(client, member) == "12.00"
    clock.offset += timedelta(days=40)
    assert renew(client) == RenewReport()
    # An ended subscription can be started again, with a new first period.
    assert subscribe(client, member)["accountSubscriptionInfo"]["status"] == "ACTIVE"
    assert sv_of(client, member) == "24.00"


def test_a_new_card_renews_a_past_due_subscription_at_once(
    client: TestClient, member: str, clock: ShiftedClock
) -> None:
    subscribe(client, member)
    call(client, "updatePaymentMethod", member, paymentMethod=cc("tok_insufficient_funds"))
    clock.offset += timedelta(days=32)
    renew(client)
    declined = call(client, "updatePaymentMethod", member, paymentMethod=cc("tok_decline"))
    failed(declined, "subscription.payment_declined")
    assert info_of(client, member)["accountSubscriptionInfo"]["status"] == "PAST_DUE"
    renewed = call(client, "updatePaymentMethod", member, paymentMethod=cc("tok_mastercard"))
    info = renewed["accountSubscriptionInfo"]
    assert (info["status"], info["paymentMethod"]["cardType"]) == ("ACTIVE", "MASTERCARD")
    assert "nextRetryDate" not in info
    assert sv_of(client, member) == "24.00"
    audit_clean(client)


def test_unsubscribing_keeps_the_paid_period_then_ends(
    client: TestClient, member: str, clock: ShiftedClock
) -> None:
    subscribe(client, member)
    cancelled = call(client, "unsubscribe", member)["accountSubscriptionInfo"]
    assert cancelled["status"] == "CANCELLED"
    assert call(client, "unsubscribe", member)["accountSubscriptionInfo"] == cancelled
    failed(
        call(client, "changePlan", member, subscriptionCode="COFFEECLUB"),
        "subscription.not_subscribed",
    )
    clock.offset += timedelta(days=32)
    assert renew(client).expired == 1
    assert info_of(client, member)["accountSubscriptionInfo"]["status"] == "EXPIRED"
    assert attempts(client) == [("subscription", "credited")]
    failed(call(client, "unsubscribe", member), "subscription.not_subscribed")
    failed(
        call(client, "updatePaymentMethod", member, paymentMethod=cc()),
        "subscription.not_subscribed",
    )


def test_subscribing_again_before_a_cancelled_period_ends_resumes_without_a_charge(
    client: TestClient, member: str
) -> None:
    subscribe(client, member)
    call(client, "unsubscribe", member)
    resumed = subscribe(client, member)["accountSubscriptionInfo"]
    assert resumed["status"] == "ACTIVE"
    assert attempts(client) == [("subscription", "credited")]
    assert sv_of(client, member) == "12.00"


def test_a_plan_change_takes_effect_at_the_next_renewal(
    client: TestClient, member: str, clock: ShiftedClock
) -> None:
    def add_plan(data: dict[str, Any]) -> None:
        data["payments"]["subscriptions"]["plans"].append(
            {
                "code": "BIGCLUB",
                "name": "Big Club",
                "price": "19.99",
                "period": "month",
                "grants": [{"wallet": 1, "quantity": "25.00"}],
            }
        )

    with demo_program(client, add_plan):
        failed(
            call(client, "changePlan", member, subscriptionCode="BIGCLUB"),
            "subscription.not_subscribed",
        )
        subscribe(client, member)
        failed(
            call(client, "changePlan", member, subscriptionCode="COFFEECLUB"),
            "subscription.same_plan",
        )
        failed(
            call(client, "changePlan", member, subscriptionCode="NOPE"),
            "subscription.invalid_subscription_code",
        )
        changed = call(client, "changePlan", member, subscriptionCode="BIGCLUB")
        info = changed["accountSubscriptionInfo"]
        assert (info["subscriptionCode"], info["nextSubscriptionCode"]) == ("COFFEECLUB", "BIGCLUB")
        assert sv_of(client, member) == "12.00"  # no proration
        clock.offset += timedelta(days=32)
        assert renew(client).renewed == 1
        info = info_of(client, member)["accountSubscriptionInfo"]
        assert (info["subscriptionCode"], info["price"]) == ("BIGCLUB", "19.99")
        assert "nextSubscriptionCode" not in info
        assert sv_of(client, member) == "37.00"


@pytest.mark.parametrize(
    "body",
    [
        {"paymentMethod": "tok_visa"},
        {"subscriptionCode": {"code": "COFFEECLUB"}},
        {"paymentMethod": {"type": "CC", "token": ["tok_visa"]}},
        {"merchantId": "x"},
    ],
)
def test_malformed_requests_answer_a_failure_not_an_error(
    client: TestClient, member: str, body: dict[str, Any]
) -> None:
    request = {
        **b2b(),
        "printedCardNumber": member,
        "subscriptionCode": "COFFEECLUB",
        "paymentMethod": cc(),
        **body,
    }
    response = gpost(client, "subscription", "subscribe", request, POS)
    assert response.status_code < 500, response.text
    assert response.json()["result"] == "failure"
    assert attempts(client) == []


def test_a_gift_card_may_subscribe_too(client: TestClient) -> None:
    sell(client, GIFT, "1.00")
    assert subscribe(client, GIFT)["result"] == "success"
    assert sv_of(client, GIFT) == "13.00"
