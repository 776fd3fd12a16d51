"""Adding a card the guest holds on the guest website, over HTTP: the number and the
registration code attach it as guest/attachCard.json does, under the same guessing
limits, and the account page lists it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.guests import PASSWORD, enroll
from tests.api.pos import LOYALTY, LOYALTY2, UNKNOWN_CARD, activate, ok
from tests.web.site import SITE, submit


@pytest.fixture
def site(client: TestClient) -> Iterator[TestClient]:
    """A browser signed in as ada, who holds the activated card LOYALTY (code 1234)."""
    client.cookies.clear()
    enroll(client, "ada")
    ok(activate(client, LOYALTY))
    signed_in = submit(client, "signin", {"username": "ada", "password": PASSWORD})
    assert signed_in.status_code == 303
    yield client
    client.cookies.clear()


def add(client: TestClient, number: str, code: str) -> tuple[int, str]:
    reply = submit(client, "cards/add", {"number": number, "registration_code": code})
    return reply.status_code, reply.headers.get("location", reply.text)


def test_a_card_with_its_registration_code_is_listed_on_the_account(site: TestClient) -> None:
    account = site.get(f"{SITE}/account").text
    assert LOYALTY not in account and f'href="{SITE}/cards/add"' in account
    spaced = " ".join(LOYALTY[i : i + 4] for i in range(0, len(LOYALTY), 4))
    assert add(site, spaced, "1234") == (303, f"{SITE}/account")
    assert f"Card {LOYALTY}" in site.get(f"{SITE}/account").text
    # Adding it again is no error (a form sent twice).
    assert add(site, LOYALTY, "1234") == (303, f"{SITE}/account")


def test_a_wrong_code_and_an_unknown_card_are_refused_alike(site: TestClient) -> None:
    ok(activate(site, LOYALTY2))
    for number, code in ((LOYALTY, "9999"), (UNKNOWN_CARD, "1234"), (LOYALTY, "")):
        status, text = add(site, number, code)
        assert status == 400, text
    wrong = submit(site, "cards/add", {"number": LOYALTY, "registration_code": "9999"})
    unknown = submit(site, "cards/add", {"number": UNKNOWN_CARD, "registration_code": "1234"})
    message = "That card number and registration code do not match a card you can add"
    assert message in wrong.text and message in unknown.text
    assert 'aria-describedby="card-error" aria-invalid="true"' in wrong.text
    assert LOYALTY not in site.get(f"{SITE}/account").text


def test_wrong_codes_pause_the_address(site: TestClient) -> None:
    for _ in range(5):  # guest.security.max_card_guesses
        assert add(site, LOYALTY, "0000")[0] == 400
    status, text = add(site, LOYALTY, "1234")
    assert status == 429 and "Too many attempts" in text
    assert LOYALTY not in site.get(f"{SITE}/account").text


def test_the_form_needs_a_session_and_its_csrf_token(site: TestClient) -> None:
    site.get(f"{SITE}/cards/add")
    forged = site.post(
        f"{SITE}/cards/add",
        data={"number": LOYALTY, "registration_code": "1234"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert LOYALTY not in site.get(f"{SITE}/account").text
    site.cookies.delete("pxs_session", path=f"{SITE}/")
    away = site.get(f"{SITE}/cards/add", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin"
    status, location = add(site, LOYALTY, "1234")
    assert (status, location) == (303, f"{SITE}/signin")
