"""Guest Authentication Service over HTTP: a trusted back end checks guest credentials."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.security import seal_registration_code
from openpxs.store.tables import cards, users
from tests.api.guests import APP, PASSWORD, POS, body_of, enroll, gpost, sign_in, slower_each_time
from tests.api.pos import run_db

NO_MATCH = {"result": "noMatchingGuests"}
# A trusted back end speaks for many guests from one address: only each subject's
# counter over every address applies to it (max_subject_failures).
SUBJECT_LIMIT = 20


def authenticate(
    client: TestClient, operation: str, auth: tuple[str, str] = POS, **body: Any
) -> dict[str, Any]:
    return body_of(
        gpost(client, "guestauthentication", operation, {"authentication": "b2b", **body}, auth)
    )


def by_password(client: TestClient, username: str, password: str) -> dict[str, Any]:
    return authenticate(client, "authenticateGuestPassword", username=username, password=password)


def by_fields(client: TestClient, **body: Any) -> dict[str, Any]:
    return authenticate(client, "authenticateGuest", **body)


def refused(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply


def registration_code(client: TestClient, number: str) -> str:
    """A code of the test's own for the card (only a digest of the real one is stored)."""
    code = "Kq4Tz8Wp"

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(
            update(cards)
            .where(cards.c.printed_card_number == number)
            .values(registration_code=seal_registration_code(number, code))
        )

    run_db(client, work)
    return code


def test_password_success_names_the_user_and_primary_card(client: TestClient) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    assert by_password(client, "ada", PASSWORD) == {
        "result": "authenticatedSuccess",
        "username": "ada",
        "primaryPrintedCardNumber": card,
    }
    # Usernames are case-insensitive; the reply gives the registered spelling.
    assert by_password(client, "ADA", PASSWORD)["username"] == "ada"


def test_no_card_no_card_number(client: TestClient) -> None:
    enroll(client, "ada")

    async def drop_cards(conn: AsyncConnection) -> None:
        await conn.execute(update(cards).values(account_id=None))

    run_db(client, drop_cards)
    assert by_password(client, "ada", PASSWORD) == {
        "result": "authenticatedSuccess",
        "username": "ada",
    }


def test_wrong_password_or_username_is_no_match_without_error_code(client: TestClient) -> None:
    enroll(client, "ada")
    assert by_password(client, "ada", "wrong-password") == NO_MATCH
    assert by_password(client, "nobody", PASSWORD) == NO_MATCH


def test_bad_requests_fail(client: TestClient) -> None:
    refused(
        authenticate(client, "authenticateGuestPassword", username="ada"),
        "guestauthentication.invalid_request",
    )
    refused(
        authenticate(client, "authenticateGuestPassword", username="", password="x"),
        "guestauthentication.invalid_request",
    )
    refused(
        authenticate(
            client, "authenticateGuestPassword", merchantId=2000, username="a", password="b"
        ),
        "guestauthentication.invalid_merchant",
    )


def test_servers_only(client: TestClient) -> None:
    enroll(client, "ada")
    reply = body_of(
        gpost(
            client,
            "guestauthentication",
            "authenticateGuestPassword",
            {"authentication": "anonymous", "username": "ada", "password": PASSWORD},
        )
    )
    refused(reply, "system.authentication_style_not_allowed")
    # The app's secret in the body is not read on a server-only endpoint.
    response = gpost(
        client,
        "guestauthentication",
        "authenticateGuest",
        {"client_id": APP[0], "client_secret": APP[1], "username": "ada", "password": PASSWORD},
        auth=None,
    )
    assert response.status_code == 401
    # authentication may be left out: b2b is the only style.
    response = gpost(
        client,
        "guestauthentication",
        "authenticateGuestPassword",
        {"username": "ada", "password": PASSWORD},
        auth=POS,
    )
    assert body_of(response)["result"] == "authenticatedSuccess"


def test_failed_attempts_lock_the_username(client: TestClient, refusal_waits: list[float]) -> None:
    enroll(client, "ada")
    for _ in range(SUBJECT_LIMIT):
        assert by_password(client, "ada", "wrong-password") == NO_MATCH
    refused(by_password(client, "ada", PASSWORD), "guestauthentication.account_locked")
    # The lock is the OAuth sign-in's lock too.
    assert sign_in(client, "ada")["errorCode"] == "account_locked"
    refused(
        by_fields(client, username="ada", password=PASSWORD), "guestauthentication.account_locked"
    )
    assert refusal_waits == pytest.approx(slower_each_time(SUBJECT_LIMIT))


def test_authenticate_guest_by_password(client: TestClient) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    assert by_fields(client, username="ada", password=PASSWORD) == {
        "result": "authenticatedSuccess",
        "username": "ada",
        "primaryPrintedCardNumber": card,
    }
    assert by_fields(client, username="ada", password="nope-nope") == NO_MATCH
    refused(by_fields(client, username="ada"), "guestauthentication.invalid_request")
    refused(
        by_fields(client, username="ada", password=PASSWORD, printedCardNumber=card),
        "guestauthentication.invalid_request",
    )


