"""The guest website's username page over HTTP: the new username meets the template's
rule for it and is free (as editUser checks it), the current password is proven as a
sign-in proves it, and sign-ins go on under the new name."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.guests import PASSWORD, enroll
from tests.api.guests import sign_in as api_sign_in
from tests.web.site import SITE, csrf_of, sign_in, submit


def rename(client: TestClient, new: str, password: str = PASSWORD) -> Response:
    return submit(client, "username", {"new_username": new, "current_password": password})


def test_the_username_changes_and_the_session_goes_on(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    assert f'href="{SITE}/username"' in site.get(f"{SITE}/profile").text
    shown = site.get(f"{SITE}/username").text
    assert "Your username is ada." in shown and 'maxlength="254"' in shown
    changed = rename(site, "  ada.lovelace ")
    assert changed.status_code == 303
    assert changed.headers["location"] == f"{SITE}/username?changed=1"
    page = site.get(changed.headers["location"]).text
    assert "Your username is changed." in page and "Your username is ada.lovelace." in page
    assert site.get(f"{SITE}/account", follow_redirects=False).status_code == 200
    # The new name signs in, on the site and by the API; the old one no longer does.
    assert api_sign_in(site, "ada")["errorCode"] == "could_not_authenticate"
    assert api_sign_in(site, "ada.lovelace")["access_token"]
    site.cookies.clear()
    sign_in(site, "ada.lovelace")


def test_each_problem_is_shown_next_to_its_field(site: TestClient) -> None:
    enroll(site, "taken", "taken@example.com")
    enroll(site)
    sign_in(site)
    for new, password, field, text in (
        ("", PASSWORD, "new_username", "Enter the new username."),
        ("bo", PASSWORD, "new_username", ""),  # the template's min_length is 3
        ("TAKEN", PASSWORD, "new_username", ""),  # another guest's, whatever the case
        ("taken", PASSWORD, "new_username", ""),
        ("ada2", "", "current_password", "Enter your current password."),
        ("ada2", "not-the-password", "current_password", "That is not your current"),
    ):
        reply = rename(site, new, password)
        assert reply.status_code == 400, (new, reply.text)
        assert f'aria-describedby="err-{field}" aria-invalid="true"' in reply.text, new
        assert f'<p class="field-error" id="err-{field}">{text}' in reply.text
        assert reply.text.count('class="field-error"') == 1
        assert 'value="' + PASSWORD not in reply.text  # a password is never sent back
    assert api_sign_in(site, "ada")["access_token"]  # nothing changed


def test_a_wrong_current_password_counts_as_a_failed_sign_in(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    for _ in range(5):
        rename(site, "ada2", "not-the-password")
    locked = rename(site, "ada2")
    assert locked.status_code == 400 and "Too many attempts" in locked.text
    assert api_sign_in(site, "ada")["errorCode"] == "account_locked"


def test_the_form_needs_its_csrf_token_and_a_session(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    site.get(f"{SITE}/username")
    fields = {"new_username": "ada2", "current_password": PASSWORD}
    for token in ({}, {"csrf_token": "0" * 64}):
        reply = site.post(f"{SITE}/username", data={**fields, **token}, follow_redirects=False)
        assert reply.status_code == 403
    site.cookies.delete("pxs_session", path=f"{SITE}/")
    shown = site.get(f"{SITE}/username", follow_redirects=False)
    assert shown.status_code == 303 and shown.headers["location"] == f"{SITE}/signin"
    token = csrf_of(site.get(f"{SITE}/signin"))
    sent = site.post(
        f"{SITE}/username", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{SITE}/signin"
    assert api_sign_in(site, "ada")["access_token"]
