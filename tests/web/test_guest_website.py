"""The hosted guest website over HTTP: its pages, forms and defences, and the SSO
redirect flow with its token exchange (oauth/requestGuestToken.json)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.guests import PASSWORD, body_of, enroll, gpost
from tests.api.security import OTHER_APP, ensure_integrations
from tests.web.site import REDIRECT, SITE, csrf_of, pkce_pair, sign_in, submit


def test_pages_carry_a_script_free_policy_and_protected_cookies(site: TestClient) -> None:
    page = site.get(f"{SITE}/signin")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "<script" not in page.text
    assert page.headers.get_list("content-security-policy") == [policy]
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path={SITE}/" in cookie
    assert "Secure" not in cookie  # plain HTTP from an untrusted peer
    site.cookies.clear()
    tls = site.get(f"https://testserver{SITE}/signin")
    assert "Secure" in tls.headers["set-cookie"]
    assert site.get(f"{SITE}/theme.css").text.startswith(":root{--primary:#8a2b0e")


def test_a_form_without_its_csrf_token_is_refused(site: TestClient) -> None:
    enroll(site)
    site.get(f"{SITE}/signin")
    for token in ({}, {"csrf_token": "0" * 64}):
        reply = site.post(
            f"{SITE}/signin",
            data={"username": "ada", "password": PASSWORD, **token},
            follow_redirects=False,
        )
        assert reply.status_code == 403
        assert "pxs_session" not in site.cookies


def test_sign_in_account_history_and_sign_out(site: TestClient) -> None:
    created = enroll(site)
    site.get(f"{SITE}/signin")
    seed_before = site.cookies["pxs_csrf"]
    sign_in(site)
    session = site.cookies["pxs_session"]
    assert site.cookies["pxs_csrf"] != seed_before  # rotated at sign-in
    account = site.get(f"{SITE}/account")
    assert account.status_code == 200
    assert "Welcome, Ada" in account.text and created["printedCardNumber"] in account.text
    assert "Points" in account.text and "Stored Value" in account.text
    history = site.get(f"{SITE}/history")
    assert history.status_code == 200 and "<h1>History</h1>" in history.text

    out = submit(site, "signout", {}, page="account")
    assert out.status_code == 303 and out.headers["location"] == f"{SITE}/signin?signed_out=1"
    assert "pxs_session" not in site.cookies
    assert "You are signed out" in site.get(out.headers["location"]).text
    # The session ended on the server too: the old cookie no longer opens the account.
    site.cookies.set("pxs_session", session, path=f"{SITE}/")
    again = site.get(f"{SITE}/account", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"{SITE}/signin"


def test_a_wrong_password_and_an_unknown_username_look_alike(site: TestClient) -> None:
    enroll(site)
    wrong = submit(site, "signin", {"username": "ada", "password": "not-it-at-all"})
    unknown = submit(site, "signin", {"username": "nobody-here", "password": "not-it-at-all"})
    assert wrong.status_code == unknown.status_code == 400
    message = "That username and password did not match an account"
    assert message in wrong.text and message in unknown.text
    assert "pxs_session" not in site.cookies


def test_register_shows_each_problem_next_to_its_field_then_joins(site: TestClient) -> None:
    enroll(site, "taken", "taken@example.com")
    bad = submit(
        site,
        "register",
        {"username": "taken", "password": "short", "firstName": "Bo", "email": "not-an-email"},
    )
    assert bad.status_code == 400
    assert 'id="err-password"' in bad.text and 'id="err-email"' in bad.text
    assert 'id="err-lastName"' in bad.text  # required
    assert 'aria-describedby="err-password" aria-invalid="true"' in bad.text
    assert 'value="Bo"' in bad.text and 'value="short"' not in bad.text

    taken = submit(
        site,
        "register",
        {
            "username": "taken",
            "password": "Wonderful42!",
            "firstName": "Bo",
            "lastName": "Peep",
            "email": "bo@example.com",
        },
    )
    assert taken.status_code == 400 and 'id="err-username"' in taken.text

    joined = submit(
        site,
        "register",
        {
            "username": "bopeep",
            "password": "Wonderful42!",
            "firstName": "Bo",
            "lastName": "Peep",
            "email": "bo@example.com",
            "optIn": "true",
            "favoriteStore": "1001",
        },
    )
    assert joined.status_code == 303 and joined.headers["location"] == f"{SITE}/account"
    assert "Welcome, Bo" in site.get(f"{SITE}/account").text
    # The same guest signs in by the API: one implementation of the account.
    tokens = body_of(
        gpost(
            site,
            "oauth",
            "requestGuestToken",
            {"grant_type": "password", "username": "bopeep", "password": "Wonderful42!"},
        )
    )
    assert tokens["access_token"]


def test_the_site_answers_on_a_host_the_merchant_lists(site: TestClient) -> None:
    listed = site.get("/guest/signin", headers={"host": "rewards.localhost"})
    assert listed.status_code == 200 and 'action="/guest/signin"' in listed.text
    assert site.get("/guest/signin", headers={"host": "elsewhere.example"}).status_code == 404
    assert site.get("/m/2000/guest/signin").status_code == 404  # no site configured


def authorize(client: TestClient, **params: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": "demo-app",
        "redirect_uri": REDIRECT,
        "state": "xyz 123",
        **params,
    }
    return query


def exchange(
    client: TestClient, code: str, auth: tuple[str, str] | None = None, **extra: str
) -> dict[str, object]:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    reply = gpost(client, "oauth", "requestGuestToken", body, **({"auth": auth} if auth else {}))
    data: dict[str, object] = reply.json()
    return data


def test_a_redirect_uri_not_allow_listed_is_never_followed(site: TestClient) -> None:
    for params in (
        authorize(site, redirect_uri="https://evil.example/callback"),
        authorize(site, redirect_uri=REDIRECT + "/more"),
        authorize(site, client_id="demo-pos"),
        authorize(site, client_id="nobody"),
    ):
        page = site.get(f"{SITE}/accountlogin", params=params, follow_redirects=False)
        assert page.status_code == 400 and "location" not in page.headers
        assert "This sign-in link does not work" in page.text
    # A fault the client may hear of goes back to it, with its state.
    wrong_type = site.get(
        f"{SITE}/accountlogin",
        params=authorize(site, response_type="token"),
        follow_redirects=False,
    )
    assert wrong_type.status_code == 303
    back = parse_qs(urlsplit(wrong_type.headers["location"]).query)
    assert back["error"] == ["unsupported_response_type"] and back["state"] == ["xyz 123"]
    plain = site.get(
        f"{SITE}/accountlogin",
        params=authorize(site, code_challenge="a" * 43, code_challenge_method="plain"),
        follow_redirects=False,
    )
    assert parse_qs(urlsplit(plain.headers["location"]).query)["error"] == ["invalid_request"]


def test_the_redirect_flow_with_pkce(site: TestClient, clock: ShiftedClock) -> None:
    enroll(site)
    verifier, challenge = pkce_pair()
    params = authorize(site, code_challenge=challenge, code_challenge_method="S256")
    form = site.get(f"{SITE}/accountlogin", params=params)
    assert form.status_code == 200 and f'value="{challenge}"' in form.text
    assert "form-action 'self' http://127.0.0.1:9999" in form.headers["content-security-policy"]
    signed = site.post(
        f"{SITE}/accountlogin",
        data={"csrf_token": csrf_of(form), **params, "username": "ada", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    location = urlsplit(signed.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    back = parse_qs(location.query)
    assert back["state"] == ["xyz 123"] and back["expires_in"] == ["300"]
    code = back["code"][0]

    assert exchange(site, code)["errorCode"] == "invalid_grant"  # no verifier
    assert exchange(site, code, code_verifier=pkce_pair()[0])["errorCode"] == "invalid_grant"
    assert (
        exchange(site, code, code_verifier=verifier, redirect_uri="http://localhost:9999/callback")[
            "errorCode"
        ]
        == "invalid_grant"
    )
    tokens = exchange(site, code, code_verifier=verifier)
    assert tokens["result"] == "success" and tokens["username"] == "ada"
    assert exchange(site, code, code_verifier=verifier)["errorCode"] == "invalid_grant"  # used

    # Signed in on the site now: the next request goes straight back with a new grant.
    again = site.get(f"{SITE}/accountlogin", params=authorize(site), follow_redirects=False)
    assert again.status_code == 303
    second = parse_qs(urlsplit(again.headers["location"]).query)["code"][0]
    assert second != code
    clock.offset += timedelta(seconds=301)
    assert exchange(site, second)["errorCode"] == "invalid_grant"  # expired


def test_a_grant_of_the_redirect_flow_serves_only_its_application(site: TestClient) -> None:
    ensure_integrations(site)
    enroll(site)
    params = authorize(site)
    form = site.get(f"{SITE}/accountlogin", params=params)
    signed = site.post(
        f"{SITE}/accountlogin",
        data={"csrf_token": csrf_of(form), **params, "username": "ada", "password": PASSWORD},
        follow_redirects=False,
    )
    code = parse_qs(urlsplit(signed.headers["location"]).query)["code"][0]
    # Another application of the merchant cannot use it, and trying does not use it up.
    assert exchange(site, code, auth=OTHER_APP)["errorCode"] == "invalid_grant"
    assert exchange(site, code)["result"] == "success"  # no PKCE asked: none required


def test_the_site_and_the_api_share_the_sign_in_limits(site: TestClient) -> None:
    enroll(site)
    for _ in range(5):  # guest.security.max_failed_sign_ins
        assert submit(site, "signin", {"username": "ada", "password": "guess"}).status_code == 400
    locked = submit(site, "signin", {"username": "ada", "password": PASSWORD})
    assert locked.status_code == 400 and "Too many attempts" in locked.text
    assert "pxs_session" not in site.cookies
    # The API counts the same failures: the username is paused there too.
    api = gpost(
        site,
        "oauth",
        "requestGuestToken",
        {"grant_type": "password", "username": "ada", "password": PASSWORD},
    )
    assert api.json()["errorCode"] == "account_locked"
    # An unknown username is paused alike, so the pause tells nothing about who exists.
    for _ in range(5):
        submit(site, "signin", {"username": "nobody-here", "password": "guess"})
    unknown = submit(site, "signin", {"username": "nobody-here", "password": "guess"})
    assert "Too many attempts" in unknown.text
