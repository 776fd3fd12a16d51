"""The guest website's forgotten-password flow over HTTP: a reset code asked for by
username or e-mail address and mailed through the outbox, then a new password chosen
with it, under the API's rules and guessing limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.guests import PASSWORD, enroll, gpost
from tests.api.test_guestmanagement import NEW_PASSWORD, mailed_code
from tests.api.test_onetimepassword import outbox_messages
from tests.web.site import SITE, submit

pytestmark = pytest.mark.usefixtures("quiet_worker")


def reset_mails(client: TestClient) -> list[str]:
    """The recipients of the reset e-mails written so far."""
    mails = outbox_messages(client, "email")
    return [m["recipient"] for m in mails if m["subject"].startswith("Reset your")]


def ask_for_code(client: TestClient, identifier: str) -> str:
    """The forgot form posted; returns where it sent the browser."""
    reply = submit(client, "forgot", {"identifier": identifier})
    assert reply.status_code == 303, reply.text
    location: str = reply.headers["location"]
    return location


def signs_in(client: TestClient, password: str) -> bool:
    reply = submit(client, "signin", {"username": "ada", "password": password})
    return reply.status_code == 303


def test_a_mailed_code_sets_a_new_password(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    assert "Forgot your password?" in site.get(f"{SITE}/signin").text
    sent_to = ask_for_code(site, "ada")
    assert sent_to == f"{SITE}/reset?sent=1"
    assert "a reset code is on its way" in site.get(sent_to).text
    assert reset_mails(site) == ["ada@example.com"]
    code = mailed_code(site)

    done = submit(site, "reset", {"code": code, "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == f"{SITE}/signin?reset=1"
    assert "Your password is changed" in site.get(done.headers["location"]).text
    assert not signs_in(site, PASSWORD)
    assert signs_in(site, NEW_PASSWORD)
    # The code worked once.
    again = submit(site, "reset", {"code": code, "password": "Another-pass-99"})
    assert again.status_code == 400 and "That reset code is not valid" in again.text


def test_an_e_mail_address_names_the_account_too(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    assert ask_for_code(site, "ADA@example.com") == f"{SITE}/reset?sent=1"
    assert reset_mails(site) == ["ada@example.com"]
    # The link of the e-mail may point at the reset page: it fills the code in.
    code = mailed_code(site)
    assert f'value="{code}"' in site.get(f"{SITE}/reset", params={"code": code}).text


def test_an_unknown_account_gets_the_same_reply(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    known = ask_for_code(site, "ada")
    for stranger in ("nobody-here", "nobody@example.com"):
        assert ask_for_code(site, stranger) == known
    assert reset_mails(site) == ["ada@example.com"]  # nothing sent for the strangers
    empty = submit(site, "forgot", {"identifier": "  "})
    assert empty.status_code == 400 and "Enter your username" in empty.text


def test_a_wrong_code_or_a_weak_password_is_refused(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    ask_for_code(site, "ada")
    code = mailed_code(site)
    wrong = submit(site, "reset", {"code": "not-the-code-at-all", "password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "That reset code is not valid" in wrong.text
    assert 'aria-describedby="reset-error"' in wrong.text

    weak = submit(site, "reset", {"code": code, "password": "short"})
    assert weak.status_code == 400 and 'id="password-error"' in weak.text
    assert f'value="{code}"' in weak.text  # the code is still good: it stays in the form
    assert signs_in(site, PASSWORD)
    site.cookies.clear()
    assert submit(site, "reset", {"code": code, "password": NEW_PASSWORD}).status_code == 303


def test_wrong_codes_pause_the_address_as_the_api_does(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    ask_for_code(site, "ada")
    code = mailed_code(site)
    for n in range(5):  # the API's guessing limit for reset codes
        guess = submit(site, "reset", {"code": f"guess-guess-{n}", "password": NEW_PASSWORD})
        assert guess.status_code == 400
    paused = submit(site, "reset", {"code": code, "password": NEW_PASSWORD})
    assert paused.status_code == 429 and "Too many wrong codes" in paused.text
    # The API counts against the same address.
    api = gpost(
        site,
        "guestmanagement",
        "resetPassword",
        {"authentication": "anonymous", "resetCode": code, "newPassword": NEW_PASSWORD},
    )
    assert api.json()["errorCode"] == "guestmanagement.too_many_attempts"


def test_the_recovery_forms_need_their_csrf_token(site: TestClient) -> None:
    enroll(site, "ada", "ada@example.com")
    site.get(f"{SITE}/forgot")
    forgot = site.post(f"{SITE}/forgot", data={"identifier": "ada"}, follow_redirects=False)
    assert forgot.status_code == 403
    assert reset_mails(site) == []
    reset = site.post(
        f"{SITE}/reset",
        data={"code": "whatever-code", "password": NEW_PASSWORD, "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert reset.status_code == 403
