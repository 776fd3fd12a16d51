"""Joining on the guest website with a card the guest holds, over HTTP: the printed
number, its registration code and the template's enrollment fields register the card as
enrollment/activateAndRegister.json does, under the same guessing limits, and sign the
guest in."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.guests import as_guest, body_of, enroll, gget, gpost
from tests.api.pos import LOYALTY, LOYALTY2, UNKNOWN_CARD, activate, ok
from tests.web.site import SITE, submit

NEW_PASSWORD = "Wonderful42!"
NOT_MATCHED = "do not match a card that can be registered"


def guest(username: str = "bopeep", email: str = "bo@example.com", **more: str) -> dict[str, str]:
    return {
        "username": username,
        "password": NEW_PASSWORD,
        "firstName": "Bo",
        "lastName": "Peep",
        "email": email,
        **more,
    }


def join(client: TestClient, number: str, code: str, fields: dict[str, Any]) -> Any:
    return submit(client, "register/card", {"number": number, "registration_code": code, **fields})


def test_the_sign_in_and_join_pages_lead_to_it(site: TestClient) -> None:
    for name in ("signin", "register"):
        assert f'href="{SITE}/register/card"' in site.get(f"{SITE}/{name}").text
    form = site.get(f"{SITE}/register/card").text
    assert 'name="number"' in form and 'name="registration_code"' in form
    assert 'for="f-username"' in form and 'for="f-email"' in form


def test_a_card_with_its_code_and_the_fields_joins_signed_in(site: TestClient) -> None:
    spaced = " ".join(LOYALTY[i : i + 4] for i in range(0, len(LOYALTY), 4))
    joined = join(site, spaced, "1234", guest())
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == f"{SITE}/account"
    account = site.get(f"{SITE}/account").text
    assert "Welcome, Bo" in account and f"Card {LOYALTY}" in account
    # The same guest signs in by the API, on the card they hold.
    tokens = body_of(
        gpost(
            site,
            "oauth",
            "requestGuestToken",
            {"grant_type": "password", "username": "bopeep", "password": NEW_PASSWORD},
        )
    )
    info = body_of(
        gget(
            site,
            "guest",
            "accountInformation",
            as_guest(tokens["access_token"], printedCardNumber=LOYALTY),
            auth=None,
        )
    )
    assert info["result"] == "success", info
    assert info["registrationStatus"] == "REGISTERED"


def test_each_field_problem_is_shown_at_its_field_and_nothing_is_used_up(
    site: TestClient,
) -> None:
    enroll(site, "taken", "taken@example.com")
    bad = join(site, LOYALTY, "1234", guest(username="taken", email="not-an-email", password="x"))
    assert bad.status_code == 400
    for name in ("email", "password"):
        assert f'id="err-{name}"' in bad.text, name
    assert 'aria-describedby="err-email" aria-invalid="true"' in bad.text
    assert f'value="{LOYALTY}"' in bad.text and 'value="Bo"' in bad.text
    assert 'value="x"' not in bad.text  # a password is never sent back
    # Values another guest has, as the template's enrollment settings make them unique.
    taken = join(site, LOYALTY, "1234", guest(email="taken@example.com"))
    assert taken.status_code == 400 and 'id="err-email"' in taken.text
    taken = join(site, LOYALTY, "1234", guest(username="taken"))
    assert taken.status_code == 400 and 'id="err-username"' in taken.text
    # The card is still inactive: the corrected form registers it.
    assert join(site, LOYALTY, "1234", guest()).status_code == 303


def test_unknown_wrong_and_someone_elses_cards_get_one_answer(site: TestClient) -> None:
    assert join(site, LOYALTY, "1234", guest()).status_code == 303
    site.cookies.clear()
    ok(activate(site, LOYALTY2))  # in use at the counter, not registered
    tries = (
        (UNKNOWN_CARD, "1234"),
        (LOYALTY2, "9999"),  # a wrong code
        (LOYALTY, "1234"),  # registered by someone else
        (LOYALTY2, "1234"),  # already active
    )
    for number, code in tries:
        reply = join(site, number, code, guest(username="eve", email="eve@example.com"))
        assert reply.status_code == 400, (number, code, reply.text)
        assert NOT_MATCHED in reply.text
        assert 'aria-describedby="card-error" aria-invalid="true"' in reply.text
        assert 'id="err-' not in reply.text  # the fields were not even looked at
    missing = join(site, "", "", guest(username="eve", email="eve@example.com"))
    assert missing.status_code == 400 and "Enter the card number" in missing.text


def test_wrong_codes_pause_the_address(site: TestClient) -> None:
    for _ in range(5):  # guest.security.max_card_guesses
        assert join(site, LOYALTY, "0000", guest()).status_code == 400
    paused = join(site, LOYALTY, "1234", guest())
    assert paused.status_code == 429 and "Too many attempts" in paused.text
    assert "pxs_session" not in site.cookies


def test_a_post_without_the_csrf_token_registers_nothing(site: TestClient) -> None:
    site.get(f"{SITE}/register/card")
    forged = site.post(
        f"{SITE}/register/card",
        data={"number": LOYALTY, "registration_code": "1234", **guest()},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    # The card was not touched: it registers with the form.
    assert join(site, LOYALTY, "1234", guest()).status_code == 303
