"""Fixtures and steps shared by the console's browser tests: the real `openpxs demo`
process the browser tests share (on the test session's database kind), and signing an
operator in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import accessible
from tests.e2e.site_browser import SiteServer

OWNER = ("owner@demo.example", "DemoOwner123!")
CSR = ("csr@demo.example", "DemoCsr123!")


@pytest.fixture(name="database")
def database_fixture(demo_server: SiteServer) -> str:
    return demo_server.database


@pytest.fixture(name="server")
def server_fixture(demo_server: SiteServer) -> str:
    """The demo process the browser tests share (tests/e2e/conftest.py)."""
    return demo_server.url


def sign_in(page: Page, server: str, email: str, password: str) -> None:
    page.goto(f"{server}/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    accessible(page)
    page.get_by_label("Merchant ID").fill("1000")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Guests")).to_be_visible()