def test_authenticate_guest_by_card(client: TestClient) -> None:
    card = enroll(client, "ada", postalCode=["02108"])["printedCardNumber"]
    code = registration_code(client, card)
    success = {
        "result": "authenticatedSuccess",
        "username": "ada",
        "primaryPrintedCardNumber": card,
    }
    assert by_fields(client, printedCardNumber=card, registrationCode=code) == success
    # The card members may also come inside fields, with fields the guest must match.
    assert (
        by_fields(client, fields={"printedCardNumber": card, "registrationCode": code}) == success
    )
    assert by_fields(client, printedCardNumber=card, fields={"lastName": "lovelace"}) == success
    assert (
        by_fields(
            client,
            printedCardNumber=card,
            registrationCode=code,
            fields={"postalCode": "021 08"},
        )
        == success
    )

    assert by_fields(client, printedCardNumber=card, registrationCode="000000") == NO_MATCH
    assert by_fields(client, printedCardNumber=card, fields={"lastName": "Byron"}) == NO_MATCH
    assert by_fields(client, printedCardNumber="7999999999999999", registrationCode=code) == (
        NO_MATCH
    )
    # An unregistered (inactive) card belongs to nobody.
    assert by_fields(client, printedCardNumber="7000000000000001", registrationCode="1234") == (
        NO_MATCH
    )

    refused(by_fields(client, printedCardNumber=card), "guestauthentication.invalid_request")
    refused(by_fields(client, registrationCode=code), "guestauthentication.invalid_request")
    refused(
        by_fields(
            client,
            printedCardNumber=card,
            registrationCode=code,
            fields={"registrationCode": "other"},
        ),
        "guestauthentication.invalid_request",
    )


def test_card_guesses_lock_the_card(client: TestClient, refusal_waits: list[float]) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    code = registration_code(client, card)
    for _ in range(SUBJECT_LIMIT):
        assert by_fields(client, printedCardNumber=card, registrationCode="000000") == NO_MATCH
    refused(
        by_fields(client, printedCardNumber=card, registrationCode=code),
        "guestauthentication.account_locked",
    )
    assert refusal_waits == pytest.approx(slower_each_time(SUBJECT_LIMIT))


def test_authenticate_guest_by_fields(client: TestClient) -> None:
    card = enroll(client, "ada", mobilePhone=["(617) 555-0100"], postalCode=["02108"])[
        "printedCardNumber"
    ]
    enroll(client, "grace", mobilePhone=["617 555 0199"], postalCode=["02108"])
    success = {
        "result": "authenticatedSuccess",
        "username": "ada",
        "primaryPrintedCardNumber": card,
    }
    assert by_fields(client, fields={"email": "ADA@example.com", "lastName": "Lovelace"}) == success
    assert by_fields(client, fields={"mobilePhone": "6175550100", "postalCode": "02108"}) == success
    assert by_fields(client, fields={"email": "ada@example.com", "firstName": "Grace"}) == NO_MATCH
    # Name and postal code alone (no e-mail or phone) are too easy to know.
    refused(
        by_fields(client, fields={"lastName": "Lovelace", "postalCode": "02108"}),
        "guestauthentication.invalid_request",
    )
    refused(
        by_fields(client, fields={"email": "ada@example.com"}),
        "guestauthentication.invalid_request",
    )
    refused(
        by_fields(client, fields={"email": "ada@example.com", "favoriteColour": "blue"}),
        "guestauthentication.invalid_request",
    )
    refused(by_fields(client, fields={}), "guestauthentication.invalid_request")
    refused(by_fields(client), "guestauthentication.invalid_request")
    refused(by_fields(client, fields=["email"]), "guestauthentication.invalid_request")


def test_several_guests_matching_is_no_match(client: TestClient) -> None:
    enroll(client, "ada", mobilePhone=["617-555-0100"])
    enroll(client, "grace", mobilePhone=["6175550100"])
    assert by_fields(client, fields={"mobilePhone": "617 555 0100", "lastName": "Lovelace"}) == (
        NO_MATCH
    )
    assert (
        by_fields(client, fields={"mobilePhone": "617 555 0100", "email": "grace@example.com"})[
            "username"
        ]
        == "grace"
    )


def test_field_guesses_lock_the_address(client: TestClient, refusal_waits: list[float]) -> None:
    enroll(client, "ada")
    for _ in range(SUBJECT_LIMIT):
        assert by_fields(client, fields={"email": "ada@example.com", "lastName": "X"}) == NO_MATCH
    refused(
        by_fields(client, fields={"email": "ada@example.com", "lastName": "Lovelace"}),
        "guestauthentication.account_locked",
    )
    assert refusal_waits == pytest.approx(slower_each_time(SUBJECT_LIMIT))


def test_users_without_username_are_named_by_card_only(client: TestClient) -> None:
    card = enroll(client, "ada")["printedCardNumber"]

    async def forget_username(conn: AsyncConnection) -> None:
        await conn.execute(update(users).values(username=None))

    run_db(client, forget_username)
    assert by_fields(client, fields={"email": "ada@example.com", "lastName": "Lovelace"}) == {
        "result": "authenticatedSuccess",
        "primaryPrintedCardNumber": card,
    }
