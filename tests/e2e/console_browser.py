"""Fixtures and steps shared by the console's browser tests: a real `openpxs demo`
process on the test session's database kind, and signing an operator in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.conftest import database_kind, reset
from tests.e2e.browser import accessible
from tests.e2e.server import free_port, start

OWNER = ("owner@demo.example", "DemoOwner123!")
CSR = ("csr@demo.example", "DemoCsr123!")


@pytest.fixture(name="database", scope="module")
def database_fixture(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, session_client: TestClient
) -> str:
    if database_kind() == "postgresql":
        reset(session_client)  # the session's database, emptied back to the demo
        return database_url
    return f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.db'}"


@pytest.fixture(name="server", scope="module")
def server_fixture(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("console-server")
    port = free_port()
    process = start(["demo", "--database", database], tmp / "server.log", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def sign_in(page: Page, server: str, email: str, password: str) -> None:
    page.goto(f"{server}/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    accessible(page)
    page.get_by_label("Merchant ID").fill("1000")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Guests")).to_be_visible()
