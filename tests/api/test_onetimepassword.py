"""One Time Password Service and the OAuth one_time_password grant, over HTTP."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.clock import ShiftedClock
from openpxs.services.one_time_password import send_sms_code
from openpxs.store.tables import outbox, sign_in_failures, users, verification_codes
from openpxs.store.uow import UnitOfWork
from tests.api.guests import POS, b2b, body_of, enroll, gget, gpost, rest
from tests.api.pos import APP, run_db
from tests.api.test_sign_in_limits import STRANGER, from_address
from tests.program_config import demo_program

PHONE = "(617) 555-0100"


def outbox_messages(client: TestClient, channel: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows, oldest first."""

    async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
        stmt = select(outbox).order_by(outbox.c.id)
        if channel is not None:
            stmt = stmt.where(outbox.c.channel == channel)
        return [dict(row._mapping) for row in await conn.execute(stmt)]

    found: list[dict[str, Any]] = run_db(client, work)
    return with_bodies(client, found)


def with_bodies(client: TestClient, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outbox rows with their bodies: a message the app's worker already sent keeps none
    in the database, so its body is read from the log transport that sent it."""
    transport = client.app.state.transport  # type: ignore[attr-defined]
    # An outbox id is used again once a test's reset emptied the table: the message
    # sent under it is the one to the same recipient on the same channel.
    sent = {(m.id, m.channel, m.recipient): m.body for m in transport.sent}
    return [
        {**row, "body": sent.get((row["id"], row["channel"], row["recipient"]), row["body"])}
        if row["sent_at"] is not None
        else row
        for row in rows
    ]


def count_rows(client: TestClient, table: Any) -> int:
    async def work(conn: AsyncConnection) -> int:
        return len((await conn.execute(select(table))).all())

    counted: int = run_db(client, work)
    return counted


def guest_config(client: TestClient, **messages: object) -> AbstractContextManager[None]:
    """Merchant 1000 with these ``guest.messages`` settings, restored afterwards."""

    def edit(data: dict[str, Any]) -> None:
        data["guest"]["messages"] = {**data["guest"].get("messages", {}), **messages}

    return demo_program(client, edit)


def send(client: TestClient, phone: str = PHONE, **body: Any) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "onetimepassword",
            "generateAndSendSMSOTP",
            {"authentication": "anonymous", "mobilePhone": phone, **body},
        )
    )


def texted_code(client: TestClient) -> str:
    """The code of the newest text message."""
    texts = outbox_messages(client, "sms")
    assert texts, "no text message was written"
    found = re.search(r"\b(\d{6})\b", texts[-1]["body"])
    assert found is not None, texts[-1]["body"]
    return found.group(1)


def otp_grant(client: TestClient, phone: str, code: str, **extra: Any) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "authentication": "anonymous",
                "grant_type": "one_time_password",
                "mobilePhone": phone,
                "one_time_password": code,
                **extra,
            },
        )
    )


def refused(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply


def test_is_otp_enabled_for_apps_and_servers(client: TestClient) -> None:
    assert body_of(gget(client, "onetimepassword", "isOTPEnabled", {})) == {
        "result": "success",
        "enabled": True,
    }
    reply = body_of(gget(client, "onetimepassword", "isOTPEnabled", b2b(), auth=POS))
    assert reply == {"result": "success", "enabled": True}
    with guest_config(client, one_time_password_enabled=False):
        reply = body_of(gget(client, "onetimepassword", "isOTPEnabled", {}))
        assert reply == {"result": "success", "enabled": False}


def test_is_otp_enabled_refusals(client: TestClient) -> None:
    response = client.get(rest("onetimepassword", "isOTPEnabled"), auth=APP)
    refused(body_of(response), "one_time_password.invalid_request")
    other = body_of(gget(client, "onetimepassword", "isOTPEnabled", {"merchantId": 2000}))
    refused(other, "one_time_password.invalid_merchant")
    assert client.get(rest("onetimepassword", "isOTPEnabled")).status_code == 401
    assert gpost(client, "onetimepassword", "isOTPEnabled", {}).status_code == 405


def test_code_texted_and_exchanged_for_tokens_once(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    assert send(client, "617.555.0100") == {"result": "success"}
    texts = outbox_messages(client, "sms")
    assert len(texts) == 1
    # Sent to the number as the guest registered it; the code is in the body only.
    assert texts[0]["recipient"] == PHONE and texts[0]["subject"] is None
    code = texted_code(client)

    tokens = otp_grant(client, "6175550100", code)
    assert tokens["result"] == "success" and tokens["username"] == "ada"
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1800
    assert tokens["access_token"] and tokens["refresh_token"]
    assert set(tokens["scope"].split()) == {
        "user_read",
        "user_write",
        "account_read",
        "account_write",
    }
    grant = body_of(
        gpost(
            client,
            "oauth",
            "requestAuthorizationGrant",
            {"authentication": "oauth", "access_token": tokens["access_token"]},
        )
    )
    assert grant["result"] == "success"

    again = otp_grant(client, PHONE, code)
    refused(again, "invalid_grant")


def test_a_new_code_retires_the_earlier_one(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    first = texted_code(client)
    send(client)
    second = texted_code(client)
    if first != second:
        refused(otp_grant(client, PHONE, first), "invalid_grant")
    assert otp_grant(client, PHONE, second)["result"] == "success"


def test_unknown_number_succeeds_and_sends_nothing(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    assert send(client, "+1 212 555 0199") == {"result": "success"}
    assert outbox_messages(client, "sms") == []
    assert count_rows(client, verification_codes) == 0


def test_shared_number_is_refused(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    enroll(client, "grace", mobilePhone=["617-555-0100"])
    reply = send(client)
    refused(reply, "one_time_password.duplicate_phone_numbers")
    assert reply["errorMessage"] == "Multiple users were found with this phone number"
    assert outbox_messages(client, "sms") == []
    assert count_rows(client, verification_codes) == 0


def test_disabled_feature(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    code = texted_code(client)
    with guest_config(client, one_time_password_enabled=False):
        reply = send(client)
        refused(reply, "one_time_password.feature_disabled")
        assert reply["errorMessage"] == "SMS OTP feature not enabled for this merchant"
        refused(otp_grant(client, PHONE, code), "unsupported_grant_type")
    assert len(outbox_messages(client, "sms")) == 1


def test_send_request_checks(client: TestClient) -> None:
    refused(send(client, "call me"), "one_time_password.invalid_request")
    refused(send(client, "123"), "one_time_password.invalid_request")
    missing = body_of(
        gpost(client, "onetimepassword", "generateAndSendSMSOTP", {"authentication": "anonymous"})
    )
    refused(missing, "one_time_password.invalid_request")
    refused(send(client, merchantId=2000), "one_time_password.invalid_merchant")
    # b2b is for servers: the app's credential may not use it, the POS's may.
    refused(send(client, authentication="b2b"), "system.authentication_style_not_allowed")
    assert body_of(
        gpost(
            client,
            "onetimepassword",
            "generateAndSendSMSOTP",
            b2b(mobilePhone=PHONE),
            auth=POS,
        )
    ) == {"result": "success"}


def test_merchant_id_may_be_left_to_the_query_string(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    response = client.post(
        rest("onetimepassword", "generateAndSendSMSOTP") + "?merchantId=1000",
        json={"authentication": "anonymous", "mobilePhone": PHONE},
        auth=APP,
    )
    assert body_of(response) == {"result": "success"}
    assert len(outbox_messages(client, "sms")) == 1


def test_wrong_codes_wear_the_code_out_and_lock_the_number(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    code = texted_code(client)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused(otp_grant(client, PHONE, wrong), "invalid_grant")
    # The number is locked now, whatever the code.
    refused(otp_grant(client, PHONE, code), "account_locked")

    async def unlock(conn: AsyncConnection) -> None:
        await conn.execute(delete(sign_in_failures))

    run_db(client, unlock)
    # Without the lock the code itself is used up by the five wrong tries.
    refused(otp_grant(client, PHONE, code), "invalid_grant")


def test_four_wrong_tries_leave_the_code_usable(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    code = texted_code(client)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        refused(otp_grant(client, PHONE, wrong), "invalid_grant")
    assert otp_grant(client, PHONE, code)["result"] == "success"


def test_code_expires_and_follows_the_number(client: TestClient, clock: ShiftedClock) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    code = texted_code(client)
    clock.offset += timedelta(minutes=11)
    refused(otp_grant(client, PHONE, code), "invalid_grant")

    send(client)
    code = texted_code(client)

    async def new_number(conn: AsyncConnection) -> None:
        await conn.execute(update(users).values(mobile_phone="6175550111"))

    run_db(client, new_number)
    refused(otp_grant(client, PHONE, code), "invalid_grant")


def test_grant_needs_phone_and_code(client: TestClient) -> None:
    refused(otp_grant(client, PHONE, ""), "invalid_grant")
    reply = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"authentication": "anonymous", "grant_type": "one_time_password"},
        )
    )
    refused(reply, "invalid_grant")


def test_a_rolled_back_call_texts_nothing(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    before = outbox_messages(client)

    class Abort(Exception):
        pass

    async def send_then_fail(conn: AsyncConnection) -> None:
        uow = UnitOfWork(conn)
        program = await uow.programs.load(1000)
        await send_sms_code(uow, program, PHONE, ShiftedClock().now())
        assert len((await conn.execute(select(outbox))).all()) == len(before) + 1
        raise Abort

    with pytest.raises(Abort):
        run_db(client, send_then_fail)
    assert outbox_messages(client) == before
    assert count_rows(client, verification_codes) == 0


def send_from(client: TestClient, address: str, phone: str) -> dict[str, Any]:
    body = {"merchantId": 1000, "authentication": "anonymous", "mobilePhone": phone}
    reply = from_address(
        client,
        address,
        "POST",
        rest("onetimepassword", "generateAndSendSMSOTP"),
        json=body,
        auth=APP,
    )
    return body_of(reply)


def test_a_number_gets_only_a_few_codes_an_hour(client: TestClient, clock: ShiftedClock) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    answers = [send_from(client, f"198.51.100.{n + 1}", PHONE) for n in range(6)]
    assert answers == [{"result": "success"}] * 6  # alike, sent or not
    assert len(outbox_messages(client, "sms")) == 3  # max_sends_per_recipient
    # The asks past the limit did not retire the code sent last.
    code = texted_code(client)
    assert otp_grant(client, PHONE, code)["access_token"]
    clock.offset = timedelta(minutes=61)
    send(client)
    assert len(outbox_messages(client, "sms")) == 4


def test_an_address_asking_for_many_codes_is_refused(client: TestClient) -> None:
    for n in range(10):  # max_sends_per_source, enrolled numbers or not
        assert send_from(client, STRANGER, f"617555{n:04d}") == {"result": "success"}
    refused = send_from(client, STRANGER, "6175559999")
    assert (refused["result"], refused["errorCode"]) == (
        "failure",
        "one_time_password.too_many_attempts",
    )
    assert send_from(client, "203.0.113.10", "6175559999") == {"result": "success"}
