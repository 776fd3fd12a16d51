"""Fixtures and steps shared by the guest website's browser tests: the real `openpxs demo`
process the browser tests share (on the test session's database kind) and guests made
through the API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page
from sqlalchemy import update

from openpxs.store.db import create_engine
from openpxs.store.tables import users
from tests.conftest import database_kind, reset
from tests.e2e.server import free_port, start

APP = ("demo-app", "demo-app-secret")
POS = ("demo-pos", "demo-pos-secret")
PASSWORD = "Wonderful42!"


@contextmanager
def running_site(command: str, database: str, log: Path) -> Iterator[SiteServer]:
    """``openpxs <command>`` (demo or serve) on ``database``, on a port of its own."""
    port = free_port()
    process = start([command, "--database", database], log, port)
    try:
        yield SiteServer(f"http://127.0.0.1:{port}", database)
    finally:
        process.terminate()
        process.wait(timeout=30)


def server_database(tmp: Path, database_url: str, session_client: TestClient) -> str:
    """The database a demo server of the browser tests runs on: on PostgreSQL the test
    session's, emptied back to the demo first; on SQLite a file of its own in ``tmp``."""
    if database_kind() == "postgresql":
        reset(session_client)
        return database_url
    return f"sqlite:///{tmp / 'site.db'}"


@dataclass(frozen=True)
class SiteServer:
    url: str
    database: str

    @property
    def site(self) -> str:
        return f"{self.url}/m/1000/guest"


@pytest.fixture(name="server")
def server_fixture(demo_server: SiteServer) -> SiteServer:
    """The demo process the browser tests share (tests/e2e/conftest.py)."""
    return demo_server


def api(server: SiteServer, path: str, body: dict[str, Any], auth: tuple[str, str]) -> Any:
    reply = httpx.post(f"{server.url}/rest/24.11/{path}.json", auth=auth, json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def new_guest(server: SiteServer, username: str, *, verified: bool = False) -> str:
    """Enrol a guest on a new loyalty card through the API; their card number."""
    created = api(
        server,
        "enrollment/createAndRegister",
        {
            "merchantId": 1000,
            "authentication": "anonymous",
            "cardTemplateCode": 1,
            "setUserFields": {
                "style": "typed",
                "username": [username],
                "password": [PASSWORD],
                "firstName": ["Sam"],
                "lastName": ["Oh"],
                "email": [f"{username}@example.com"],
            },
            "setAccountFields": {"style": "typed"},
        },
        APP,
    )
    assert created["result"] == "cardCreatedSuccess", created
    if verified:
        verify_email(server, username)
    return str(created["printedCardNumber"])


def verify_email(server: SiteServer, username: str) -> None:
    """Mark the guest's e-mail address verified, as the code sent to it would."""

    async def work() -> None:
        engine = create_engine(server.database)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    update(users).where(users.c.username == username).values(email_verified=True)
                )
        finally:
            await engine.dispose()

    # In a thread of its own: the browser driver keeps an event loop on this one.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, work()).result()


def sign_in(page: Page, server: SiteServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.site}/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.site}/account")
