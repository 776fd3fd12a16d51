"""Single sign-on from the guest website: 2-party partner links (a fresh authorization
grant carried to a partner's redirect URI) and Sign in with Apple against a local fake
of Apple (its keys and its authorization page)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from openpxs.config.loader import ConfigError
from tests.api.guests import enroll, gpost
from tests.fakes.apple_id import CLIENT_ID, TEAM_ID, FakeAppleId, _new_key
from tests.program_config import edited_config, program_editor
from tests.web.site import REDIRECT, SITE, csrf_of, sign_in, submit

CALLBACK = f"http://testserver{SITE}/apple/callback"


def exchange(client: TestClient, code: str, redirect_uri: str = REDIRECT) -> dict[str, Any]:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data: dict[str, Any] = gpost(client, "oauth", "requestGuestToken", body).json()
    return data


def rows(client: TestClient, table: str) -> int:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def count() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar())

    assert client.portal is not None
    return client.portal.call(count)


# -- 2-party SSO: partner links ------------------------------------------------------


def test_a_partner_link_carries_a_fresh_single_use_grant(site: TestClient) -> None:
    enroll(site)
    sign_in(site)
    account = site.get(f"{SITE}/account")
    assert "Continue to the Demo App" in account.text
    assert "form-action 'self' http://127.0.0.1:9999" in account.headers["content-security-policy"]
    followed = site.post(
        f"{SITE}/partner",
        data={"csrf_token": csrf_of(account), "link": "0"},
        follow_redirects=False,
    )
    assert followed.status_code == 303
    location = urlsplit(followed.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    back = parse_qs(location.query)
    assert back["expires_in"] == ["300"] and "state" not in back
    code = back["code"][0]
    # Bound to the partner's redirect URI, then used once.
    assert exchange(site, code, "http://localhost:9999/callback")["errorCode"] == "invalid_grant"
    tokens = exchange(site, code)
    assert tokens["result"] == "success" and tokens["username"] == "ada"
    assert exchange(site, code)["errorCode"] == "invalid_grant"
    # Each time the link is followed, a new grant.
    again = submit(site, "partner", {"link": "0"}, page="account")
    assert parse_qs(urlsplit(again.headers["location"]).query)["code"][0] != code


def test_a_partner_link_is_never_a_get_and_needs_a_guest(site: TestClient) -> None:
    enroll(site)
    # A GET (a prefetch, a link in a mail) issues nothing.
    assert site.get(f"{SITE}/partner", follow_redirects=False).status_code == 404
    page = site.get(f"{SITE}/signin")
    # Not signed in: to the sign-in page, no grant.
    out = site.post(
        f"{SITE}/partner", data={"csrf_token": csrf_of(page), "link": "0"}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == f"{SITE}/signin"
    sign_in(site)
    no_token = site.post(f"{SITE}/partner", data={"link": "0"}, follow_redirects=False)
    assert no_token.status_code == 403 and "location" not in no_token.headers
    for link in ("1", "-1", "x", ""):
        assert submit(site, "partner", {"link": link}, page="account").status_code == 404


def test_a_partner_link_must_name_an_sso_application_and_one_of_its_uris() -> None:
    def link(integration: str, url: str) -> Any:
        def edit(data: dict[str, Any]) -> None:
            data["guest"]["website"]["partner_links"] = [
                {"integration": integration, "label": "Order", "url": url}
            ]

        return edit

    with pytest.raises(ConfigError, match="not listed in sso"):
        edited_config(link("demo-pos", REDIRECT))
    with pytest.raises(ConfigError, match="not one of the redirect_uris"):
        edited_config(link("demo-app", "https://partner.example/sso"))
    with pytest.raises(ConfigError, match="absolute http or https"):
        edited_config(link("demo-app", "javascript:alert(1)"))
    assert edited_config(link("demo-app", REDIRECT)).guest.website is not None


# -- Sign in with Apple ----------------------------------------------------------------


@pytest.fixture
def apple_site(site: TestClient, apple_id: FakeAppleId) -> Iterator[TestClient]:
    def edit(data: dict[str, Any]) -> None:
        data["guest"]["website"]["apple"] = {
            "client_id": CLIENT_ID,
            "team_id": TEAM_ID,
            "authorize_url": apple_id.authorize_url,
            "keys_url": apple_id.keys_url,
        }

    with program_editor(site) as change:
        change(edit)
        yield site


def start(client: TestClient, apple_id: FakeAppleId) -> dict[str, str]:
    """Press "Sign in with Apple": the query the browser is sent to Apple with."""
    signin = client.get(f"{SITE}/signin")
    assert f'href="{SITE}/apple/signin"' in signin.text and "Sign in with Apple" in signin.text
    sent = client.get(f"{SITE}/apple/signin", follow_redirects=False)
    return to_apple(sent, apple_id)


def to_apple(sent: Any, apple_id: FakeAppleId) -> dict[str, str]:
    assert sent.status_code == 303
    location = urlsplit(sent.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == apple_id.authorize_url
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_mode"] == "form_post" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK and query["scope"] == "name email"
    assert "HttpOnly" in sent.headers["set-cookie"]
    return query


def post_back(client: TestClient, **fields: str) -> Any:
    """Apple's form_post to the callback (no CSRF token: it comes from Apple)."""
    return client.post(f"{SITE}/apple/callback", data=fields, follow_redirects=False)


