"""Fixtures of every browser test: Debian's chromium, started once per module, and a
fresh page (its own browser context) per test that keeps a screenshot when a step
fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.browser import chromium, screenshot_on_failure


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    with screenshot_on_failure(opened, tmp_path, request.node.name):
        yield opened
    context.close()
