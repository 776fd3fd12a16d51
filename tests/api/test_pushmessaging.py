"""Push Messaging Services (pushmessaging.yaml): an app registers the phone that receives
the guest's pushes, and forgets it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import push_devices
from tests.api.guests import as_guest, b2b, body_of, enroll, gpost, sign_in
from tests.api.pos import APP, POS, run_db

APNS_TOKEN = "ab" * 32
FCM_TOKEN = "fcm-token_" + "x" * 40 + ":APA91b"
BUNDLE = "com.openpxs.demo"


def push(
    client: TestClient,
    operation: str,
    card: str,
    token: str,
    identifier: str = BUNDLE,
    auth: tuple[str, str] = POS,
    **style: Any,
) -> dict[str, Any]:
    body = {
        **(style or b2b()),
        "printedCardNumber": card,
        "externalAccount": {"externalIdentifier": identifier, "accountCode": token},
    }
    return body_of(gpost(client, "pushmessaging", operation, body, auth=auth))


def devices(client: TestClient) -> list[tuple[Any, ...]]:
    async def work(conn: Any) -> list[tuple[Any, ...]]:
        rows = await conn.execute(
            select(
                push_devices.c.account_id,
                push_devices.c.platform,
                push_devices.c.external_identifier,
                push_devices.c.token,
            ).order_by(push_devices.c.id)
        )
        return [tuple(r) for r in rows]

    result: list[tuple[Any, ...]] = run_db(client, work)
    return result


def card_of(reply: dict[str, Any]) -> str:
    number: str = reply["printedCardNumber"]
    return number


def failed(reply: dict[str, Any], code: str) -> None:
    assert reply["result"] == "failure", reply
    assert reply["errorCode"] == code, reply


def test_a_phone_registers_once_per_token_and_unregisters(client: TestClient) -> None:
    ada = card_of(enroll(client, "ada"))
    assert push(client, "registerIosDevice", ada, APNS_TOKEN.upper()) == {"result": "success"}
    # The same token again (any case: APNs tokens are hex) changes nothing.
    assert push(client, "registerIosDevice", ada, APNS_TOKEN)["result"] == "success"
    assert push(client, "registerAndroidDevice", ada, FCM_TOKEN)["result"] == "success"
    [ios, android] = devices(client)
    assert ios[1:] == ("ios", BUNDLE, APNS_TOKEN)
    assert android[1:] == ("android", BUNDLE, FCM_TOKEN)
    # An APNs token is not an Android token.
    failed(
        push(client, "registerAndroidDevice", ada, APNS_TOKEN),
        "pushmessaging.external_account_in_use",
    )
    assert push(client, "unregisterDevice", ada, APNS_TOKEN)["result"] == "success"
    failed(
        push(client, "unregisterDevice", ada, APNS_TOKEN),
        "pushmessaging.external_account_not_found",
    )
    assert [d[1] for d in devices(client)] == ["android"]


def test_bad_input_is_refused_with_the_spec_codes(client: TestClient) -> None:
    ada = card_of(enroll(client, "ada"))
    failed(
        push(client, "registerIosDevice", "7999999999999999", APNS_TOKEN),
        "pushmessaging.invalid_card",
    )
    failed(
        push(client, "registerIosDevice", ada, APNS_TOKEN, identifier="no spaces/allowed"),
        "pushmessaging.invalid_external_identifier",
    )
    failed(push(client, "registerIosDevice", ada, "not-hex"), "pushmessaging.invalid_request")
    assert devices(client) == []


def test_a_token_follows_the_guest_who_signs_in_on_the_phone(client: TestClient) -> None:
    ada = card_of(enroll(client, "ada"))
    bob_reply = enroll(client, "bob")
    bob = card_of(bob_reply)
    assert push(client, "registerAndroidDevice", ada, FCM_TOKEN)["result"] == "success"
    # An anonymous caller may register a new token, not take one from another account.
    failed(
        push(client, "registerAndroidDevice", bob, FCM_TOKEN, auth=APP, authentication="anonymous"),
        "pushmessaging.external_account_in_use",
    )
    token = sign_in(client, "bob")["access_token"]
    reply = push(client, "registerAndroidDevice", bob, FCM_TOKEN, auth=APP, **as_guest(token))
    assert reply["result"] == "success"
    [(account, *_)] = devices(client)
    assert account == bob_reply["accountId"]
    # A guest cannot reach another guest's card.
    failed(
        push(client, "unregisterDevice", ada, FCM_TOKEN, auth=APP, **as_guest(token)),
        "pushmessaging.invalid_card",
    )
