"""The flows of flows.yaml the guest website serves that no other browser test runs, in
a real browser (Debian's chromium driven by Playwright) against a real `openpxs demo`
process: registering a card one holds, the account page's balances with expirations
and progress, changing the username, a session that ends, and a guest who joined on
the site reached by the Direct SSO calls. Every page is scanned with axe-core (no
serious or critical violation)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from openpxs.store.db import create_engine
from openpxs.store.tables import oauth_tokens, users
from tests.api.pos import add_redeem_body
from tests.e2e.browser import accessible
from tests.e2e.site_browser import (  # noqa: F401
    APP,
    PASSWORD,
    POS,
    SiteServer,
    api,
    new_guest,
    server_fixture,
    sign_in,
)

# Demo loyalty cards nobody holds yet (registration code 1234), still inactive.
HELD_CARD = "7000000000000011"


def fill_guest(page: Page, username: str, email: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("First name").fill("Lina")
    page.get_by_label("Last name").fill("Bo")
    page.get_by_label("E-mail").fill(email)


def test_register_a_card_one_holds(server: SiteServer, page: Page) -> None:
    page.goto(f"{server.site}/signin")
    page.get_by_role("link", name="Join with the card you hold").click()
    expect(page.get_by_role("heading", name="Join with your card")).to_be_visible()
    accessible(page)

    page.get_by_label("Card number").fill(HELD_CARD)
    page.get_by_label("Registration code").fill("9999")
    fill_guest(page, "lina", "lina@example.com")
    page.get_by_role("button", name="Join with this card").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match a card that can be registered")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("First name")).to_have_value("Lina")
    accessible(page)

    page.get_by_label("Registration code").fill("1234")
    page.get_by_label("Password").fill("short")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Join with this card").click()
    expect(page.locator("#err-email")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    accessible(page)

    page.get_by_label("Registration code").fill("1234")
    fill_guest(page, "lina", "lina@example.com")
    page.get_by_role("button", name="Join with this card").click()
    expect(page.get_by_role("heading", name="Welcome, Lina")).to_be_visible()
    expect(page.get_by_text(f"Card {HELD_CARD}").first).to_be_visible()
    accessible(page)


def test_the_account_shows_expirations_and_what_the_next_reward_and_tier_take(
    server: SiteServer, page: Page
) -> None:
    card = new_guest(server, "saver")
    day = date.today() + timedelta(days=20)
    expiring = {"expiration": {"date": day.isoformat(), "type": "absolute"}}
    for add in (
        [{"walletCode": 2, "quantity": 40}],
        [{"walletCode": 2, "quantity": 25, **expiring}],
        [{"walletCode": 3, "quantity": 1, **expiring}],
    ):
        added = api(server, "transaction/addRedeem", add_redeem_body(card, add, program="LP"), POS)
        assert added["result"] == "authorizedSuccess", added
    sign_in(page, server, "saver")
    when = f"{day.day} {day:%B %Y}"
    points = page.get_by_role("row", name="Points")
    expect(points).to_contain_text(f"25 at the end of {when}")
    rewards = page.get_by_role("region", name="Rewards")
    expect(rewards).to_contain_text(f"1 of them expire at the end of {when}")
    expect(rewards).to_contain_text("35 more Points to your next $5 Reward (65 of 100).")
    tier = page.get_by_role("region", name="Tier")
    expect(tier).to_contain_text("Next tier: Gold.")
    expect(tier).to_contain_text("65 of 500 Points earned in the last 365 days")
    accessible(page)


def test_change_the_username(server: SiteServer, page: Page) -> None:
    new_guest(server, "oldname")
    new_guest(server, "takenname")
    sign_in(page, server, "oldname")
    page.goto(f"{server.site}/profile")
    page.get_by_role("link", name="Change your username").click()
    expect(page.get_by_text("Your username is oldname.")).to_be_visible()
    accessible(page)

    page.get_by_label("New username").fill("takenname")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change username").click()
    expect(page.locator("#err-new_username")).to_be_visible()
    expect(page.get_by_label("New username")).to_have_attribute("aria-invalid", "true")
    accessible(page)

    page.get_by_label("New username").fill("newname")
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_role("button", name="Change username").click()
    expect(page.locator("#err-current_password")).to_have_text("That is not your current password.")
    accessible(page)

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change username").click()
    expect(page.get_by_role("status")).to_contain_text("Your username is changed.")
    accessible(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, "newname")
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()


def end_sessions(server: SiteServer, username: str) -> None:
    """Make every access token of the guest expired, as 30 minutes would."""

    async def work() -> None:
        engine = create_engine(server.database)
        try:
            async with engine.begin() as conn:
                user_id = (
                    await conn.execute(select(users.c.id).where(users.c.username == username))
                ).scalar_one()
                await conn.execute(
                    update(oauth_tokens)
                    .where(oauth_tokens.c.user_id == user_id)
                    .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
                )
        finally:
            await engine.dispose()

    # In a thread of its own: the browser driver keeps an event loop on this one.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, work()).result()


def test_an_ended_session_sends_the_guest_to_sign_in(server: SiteServer, page: Page) -> None:
    new_guest(server, "sleeper")
    sign_in(page, server, "sleeper")
    page.goto(f"{server.site}/profile")
    page.get_by_label("First name").fill("Late")
    end_sessions(server, "sleeper")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{server.site}/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    accessible(page)
    page.goto(f"{server.site}/account")
    expect(page).to_have_url(f"{server.site}/signin")
    sign_in(page, server, "sleeper")
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()  # not "Late"


def test_a_guest_who_joined_on_the_site_is_reached_by_direct_sso(
    server: SiteServer, page: Page
) -> None:
    page.goto(f"{server.site}/register")
    fill_guest(page, "direct", "direct@example.com")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Welcome, Lina")).to_be_visible()
    card = page.locator(".card-number").inner_text().removeprefix("Card ")

    # Direct SSO (B2B back end): the integrator's server checks the password.
    found = api(
        server,
        "guestauthentication/authenticateGuest",
        {"merchantId": 1000, "authentication": "b2b", "username": "direct", "password": PASSWORD},
        POS,
    )
    assert found["result"] == "authenticatedSuccess", found
    assert found["primaryPrintedCardNumber"] == card
    # Direct SSO (mobile app): the app signs in with the password grant, then reads the
    # balances and the user's information the site shows.
    tokens = api(
        server,
        "oauth/requestGuestToken",
        {
            "merchantId": 1000,
            "grant_type": "password",
            "username": "direct",
            "password": PASSWORD,
        },
        APP,
    )
    token = {"authentication": "oauth", "access_token": tokens["access_token"]}
    info = httpx.get(
        f"{server.url}/rest/24.11/guest/userInformation.json",
        params={"merchantId": 1000, **token},
        timeout=30,
    ).json()
    assert info["fields"]["firstName"] == "Lina"
    assert info["primaryCardNumbers"] == [card]
