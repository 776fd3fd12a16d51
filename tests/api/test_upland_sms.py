"""SMS: the Upland Service's opt-in and opt-out (upland.yaml), honoured by the outbox
before every SMS, and the Twilio-shaped adapter against a local fake of Twilio's API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.domain.clock import ShiftedClock
from openpxs.messaging import SmsTransport, deliver_everything_due, enqueue, transport_from_settings
from openpxs.messaging.transports import RoutingTransport
from openpxs.settings import Settings
from openpxs.store.tables import outbox, sms_subscriptions
from openpxs.store.uow import unit_of_work
from tests.api.guests import b2b, body_of, enroll, gpost
from tests.api.pos import POS
from tests.fakes.twilio import FakeTwilio, fake_twilio, inbound_form, signed_inbound

PHONE = "617-555-0123"


def subscription(client: TestClient, phone: str, opt_in: bool, **extra: Any) -> dict[str, Any]:
    body = {**b2b(), "mobilePhone": phone, "optIn": opt_in, **extra}
    return body_of(gpost(client, "upland", "smsSubscription", body, auth=POS))


def twilio_transport(twilio: FakeTwilio) -> Any:
    transport = transport_from_settings(
        Settings(
            sms_transport="twilio",
            twilio_base_url=twilio.base_url,
            twilio_account_sid=twilio.account_sid,
            twilio_auth_token=twilio.auth_token,
            twilio_from_number="+16175550100",
        )
    )
    assert isinstance(transport, RoutingTransport) and isinstance(transport.sms, SmsTransport)
    return transport


def text_and_deliver(
    client: TestClient, clock: ShiftedClock, transport: Any, *numbers: str
) -> dict[str, tuple[Any, ...]]:
    """Queue one SMS to each number, deliver, and return each number's outbox row
    (attempts, sent, given up, last error)."""
    now = clock.now()

    async def go(engine: AsyncEngine) -> dict[str, tuple[Any, ...]]:
        async with unit_of_work(engine) as uow:
            for number in numbers:
                await enqueue(
                    uow,
                    merchant_id=1000,
                    channel="sms",
                    recipient=number,
                    subject=None,
                    body="Your code is 246810",
                    now=now,
                )
        await deliver_everything_due(engine, transport, now)
        async with engine.begin() as conn:
            rows = await conn.execute(
                select(
                    outbox.c.recipient,
                    outbox.c.attempts,
                    outbox.c.sent_at.is_not(None),
                    outbox.c.failed_at.is_not(None),
                    outbox.c.last_error,
                ).order_by(outbox.c.id)
            )
            return {r[0]: tuple(r[1:]) for r in rows}

    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    result: dict[str, tuple[Any, ...]] = client.portal.call(go, engine)
    return result


def test_upland_refusals_use_the_spec_codes(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    bob = enroll(client, "bob")
    for phone, code in (
        ("12", "upland.invalid_phone"),
        ("999-555-0000", "upland.account_not_found"),
    ):
        reply = subscription(client, phone, False)
        assert (reply["result"], reply["errorCode"]) == ("failure", code)
    # A card whose guest does not have the number.
    reply = subscription(client, PHONE, False, printedCardNumber=bob["printedCardNumber"])
    assert reply["errorCode"] == "upland.account_not_found"


def test_a_stopped_number_gets_no_sms_until_it_opts_in_again(
    client: TestClient, clock: ShiftedClock
) -> None:
    ada = enroll(client, "ada", mobilePhone=[PHONE])
    assert subscription(client, "+1 (617) 555-0123", False) == {"result": "success"}
    with fake_twilio() as twilio:
        transport = twilio_transport(twilio)
        rows = text_and_deliver(client, clock, transport, "+16175550123")
        # Not sent, given up at once, and the outbox says why.
        assert rows["+16175550123"][1:3] == (False, True)
        assert "opted out of SMS (STOP)" in rows["+16175550123"][3]
        assert twilio.messages == []
        reply = subscription(client, PHONE, True, printedCardNumber=ada["printedCardNumber"])
        assert reply["result"] == "success"
        rows = text_and_deliver(client, clock, transport, PHONE)
        assert rows[PHONE][:3] == (0, True, False)
    # Sent as Twilio wants it: basic auth (checked by the fake), E.164 numbers, a form.
    [sent] = twilio.messages
    assert sent == {"To": "+16175550123", "From": "+16175550100", "Body": "Your code is 246810"}


def test_twilio_refusals_give_up_and_a_carrier_stop_is_remembered(
    client: TestClient, clock: ShiftedClock
) -> None:
    with fake_twilio() as twilio:
        transport = twilio_transport(twilio)
        twilio.stopped.add("+16175550177")
        rows = text_and_deliver(client, clock, transport, "+abc", "617-555-0177")
        assert rows["+abc"][:3] == (1, False, True) and "code 21211" in rows["+abc"][3]
        assert rows["617-555-0177"][:3] == (1, False, True)
        assert "code 21610" in rows["617-555-0177"][3]
        twilio.down = True
        rows = text_and_deliver(client, clock, transport, "617-555-0188")
        # An outage is tried again later.
        assert rows["617-555-0188"][:3] == (1, False, False)
        twilio.down = False
        # The number that replied STOP to the provider is not tried again.
        asked = len(twilio.messages)
        rows = text_and_deliver(client, clock, transport, "+1 617 555 0177")
        assert "STOP" in rows["+1 617 555 0177"][3] and len(twilio.messages) == asked


# --- Replies: Twilio's inbound message webhook --------------------------------------------

WEBHOOK_URL = "https://pxs.example.com/twilio/sms"


@pytest.fixture
def twilio_app(client: TestClient, demo_database: str) -> Iterator[TestClient]:
    """A server with a Twilio account, on the test database (``client`` resets it)."""
    settings = Settings(
        database_url=demo_database,
        log_level="WARNING",
        outbox_worker=False,
        twilio_auth_token=FakeTwilio.auth_token,
        twilio_webhook_url=WEBHOOK_URL,
    )
    with TestClient(create_app(settings)) as server:
        yield server


def reply(server: TestClient, text: str, phone: str = "+16175550123", **headers: str) -> Any:
    form = inbound_form(phone, text)
    signed = signed_inbound(FakeTwilio.auth_token, WEBHOOK_URL, form)
    return server.post("/twilio/sms", data=form, headers={**signed, **headers})


def stopped(client: TestClient, merchant: int = 1000) -> list[tuple[str, bool]]:
    async def go(engine: AsyncEngine) -> list[tuple[str, bool]]:
        async with engine.begin() as conn:
            rows = await conn.execute(
                select(sms_subscriptions.c.phone_digits, sms_subscriptions.c.stopped).where(
                    sms_subscriptions.c.merchant_id == merchant
                )
            )
            return [(r[0], r[1]) for r in rows]

    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    found: list[tuple[str, bool]] = client.portal.call(go, engine)
    return found


@pytest.mark.parametrize(
    "keyword", ["STOP", " stop ", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit"]
)
def test_a_stop_reply_opts_the_number_out_for_every_merchant(
    client: TestClient, twilio_app: TestClient, keyword: str
) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    answer = reply(twilio_app, keyword)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert "<Response></Response>" in answer.text
    assert stopped(client, 1000) == [("6175550123", True)]
    assert stopped(client, 2000) == [("6175550123", True)]


def test_start_opts_back_in_and_other_texts_change_nothing(
    client: TestClient, clock: ShiftedClock, twilio_app: TestClient
) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    assert reply(twilio_app, "Stop please").status_code == 200
    assert stopped(client) == []  # not a keyword
    assert reply(twilio_app, "STOP").status_code == 200
    assert reply(twilio_app, "HELP").status_code == 200
    assert stopped(client) == [("6175550123", True)]
    with fake_twilio() as twilio:
        rows = text_and_deliver(client, clock, twilio_transport(twilio), PHONE)
        assert rows[PHONE][1:3] == (False, True) and twilio.messages == []
        for keyword in ("start", "YES", "unstop"):
            assert reply(twilio_app, keyword).status_code == 200
            assert stopped(client) == [("6175550123", False)]
        rows = text_and_deliver(client, clock, twilio_transport(twilio), PHONE)
    assert rows[PHONE][:3] == (0, True, False)
    assert [m["To"] for m in twilio.messages] == ["+16175550123"]


def test_a_badly_signed_reply_is_403_and_changes_nothing(
    client: TestClient, twilio_app: TestClient
) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    form = inbound_form("+16175550123", "STOP")
    unsigned = twilio_app.post("/twilio/sms", data=form)
    wrong_token = signed_inbound("not-the-token", WEBHOOK_URL, form)
    other_url = signed_inbound(FakeTwilio.auth_token, "https://evil.example/twilio/sms", form)
    signed = signed_inbound(FakeTwilio.auth_token, WEBHOOK_URL, form)
    changed = {**form, "Body": "START"}
    assert unsigned.status_code == 403
    assert twilio_app.post("/twilio/sms", data=form, headers=wrong_token).status_code == 403
    assert twilio_app.post("/twilio/sms", data=form, headers=other_url).status_code == 403
    assert twilio_app.post("/twilio/sms", data=changed, headers=signed).status_code == 403
    assert stopped(client) == []


def test_without_a_twilio_account_the_webhook_is_not_there(client: TestClient) -> None:
    form = inbound_form("+16175550123", "STOP")
    answer = client.post("/twilio/sms", data=form, headers=signed_inbound("", WEBHOOK_URL, form))
    assert answer.status_code == 404
    assert stopped(client) == []
