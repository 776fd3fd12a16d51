"""Signed webhooks: events written to the outbox with the change they tell of, posted
to a real local receiver that checks them with the documentation's receiver example,
retried on 5xx and timeouts, given up after the outbox's attempts, replayed by an
operator; a refused call announces nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.webhooks import signature_header, verify
from openpxs.messaging import deliver_everything_due
from openpxs.messaging.outbox import MAX_ATTEMPTS, retry_delay
from openpxs.messaging.webhooks import WebhookTransport
from openpxs.services.webhooks import failed_deliveries, replay
from openpxs.store.tables import outbox
from openpxs.store.uow import unit_of_work
from tests.api.guests import enroll
from tests.api.pos import GIFT, GIFT2, LOYALTY, activate, add_redeem, ok, sell, sv, user_error
from tests.api.test_challenge import WEDNESDAY, opt_in, visit
from tests.api.test_gift_transfer import out
from tests.api.test_group_challenges import challenge as group_challenge
from tests.api.test_group_challenges import team  # noqa: F401  (the fixture)
from tests.api.test_group_challenges import visit as team_visit
from tests.api.test_payment import guest as payment_guest
from tests.api.test_payment import recharge
from tests.api.test_transaction_corrections import reverse
from tests.fakes.webhook_receiver import FakeReceiver, documented_receiver, webhook_receiver
from tests.program_config import program_editor

SECRET = "whsec_test_5f3c9a"
SECRET_ENV = "OPENPXS_TEST_WEBHOOK_SECRET"
Row = tuple[int, str, str, int, bool, bool, str | None]

pytestmark = pytest.mark.usefixtures("quiet_worker")


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReceiver]:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with webhook_receiver(SECRET) as server:
        yield server


@pytest.fixture
def subscribe(client: TestClient) -> Iterator[Callable[..., None]]:
    """Apply endpoints to merchant 1000's program: (name, url, events) each."""
    with program_editor(client) as change:

        def endpoints(*hooks: tuple[str, str, list[str]]) -> None:
            def edit(data: dict[str, Any]) -> None:
                data.setdefault("outreach", {})["webhooks"] = [
                    {"name": name, "url": url, "secret": {"env": SECRET_ENV}, "events": events}
                    for name, url, events in hooks
                ]

            change(edit)

        yield endpoints


def _run(client: TestClient, work: Any) -> Any:
    engine: AsyncEngine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    return client.portal.call(work, engine)


