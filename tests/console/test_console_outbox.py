"""The console's outbox page: who may see it, what it shows (never a body) and sending
given-up webhook deliveries again, audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from openpxs.store.repositories.outbox import OutgoingMessage
from openpxs.store.uow import reading, unit_of_work
from tests.console.console import CONSOLE, CSR, OWNER, add_operator, post, sign_in

SECRET_BODY = "Your code is 918273"
WEBHOOK_BODY = '{"id":"evt_1","type":"value.moved"}'


def _queue(
    client: TestClient,
    channel: str,
    recipient: str,
    body: str,
    *,
    give_up: bool = False,
    merchant_id: int = 1000,
) -> int:
    async def add() -> int:
        engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        async with unit_of_work(engine) as uow:
            ident = await uow.outbox.add(
                merchant_id=merchant_id,
                channel=channel,  # type: ignore[arg-type]
                recipient=recipient,
                subject="value.moved" if channel == "webhook" else "Your code",
                body=body,
                now=now,
            )
            message = OutgoingMessage(ident, merchant_id, channel, recipient, None, body)  # type: ignore[arg-type]
            await uow.outbox.record_failure(
                message,
                error="relay said 550 no such user",
                now=now,
                give_up=give_up,
                retry_at=now + timedelta(hours=1),
            )
        return ident

    assert client.portal is not None
    return client.portal.call(add)


def _state(client: TestClient, ident: int) -> tuple[bool, int]:
    """(given up, attempts) of one message."""

    async def read() -> tuple[bool, int]:
        engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        async with reading(engine) as uow:
            found = [m for m in await uow.outbox.unsent_of(1000) if m.id == ident]
        assert found, ident
        return found[0].failed_at is not None, found[0].attempts

    assert client.portal is not None
    return client.portal.call(read)


@pytest.mark.usefixtures("quiet_worker")
def test_the_page_lists_pending_and_failed_without_bodies(browser: TestClient) -> None:
    pending = _queue(browser, "email", "dana@example.com", SECRET_BODY)
    failed = _queue(browser, "sms", "+16175550199", SECRET_BODY, give_up=True)
    webhook = _queue(browser, "webhook", "crm", WEBHOOK_BODY, give_up=True)
    elsewhere = _queue(browser, "email", "other@example.com", SECRET_BODY, merchant_id=2000)
    sign_in(browser, OWNER)
    page = browser.get(f"{CONSOLE}/outbox")
    assert page.status_code == 200
    text = page.text
    assert SECRET_BODY not in text and "918273" not in text and WEBHOOK_BODY not in text
    assert "evt_1" not in text
    # Recipients masked; the webhook's endpoint is the program's own name.
    assert "d***@example.com" in text and "***0199" in text and ">crm<" in text
    assert "dana@example.com" not in text and "+16175550199" not in text
    assert "other@example.com" not in text and "o***@example.com" not in text
    assert "relay said 550 no such user" in text
    for ident in (pending, failed, webhook):
        assert f"<td>{ident}</td>" in text
    assert f"<td>{elsewhere}</td>" not in text
    # Only the webhook delivery can be sent again: the others lost their bodies.
    assert f"Retry message {webhook}" in text
    assert f"Retry message {failed}" not in text and f"Retry message {pending}" not in text
    assert re.search(r'id="count-failed">2<', text) and re.search(r'id="count-waiting">1<', text)


@pytest.mark.usefixtures("quiet_worker")
def test_retry_makes_a_failed_delivery_pending_and_is_audited(browser: TestClient) -> None:
    first = _queue(browser, "webhook", "crm", WEBHOOK_BODY, give_up=True)
    second = _queue(browser, "webhook", "crm", WEBHOOK_BODY, give_up=True)
    sms = _queue(browser, "sms", "+16175550199", SECRET_BODY, give_up=True)
    assert _state(browser, first) == (True, 1)
    sign_in(browser, OWNER)
    done = post(browser, "outbox/retry", {"message": str(first)}, "outbox")
    assert done.status_code == 303 and done.headers["location"] == f"{CONSOLE}/outbox?done=retried"
    assert _state(browser, first) == (False, 0)
    assert _state(browser, second) == (True, 1)
    # A message that cannot be sent again is refused, and nothing changes.
    refused = post(browser, "outbox/retry", {"message": str(sms)}, "outbox")
    assert refused.status_code == 400 and "no failed webhook delivery" in refused.text
    assert _state(browser, sms) == (True, 1)
    assert post(browser, "outbox/retry", {"message": "x"}, "outbox").status_code == 400
    assert post(browser, "outbox/retry", {"all": "1"}, "outbox").status_code == 303
    assert _state(browser, second) == (False, 0)
    audit = browser.get(f"{CONSOLE}/audit").text
    assert audit.count("outbox_retry") == 2
    assert f"[{first}]" in audit and f"[{second}]" in audit
    assert "918273" not in audit


def test_managers_and_owners_only(browser: TestClient, database_url: str) -> None:
    add_operator(database_url, "manager@demo.example", "manager")
    add_operator(database_url, "analyst@demo.example", "analyst")
    sign_in(browser, ("manager@demo.example", "Operator1234!"))
    assert browser.get(f"{CONSOLE}/outbox").status_code == 200
    for who in (CSR, ("analyst@demo.example", "Operator1234!")):
        sign_in(browser, who)
        assert "Outbox</a>" not in browser.get(f"{CONSOLE}/health").text
        assert browser.get(f"{CONSOLE}/outbox").status_code == 403
        assert post(browser, "outbox/retry", {"all": "1"}, "health").status_code == 403
    assert browser.get(f"{CONSOLE}/outbox", follow_redirects=False).status_code == 403
    browser.cookies.clear()
    reply = browser.get(f"{CONSOLE}/outbox", follow_redirects=False)
    assert reply.status_code == 303
