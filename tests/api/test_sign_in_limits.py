"""Guessing limits: failed passwords lock a username, wrong registration codes lock a card,
and the replies never tell a known username or card from an unknown one
(config/guest.py SecurityConfig: 5 failures, 15 minutes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from openpxs.domain.clock import ShiftedClock
from tests.api.guests import APP, PASSWORD, gget, gpost
from tests.api.pos import LOYALTY, LOYALTY2, activate
from tests.api.security import OTHER_APP, ensure_integrations, guest_a

LIMIT = 5
WRONG = "Wr0ng-passw0rd"
NOT_A_CARD = "7999999999999999"


def password_sign_in(
    client: TestClient, username: str, password: str, auth: tuple[str, str] = APP
) -> Response:
    return gpost(
        client,
        "oauth",
        "requestGuestToken",
        {
            "authentication": "anonymous",
            "grant_type": "password",
            "username": username,
            "password": password,
        },
        auth=auth,
    )


def guest_style(client: TestClient, username: str, password: str) -> Response:
    return gget(
        client,
        "guest",
        "userInformation",
        {"authentication": "guest", "username": username, "password": password},
        auth=OTHER_APP,
    )


def card_style(client: TestClient, number: str, code: str) -> Response:
    return gget(
        client,
        "guest",
        "accountInformation",
        {"authentication": "card", "printedCardNumber": number, "registrationCode": code},
    )


def view(response: Response) -> tuple[int, Any]:
    return response.status_code, response.json()


def refused(response: Response, code: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["result"], body["errorCode"]) == ("failure", code), body
    assert "access_token" not in body and "fields" not in body
    return body


def test_five_wrong_passwords_lock_the_username(client: TestClient, clock: ShiftedClock) -> None:
    a = guest_a(client)
    for _ in range(LIMIT):
        refused(password_sign_in(client, a.username, WRONG), "could_not_authenticate")
    # Locked: even the right password is refused, and says so.
    locked = refused(password_sign_in(client, a.username, PASSWORD), "account_locked")
    assert "15 minutes" in locked["errorMessage"]

    clock.offset = timedelta(minutes=14)
    refused(password_sign_in(client, a.username, PASSWORD), "account_locked")
    clock.offset = timedelta(minutes=15, seconds=5)
    opened = password_sign_in(client, a.username, PASSWORD).json()
    assert opened["result"] == "success" and opened["username"] == a.username

    # A success clears the count: four more failures do not lock.
    for _ in range(LIMIT - 1):
        refused(password_sign_in(client, a.username, WRONG), "could_not_authenticate")
    assert password_sign_in(client, a.username, PASSWORD).json()["result"] == "success"


def test_four_failures_do_not_lock(client: TestClient) -> None:
    a = guest_a(client)
    for _ in range(LIMIT - 1):
        refused(password_sign_in(client, a.username, WRONG), "could_not_authenticate")
    assert password_sign_in(client, a.username, PASSWORD).json()["result"] == "success"


def test_an_unknown_username_is_answered_and_locked_alike(
    client: TestClient, clock: ShiftedClock
) -> None:
    a = guest_a(client)
    known = [view(password_sign_in(client, a.username, WRONG)) for _ in range(LIMIT + 1)]
    unknown = [view(password_sign_in(client, "nobody.zz", WRONG)) for _ in range(LIMIT + 1)]
    assert known == unknown
    assert [body["errorCode"] for _, body in known] == ["could_not_authenticate"] * LIMIT + [
        "account_locked"
    ]

    clock.offset = timedelta(minutes=14)
    assert view(password_sign_in(client, a.username, PASSWORD)) == view(
        password_sign_in(client, "nobody.zz", PASSWORD)
    )
    clock.offset = timedelta(minutes=15, seconds=5)
    assert view(password_sign_in(client, a.username, WRONG)) == view(
        password_sign_in(client, "nobody.zz", WRONG)
    )


def test_usernames_are_counted_whatever_their_case(client: TestClient) -> None:
    a = guest_a(client)
    for name in (a.username, a.username.upper(), a.username.title(), a.username, a.username):
        refused(password_sign_in(client, name, WRONG), "could_not_authenticate")
    refused(password_sign_in(client, a.username, PASSWORD), "account_locked")


def test_the_guest_style_counts_toward_the_same_lock(client: TestClient) -> None:
    ensure_integrations(client)
    a = guest_a(client)
    assert guest_style(client, a.username, PASSWORD).json()["fields"]["username"] == a.username
    for _ in range(3):
        refused(password_sign_in(client, a.username, WRONG), "could_not_authenticate")
    for _ in range(2):
        refused(guest_style(client, a.username, WRONG), "could_not_authenticate")
    refused(password_sign_in(client, a.username, PASSWORD), "account_locked")
    refused(guest_style(client, a.username, PASSWORD), "account_locked")
    # The other way round too: failures at sign-in lock the guest style (seen above),
    # and the guest style's answers match the token endpoint's for an unknown user.
    assert view(guest_style(client, "nobody.zz", WRONG))[1]["errorCode"] == (
        "could_not_authenticate"
    )


def test_wrong_registration_codes_lock_the_card(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    assert card_style(client, LOYALTY, "1234").json()["result"] == "success"
    for code in ("0000", "1111", "2222", "3333", "4444"):
        refused(card_style(client, LOYALTY, code), "system.invalid_card_credentials")
    refused(card_style(client, LOYALTY, "1234"), "system.too_many_attempts")
    # The lock is the card's: another card of the same app still signs in.
    assert card_style(client, LOYALTY2, "1234").json()["result"] == "success"

    clock.offset = timedelta(minutes=14)
    refused(card_style(client, LOYALTY, "1234"), "system.too_many_attempts")
    clock.offset = timedelta(minutes=15, seconds=5)
    assert card_style(client, LOYALTY, "1234").json()["result"] == "success"


def test_an_unknown_card_and_a_wrong_code_are_answered_alike(client: TestClient) -> None:
    activate(client, LOYALTY)
    a = guest_a(client)  # a registered virtual card with a code of its own
    answers = {
        "wrong code": view(card_style(client, LOYALTY, "9999")),
        "registered card, wrong code": view(card_style(client, a.card, "x")),
        "unknown card": view(card_style(client, NOT_A_CARD, "9999")),
        "inactive card, right code": view(card_style(client, LOYALTY2, "1234")),
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert answers["unknown card"][1]["errorCode"] == "system.invalid_card_credentials"

    # An unknown number is counted and locked like a real one.
    known = [view(card_style(client, LOYALTY, "9999")) for _ in range(LIMIT)]
    unknown = [view(card_style(client, NOT_A_CARD, "9999")) for _ in range(LIMIT)]
    assert known == unknown
    assert known[-1][1]["errorCode"] == "system.too_many_attempts"
