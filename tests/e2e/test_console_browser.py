"""The operator console in a real browser (Debian's chromium driven by Playwright)
against a real `openpxs demo` process: the demo CSR finds the demo guest, reads why the
balance is what it is, adjusts it with a comment and sees the audit entry; an analyst
(added with the CLI) is refused the adjustment and nothing changes; the owner erases the
guest and the ledger still audits clean. Every page is scanned with axe-core and must
have no serious or critical violation."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Page, expect

from tests.e2e.browser import accessible
from tests.e2e.console_browser import database_fixture, server_fixture, sign_in  # noqa: F401
from tests.e2e.server import openpxs_command

ANALYST = ("analyst@demo.example", "Analyst1234!")


def open_demo_guest(page: Page) -> None:
    page.get_by_label("Card number, e-mail, phone, name or account id").fill("demo@example.com")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="7000000000000001")).to_be_visible()
    accessible(page)
    page.get_by_role("link", name=re.compile(r"^Account \d+$")).click()
    expect(page.get_by_role("heading", name="Demo Guest")).to_be_visible()


def points(page: Page) -> str:
    return page.get_by_role("row", name=re.compile("^Points")).first.locator("td").inner_text()


def test_a_csr_adjusts_the_demo_guest_and_sees_the_audit_entry(server: str, page: Page) -> None:
    page.goto(f"{server}/console/")
    accessible(page)
    page.get_by_label("Merchant ID").fill("1000")
    page.get_by_label("E-mail").fill("csr@demo.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match an operator")
    accessible(page)

    sign_in(page, server, "csr@demo.example", "DemoCsr123!")
    accessible(page)
    open_demo_guest(page)
    accessible(page)
    assert points(page) == "120"
    history = page.locator("table.history")
    expect(history).to_contain_text("Points: -30 → 120")
    expect(history).to_contain_text("Value added or redeemed at the POS.")

    page.get_by_label("Wallet").select_option(label="Points")
    page.get_by_label("Add", exact=True).check()
    page.get_by_label("Quantity").fill("25")
    page.get_by_label("Comment (required)").first.fill("Visit on 1 Dec was not credited")
    page.get_by_role("button", name="Adjust").click()
    expect(page.get_by_role("status")).to_have_text("The wallet was adjusted.")
    assert points(page) == "145"
    expect(history).to_contain_text("csr@demo.example said: “Visit on 1 Dec was not credited”")
    actions = page.get_by_role("heading", name="Operator actions on this guest")
    expect(actions).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit")).to_be_visible()
    entry = page.get_by_role("row", name=re.compile("adjust_wallet"))
    expect(entry).to_contain_text("csr@demo.example")
    expect(entry).to_contain_text("Visit on 1 Dec was not credited")
    expect(entry).to_contain_text('"balance": "145"')
    accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(f"{server}/console/guests")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_analyst_cannot_adjust(server: str, database: str, page: Page) -> None:
    added = subprocess.run(
        [
            *openpxs_command(), "operators", "add", "--email", ANALYST[0], "--merchant",
            "1000", "--role", "analyst", "--password", ANALYST[1], "--database", database,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    sign_in(page, server, *ANALYST)
    open_demo_guest(page)
    before = points(page)
    expect(page.get_by_role("heading", name="Adjust a wallet")).to_have_count(0)
    accessible(page)

    account_url = page.url
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    refused = page.request.post(
        f"{account_url}/adjust",
        form={
            "csrf_token": token,
            "wallet": "2",
            "activity": "ADD",
            "quantity": "1000",
            "comment": "not allowed",
        },
        max_redirects=0,
    )
    assert refused.status == 403
    assert "does not allow this" in refused.text()

    page.goto(f"{account_url}/adjust")
    expect(page.get_by_role("alert")).to_contain_text(
        "Your role (analyst) does not allow this. Nothing was changed."
    )
    accessible(page)
    page.goto(account_url)
    assert points(page) == before
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("row", name=re.compile("not allowed"))).to_have_count(0)
    accessible(page)


def test_an_owner_erases_the_demo_guest_and_the_ledger_audits_clean(
    server: str, database: str, page: Page
) -> None:
    sign_in(page, server, "owner@demo.example", "DemoOwner123!")
    open_demo_guest(page)
    expect(page.get_by_role("heading", name="Privacy requests")).to_be_visible()
    expect(page.get_by_role("heading", name="Merge accounts")).to_be_visible()
    accessible(page)
    before = points(page)
    page.get_by_label("Type erase to confirm").fill("erase")
    page.get_by_label("Comment (required)").last.fill("Privacy request 7")
    page.get_by_role("button", name="Erase the guest").click()
    expect(page.get_by_role("status")).to_contain_text("personal data was erased")
    expect(page.get_by_role("heading", name=re.compile(r"not registered"))).to_be_visible()
    assert points(page) == before
    expect(page.get_by_text("demo@example.com")).to_have_count(0)
    accessible(page)
    audited = subprocess.run(
        [*openpxs_command(), "audit", "--database", database],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    page.get_by_role("link", name="Operators").click()
    expect(page.get_by_role("heading", name="Operators")).to_be_visible()
    expect(page.get_by_role("cell", name="csr@demo.example", exact=True)).to_be_visible()
    accessible(page)
    page.goto(f"{server}/console/no-such-page")
    expect(page.get_by_role("alert")).to_have_text("There is no such page.")
    accessible(page)
