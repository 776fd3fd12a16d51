"""The guest website's profile page over HTTP: the guest's own fields, changed through
the use case of enrollment/editUser."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.guests import b2b, body_of, enroll, gget
from tests.api.pos import POS
from tests.web.site import SITE, csrf_of, sign_in, submit

PROFILE = {
    "firstName": "Augusta",
    "lastName": "King",
    "email": "augusta@example.com",
    "mobilePhone": "",
    "postalCode": "02139",
}


def user_information(client: TestClient) -> dict[str, object]:
    reply = body_of(gget(client, "guest", "userInformation", b2b(username="ada"), auth=POS))
    fields: dict[str, object] = reply["fields"]
    return fields


def test_the_profile_shows_the_guests_fields_and_saves_changes(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    account = site.get(f"{SITE}/account")
    assert f'href="{SITE}/profile"' in account.text
    shown = site.get(f"{SITE}/profile")
    assert shown.status_code == 200
    assert 'id="f-firstName"' in shown.text and 'value="Ada"' in shown.text
    assert 'value="ada@example.com"' in shown.text and 'id="f-postalCode"' in shown.text
    # The login and the fields the profile does not change are not offered.
    for name in ("username", "password", "dateOfBirth", "optIn", "favoriteStore"):
        assert f'id="f-{name}"' not in shown.text

    saved = submit(site, "profile", PROFILE)
    assert saved.status_code == 303 and saved.headers["location"] == f"{SITE}/profile?saved=1"
    after = site.get(saved.headers["location"])
    assert "Your changes are saved." in after.text and 'value="Augusta"' in after.text
    assert "Welcome, Augusta" in site.get(f"{SITE}/account").text
    # The API sees the same guest changed.
    fields = user_information(site)
    assert fields["firstName"] == "Augusta" and fields["email"] == "augusta@example.com"
    assert fields["postalCode"] == "02139"


def test_each_problem_is_shown_next_to_its_field(site: TestClient) -> None:
    enroll(site, "bob", "bob@example.com")
    enroll(site)
    sign_in(site)
    bad = submit(
        site,
        "profile",
        {**PROFILE, "firstName": "", "lastName": "x" * 51, "email": "not-an-email"},
    )
    assert bad.status_code == 400
    assert "Please correct the fields marked below." in bad.text
    for name in ("firstName", "lastName", "email"):
        assert f'aria-describedby="err-{name}" aria-invalid="true"' in bad.text
        assert f'<p class="field-error" id="err-{name}">' in bad.text
    assert 'id="err-postalCode"' not in bad.text
    assert 'value="02139"' in bad.text  # what the guest typed is kept

    taken = submit(site, "profile", {**PROFILE, "email": "bob@example.com"})
    assert taken.status_code == 400
    assert '<p class="field-error" id="err-email">Already in use' in taken.text
    # Nothing changed.
    fields = user_information(site)
    assert fields["firstName"] == "Ada" and fields["email"] == "ada@example.com"


def test_the_profile_form_needs_its_csrf_token(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    site.get(f"{SITE}/profile")
    for token in ({}, {"csrf_token": "0" * 64}):
        reply = site.post(f"{SITE}/profile", data={**PROFILE, **token}, follow_redirects=False)
        assert reply.status_code == 403
    assert user_information(site)["firstName"] == "Ada"


def test_the_profile_needs_a_signed_in_guest(site: TestClient) -> None:
    enroll(site)
    shown = site.get(f"{SITE}/profile", follow_redirects=False)
    assert shown.status_code == 303 and shown.headers["location"] == f"{SITE}/signin"
    token = csrf_of(site.get(f"{SITE}/signin"))
    sent = site.post(
        f"{SITE}/profile", data={"csrf_token": token, **PROFILE}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{SITE}/signin"
    assert user_information(site)["firstName"] == "Ada"
