"""The console's reports in a real browser (Debian's chromium driven by Playwright)
against a real `openpxs demo` process: an analyst (added with the CLI) reads the
stored-value liability after a POS sale, sees its chart and its table, narrows the
period and the store, and downloads the CSV, whose last row is the page's total. Every
report page is scanned with axe-core (no serious or critical violation) and none breaks
the Content-Security-Policy."""

from __future__ import annotations

import csv
import re
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.sync_api import ConsoleMessage, Page, expect

from openpxs.domain.clock import local_date
from tests.api.pos import GIFT, POS, sell_body
from tests.e2e.browser import accessible
from tests.e2e.console_browser import database_fixture, server_fixture, sign_in  # noqa: F401
from tests.e2e.server import openpxs_command

ANALYST = ("finance@demo.example", "Finance1234!")
ZONE = "America/New_York"  # the demo merchant's
REPORTS = (
    "Stored-value liability",
    "Points liability",
    "Accrual and redemption",
    "Enrollments",
    "Challenge completions",
)


def outstanding(page: Page) -> str:
    row = page.get_by_role("row", name=re.compile(r"wallet 1\): outstanding at the end"))
    return row.locator("td").inner_text()


def liability(page: Page, server: str, query: str = "") -> Decimal:
    """The stored-value liability outstanding today, as the report page shows it."""
    page.goto(f"{server}/console/reports/liability{query}")
    expect(page.get_by_role("heading", name="Stored-value liability")).to_be_visible()
    return Decimal(outstanding(page))


def test_an_analyst_reads_the_liability_and_downloads_it(
    server: str, database: str, page: Page, tmp_path: Path
) -> None:
    blocked: list[str] = []

    def policy(message: ConsoleMessage) -> None:
        # axe-core fetches the stylesheet again to read it, which the policy refuses:
        # that is the checker's request, not the page's.
        if "Content Security Policy" in message.text and "console.css" not in message.text:
            blocked.append(message.text)

    page.on("console", policy)
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
    # The demo server is shared with other browser tests, which may have sold stored
    # value too: the liability this sale adds is what the page must show.
    sign_in(page, server, *ANALYST)
    before = liability(page, server)
    before_at_store = liability(page, server, "?store=1001")
    sold = httpx.post(
        f"{server}/rest/24.11/transaction/activateAdd.json",
        json=sell_body(GIFT, "42.50", "reports-1"),
        auth=POS,
        timeout=30,
    )
    assert sold.json()["result"] == "authorizedSuccess", sold.text

    page.goto(f"{server}/console/")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    accessible(page)
    page.get_by_role("link", name="Stored-value liability").first.click()
    expect(page.get_by_role("heading", name="Stored-value liability")).to_be_visible()
    expect(page.get_by_role("img", name="Stored-value liability")).to_be_visible()
    data = page.get_by_role("table", name=re.compile("^Stored-value liability from"))
    expect(data).to_be_visible()
    expect(data.locator("tbody tr")).to_have_count(30)
    accessible(page)
    total = outstanding(page)
    assert Decimal(total) - before == Decimal("42.50"), (before, total)

    today = local_date(datetime.now(UTC), ZONE)
    page.get_by_label("From (YYYY-MM-DD)").fill((today - timedelta(days=6)).isoformat())
    page.get_by_label("Store", exact=True).select_option("1001")
    page.get_by_role("button", name="Show").click()
    expect(data).to_contain_text(today.isoformat())
    expect(data.locator("tbody tr")).to_have_count(7)
    assert "store=1001" in page.url
    at_store = outstanding(page)
    assert Decimal(at_store) - before_at_store == Decimal("42.50"), (before_at_store, at_store)
    accessible(page)

    with page.expect_download() as started:
        page.get_by_role("link", name="Download CSV").click()
    download = started.value
    assert download.suggested_filename == (
        f"liability-1000-{today - timedelta(days=6)}-{today}-store-1001.csv"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0][:3] == ["day", "wallet", "outstanding"]
    assert len(rows) == 1 + 7
    assert rows[-1][:3] == [today.isoformat(), "1", at_store]

    for name in REPORTS[1:]:
        page.get_by_role("navigation", name="Reports").get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        expect(page.locator('svg[role="img"]')).to_be_visible()
        accessible(page)

    page.goto(f"{server}/console/reports/activity?from=2026-05-02&to=2026-05-01")
    expect(page.get_by_text("ends (2026-05-01) before it starts")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("could not be made")
    accessible(page)
    assert blocked == [], "\n".join(blocked)
