"""SMS: the Upland Service's opt-in and opt-out (upland.yaml), honoured by the outbox
before every SMS, and the Twilio-shaped adapter against a local fake of Twilio's API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.clock import ShiftedClock
from openpxs.messaging import SmsTransport, deliver_everything_due, enqueue, transport_from_settings
from openpxs.messaging.transports import RoutingTransport
from openpxs.settings import Settings
from openpxs.store.tables import outbox
from openpxs.store.uow import unit_of_work
from tests.api.guests import b2b, body_of, enroll, gpost
from tests.api.pos import POS
from tests.fakes.twilio import FakeTwilio, fake_twilio

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
