"""The guest website's profile, password and add-a-card pages in a real browser (Debian's
chromium driven by Playwright) against a real `openpxs demo` process, each problem shown
next to its field, and each page scanned with axe-core (no serious or critical
violation)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.api.pos import header
from tests.e2e.browser import accessible
from tests.e2e.site_browser import (  # noqa: F401
    PASSWORD,
    POS,
    SiteServer,
    api,
    new_guest,
    server_fixture,
    sign_in,
)

# A demo loyalty card nobody holds yet; activated by the till, its registration code is 1234.
SPARE_CARD = "7000000000000002"


def test_the_profile_page_shows_problems_by_their_fields_and_saves(
    server: SiteServer, page: Page
) -> None:
    new_guest(server, "profiled")
    sign_in(page, server, "profiled")
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Sam")
    accessible(page)

    page.get_by_label("First name").fill("Samira")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#err-email")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    accessible(page)

    page.get_by_label("E-mail").fill("samira@example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Your changes are saved.")
    expect(page.get_by_label("First name")).to_have_value("Samira")
    accessible(page)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Welcome, Samira")).to_be_visible()


def test_the_password_page_changes_the_password(server: SiteServer, page: Page) -> None:
    new_guest(server, "rekeyed")
    sign_in(page, server, "rekeyed")
    page.goto(f"{server.site}/profile")
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    accessible(page)

    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill("Brand-new-42")
    page.get_by_label("New password again").fill("Brand-new-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#err-current_password")).to_have_text("That is not your current password.")
    accessible(page)

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Brand-new-42")
    page.get_by_label("New password again").fill("Brand-new-43")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#err-confirm_password")).to_be_visible()
    accessible(page)

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Brand-new-42")
    page.get_by_label("New password again").fill("Brand-new-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, "rekeyed", "Brand-new-42")
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()


def test_a_card_held_is_added_with_its_registration_code(server: SiteServer, page: Page) -> None:
    activated = api(
        server,
        "transaction/activate",
        {
            "headerInfo": header(programId="LP"),
            "cardInfo": {
                "printedCardNumber": SPARE_CARD,
                "swipeFlag": False,
                "cardRegCode": "1234",
            },
        },
        POS,
    )
    assert activated["result"] == "authorizedSuccess", activated
    new_guest(server, "collector")
    sign_in(page, server, "collector")
    page.get_by_role("link", name="Add a card I hold").click()
    expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
    accessible(page)

    page.get_by_label("Card number").fill(SPARE_CARD)
    page.get_by_label("Registration code").fill("9999")
    page.get_by_role("button", name="Add the card").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match a card you can add")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    accessible(page)

    page.get_by_label("Card number").fill("7000 0000 0000 0002")
    page.get_by_label("Registration code").fill("1234")
    page.get_by_role("button", name="Add the card").click()
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()
    cards = page.get_by_role("region", name="Your cards").get_by_role("listitem")
    expect(cards.filter(has_text=f"Card {SPARE_CARD}")).to_have_count(1)
    accessible(page)
