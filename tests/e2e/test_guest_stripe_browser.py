"""The guest website's card payment page for a Stripe merchant in a real browser
(Debian's chromium driven by Playwright) against a real `openpxs serve` process: the
guest reloads a card, types Stripe's test card 4242… into the card element (a stand-in
for Stripe.js in front of localstripe, tests.fakes.stripe_js), and the return page shows
the new balance. No request the browser sends to the site, and nothing the server logs,
holds the card number. The payment page is scanned with axe-core."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Request, expect

from openpxs.config import load_config
from openpxs.demo import install_demo
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine
from tests.api.test_stripe_processor import KEY_VARIABLE
from tests.conftest import database_kind
from tests.e2e.browser import accessible
from tests.e2e.site_browser import SiteServer, new_guest, running_site, server_database, sign_in
from tests.fakes.localstripe import SECRET_KEY, LocalStripe
from tests.fakes.stripe_js import running_stripe_js
from tests.program_config import DEMO_1000, edited_config

VISA = "4242424242424242"
DECLINED = "4000000000000341"  # localstripe: attaches, then every charge is declined


def in_a_thread(work: Any) -> None:
    # The browser driver keeps an event loop on the test's thread.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, work).result()


async def apply(url: str, config: Any) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await apply_config(conn, config, datetime.now(UTC))
    finally:
        await engine.dispose()


@pytest.fixture(name="server", scope="module")
def stripe_server(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    session_client: TestClient,
    localstripe: LocalStripe,
) -> Iterator[SiteServer]:
    tmp = tmp_path_factory.mktemp("stripe-site")
    url = server_database(tmp, database_url, session_client)
    if database_kind() == "sqlite":
        in_a_thread(install_demo(url))
    with running_stripe_js(localstripe) as stripe_js, pytest.MonkeyPatch.context() as env:
        env.setenv(KEY_VARIABLE, SECRET_KEY)

        def to_stripe(data: dict[str, Any]) -> None:
            data["payments"]["processor"] = {
                "kind": "stripe",
                "api_key": {"env": KEY_VARIABLE},
                "publishable_key": "pk_test_openpxs",
                "api_base": localstripe.url,
                "js_url": f"{stripe_js}/v3/",
            }

        in_a_thread(apply(url, edited_config(to_stripe)))
        log = tmp / "server.log"
        try:
            with running_site("serve", url, log) as site:
                yield site
            assert VISA not in log.read_text(), "the card number reached the server's log"
        finally:
            # On PostgreSQL this is the session's database: the tests after this one
            # expect the demo program as shipped, with its test processor.
            in_a_thread(apply(url, load_config(DEMO_1000)))


def test_a_reload_paid_in_the_card_element_shows_the_new_balance(
    server: SiteServer, page: Page
) -> None:
    to_site: list[Request] = []
    page.on("request", lambda r: to_site.append(r) if r.url.startswith(server.url) else None)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    new_guest(server, "striper", verified=True)
    sign_in(page, server, "striper")
    page.get_by_role("link", name="Reload a card").click()
    page.get_by_label("Amount").fill("25.00")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    expect(page.get_by_text("Pay 25.00 USD.", exact=False)).to_be_visible()
    expect(page.get_by_text("Paying by card needs JavaScript")).to_be_hidden()
    page.get_by_label("Card number").fill(VISA)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    accessible(page)
    page.get_by_role("button", name="Pay 25.00").click()

    expect(page.get_by_role("heading", name="Card reloaded")).to_be_visible()
    expect(page.get_by_text("New balance: 25.00")).to_be_visible()
    assert "/m/1000/guest/reload/done?ref=" in page.url
    accessible(page)
    assert refused == [], refused  # nothing the page needs is refused by its policy
    sent = [f"{r.url} {r.post_data or ''}" for r in to_site]
    assert sent and not [s for s in sent if VISA in s], sent


def test_a_declined_card_is_told_on_the_page_and_credits_nothing(
    server: SiteServer, page: Page
) -> None:
    new_guest(server, "declined", verified=True)
    sign_in(page, server, "declined")
    page.get_by_role("link", name="Reload a card").click()
    page.get_by_label("Amount").fill("15.00")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card number").fill(DECLINED)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay 15.00").click()
    expect(page.get_by_role("alert")).to_contain_text("The payment was not completed")
    accessible(page)
    page.get_by_role("link", name="Back to your account").click()
    expect(page.get_by_role("cell", name="15.00")).to_have_count(0)


def test_without_javascript_the_page_says_so_and_charges_nothing(
    server: SiteServer, browser: Browser
) -> None:
    new_guest(server, "noscript", verified=True)
    quiet = browser.new_context(java_script_enabled=False)
    try:
        page = quiet.new_page()
        sign_in(page, server, "noscript")
        page.get_by_role("link", name="Reload a card").click()
        page.get_by_label("Amount").fill("10.00")
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
        expect(page.get_by_text("Paying by card needs JavaScript")).to_be_visible()
        expect(page.get_by_role("button", name="Pay 10.00")).to_be_hidden()
        page.get_by_role("link", name="Back to your account").click()
        expect(page.get_by_text("0.00").first).to_be_visible()
    finally:
        quiet.close()
