"""The guest website's password page over HTTP: the current password proven as a
sign-in proves it, the new one checked by the form's password rule, the session
rotated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.guests import PASSWORD, as_guest, enroll, gget
from tests.api.guests import sign_in as api_sign_in
from tests.web.site import SITE, csrf_of, sign_in, submit

NEW = "Brand-New-Secret9"


def change(client: TestClient, current: str, new: str, confirm: str | None = None) -> object:
    fields = {
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }
    return submit(client, "password", fields)


def test_the_password_changes_and_the_session_is_rotated(site: TestClient) -> None:
    created = enroll(site)
    sign_in(site)
    assert f'href="{SITE}/password"' in site.get(f"{SITE}/profile").text
    session, seed = site.cookies["pxs_session"], site.cookies["pxs_csrf"]
    shown = site.get(f"{SITE}/password")
    assert shown.status_code == 200 and 'autocomplete="current-password"' in shown.text

    changed = change(site, PASSWORD, NEW)
    assert changed.status_code == 303
    assert changed.headers["location"] == f"{SITE}/password?changed=1"
    assert site.cookies["pxs_session"] != session and site.cookies["pxs_csrf"] != seed
    assert "Your password is changed." in site.get(changed.headers["location"]).text
    assert site.get(f"{SITE}/account").status_code == 200  # the new session works
    # The old session and the API sign-in from before are over; the new password works.
    site.cookies.set("pxs_session", session, path=f"{SITE}/")
    old = site.get(f"{SITE}/account", follow_redirects=False)
    assert old.status_code == 303 and old.headers["location"] == f"{SITE}/signin"
    site.cookies.clear()
    assert api_sign_in(site, "ada")["errorCode"] == "could_not_authenticate"
    assert api_sign_in(site, "ada", NEW)["access_token"]
    ended = gget(site, "guest", "userInformation", as_guest(created["oauthTokens"]["access_token"]))
    assert ended.json()["errorCode"] == "invalid_token"
    sign_in(site, password=NEW)


def test_each_problem_is_shown_next_to_its_field(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    for (current, new, confirm), field, text in (
        (("", NEW, NEW), "current_password", "Enter your current password."),
        ((PASSWORD, NEW, NEW + "x"), "confirm_password", "The two new passwords are not"),
        ((PASSWORD, "short", "short"), "new_password", ""),
        ((PASSWORD, "", ""), "new_password", "This field is required"),
        (("not-the-password", NEW, NEW), "current_password", "That is not your current"),
    ):
        reply = change(site, current, new, confirm)
        assert reply.status_code == 400, (field, reply.text)
        assert f'aria-describedby="err-{field}" aria-invalid="true"' in reply.text
        assert f'<p class="field-error" id="err-{field}">{text}' in reply.text
        assert reply.text.count('class="field-error"') == 1
        assert 'value="' + PASSWORD not in reply.text  # a password is never sent back
    # Still the old password, on the site and by the API.
    assert api_sign_in(site, "ada")["access_token"]


def test_a_wrong_current_password_counts_as_a_failed_sign_in(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    for _ in range(5):
        change(site, "not-the-password", NEW)
    locked = change(site, PASSWORD, NEW)
    assert locked.status_code == 400 and "Too many attempts" in locked.text
    assert api_sign_in(site, "ada")["errorCode"] == "account_locked"


def test_the_password_form_needs_its_csrf_token(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    site.get(f"{SITE}/password")
    fields = {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW}
    for token in ({}, {"csrf_token": "0" * 64}):
        reply = site.post(f"{SITE}/password", data={**fields, **token}, follow_redirects=False)
        assert reply.status_code == 403
    assert api_sign_in(site, "ada")["access_token"]


def test_the_password_page_needs_a_signed_in_guest(site: TestClient) -> None:
    enroll(site)
    shown = site.get(f"{SITE}/password", follow_redirects=False)
    assert shown.status_code == 303 and shown.headers["location"] == f"{SITE}/signin"
    token = csrf_of(site.get(f"{SITE}/signin"))
    fields = {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW}
    sent = site.post(
        f"{SITE}/password", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{SITE}/signin"
    assert api_sign_in(site, "ada")["access_token"]
