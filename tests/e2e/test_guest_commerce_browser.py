"""The guest website's purchases and wallet buttons in a real browser (Debian's chromium
driven by Playwright) against a real `openpxs demo` process: a reload paid on the test
processor's checkout page with an approving test card shows the new balance, an eGift
is bought, and the account page's wallet buttons answer the card's passes. Every new
page is scanned with axe-core and must have no serious or critical violation."""

from __future__ import annotations

import base64
import json

from playwright.sync_api import Page, expect

from tests.e2e.browser import accessible
from tests.e2e.site_browser import (  # noqa: F401
    SiteServer,
    new_guest,
    server_fixture,
    sign_in,
)


def pay_with_the_approving_card(page: Page, amount: str) -> None:
    expect(page.get_by_role("heading", name="Pay with the test processor")).to_be_visible()
    accessible(page)
    page.get_by_label("Approved (tok_visa)").check()
    page.get_by_role("button", name=f"Pay {amount}").click()


def test_a_reload_paid_on_the_checkout_page_shows_the_new_balance(
    server: SiteServer, page: Page
) -> None:
    card = new_guest(server, "reloader", verified=True)
    sign_in(page, server, "reloader")
    page.get_by_role("link", name="Reload a card").click()
    expect(page.get_by_role("heading", name="Reload a card")).to_be_visible()
    accessible(page)
    page.get_by_label("Amount").fill("1000")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an amount within the limits")
    accessible(page)

    expect(page.get_by_label("Card", exact=True)).to_have_value(card)
    page.get_by_label("Amount").fill("25.00")
    page.get_by_role("button", name="Continue to payment").click()
    pay_with_the_approving_card(page, "25.00")
    expect(page.get_by_role("heading", name="Card reloaded")).to_be_visible()
    expect(page.get_by_text("New balance: 25.00")).to_be_visible()
    assert "/m/1000/guest/reload/done?ref=" in page.url
    accessible(page)
    # Reloading the return page charges nothing more.
    page.reload()
    expect(page.get_by_text("New balance: 25.00")).to_be_visible()
    page.get_by_role("link", name="Back to your account").click()
    expect(page.get_by_role("cell", name="25.00")).to_be_visible()


def test_a_declined_card_leaves_the_reload_unpaid(server: SiteServer, page: Page) -> None:
    new_guest(server, "declined", verified=True)
    sign_in(page, server, "declined")
    page.goto(f"{server.site}/reload")
    page.get_by_label("Amount").fill("10")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Declined (tok_decline)").check()
    page.get_by_role("button", name="Pay 10.00").click()
    expect(page.get_by_role("alert")).to_contain_text("The card was declined")
    page.get_by_role("link", name="Return to the shop").click()
    expect(page.get_by_role("heading", name="Reload not completed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("nothing was charged")
    accessible(page)


def test_an_egift_is_bought(server: SiteServer, page: Page) -> None:
    new_guest(server, "giver")
    sign_in(page, server, "giver")
    page.get_by_role("link", name="Buy an eGift").click()
    expect(page.get_by_role("heading", name="Buy an eGift")).to_be_visible()
    accessible(page)
    page.get_by_label("Amount").fill("30")
    page.get_by_label("Thank You").check()
    page.get_by_label("Recipient's name").fill("Grace")
    page.get_by_label("Recipient's e-mail address").fill("not-an-address")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Check the recipient")
    expect(page.get_by_label("Recipient's name")).to_have_value("Grace")
    accessible(page)

    page.get_by_label("Recipient's e-mail address").fill("grace@example.com")
    page.get_by_label("Message (optional)").fill("Thank you for everything!")
    page.get_by_role("button", name="Continue to payment").click()
    pay_with_the_approving_card(page, "30.00")
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Your eGift of 30.00 is on its way to grace@example.com."
    )
    expect(page.get_by_text("Order number: S")).to_be_visible()
    accessible(page)


def test_the_wallet_buttons_answer_the_cards_passes(server: SiteServer, page: Page) -> None:
    card = new_guest(server, "walleter")
    sign_in(page, server, "walleter")
    accessible(page)
    apple = page.get_by_role("link", name="Add to Apple Wallet")
    google = page.get_by_role("link", name="Save to Google Wallet")
    expect(apple).to_be_visible()
    expect(google).to_be_visible()

    # The browser's own session follows each button, as a tap on a phone would.
    apple_href = apple.get_attribute("href")
    assert apple_href is not None
    sent = page.request.get(f"{server.url}{apple_href}", max_redirects=0)
    assert sent.status == 303
    download = sent.headers["location"]
    assert download.startswith(f"{server.url}/passkit/download/"), download
    got = page.request.get(download)
    assert got.ok and got.headers["content-type"] == "application/vnd.apple.pkpass"
    assert got.body()[:2] == b"PK"  # a zip: the signed pass bundle

    google_href = google.get_attribute("href")
    assert google_href is not None
    saved = page.request.get(f"{server.url}{google_href}", max_redirects=0)
    assert saved.status == 303
    location = saved.headers["location"]
    assert location.startswith("https://pay.google.com/gp/v/save/"), location
    claims = location.rsplit("/", 1)[1].split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert payload["payload"]["loyaltyObjects"][0]["accountId"] == card

    # Another guest's card gets no pass.
    theirs = page.request.get(f"{server.site}/wallet/apple?card=7000000000000001", max_redirects=0)
    assert theirs.status == 404
