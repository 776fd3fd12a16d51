"""How long the guest website's session lasts: as long as the access token it holds
(guest.security, 30 minutes in the demo). The site keeps no refresh token: an ended
session sends the guest to sign in, and nothing a form sent after it is applied."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.guests import PASSWORD, enroll
from tests.web.site import SITE, csrf_of, sign_in


def test_an_ended_session_sends_the_guest_to_sign_in(site: TestClient, clock: ShiftedClock) -> None:
    enroll(site)
    sign_in(site)
    session = site.cookies["pxs_session"]
    token = csrf_of(site.get(f"{SITE}/profile"))
    clock.offset += timedelta(minutes=29)
    assert site.get(f"{SITE}/account", follow_redirects=False).status_code == 200

    clock.offset += timedelta(minutes=2)  # past the token's 30 minutes
    for name in ("account", "history", "profile", "username", "cards/add", ""):
        away = site.get(f"{SITE}/{name}", follow_redirects=False)
        assert away.status_code == 303, name
        assert away.headers["location"] in (f"{SITE}/signin", f"{SITE}/account"), name
    assert site.get(f"{SITE}/account").url.path == f"{SITE}/signin"
    sent = site.post(
        f"{SITE}/profile",
        data={"csrf_token": token, "firstName": "Eve", "lastName": "X", "email": "e@example.com"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{SITE}/signin"

    # Signing in again starts a new session; the form sent late changed nothing.
    sign_in(site, "ada", PASSWORD)
    assert site.cookies["pxs_session"] != session
    assert "Welcome, Ada" in site.get(f"{SITE}/account").text
