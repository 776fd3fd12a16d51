"""The program pages in a real browser (Debian's chromium driven by Playwright) against
a real `openpxs demo` process: the demo owner pastes the demo program with its points
per dollar doubled, checks it, sees the change, simulates a check (double under the
draft), applies it and sees the new version and the audit entry; then prints a small
card range. Every page is scanned with axe-core and must have no serious or critical
violation. The shipped demo program is applied again at the end."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.demo import DEMO_URL
from tests.e2e.browser import accessible
from tests.e2e.console_browser import OWNER, database_fixture, server_fixture, sign_in  # noqa: F401
from tests.e2e.server import openpxs_command

DEMO_1000 = Path(DEMO_CONFIG_FILES[0])


@pytest.fixture
def restored(server: str, database: str, tmp_path: Path) -> Iterator[None]:
    """The demo program applied again once the test has changed it, as `openpxs demo`
    installed it: the shipped file with its links at the address the demo is served at
    (the server is shared with other browser tests, whose passes link there)."""
    yield
    served = tmp_path / DEMO_1000.name
    served.write_text(
        DEMO_1000.read_text(encoding="utf-8").replace(DEMO_URL, server), encoding="utf-8"
    )
    done = subprocess.run(
        [*openpxs_command(), "config", "apply", str(served), "--database", database],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def sign_in_owner(page: Page, server: str) -> None:
    sign_in(page, server, *OWNER)


def doubled_points() -> str:
    data = yaml.safe_load(DEMO_1000.read_text(encoding="utf-8"))
    data["loyalty"]["earning"][0]["per_currency"] = 2
    return yaml.safe_dump(data, sort_keys=False)


def test_the_owner_changes_the_program_with_a_diff_and_a_simulation(
    server: str, page: Page, restored: None
) -> None:
    sign_in_owner(page, server)
    page.get_by_role("link", name="Program").click()
    expect(page.get_by_role("heading", name="Program", exact=True)).to_be_visible()
    version = int(page.locator("#live-version").inner_text())
    accessible(page)

    editor = page.get_by_label("Draft program file (YAML)")
    editor.fill(doubled_points().replace("scale: 2", "scale: 12", 1))
    page.get_by_role("button", name="Check", exact=True).click()
    problem = page.locator("tr.problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("wallets[0].scale")
    accessible(page)

    editor.fill(doubled_points())
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_text("No problems: the draft is a valid program.")).to_be_visible()

    page.get_by_label("Store code").fill("1001")
    page.get_by_label(re.compile("^Items, one a line")).fill("BAGEL 20.00")
    page.get_by_role("button", name="Simulate a check").click()
    simulation = page.locator("#simulation")
    expect(simulation.get_by_role("row", name="earned Points (wallet 2)")).to_contain_text("20")
    cells = simulation.get_by_role("row", name="earned Points (wallet 2)").locator("td")
    expect(cells).to_have_text(["20", "40"])
    accessible(page)

    page.get_by_role("button", name="Show changes").click()
    expect(page.get_by_role("heading", name="loyalty")).to_be_visible()
    expect(
        page.get_by_role("cell", name="loyalty.earning[Points per dollar].per_currency")
    ).to_be_visible()
    page.get_by_text("Unified diff of both programs written out in full").click()
    expect(page.locator("pre.unified").first).to_contain_text("+    per_currency: '2'")
    accessible(page)

    page.get_by_label(re.compile("^Comment for the audit")).fill("Double points in December")
    page.get_by_role("button", name=f"Apply to the live program (version {version})").click()
    expect(page.get_by_role("status")).to_have_text(
        f"The draft was applied: the live program is at version {version + 1}."
    )
    expect(page.locator("#live-version")).to_have_text(str(version + 1))
    accessible(page)

    page.get_by_role("link", name="Audit").click()
    entry = page.get_by_role("row", name=re.compile("apply_program"))
    expect(entry).to_contain_text("owner@demo.example")
    expect(entry).to_contain_text("Double points in December")
    expect(entry).to_contain_text(f'"version": {version + 1}')
    accessible(page)


def test_the_owner_downloads_a_print_file(server: str, page: Page) -> None:
    sign_in_owner(page, server)
    page.get_by_role("link", name="Card ranges").click()
    expect(page.get_by_role("heading", name="Card ranges")).to_be_visible()
    accessible(page)
    page.get_by_label("Card template").select_option("1")
    page.get_by_label(re.compile("^First card number")).fill("7400000000000001")
    page.get_by_label(re.compile("^How many cards")).fill("2")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Issue the cards and download the print file").click()
    download = downloading.value
    assert download.suggested_filename == "cards-1000-7400000000000001-7400000000000002.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [r[0] for r in rows[1:]] == ["7400000000000001", "7400000000000002"]
    assert all(len(r[1]) == 6 for r in rows[1:])
    page.get_by_label(re.compile("^How many cards")).fill("0")
    page.get_by_label(re.compile("^How many cards")).evaluate("e => e.removeAttribute('min')")
    page.get_by_role("button", name="Issue the cards and download the print file").click()
    expect(page.get_by_role("alert")).to_contain_text("count")
    accessible(page)
    page.get_by_role("link", name="Audit").click()
    entry = page.get_by_role("row", name=re.compile("print_cards"))
    expect(entry).to_contain_text("7400000000000001-7400000000000002")
    accessible(page)
