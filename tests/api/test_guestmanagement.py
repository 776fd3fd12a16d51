"""Guest Management Service over HTTP: starting and completing a password reset."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.clock import ShiftedClock
from openpxs.security import verify_secret
from openpxs.services.password_reset import start_reset
from openpxs.store.tables import sign_in_failures, users, verification_codes
from openpxs.store.uow import UnitOfWork
from tests.api.guests import APP, PASSWORD, POS, body_of, enroll, gpost, rest, sign_in
from tests.api.pos import run_db
from tests.api.test_onetimepassword import count_rows, outbox_messages
from tests.api.test_sign_in_limits import STRANGER, from_address

NEW_PASSWORD = "N3w-password-2024"


def start(
    client: TestClient, operation: str = "generateAndSendGuestResetPasswordCode", **body: Any
) -> dict[str, Any]:
    return body_of(
        gpost(client, "guestmanagement", operation, {"authentication": "anonymous", **body})
    )


def start_b2b(
    client: TestClient, operation: str = "generateAndSendGuestResetPasswordCode", **body: Any
) -> dict[str, Any]:
    return body_of(
        gpost(client, "guestmanagement", operation, {"authentication": "b2b", **body}, auth=POS)
    )


def forget_sends(client: TestClient) -> None:
    """As if the send window had passed (services/sending.py)."""

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(
            delete(sign_in_failures).where(sign_in_failures.c.subject.like("send:%"))
        )

    run_db(client, work)


def reset(client: TestClient, code: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "guestmanagement",
            "resetPassword",
            {"authentication": "anonymous", "resetCode": code, "newPassword": password},
        )
    )


def mailed_code(client: TestClient) -> str:
    """The reset code of the newest reset e-mail."""
    mails = [m for m in outbox_messages(client, "email") if "Reset your" in m["subject"]]
    assert mails, "no reset e-mail was written"
    found = re.search(r"reset code: (\S+)", mails[-1]["body"])
    assert found is not None, mails[-1]["body"]
    return found.group(1)


def refused(reply: dict[str, Any], code: str) -> dict[str, Any]:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply
    return reply


def password_hash(client: TestClient, username: str) -> str:
    async def work(conn: AsyncConnection) -> str:
        user = await UnitOfWork(conn).users.by_unique(1000, "username", username)
        assert user is not None and user.password_hash is not None
        return user.password_hash

    found: str = run_db(client, work)
    return found


def test_reset_by_each_identifier(client: TestClient) -> None:
    created = enroll(client, "ada")
    identifiers: list[dict[str, Any]] = [
        {"username": "ADA"},
        {"email": "ada@example.com"},
        {"printedCardNumber": created["printedCardNumber"]},
        {"accountId": created["accountId"]},
        {"accountId": str(created["accountId"])},
        {"userIdentity": {"username": "ada"}},
        # The same identifier in both places is still one identifier.
        {"username": "ada", "userIdentity": {"username": "ada"}},
    ]
    for identifier in identifiers:
        forget_sends(client)  # a guest gets only a few reset e-mails an hour
        assert start_b2b(client, **identifier) == {"result": "success", "email": "ada@example.com"}
    mails = [m for m in outbox_messages(client, "email") if "Reset your" in m["subject"]]
    assert len(mails) == len(identifiers)
    mail = mails[-1]
    assert mail["recipient"] == "ada@example.com"
    code = mailed_code(client)
    assert code not in mail["subject"]
    assert f"http://127.0.0.1:8080/m/1000/guest/reset?code={code}" in mail["body"]
    # Only the newest code is live.
    assert count_rows(client, verification_codes) == len(identifiers)
    assert reset(client, code)["result"] == "success"


def test_identifier_refusals(client: TestClient) -> None:
    enroll(client, "ada")
    refused(start(client), "guestmanagement.no_identifier")
    refused(start(client, username="", email=None), "guestmanagement.no_identifier")
    refused(
        start(client, username="ada", email="ada@example.com"),
        "guestmanagement.multiple_identifiers",
    )
    refused(
        start(client, username="ada", userIdentity={"email": "ada@example.com"}),
        "guestmanagement.multiple_identifiers",
    )
    for unknown in (
        {"username": "nobody"},
        {"email": "nobody@example.com"},
        {"printedCardNumber": "7000000000000001"},
        {"accountId": 123456789},
    ):
        refused(start_b2b(client, **unknown), "guestmanagement.user_not_found")
    refused(start(client, accountId="x"), "guestmanagement.invalid_request")
    refused(start(client, merchantId=2000, username="ada"), "guestmanagement.invalid_merchant")
    assert not any("Reset your" in m["subject"] for m in outbox_messages(client, "email"))


def test_the_app_cannot_tell_known_guests_from_unknown(client: TestClient) -> None:
    created = enroll(client, "ada")
    enroll(client, "grace")
    # Named other than by address: success and no address, known or not.
    for known, unknown in (
        ({"username": "ada"}, {"username": "nobody"}),
        (
            {"printedCardNumber": created["printedCardNumber"]},
            {"printedCardNumber": "7000000000000001"},
        ),
        ({"accountId": created["accountId"]}, {"accountId": 123456789}),
    ):
        assert start(client, **known) == start(client, **unknown) == {"result": "success"}
    # Named by address: the address given, masked, known or not.
    assert start(client, email="grace@example.com") == {
        "result": "success",
        "email": "g***@example.com",
    }
    assert start(client, email="zed@example.com") == {
        "result": "success",
        "email": "z***@example.com",
    }
    sent = [
        m["recipient"] for m in outbox_messages(client, "email") if "Reset your" in m["subject"]
    ]
    assert sorted(sent) == ["ada@example.com"] * 3 + ["grace@example.com"]


def test_a_guest_gets_only_a_few_reset_mails_and_keeps_the_last_code(
    client: TestClient, clock: ShiftedClock
) -> None:
    enroll(client, "ada")
    answers = [
        body_of(
            from_address(
                client,
                f"198.51.100.{n + 1}",
                "POST",
                rest("guestmanagement", "generateAndSendGuestResetPasswordCode"),
                json={"merchantId": 1000, "authentication": "anonymous", "username": "ada"},
                auth=APP,
            )
        )
        for n in range(6)
    ]
    assert answers == [{"result": "success"}] * 6  # alike, sent or not
    mails = [m for m in outbox_messages(client, "email") if "Reset your" in m["subject"]]
    assert len(mails) == 3  # max_sends_per_recipient
    # A trusted server is told why nothing more goes out.
    refused(start_b2b(client, username="ada"), "guestmanagement.too_many_attempts")
    # The asks past the limit did not retire the code the guest was sent last.
    assert reset(client, mailed_code(client)) == {"result": "success"}
    # After the window, mail flows again.
    clock.offset = timedelta(minutes=61)
    assert start(client, username="ada") == {"result": "success"}
    assert len([m for m in outbox_messages(client, "email") if "Reset your" in m["subject"]]) == 4


def test_an_address_asking_for_many_resets_is_refused(client: TestClient) -> None:
    def ask(address: str, username: str) -> dict[str, Any]:
        return body_of(
            from_address(
                client,
                address,
                "POST",
                rest("guestmanagement", "generateAndSendGuestResetPasswordCode"),
                json={"merchantId": 1000, "authentication": "anonymous", "username": username},
                auth=APP,
            )
        )

    for n in range(10):  # max_sends_per_source, known or unknown guests alike
        assert ask(STRANGER, f"nobody-{n}") == {"result": "success"}
    refused(ask(STRANGER, "nobody-x"), "guestmanagement.too_many_attempts")
    assert ask("203.0.113.10", "nobody-x") == {"result": "success"}


def test_user_without_email(client: TestClient) -> None:
    enroll(client, "ada")

    async def drop_email(conn: AsyncConnection) -> None:
        await conn.execute(update(users).values(email=None))

    run_db(client, drop_email)
    before = outbox_messages(client)
    refused(start_b2b(client, username="ada"), "guestmanagement.no_email_address")
    # The app is answered as for anyone else.
    assert start(client, username="ada") == {"result": "success"}
    assert outbox_messages(client) == before
    assert count_rows(client, verification_codes) == 0


def test_servers_may_start_a_reset(client: TestClient) -> None:
    enroll(client, "ada")
    reply = body_of(
        gpost(
            client,
            "guestmanagement",
            "generateAndSendGuestResetPasswordCode",
            {"authentication": "b2b", "username": "ada"},
            auth=POS,
        )
    )
    assert reply == {"result": "success", "email": "ada@example.com"}


def send_as_server(client: TestClient, **body: Any) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "guestmanagement",
            "sendGuestResetPasswordCode",
            {"authentication": "b2b", **body},
            auth=POS,
        )
    )


def test_send_with_the_servers_own_code(client: TestClient) -> None:
    enroll(client, "ada")
    reply = send_as_server(
        client, userIdentity={"email": "ada@example.com"}, resetCode="partner-code_123"
    )
    assert reply == {"result": "success", "email": "ada@example.com"}
    assert mailed_code(client) == "partner-code_123"
    # Without resetCode one is generated, for apps too.
    assert start(client, "sendGuestResetPasswordCode", username="ada")["result"] == "success"
    generated = mailed_code(client)
    assert generated != "partner-code_123" and len(generated) >= 20
    for bad in ("short", "has space in it", "x" * 65, "ünïcödé-code"):
        refused(
            send_as_server(client, username="ada", resetCode=bad),
            "guestmanagement.invalid_request",
        )
    refused(send_as_server(client), "guestmanagement.no_identifier")
    assert reset(client, generated)["result"] == "success"


def test_an_app_may_not_choose_the_code(client: TestClient) -> None:
    enroll(client, "ada")
    before = outbox_messages(client)
    reply = start(
        client, "sendGuestResetPasswordCode", username="ada", resetCode="attacker-chosen-1"
    )
    refused(reply, "guestmanagement.invalid_request")
    assert outbox_messages(client) == before
    refused(reset(client, "attacker-chosen-1"), "guestmanagement.invalid_reset_code")


def test_the_whole_reset(client: TestClient) -> None:
    created = enroll(client, "ada")
    old_token = created["oauthTokens"]["access_token"]
    signed_in = sign_in(client, "ada")
    # Lock the username with failed sign-ins: the reset lifts the lock.
    for _ in range(5):
        sign_in(client, "ada", "not-the-password")
    assert sign_in(client, "ada")["errorCode"] == "account_locked"

    start(client, email="ada@example.com")
    code = mailed_code(client)
    old_hash = password_hash(client, "ada")

    too_short = refused(reset(client, code, "short"), "guestmanagement.field_validation")
    assert too_short["errorsByField"] == {
        "newPassword": [{"code": "too_short", "message": "Must be at least 8 characters"}]
    }
    spaced = refused(reset(client, code, " spaced-out "), "guestmanagement.field_validation")
    assert spaced["errorsByField"]["newPassword"][0]["code"] == "invalid_format"
    too_long = refused(reset(client, code, "x" * 129), "guestmanagement.field_validation")
    assert too_long["errorsByField"]["newPassword"][0]["code"] == "too_long"
    refused(reset(client, code, ""), "guestmanagement.field_validation")
    # Refusals changed nothing: the code still works, once.
    assert password_hash(client, "ada") == old_hash

    assert reset(client, code) == {"result": "success"}
    refused(reset(client, code), "guestmanagement.invalid_reset_code")

    stored = password_hash(client, "ada")
    assert NEW_PASSWORD not in stored and verify_secret(stored, NEW_PASSWORD)
    assert sign_in(client, "ada")["errorCode"] == "could_not_authenticate"
    assert sign_in(client, "ada", NEW_PASSWORD)["result"] == "success"
    for token in (old_token, signed_in["access_token"]):
        response = gpost(
            client,
            "oauth",
            "requestAuthorizationGrant",
            {"authentication": "oauth", "access_token": token},
            auth=None,
        )
        assert response.status_code == 401
        assert response.json()["errorCode"] == "invalid_token"
    refreshed = sign_in(
        client, grant_type="refresh_token", refresh_token=signed_in["refresh_token"]
    )
    assert refreshed["errorCode"] == "invalid_grant"
    changed = [m for m in outbox_messages(client, "email") if "was changed" in m["subject"]]
    assert [m["recipient"] for m in changed] == ["ada@example.com"]
    assert NEW_PASSWORD not in changed[0]["body"]


def test_wrong_and_expired_codes(client: TestClient, clock: ShiftedClock) -> None:
    enroll(client, "ada")
    refused(reset(client, "no-such-code"), "guestmanagement.invalid_reset_code")
    start(client, username="ada")
    code = mailed_code(client)
    clock.offset += timedelta(minutes=31)
    refused(reset(client, code), "guestmanagement.invalid_reset_code")
    missing = body_of(
        gpost(client, "guestmanagement", "resetPassword", {"newPassword": NEW_PASSWORD})
    )
    refused(missing, "guestmanagement.invalid_request")


def reset_from(client: TestClient, address: str, code: str) -> dict[str, Any]:
    body = {
        "merchantId": 1000,
        "authentication": "anonymous",
        "resetCode": code,
        "newPassword": NEW_PASSWORD,
    }
    reply = from_address(
        client, address, "POST", rest("guestmanagement", "resetPassword"), json=body, auth=APP
    )
    data: dict[str, Any] = reply.json()
    return data


def test_wrong_codes_pause_the_address_not_the_app(client: TestClient) -> None:
    enroll(client, "ada")
    start(client, username="ada")
    code = mailed_code(client)
    for n in range(5):
        refused(
            reset_from(client, STRANGER, f"guess-guess-{n}"), "guestmanagement.invalid_reset_code"
        )
    # The guessing address waits, even with a good code...
    refused(reset_from(client, STRANGER, code), "guestmanagement.too_many_attempts")
    # ...and the guest, from their own address and with the same app, does not.
    assert reset_from(client, "203.0.113.10", code) == {"result": "success"}


def test_wrong_codes_are_counted(client: TestClient) -> None:
    for _ in range(3):
        refused(reset(client, "guess-guess"), "guestmanagement.invalid_reset_code")

    async def failures(conn: AsyncConnection) -> dict[str, int]:
        rows = await conn.execute(select(sign_in_failures.c.subject, sign_in_failures.c.failures))
        return {r.subject: r.failures for r in rows}

    # Per address (a test client's peer is no IP address: "unknown"), never per app.
    assert run_db(client, failures) == {"password_reset@unknown": 3, "source:unknown": 3}


def test_a_rolled_back_call_mails_nothing(client: TestClient) -> None:
    enroll(client, "ada")
    before = outbox_messages(client)

    class Abort(Exception):
        pass

    async def start_then_fail(conn: AsyncConnection) -> None:
        uow = UnitOfWork(conn)
        program = await uow.programs.load(1000)
        user = await uow.users.by_unique(1000, "username", "ada")
        assert user is not None
        await start_reset(uow, program, user, ShiftedClock().now())
        raise Abort

    with pytest.raises(Abort):
        run_db(client, start_then_fail)
    assert outbox_messages(client) == before
    assert count_rows(client, verification_codes) == 0


def test_password_rules_follow_the_guests_template(client: TestClient) -> None:
    enroll(client, "ada")
    start(client, username="ada")
    code = mailed_code(client)
    # The demo form asks for 8 to 128 characters.
    assert reset(client, code, "x" * 128) == {"result": "success"}
    assert sign_in(client, "ada", "x" * 128)["result"] == "success"
    assert PASSWORD not in password_hash(client, "ada")