def name_json(first: str = "Apple", last: str = "Guest") -> str:
    return json.dumps({"name": {"firstName": first, "lastName": last}})


def test_sign_in_with_apple_joins_then_signs_the_same_guest_in(
    apple_site: TestClient, apple_id: FakeAppleId
) -> None:
    users = rows(apple_site, "users")
    query = start(apple_site, apple_id)
    token = apple_id.token(query["nonce"])
    joined = post_back(
        apple_site, state=query["state"], id_token=token, code="c1", user=name_json()
    )
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == f"{SITE}/account"
    assert "pxs_session" in apple_site.cookies and "pxs_apple" not in apple_site.cookies
    account = apple_site.get(f"{SITE}/account")
    assert "Welcome, Apple" in account.text
    assert rows(apple_site, "users") == users + 1
    # The same token cannot be posted again: its state was used up with the cookie.
    assert post_back(apple_site, state=query["state"], id_token=token).status_code == 400

    submit(apple_site, "signout", {}, page="account")
    again = start(apple_site, apple_id)
    back = post_back(apple_site, state=again["state"], id_token=apple_id.token(again["nonce"]))
    assert back.status_code == 303 and back.headers["location"] == f"{SITE}/account"
    assert "Welcome, Apple" in apple_site.get(f"{SITE}/account").text
    assert rows(apple_site, "users") == users + 1  # signed in, not enrolled again


@pytest.mark.parametrize(
    "fault",
    ["aud", "iss", "expired", "signature", "nonce", "state", "no cookie", "garbage", "no token"],
)
def test_an_identity_token_that_does_not_hold_is_refused_and_changes_nothing(
    apple_site: TestClient, apple_id: FakeAppleId, fault: str
) -> None:
    before = (rows(apple_site, "users"), rows(apple_site, "external_accounts"))
    query = start(apple_site, apple_id)
    nonce, state = query["nonce"], query["state"]
    token = {
        "aud": apple_id.token(nonce, aud="com.other.app"),
        "iss": apple_id.token(nonce, iss="https://evil.example"),
        "expired": apple_id.token(nonce, exp=1_700_000_000, iat=1_699_999_000),
        "signature": apple_id.token(nonce, key=_new_key()),
        "nonce": apple_id.token("another-nonce"),
        "garbage": "not.a.jwt",
        "no token": "",
    }.get(fault, apple_id.token(nonce))
    if fault == "state":
        state = "forged-state"
    if fault == "no cookie":
        apple_site.cookies.delete("pxs_apple", path=f"{SITE}/apple/")
    refused = post_back(apple_site, state=state, id_token=token, user=name_json())
    assert refused.status_code == 400 and "location" not in refused.headers
    assert "Sign in with Apple did not work" in refused.text
    assert "pxs_session" not in apple_site.cookies
    assert (rows(apple_site, "users"), rows(apple_site, "external_accounts")) == before


