"""Combining a card the guest holds into their account on the guest website, over HTTP:
the number and registration code, a confirmation listing what moves, then the
balances move as guest/attachAndCombineCards moves them; the same single answer for
cards the guest does not hold, under the same guessing limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.checks import a_check, item, post_check
from tests.api.guests import enroll
from tests.api.pos import GIFT, LOYALTY, UNKNOWN_CARD, activate, ok
from tests.api.test_survey import points
from tests.web.site import SITE, sign_in, submit

NOT_MATCHED = "That card number and registration code do not match a card you can add"


@pytest.fixture
def site(client: TestClient) -> Iterator[tuple[TestClient, str]]:
    """A browser signed in as ada; LOYALTY (code 1234) is active with 12 points on it."""
    client.cookies.clear()
    number: str = enroll(client, "ada")["printedCardNumber"]
    ok(activate(client, LOYALTY))
    check = a_check("2001", item("BURGER", "12.00", "FOOD"))
    assert post_check(client, LOYALTY, check)["result"] == "success"
    sign_in(client)
    yield client, number
    client.cookies.clear()


def review(client: TestClient, number: str, code: str, **extra: str) -> tuple[int, str]:
    fields = {"number": number, "registration_code": code, **extra}
    reply = submit(client, "cards/combine", fields)
    return reply.status_code, reply.headers.get("location", reply.text)


def test_the_confirmation_shows_what_moves_then_the_balances_move(
    site: tuple[TestClient, str],
) -> None:
    client, own = site
    assert f'href="{SITE}/cards/combine"' in client.get(f"{SITE}/account").text
    status, page = review(client, "7000 0000 0000 0001", "1234")
    assert status == 200
    assert f"These balances of card {LOYALTY} move into your account (card {own})" in page
    assert '<tr><th scope="row">Points</th><td class="amount">12</td></tr>' in page
    # Nothing moved yet: the review changes nothing.
    assert points(client, own) == "0" and points(client, LOYALTY) == "12"

    confirmed = review(client, LOYALTY, "1234", confirm="1")
    assert confirmed == (303, f"{SITE}/account")
    assert points(client, own) == "12"
    account = client.get(f"{SITE}/account").text
    assert '<tr><th scope="row">Points</th><td class="amount">12</td>' in account
    # Part of the account now: combining it again is refused in plain words.
    status, again = review(client, LOYALTY, "1234")
    assert status == 400 and "cannot be combined with your account" in again


def test_cards_the_guest_does_not_hold_get_one_answer(site: tuple[TestClient, str]) -> None:
    client, own = site
    bob: str = enroll(client, "bob")["printedCardNumber"]
    client.cookies.clear()
    sign_in(client)
    for number, code in ((LOYALTY, "9999"), (UNKNOWN_CARD, "1234"), (bob, "1234")):
        status, text = review(client, number, code)
        assert status == 400 and NOT_MATCHED in text, (number, text)
        assert 'aria-describedby="card-error" aria-invalid="true"' in text
    status, text = review(client, LOYALTY, "9999", confirm="1")
    assert status == 400 and NOT_MATCHED in text
    status, text = review(client, LOYALTY, "")
    assert status == 400 and "Enter the card number and its registration code" in text
    assert points(client, own) == "0" and points(client, LOYALTY) == "12"


def test_a_card_of_another_program_cannot_be_combined(site: tuple[TestClient, str]) -> None:
    client, _ = site
    ok(activate(client, GIFT))
    status, text = review(client, GIFT, "1234")
    assert status == 400 and "cannot be combined with your account" in text


def test_wrong_codes_pause_the_address(site: tuple[TestClient, str]) -> None:
    client, own = site
    for _ in range(5):  # guest.security.max_card_guesses
        assert review(client, LOYALTY, "0000")[0] == 400
    status, text = review(client, LOYALTY, "1234", confirm="1")
    assert status == 429 and "Too many attempts" in text
    assert points(client, own) == "0"


def test_the_form_needs_a_session_and_its_csrf_token(site: tuple[TestClient, str]) -> None:
    client, own = site
    client.get(f"{SITE}/cards/combine")
    forged = client.post(
        f"{SITE}/cards/combine",
        data={"number": LOYALTY, "registration_code": "1234", "confirm": "1"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and points(client, own) == "0"
    client.cookies.delete("pxs_session", path=f"{SITE}/")
    away = client.get(f"{SITE}/cards/combine", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin"
    assert review(client, LOYALTY, "1234", confirm="1") == (303, f"{SITE}/signin")
    assert points(client, own) == "0"
