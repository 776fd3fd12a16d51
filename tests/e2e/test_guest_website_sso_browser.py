"""Single sign-on from the hosted guest website in a real browser (Debian's chromium
driven by Playwright) against a real `openpxs demo` process: a partner link followed to
the partner's redirect URI with a grant that exchanges once, and Sign in with Apple
against a local fake of Apple (its keys and an authorization page that posts back).
Every page of these flows is scanned with axe-core: no serious or critical violation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Error, Page, Request, expect

from openpxs.cli_support import open_database
from openpxs.config.model import MerchantConfig
from openpxs.store.config_apply import apply_config
from tests.conftest import database_kind
from tests.e2e.browser import accessible
from tests.e2e.server import free_port, start
from tests.e2e.site_browser import server_database
from tests.fakes.apple_id import CLIENT_ID, TEAM_ID, FakeAppleId
from tests.program_config import DEMO_1000, edited_config
from tests.web.site import REDIRECT

APP = ("demo-app", "demo-app-secret")
PASSWORD = "Wonderful42!"


def _apply(url: str, config: MerchantConfig) -> None:
    async def go() -> None:
        engine = await open_database(url)
        try:
            async with engine.begin() as conn:
                await apply_config(conn, config, datetime.now(UTC))
        finally:
            await engine.dispose()

    # In a thread of its own: the browser driver keeps an event loop on this one.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, go()).result()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    session_client: TestClient,
    apple_id_server: FakeAppleId,
) -> Iterator[str]:
    """The demo, with Sign in with Apple pointed at the fake (applied as an operator
    applies a program file; the server reads it again within a second)."""
    tmp = tmp_path_factory.mktemp("site-sso")
    url = server_database(tmp, database_url, session_client)
    port = free_port()
    process = start(["demo", "--database", url], tmp / "server.log", port)

    def with_apple(data: dict[str, Any]) -> None:
        data["guest"]["website"]["apple"] = {
            "client_id": CLIENT_ID,
            "team_id": TEAM_ID,
            "authorize_url": apple_id_server.authorize_url,
            "keys_url": apple_id_server.keys_url,
        }

    try:
        _apply(url, edited_config(with_apple))
        base = f"http://127.0.0.1:{port}/m/1000/guest"
        for _ in range(100):
            if "Sign in with Apple" in httpx.get(f"{base}/signin", timeout=10).text:
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if database_kind() == "postgresql":
            _apply(url, edited_config(lambda data: None, DEMO_1000))


def join_by_api(server: str, username: str) -> None:
    reply = httpx.post(
        f"{server}/rest/24.11/enrollment/createAndRegister.json",
        auth=APP,
        json={
            "merchantId": 1000,
            "authentication": "anonymous",
            "cardTemplateCode": 1,
            "setUserFields": {
                "style": "typed",
                "username": [username],
                "password": [PASSWORD],
                "firstName": ["Noor"],
                "lastName": ["Haddad"],
                "email": [f"{username}@example.com"],
            },
            "setAccountFields": {"style": "typed"},
        },
        timeout=30,
    )
    assert reply.json()["result"] == "cardCreatedSuccess", reply.text


def sign_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Welcome, Noor")).to_be_visible()


def to_the_partner(request: Request) -> bool:
    return request.url.startswith(REDIRECT + "?")


def exchange(server: str, code: str) -> dict[str, Any]:
    body = {
        "merchantId": 1000,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    answer: dict[str, Any] = httpx.post(
        f"{server}/rest/24.11/oauth/requestGuestToken.json", auth=APP, json=body, timeout=30
    ).json()
    return answer


def test_a_partner_link_lands_on_the_partner_with_a_code_that_exchanges_once(
    server: str, page: Page
) -> None:
    site = f"{server}/m/1000/guest"
    join_by_api(server, "partner-guest")
    sign_in(page, site, "partner-guest")
    button = page.get_by_role("button", name="Continue to the Demo App")
    expect(button).to_be_visible()
    accessible(page)
    # Nothing need listen at the partner: the request the browser makes is what counts.
    with page.expect_request(to_the_partner) as sent:
        try:
            button.click()
        except Error as error:
            assert "ERR_CONNECTION_REFUSED" in str(error), error
    back = parse_qs(urlsplit(sent.value.url).query)
    assert back["expires_in"] == ["300"]
    tokens = exchange(server, back["code"][0])
    assert tokens["result"] == "success" and tokens["username"] == "partner-guest", tokens
    assert exchange(server, back["code"][0])["errorCode"] == "invalid_grant"


def test_sign_in_with_apple_joins_and_a_guest_links_apple(
    server: str, page: Page, apple_id_server: FakeAppleId
) -> None:
    site = f"{server}/m/1000/guest"
    apple_id_server.reset()
    page.goto(f"{site}/signin")
    accessible(page)
    page.get_by_role("link", name="Sign in with Apple").click()
    expect(page.get_by_role("heading", name="Fake Apple")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Apple")).to_be_visible()
    accessible(page)

    # A post back that the browser did not start (its state cookie gone) is refused.
    page.context.clear_cookies()
    page.goto(f"{site}/signin")
    page.get_by_role("link", name="Sign in with Apple").click()
    expect(page.get_by_role("heading", name="Fake Apple")).to_be_visible()
    page.context.clear_cookies()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Sign in with Apple did not work")).to_be_visible()
    accessible(page)

    # A guest with a password links their Apple ID on the profile page.
    apple_id_server.reset()
    join_by_api(server, "linking-guest")
    sign_in(page, site, "linking-guest")
    page.get_by_role("link", name="Profile").click()
    link = page.get_by_role("button", name="Link Sign in with Apple")
    expect(link).to_be_visible()
    accessible(page)
    link.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Sign in with Apple is linked to your account.")).to_be_visible()
    accessible(page)

    # Signed out, Apple signs the same guest in.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in with Apple").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Noor")).to_be_visible()
