"""The Gift Transfer Service as a back end calls it: giftingConfig, transferOut and
transferIn (claim), and the job that sends unclaimed gifts back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.messaging import deliver_everything_due
from openpxs.services.gift_transfers import return_lapsed
from openpxs.store.tables import gift_transfers, outbox
from openpxs.store.uow import unit_of_work
from tests.api.guest_state import audit_clean
from tests.api.guests import b2b, body_of, enroll, gget, gpost
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    POS,
    UNKNOWN_CARD,
    activate,
    add_redeem,
    balance,
    history,
    run_db,
    sell,
    sv,
    wallets,
)
from tests.api.test_onetimepassword import outbox_messages
from tests.api.test_outbox_delivery import Inbox, inbox  # noqa: F401 (fixture)
from tests.api.test_sale import deliver
from tests.api.test_upland_sms import twilio_transport
from tests.fakes.twilio import fake_twilio


def out(client: TestClient, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    request = {**b2b(), "fromPrintedCardNumber": GIFT, "walletCode": 1, **body}
    return body_of(gpost(client, "gifttransfer", "transferOut", request, POS, headers=headers))


def claim(client: TestClient, code: str, card: str = GIFT2) -> dict[str, Any]:
    body = {**b2b(), "claimCode": code, "printedCardNumber": card}
    return body_of(gpost(client, "gifttransfer", "transferIn", body, POS))


def failed(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply


def sv_of(client: TestClient, card: str) -> str:
    return wallets(balance(client, card))[1]


def emails(client: TestClient) -> list[tuple[str, str]]:
    async def work(conn: Any) -> list[tuple[str, str]]:
        rows = await conn.execute(
            select(outbox.c.recipient, outbox.c.body)
            .where(outbox.c.channel == "email")
            .order_by(outbox.c.id)
        )
        return [(r.recipient, r.body) for r in rows]

    found: list[tuple[str, str]] = run_db(client, work)
    return found


def gift_count(client: TestClient) -> int:
    async def work(conn: Any) -> int:
        return len((await conn.execute(select(gift_transfers.c.id))).all())

    return int(run_db(client, work))


def return_now(client: TestClient) -> int:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert client.portal is not None
    returned: int = client.portal.call(
        return_lapsed, lambda: unit_of_work(runtime.engine), runtime.clock.now()
    )
    return returned


def test_gifting_config_lists_the_rewards_a_template_may_give(client: TestClient) -> None:
    reply = body_of(gget(client, "gifttransfer", "giftingConfig", b2b(cardTemplateCode=2), POS))
    assert reply == {
        "result": "success",
        "rewards": [{"walletCode": 1, "name": "Stored Value", "quantity": "5.00"}],
    }
    # The e-mail club card holds no stored value.
    email_club = body_of(
        gget(client, "gifttransfer", "giftingConfig", b2b(cardTemplateCode=3), POS)
    )
    assert email_club == {"result": "success", "rewards": []}
    for bad in ({"cardTemplateCode": 99}, {}):
        reply = body_of(gget(client, "gifttransfer", "giftingConfig", b2b(**bad), POS))
        failed(reply, "gifttransfer.invalid_card_template")


def test_a_gift_to_a_card_moves_at_once_with_both_sides_journaled(client: TestClient) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "1.00")
    reply = out(client, to={"printedCardNumber": GIFT2}, transferMessage="Enjoy!")
    info = reply["transferInfo"]
    assert reply["result"] == "success"
    assert (info["status"], info["quantity"], info["toPrintedCardNumber"]) == (
        "COMPLETED",
        "5.00",
        GIFT2,
    )
    assert "claimCode" not in info
    assert (sv_of(client, GIFT), sv_of(client, GIFT2)) == ("20.00", "6.00")
    kinds = {t["transactionType"] for t in history(client, GIFT2)["transactions"]}
    assert "giftTransferIn" in kinds, kinds
    audit_clean(client)


# It reads the notice's body, which the worker empties once it has sent it.
@pytest.mark.usefixtures("quiet_worker")
def test_a_gift_to_an_enrolled_guests_email_lands_on_their_card(client: TestClient) -> None:
    created = enroll(client, "ada")
    sell(client, GIFT, "25.00")
    info = out(client, to={"email": "ADA@example.com", "firstName": "Ada"})["transferInfo"]
    assert (info["status"], info["toPrintedCardNumber"]) == (
        "COMPLETED",
        created["printedCardNumber"],
    )
    assert sv_of(client, created["printedCardNumber"]) == "5.00"
    sent = [body for to, body in emails(client) if to == "ADA@example.com"]
    assert len(sent) == 1 and "added to your card" in sent[0], sent


def test_a_gift_to_someone_new_is_held_and_claimed_once(client: TestClient) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "1.00")
    reply = out(client, to={"email": "new@example.com"}, transferMessage="Happy birthday")
    info = reply["transferInfo"]
    assert info["status"] == "PENDING_CLAIM", reply
    code = info["claimCode"]
    assert len(code) == 12 and info["expirationDate"]
    assert sv_of(client, GIFT) == "20.00"
    (mail,) = [body for to, body in emails(client) if to == "new@example.com"]
    assert code in mail and "Happy birthday" in mail
    # The giver cannot take it back by claiming it; a wrong code is refused.
    failed(claim(client, code, GIFT), "gifttransfer.same_account")
    failed(claim(client, "WRONGCODE123"), "gifttransfer.invalid_claim_code")
    failed(claim(client, code, UNKNOWN_CARD), "gifttransfer.invalid_card")
    failed(claim(client, code, LOYALTY), "gifttransfer.card_not_active")
    claimed = claim(client, code.lower())
    assert claimed["transferInfo"]["status"] == "CLAIMED", claimed
    assert "claimCode" not in claimed["transferInfo"]
    assert sv_of(client, GIFT2) == "6.00"
    failed(claim(client, code), "gifttransfer.transfer_already_claimed")
    assert sv_of(client, GIFT2) == "6.00"
    # Nothing is left to send back.
    assert return_now(client) == 0
    audit_clean(client)


def test_an_unclaimed_gift_goes_back_to_the_giver_once(
    client: TestClient, clock: ShiftedClock
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "1.00")
    code = out(client, to={"email": "late@example.com"})["transferInfo"]["claimCode"]
    assert return_now(client) == 0  # not due yet
    clock.offset += timedelta(days=31)
    failed(claim(client, code), "gifttransfer.transfer_expired")
    assert return_now(client) == 1
    assert return_now(client) == 0
    assert sv_of(client, GIFT) == "25.00"
    assert sv_of(client, GIFT2) == "1.00"
    failed(claim(client, code), "gifttransfer.transfer_expired")
    audit_clean(client)


# The notice is sent by the test's SMTP delivery, not the server's own worker.
@pytest.mark.usefixtures("quiet_worker")
def test_the_giver_is_emailed_when_an_unclaimed_gift_comes_back(
    client: TestClient,
    clock: ShiftedClock,
    inbox: Inbox,  # noqa: F811
) -> None:
    created = enroll(client, "ada", "ada@example.com")
    card = created["printedCardNumber"]
    add_redeem(client, card, add=sv("25.00"))
    out(client, fromPrintedCardNumber=card, to={"email": "late@example.com"})
    assert deliver(client, inbox, clock.now()) >= 1  # the claim code to the recipient
    inbox.received.clear()
    clock.offset += timedelta(days=31)
    assert return_now(client) == 1
    assert sv_of(client, card) == "25.00"
    assert deliver(client, inbox, clock.now()) == 1
    [mail] = inbox.received
    assert mail.recipients == ["ada@example.com"]
    assert mail.message["Subject"] == "Your gift was returned - OpenPXS Demo Grill"
    text = mail.message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "5.00 Stored Value you sent to late@example.com" in text
    assert "not claimed within 30 days" in text
    assert f"card ending in {card[-4:]}" in text
    # Returned once, told once.
    assert return_now(client) == 0
    assert deliver(client, inbox, clock.now()) == 0
    assert len(inbox.received) == 1


@pytest.mark.usefixtures("quiet_worker")
def test_a_returned_gift_of_a_card_without_a_guest_emails_no_one(
    client: TestClient, clock: ShiftedClock
) -> None:
    sell(client, GIFT, "25.00")
    out(client, to={"email": "late@example.com"})
    before = [to for to, _ in emails(client)]
    clock.offset += timedelta(days=31)
    assert return_now(client) == 1
    assert [to for to, _ in emails(client)] == before == ["late@example.com"]


# The test delivers the outbox itself, through the Twilio-shaped adapter.
@pytest.mark.usefixtures("quiet_worker")
def test_a_gift_to_a_phone_number_is_texted_its_claim_code(
    client: TestClient, clock: ShiftedClock
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "1.00")
    reply = out(
        client,
        to={"phone": "617-555-0142", "firstName": "Lee"},
        transferMessage="Lunch is on me",
    )
    info = reply["transferInfo"]
    assert info["status"] == "PENDING_CLAIM", reply
    assert sv_of(client, GIFT) == "20.00"
    assert emails(client) == []  # no address: the code goes by SMS only
    with fake_twilio() as twilio:
        deliver_everything_due_now(client, clock, twilio_transport(twilio))
    [sms] = twilio.messages
    assert sms["To"] == "+16175550142"
    assert info["claimCode"] in sms["Body"] and "5.00 Stored Value" in sms["Body"]
    assert '"Lunch is on me"' in sms["Body"]
    assert claim(client, info["claimCode"])["transferInfo"]["status"] == "CLAIMED"
    assert sv_of(client, GIFT2) == "6.00"
    audit_clean(client)


@pytest.mark.usefixtures("quiet_worker")
def test_a_gift_to_an_address_and_a_number_reaches_both(client: TestClient) -> None:
    sell(client, GIFT, "25.00")
    code = out(client, to={"email": "new@example.com", "phone": "+1 617 555 0142"})["transferInfo"][
        "claimCode"
    ]
    assert [to for to, body in emails(client) if code in body] == ["new@example.com"]
    [sms] = outbox_messages(client, "sms")
    assert sms["recipient"] == "+1 617 555 0142" and code in sms["body"]


def deliver_everything_due_now(client: TestClient, clock: ShiftedClock, transport: Any) -> None:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(deliver_everything_due, engine, transport, clock.now())


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"fromPrintedCardNumber": UNKNOWN_CARD}, "gifttransfer.invalid_card"),
        ({"fromPrintedCardNumber": LOYALTY}, "gifttransfer.card_not_active"),
        ({"walletCode": 99}, "gifttransfer.invalid_wallet"),
        ({"walletCode": None}, "gifttransfer.invalid_wallet"),
        ({"walletCode": 2}, "gifttransfer.wallet_not_giftable"),
        ({"to": {"printedCardNumber": GIFT}}, "gifttransfer.same_account"),
        ({"to": {"printedCardNumber": UNKNOWN_CARD}}, "gifttransfer.invalid_recipient"),
        ({"to": {"printedCardNumber": LOYALTY}}, "gifttransfer.invalid_recipient"),
        (
            {"to": {"printedCardNumber": GIFT2, "email": "x@example.com"}},
            "gifttransfer.invalid_recipient",
        ),
        ({"to": {"phone": "12"}}, "gifttransfer.invalid_recipient"),
        ({"to": {"phone": "call me"}}, "gifttransfer.invalid_recipient"),
        (
            {"to": {"email": "x@example.com", "phone": "555-CALL"}},
            "gifttransfer.invalid_recipient",
        ),
        (
            {"to": {"printedCardNumber": GIFT2, "phone": "617-555-0142"}},
            "gifttransfer.invalid_recipient",
        ),
        ({"to": {"email": "not-an-address"}}, "gifttransfer.invalid_recipient"),
        ({"to": {}}, "gifttransfer.invalid_recipient"),
        ({"to": None}, "gifttransfer.invalid_recipient"),
        (
            {"to": {"printedCardNumber": GIFT2}, "transferMessage": "x" * 251},
            "gifttransfer.message_too_long",
        ),
    ],
)
def test_refused_gifts_move_nothing(client: TestClient, body: dict[str, Any], code: str) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "1.00")
    failed(out(client, **{"to": {"email": "someone@example.com"}, **body}), code)
    assert (sv_of(client, GIFT), sv_of(client, GIFT2)) == ("25.00", "1.00")
    assert gift_count(client) == 0
    assert emails(client) == []


def test_a_gift_larger_than_the_balance_is_refused(client: TestClient) -> None:
    sell(client, GIFT, "3.00")
    failed(out(client, to={"email": "x@example.com"}), "gifttransfer.insufficient_balance")
    activate(client, LOYALTY)
    add_redeem(client, LOYALTY, add=sv("4.99"))
    failed(
        out(client, fromPrintedCardNumber=LOYALTY, to={"printedCardNumber": GIFT}),
        "gifttransfer.insufficient_balance",
    )
    assert (sv_of(client, GIFT), sv_of(client, LOYALTY)) == ("3.00", "4.99")


def test_a_retried_gift_with_the_same_idempotency_key_moves_once(client: TestClient) -> None:
    sell(client, GIFT, "25.00")
    key = {"Idempotency-Key": "gift-1"}
    first = out(client, headers=key, to={"email": "once@example.com"})
    again = out(client, headers=key, to={"email": "once@example.com"})
    assert first == again
    assert sv_of(client, GIFT) == "20.00"
    assert gift_count(client) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"to": "someone@example.com"},
        {"to": {"email": "a@example.com"}, "walletCode": "one"},
        {"to": {"email": ["a@example.com"]}},
        {"to": {"email": "a@example.com"}, "merchantId": None},
    ],
)
def test_malformed_requests_answer_a_failure_not_an_error(
    client: TestClient, body: dict[str, Any]
) -> None:
    sell(client, GIFT, "25.00")
    request = {**b2b(), "fromPrintedCardNumber": GIFT, "walletCode": 1, **body}
    response = gpost(client, "gifttransfer", "transferOut", request, POS)
    assert response.status_code < 500, response.text
    assert response.json()["result"] == "failure"
    assert sv_of(client, GIFT) == "25.00"


def test_a_gift_to_a_guest_whose_card_cannot_hold_it_waits_for_a_claim(
    client: TestClient,
) -> None:
    """An e-mail club member's card holds no stored value: the gift is held, to be
    claimed onto a card that can."""
    joined = body_of(
        gpost(
            client,
            "enrollment",
            "createEClubAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 3,
                "setUserFields": {"style": "typed", "email": ["club@example.com"]},
            },
        )
    )
    assert joined["result"] == "cardCreatedSuccess", joined
    sell(client, GIFT, "25.00")
    info = out(client, to={"email": "club@example.com"})["transferInfo"]
    assert info["status"] == "PENDING_CLAIM" and "toPrintedCardNumber" not in info