def deliver(client: TestClient, now: datetime, *, timeout: float = 10.0) -> list[Row]:
    """One delivery pass of everything due at ``now``; then every webhook row: id,
    endpoint, event, attempts, sent, given up, last error."""

    async def go(engine: AsyncEngine) -> list[Row]:
        transport = WebhookTransport(engine, timeout=timeout)
        try:
            await deliver_everything_due(engine, transport, now)
        finally:
            await transport.aclose()
        async with engine.begin() as conn:
            rows = await conn.execute(
                select(
                    outbox.c.id,
                    outbox.c.recipient,
                    outbox.c.subject,
                    outbox.c.attempts,
                    outbox.c.sent_at.is_not(None),
                    outbox.c.failed_at.is_not(None),
                    outbox.c.last_error,
                )
                .where(outbox.c.channel == "webhook")
                .order_by(outbox.c.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    result: list[Row] = _run(client, go)
    return result


def events(server: FakeReceiver) -> list[dict[str, Any]]:
    return [json.loads(d.body) for d in server.deliveries]


def test_value_moves_and_enrollments_reach_the_receiver_signed(
    client: TestClient, clock: ShiftedClock, receiver: FakeReceiver, subscribe: Any
) -> None:
    subscribe(
        ("ledger", receiver.url, ["value.moved", "account.enrolled"]),
        ("gifts-only", receiver.url + "/gifts", ["gift.delivered"]),
    )
    sold = ok(sell(client, amount="25.00"))
    spent = ok(add_redeem(client, redeem=sv("7.50")))
    # Refused: more than the balance. Nothing moved, nothing announced.
    user_error(add_redeem(client, redeem=sv("500.00")), "transaction.insufficient_balance")
    voided = ok(reverse(client, spent["pxTransactionId"]))
    guest = enroll(client, "ada")
    rows = deliver(client, clock.now())

    assert [(r[1], r[2], r[3:6]) for r in rows] == [
        ("ledger", "value.moved", (0, True, False)),
        ("ledger", "value.moved", (0, True, False)),
        ("ledger", "value.moved", (0, True, False)),
        ("ledger", "account.enrolled", (0, True, False)),
    ]
    # Every delivery passes the documented receiver's check, at the endpoint's path.
    assert all(d.verified for d in receiver.deliveries)
    assert {d.path for d in receiver.deliveries} == {"/hooks/openpxs"}
    first = receiver.deliveries[0]
    assert first.headers["content-type"] == "application/json"
    assert first.headers["openpxs-event"] == "value.moved"
    assert first.headers["openpxs-delivery"] == str(rows[0][0])
    sale, redeem, void, joined = events(receiver)
    assert sale["type"] == "value.moved" and sale["merchantId"] == 1000
    assert sale["id"].startswith("evt_") and len({e["id"] for e in events(receiver)}) == 4
    assert sale["data"]["pxTransactionId"] == sold["pxTransactionId"]
    assert sale["data"]["transactionType"] == "activateAdd"
    assert sale["data"]["printedCardNumber"] == "6000000000000001"
    assert sale["data"]["wallets"] == [
        {"walletCode": 1, "walletName": "Stored Value", "change": "25.00", "balance": "25.00"}
    ]
    assert (redeem["data"]["transactionType"], redeem["data"]["wallets"][0]) == (
        "addRedeem",
        {"walletCode": 1, "walletName": "Stored Value", "change": "-7.50", "balance": "17.50"},
    )
    assert void["data"]["pxTransactionId"] == voided["pxTransactionId"]
    assert void["data"]["wallets"][0]["change"] == "7.50"
    assert void["data"]["wallets"][0]["balance"] == "25.00"
    assert joined["type"] == "account.enrolled"
    assert joined["data"]["accountId"] == guest["accountId"]
    assert joined["data"]["printedCardNumber"] == guest["printedCardNumber"]
    assert joined["data"]["registered"] is True


def test_a_changed_body_an_old_timestamp_or_another_secret_fail_the_check() -> None:
    example = documented_receiver()
    body = b'{"id":"evt_1","type":"value.moved"}'
    header = signature_header(SECRET, 1_767_225_600, body)
    assert header.startswith("t=1767225600,v1=")
    for check in (example.verify, verify):
        assert check(SECRET, header, body, 1_767_225_600 + 299)
        assert not check(SECRET, header, body + b" ", 1_767_225_600)
        assert not check("another secret", header, body, 1_767_225_600)
        assert not check(SECRET, header, body, 1_767_225_600 + 301)  # outside the window
        assert not check(SECRET, "v1=" + header.split("v1=")[1], body, 1_767_225_600)
    # A rotated secret: either signature is enough.
    rotated = f"{header},v1={signature_header('new', 1_767_225_600, body).split('v1=')[1]}"
    assert example.verify("new", rotated, body, 1_767_225_600)


def test_5xx_and_timeouts_are_retried_with_backoff_then_given_up_and_replayed(
    client: TestClient, clock: ShiftedClock, receiver: FakeReceiver, subscribe: Any
) -> None:
    subscribe(("ledger", receiver.url, ["value.moved"]))
    ok(sell(client, amount="10.00"))
    now = clock.now()
    receiver.answers[:] = [503]
    [row] = deliver(client, now)
    assert row[3:6] == (1, False, False) and row[6] == "DeliveryError: webhook ledger answered 503"
    # Not tried again before its backoff has passed.
    assert deliver(client, now)[0][3] == 1
    # A receiver too slow for the timeout is tried again too.
    receiver.hold.clear()
    now += retry_delay(1)
    [row] = deliver(client, now, timeout=0.2)
    receiver.hold.set()
    assert row[3:6] == (2, False, False) and "no answer in time" in (row[6] or "")
    # Failing until the last attempt: given up, and listed as failed.
    for attempt in range(3, MAX_ATTEMPTS + 1):
        receiver.answers[:] = [500]
        now += retry_delay(attempt - 1)
        [row] = deliver(client, now)
    assert row[3:6] == (MAX_ATTEMPTS, False, True)
    assert len(receiver.deliveries) == MAX_ATTEMPTS
    # Each attempt is signed anew (at its own time), over the same event.
    assert len({json.loads(d.body)["id"] for d in receiver.deliveries}) == 1

    async def failed_then_replayed(engine: AsyncEngine) -> tuple[list[Any], list[int]]:
        async with unit_of_work(engine) as uow:
            failed = await failed_deliveries(uow, 1000)
            return failed, await replay(uow, now, ids=[row[0]])

    failed, replayed = _run(client, failed_then_replayed)
    assert [(f.id, f.recipient, f.subject, f.attempts) for f in failed] == [
        (row[0], "ledger", "value.moved", MAX_ATTEMPTS)
    ]
    assert replayed == [row[0]]
    [row] = deliver(client, now)
    assert row[3:6] == (0, True, False)
    assert receiver.deliveries[-1].verified
    assert receiver.deliveries[-1].body == receiver.deliveries[0].body


def test_a_receiver_that_refuses_is_given_up_at_once(
    client: TestClient, clock: ShiftedClock, receiver: FakeReceiver, subscribe: Any
) -> None:
    subscribe(("ledger", receiver.url, ["value.moved"]))
    ok(sell(client, amount="10.00"))
    receiver.answers[:] = [401]
    [row] = deliver(client, clock.now())
    assert row[3:6] == (1, False, True) and "answered 401" in (row[6] or "")


def test_no_endpoint_no_event(client: TestClient, clock: ShiftedClock) -> None:
    ok(sell(client, amount="10.00"))
    enroll(client, "ada")
    assert deliver(client, clock.now()) == []


def test_a_delivered_gift_and_a_completed_challenge_are_announced(
    client: TestClient, clock: ShiftedClock, receiver: FakeReceiver, subscribe: Any
) -> None:
    subscribe(("crm", receiver.url, ["gift.delivered", "challenge.completed"]))
    ok(sell(client, GIFT, "25.00"))
    ok(sell(client, GIFT2, "1.00"))
    assert out(client, to={"printedCardNumber": GIFT2})["result"] == "success"
    clock.offset = WEDNESDAY - datetime.now(UTC)
    ok(activate(client))
    assert opt_in(client, "VISIT3")["result"] == "success"
    for number in ("A1", "A2", "A3"):
        visit(client, number)
    rows = deliver(client, clock.now())
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("crm", "gift.delivered", True),
        ("crm", "challenge.completed", True),
    ]
    gift, challenge = events(receiver)
    assert gift["data"]["fromPrintedCardNumber"] == GIFT
    assert gift["data"]["toPrintedCardNumber"] == GIFT2
    assert (gift["data"]["walletCode"], gift["data"]["quantity"]) == (1, "5.00")
    assert gift["data"]["claimed"] is False
    assert challenge["data"]["challengeCode"] == "VISIT3"
    assert challenge["data"]["printedCardNumber"] == LOYALTY
    assert all(d.verified for d in receiver.deliveries)


def test_a_group_completion_is_announced_once_with_its_group(
    client: TestClient,
    clock: ShiftedClock,
    receiver: FakeReceiver,
    subscribe: Any,
    team: tuple[int, dict[str, str]],  # noqa: F811  (the imported fixture)
) -> None:
    subscribe(("crm", receiver.url, ["challenge.completed"]))
    group, cards = team
    opted = group_challenge(
        client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10"
    )
    assert opted["result"] == "success", opted
    for name in ("ada", "bob"):
        for n in range(5):
            team_visit(client, cards[name], f"{name}-{n}")
    team_visit(client, cards["ada"], "after-the-tenth")
    deliver(client, clock.now())
    completed = [e for e in events(receiver) if e["data"]["challengeCode"] == "TEAM10"]
    assert len(completed) == 1, completed
    (event,) = completed
    # The group, and the card whose check completed it (bob's tenth visit).
    assert event["data"]["groupCode"] == group
    assert event["data"]["printedCardNumber"] == cards["bob"]
    assert all(d.verified for d in receiver.deliveries)


def test_a_card_payment_recharge_is_announced_and_a_declined_one_is_not(
    client: TestClient, clock: ShiftedClock, receiver: FakeReceiver, subscribe: Any
) -> None:
    subscribe(("ledger", receiver.url, ["value.moved"]))
    card, token = payment_guest(client)
    assert recharge(client, token, card)["result"] == "success"
    declined = recharge(client, token, card, paymentMethod={"type": "CC", "token": "tok_decline"})
    assert declined["result"] != "success"
    rows = deliver(client, clock.now())
    assert [(r[2], r[4]) for r in rows] == [("value.moved", True)]
    [event] = events(receiver)
    assert event["data"]["transactionType"] == "recharge"
    assert event["data"]["printedCardNumber"] == card
    assert event["data"]["wallets"][0]["change"] == "20.00"