def test_an_apple_e_mail_another_guest_has_joins_no_one(
    apple_site: TestClient, apple_id: FakeAppleId
) -> None:
    enroll(apple_site, email="taken@example.com")
    apple_id.email = "taken@example.com"
    before = rows(apple_site, "users")
    query = start(apple_site, apple_id)
    refused = post_back(
        apple_site, state=query["state"], id_token=apple_id.token(query["nonce"]), user=name_json()
    )
    assert refused.status_code == 400 and "exists already" in refused.text
    assert rows(apple_site, "users") == before and "pxs_session" not in apple_site.cookies
    # Without the name Apple shares only on the first sign-in, no one can join.
    apple_id.email = "fresh@example.com"
    query = start(apple_site, apple_id)
    nameless = post_back(apple_site, state=query["state"], id_token=apple_id.token(query["nonce"]))
    assert nameless.status_code == 400 and "did not share" in nameless.text
    assert rows(apple_site, "users") == before


def test_a_signed_in_guest_links_apple_from_the_profile_page(
    apple_site: TestClient, apple_id: FakeAppleId
) -> None:
    enroll(apple_site)
    sign_in(apple_site)
    profile = apple_site.get(f"{SITE}/profile")
    assert "Link Sign in with Apple" in profile.text
    assert apple_id.url in profile.headers["content-security-policy"]
    # The link request is a form with its CSRF token.
    assert post_back(apple_site).status_code == 400
    assert apple_site.post(f"{SITE}/apple/link", follow_redirects=False).status_code == 403
    query = to_apple(submit(apple_site, "apple/link", {}, page="profile"), apple_id)
    linked = post_back(apple_site, state=query["state"], id_token=apple_id.token(query["nonce"]))
    assert (
        linked.status_code == 303 and linked.headers["location"] == f"{SITE}/profile?apple=linked"
    )
    assert "Sign in with Apple is linked" in apple_site.get(linked.headers["location"]).text

    submit(apple_site, "signout", {}, page="account")
    users = rows(apple_site, "users")
    query = start(apple_site, apple_id)
    back = post_back(apple_site, state=query["state"], id_token=apple_id.token(query["nonce"]))
    assert back.status_code == 303
    assert "Welcome, Ada" in apple_site.get(f"{SITE}/account").text
    assert rows(apple_site, "users") == users

    # Another guest cannot link the same Apple ID.
    apple_site.cookies.clear()
    enroll(apple_site, "grace")
    sign_in(apple_site, "grace")
    query = to_apple(submit(apple_site, "apple/link", {}, page="profile"), apple_id)
    taken = post_back(apple_site, state=query["state"], id_token=apple_id.token(query["nonce"]))
    assert taken.status_code == 400 and "linked to another account" in taken.text


def test_without_apple_configured_there_is_no_button_and_no_flow(site: TestClient) -> None:
    assert "Sign in with Apple" not in site.get(f"{SITE}/signin").text
    assert site.get(f"{SITE}/apple/signin", follow_redirects=False).status_code == 404
    assert post_back(site, state="x", id_token="y").status_code == 404


@pytest.mark.parametrize("keys", ["not json", "unreachable", "missing"])
def test_keys_that_cannot_be_had_refuse_the_sign_in(
    site: TestClient, apple_id: FakeAppleId, keys: str
) -> None:
    keys_url = {
        "not json": apple_id.authorize_url,
        "unreachable": "http://127.0.0.1:9/auth/keys",
        "missing": f"{apple_id.url}/auth/none",
    }[keys]

    def edit(data: dict[str, Any]) -> None:
        data["guest"]["website"]["apple"] = {
            "client_id": CLIENT_ID,
            "team_id": TEAM_ID,
            "authorize_url": apple_id.authorize_url,
            "keys_url": keys_url,
        }

    with program_editor(site) as change:
        change(edit)
        users = rows(site, "users")
        query = start(site, apple_id)
        refused = post_back(
            site, state=query["state"], id_token=apple_id.token(query["nonce"]), user=name_json()
        )
        assert refused.status_code == 400 and "did not work" in refused.text
        assert rows(site, "users") == users
