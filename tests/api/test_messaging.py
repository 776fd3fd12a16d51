"""REST Message Service: marketing e-mails from a program template (messaging.yaml),
rendered per guest, sent through the outbox to a real SMTP server (aiosmtpd) and
written to the guest's inbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

from fastapi.testclient import TestClient

from openpxs.messaging import SmtpTransport, deliver_due
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import POS
from tests.api.test_outbox_delivery import Inbox, inbox  # noqa: F401 (fixture)


def send(client: TestClient, variant: str, **body: Any) -> dict[str, Any]:
    request = b2b(
        campaignMessageTemplateCode=501,
        deliveryMethod="EMAIL",
        replacementParams={"day": "Saturday", "store": "<b>Downtown</b>", "extra": "x"},
    )
    request.update(body)
    return body_of(
        gpost(client, "messaging", f"sendMarketingMessageBy{variant}", request, auth=POS)
    )


def deliver(client: TestClient, box: Inbox) -> None:
    transport = SmtpTransport(
        host="127.0.0.1", port=box.port, from_address="Demo <news@demo.example>", timeout=5
    )
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(deliver_due, engine, transport, datetime.now(UTC) + timedelta(seconds=1))


def parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_subtype()] = payload.decode().replace("\r\n", "\n")
    return found


def test_a_marketing_email_is_rendered_sent_by_smtp_and_kept_in_the_inbox(
    client: TestClient,
    inbox: Inbox,  # noqa: F811
) -> None:
    guest = enroll(client, "ada", firstName=["<Ada>"])
    card = guest["printedCardNumber"]
    assert send(client, "PrintedCardNumber", printedCardNumber=card) == {"result": "success"}
    deliver(client, inbox)
    [got] = [r for r in inbox.received if r.recipients == ["ada@example.com"]]
    assert got.message["Subject"] == "<Ada>, double points this Saturday"
    body = parts(got.message)
    assert "&lt;b&gt;Downtown&lt;/b&gt;" in body["html"] and "<b>" not in body["html"]
    assert "Hello &lt;Ada&gt;," in body["html"]
    assert f"Show card {card} at <b>Downtown</b>." in body["plain"]
    assert "OpenPXS Demo Grill" in body["plain"]

    token = guest["oauthTokens"]["access_token"]
    [kept] = body_of(gget(client, "message", "myMessages", as_guest(token)))["messages"]
    assert kept["subject"] == "<Ada>, double points this Saturday"
    assert kept["body"] == body["plain"]
    assert kept["imageUrl"] == "https://demo.openpxs.org/messages/double-points.png"


def test_by_account_and_email_and_the_refusals(client: TestClient) -> None:
    guest = enroll(client, "ada")
    account = guest["accountId"]
    assert send(client, "AccountId", accountId=account)["result"] == "success"
    assert send(client, "Email", email="ADA@example.com")["result"] == "success"

    def code(reply: dict[str, Any]) -> str:
        assert reply["result"] == "failure"
        return str(reply["errorCode"])

    assert code(send(client, "Email", email="nobody@example.com")) == "messaging.invalid_email"
    assert code(send(client, "AccountId", accountId=999999)) == "messaging.invalid_account"
    assert code(send(client, "PrintedCardNumber", printedCardNumber="6999999999999999")) == (
        "messaging.invalid_card"
    )
    assert code(send(client, "AccountId", accountId=account, campaignMessageTemplateCode=9)) == (
        "messaging.invalid_template"
    )
    assert code(send(client, "AccountId", accountId=account, deliveryMethod="SMS")) == (
        "messaging.invalid_delivery_method"
    )
    token = guest["oauthTokens"]["access_token"]
    body_of(
        gpost(
            client,
            "enrollment",
            "editUser",
            as_guest(token, setUserFields={"style": "typed", "optIn": [False]}),
        )
    )
    assert code(send(client, "AccountId", accountId=account)) == "messaging.guest_opted_out"
    messages = body_of(gget(client, "message", "myMessages", as_guest(token)))["messages"]
    assert len(messages) == 2


def test_an_account_without_a_guest_has_no_email_address(client: TestClient) -> None:
    from tests.api.pos import LOYALTY, activate

    activate(client, LOYALTY)
    reply = send(client, "PrintedCardNumber", printedCardNumber=LOYALTY)
    assert reply["errorCode"] == "messaging.no_email_address"
