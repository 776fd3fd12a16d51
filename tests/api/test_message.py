"""Message Service: the guest inbox, newest first, and deleting from it (message.yaml).

Messages are seeded as rows here; test_messaging.py shows a marketing send reaching
the inbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import cards, inbox_messages
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, rest
from tests.api.pos import APP, POS, insert_rows, run_db

NOW = datetime.now(UTC)


def account_of(client: TestClient, number: str) -> int:
    async def work(conn: Any) -> int:
        query = select(cards.c.account_id).where(cards.c.printed_card_number == number)
        return int((await conn.execute(query)).scalar_one())

    result: int = run_db(client, work)
    return result


def seed(client: TestClient, account_id: int, *subjects: str, **extra: Any) -> None:
    insert_rows(
        client,
        inbox_messages,
        [
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "subject": s,
                "body": f"{s} body",
                "sent_at": NOW - timedelta(hours=len(subjects) - i),
                **extra,
            }
            for i, s in enumerate(subjects)
        ],
    )


def delete(client: TestClient, params: dict[str, Any], auth: Any = APP) -> dict[str, Any]:
    reply = client.delete(
        rest("message", "deleteMessage"), params={"merchantId": 1000, **params}, auth=auth
    )
    return body_of(reply)


def test_inbox_lists_newest_first_and_a_guest_deletes_their_own(client: TestClient) -> None:
    ada = enroll(client, "ada")
    bob = enroll(client, "bob")
    ada_account = account_of(client, ada["printedCardNumber"])
    seed(client, ada_account, "older", "newer")
    seed(client, account_of(client, bob["printedCardNumber"]), "bob's")
    seed(client, ada_account, "expired", expires_at=NOW - timedelta(minutes=1))
    token = ada["oauthTokens"]["access_token"]

    mine = body_of(gget(client, "message", "myMessages", as_guest(token)))
    assert mine["result"] == "success"
    assert [x["subject"] for x in mine["messages"]] == ["newer", "older"]
    assert mine["messages"][0]["body"] == "newer body"
    assert mine["messages"][0]["sentDate"]
    by_card = body_of(
        gget(
            client,
            "message",
            "myMessagesByPrintedCardNumber",
            b2b(printedCardNumber=ada["printedCardNumber"]),
            auth=POS,
        )
    )
    assert by_card["messages"] == mine["messages"]

    bobs = body_of(gget(client, "message", "myMessages", b2b(username="bob"), auth=POS))
    bob_id = bobs["messages"][0]["messageId"]
    refused = delete(client, as_guest(token, messageId=bob_id))
    assert (refused["result"], refused["errorCode"]) == ("failure", "message.message_not_found")
    assert (
        len(
            body_of(gget(client, "message", "myMessages", b2b(username="bob"), auth=POS))[
                "messages"
            ]
        )
        == 1
    )

    newest = mine["messages"][0]["messageId"]
    assert delete(client, as_guest(token, messageId=newest)) == {"result": "success"}
    after = body_of(gget(client, "message", "myMessages", as_guest(token)))
    assert [x["subject"] for x in after["messages"]] == ["older"]
    again = delete(client, as_guest(token, messageId=newest))
    assert again["errorCode"] == "message.message_not_found"


def test_unknown_user_and_card_are_refused(client: TestClient) -> None:
    user = body_of(gget(client, "message", "myMessages", b2b(username="nobody"), auth=POS))
    assert user["errorCode"] == "message.invalid_user"
    card = body_of(
        gget(
            client,
            "message",
            "myMessagesByPrintedCardNumber",
            b2b(printedCardNumber="6999999999999999"),
            auth=POS,
        )
    )
    assert card["errorCode"] == "message.invalid_card"


def test_a_subscription_notice_lands_in_the_inbox_of_the_account(client: TestClient) -> None:
    from tests.api.test_subscription import subscribe

    card = enroll(client, "ada")["printedCardNumber"]
    assert subscribe(client, card)["result"] == "success"
    params = b2b(printedCardNumber=card)
    listed = body_of(gget(client, "message", "myMessagesByPrintedCardNumber", params, auth=POS))
    assert [m["subject"] for m in listed["messages"]] == ["Welcome to Coffee Club"]
