"""The hosted guest website in a real browser (Debian's chromium driven by Playwright)
against a real `openpxs demo` process: joining, the account, signing out and in, and the
SSO redirect flow with PKCE, state and a redirect URI that is not allow-listed. Every
page is scanned with axe-core and must have no serious or critical violation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Error, Page, Request, expect

from tests.e2e.browser import accessible
from tests.e2e.site_browser import SiteServer
from tests.web.site import REDIRECT, pkce_pair

APP = ("demo-app", "demo-app-secret")


@pytest.fixture
def server(demo_server: SiteServer) -> str:
    """The demo process the browser tests share (tests/e2e/conftest.py)."""
    return demo_server.url


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_join_see_the_account_sign_out_and_in(server: str, page: Page) -> None:
    site = f"{server}/m/1000/guest"
    page.goto(f"{site}/register")
    expect(page.get_by_role("heading", name="Join")).to_be_visible()
    accessible(page)
    # The keyboard reaches the skip link first, and its focus is visible.
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to the content")
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"

    page.get_by_label("Username").fill("browser-guest")
    page.get_by_label("Password").fill("short")
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#err-password")).to_be_visible()
    expect(page.locator("#err-email")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Rosa")
    accessible(page)

    page.get_by_label("Password").fill("Wonderful42!")
    page.get_by_label("Last name").fill("Parks")
    page.get_by_label("E-mail").fill("rosa@example.com")
    page.get_by_label("Send me offers").check()
    page.get_by_label("Favorite store").select_option(label="Downtown")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Welcome, Rosa")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Points")).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(f"{site}/account")
    expect(page).to_have_url(f"{site}/signin")
    accessible(page)

    sign_in(page, "browser-guest", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("did not match an account")
    accessible(page)
    sign_in(page, "browser-guest", "Wonderful42!")
    expect(page.get_by_role("heading", name="Welcome, Rosa")).to_be_visible()


def to_the_application(request: Request) -> bool:
    return request.url.startswith(REDIRECT + "?")


def sent_back(page: Page, url: str) -> dict[str, list[str]]:
    """Open ``url`` and return the query the browser was sent back to the application
    with. Nothing need listen there: the request the browser makes is what counts."""
    with page.expect_request(to_the_application) as sent:
        try:
            page.goto(url)
        except Error as error:
            assert "ERR_CONNECTION_REFUSED" in str(error), error
    return parse_qs(urlsplit(sent.value.url).query)


def test_the_sso_redirect_flow(server: str, page: Page) -> None:
    site = f"{server}/m/1000/guest"
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": "demo-app",
        "redirect_uri": REDIRECT,
        "scope": "user_read account_read",
        "state": "opaque/state?&=",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    # A return address that is not allow-listed: an error page, and nowhere else.
    page.goto(
        f"{site}/accountlogin?" + urlencode({**query, "redirect_uri": "https://evil.example/cb"})
    )
    expect(page.get_by_role("heading", name="This sign-in link does not work")).to_be_visible()
    assert not [url for url in requested if url.startswith("https://evil.example")]
    accessible(page)

    page.goto("about:blank")
    reply = httpx.post(
        f"{server}/rest/24.11/enrollment/createAndRegister.json",
        auth=APP,
        json={
            "merchantId": 1000,
            "authentication": "anonymous",
            "cardTemplateCode": 1,
            "setUserFields": {
                "style": "typed",
                "username": ["sso-guest"],
                "password": ["Wonderful42!"],
                "firstName": ["Sam"],
                "lastName": ["Oh"],
                "email": ["sam@example.com"],
            },
            "setAccountFields": {"style": "typed"},
        },
        timeout=30,
    )
    assert reply.json()["result"] == "cardCreatedSuccess", reply.text

    page.goto(f"{site}/accountlogin?" + urlencode(query))
    expect(page.get_by_text("Sign in to continue to demo-app")).to_be_visible()
    accessible(page)
    with page.expect_request(to_the_application) as sent:
        sign_in(page, "sso-guest", "Wonderful42!")
    back = parse_qs(urlsplit(sent.value.url).query)
    assert back["state"] == [query["state"]] and back["expires_in"] == ["300"]

    def exchange(**extra: str) -> dict[str, object]:
        body = {
            "merchantId": 1000,
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": REDIRECT,
            **extra,
        }
        answer: dict[str, object] = httpx.post(
            f"{server}/rest/24.11/oauth/requestGuestToken.json", auth=APP, json=body, timeout=30
        ).json()
        return answer

    assert exchange()["errorCode"] == "invalid_grant"  # PKCE is required now
    tokens = exchange(code_verifier=verifier)
    assert tokens["username"] == "sso-guest" and tokens["scope"] == "user_read account_read"

    # Signed in on the site already: straight back to the application, no form.
    again = sent_back(page, f"{site}/accountlogin?" + urlencode({**query, "state": "second"}))
    assert again["state"] == ["second"] and again["code"] != back["code"]
