"""Driving Debian's chromium with Playwright (never a downloaded browser), and scanning
pages with axe-core from npm (package.json)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The axe-core impacts the pages must be free of.
BLOCKING = ("serious", "critical")
_VIOLATIONS = """async (blocking) => {
    const found = await axe.run(document, {resultTypes: ["violations"]});
    return found.violations
        .filter(v => blocking.includes(v.impact))
        .map(v => `${v.id} (${v.impact}): ${v.help} at `
            + v.nodes.map(n => n.target.join(" ")).join(", "));
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    playwright: Playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def screenshot_on_failure(page: Page, directory: Path, name: str) -> Iterator[None]:
    """Keep a picture of the page where a step failed, named in the failure."""
    try:
        yield
    except BaseException as failure:
        shot = directory / f"{name}-failure.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
        except Exception:  # the page itself may be what broke
            raise failure from None
        raise AssertionError(f"{failure} (screenshot: {shot}, at {page.url})") from failure


def accessibility_problems(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now. The
    checker is evaluated by the driver, not added as a script tag, so the site's
    Content-Security-Policy (no scripts at all) stays as it is served."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    problems: list[str] = page.evaluate(_VIOLATIONS, list(BLOCKING))
    return problems


def accessible(page: Page) -> None:
    """Fails with the page's serious and critical axe-core violations, if it has any."""
    assert accessibility_problems(page) == [], page.url
