"""The console's outbox, health and audit pages in a real browser (Debian's chromium
driven by Playwright) against a real `openpxs demo` process: the owner retries a
given-up webhook delivery and finds the retry and their own sign-in in the audit; a CSR
reads the health page and is refused the outbox. Every page is scanned with axe-core
and must have no serious or critical violation."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from openpxs.store.db import create_engine
from openpxs.store.repositories.outbox import OutgoingMessage
from openpxs.store.uow import unit_of_work
from tests.conftest import database_kind
from tests.e2e.browser import accessible
from tests.e2e.console_browser import CSR, OWNER, database_fixture, server_fixture, sign_in  # noqa: F401


def given_up_webhook(database: str) -> int:
    """A webhook delivery of merchant 1000 given up, as the worker leaves one."""

    async def add() -> int:
        engine = create_engine(database)
        try:
            now = datetime.now(UTC)
            async with unit_of_work(engine) as uow:
                ident = await uow.outbox.add(
                    merchant_id=1000,
                    channel="webhook",
                    recipient="crm",
                    subject="value.moved",
                    body='{"id":"evt_browser"}',
                    now=now,
                )
                message = OutgoingMessage(ident, 1000, "webhook", "crm", None, "{}")
                await uow.outbox.record_failure(
                    message, error="receiver answered 410", now=now, give_up=True, retry_at=now
                )
            return ident
        finally:
            await engine.dispose()

    # Playwright's sync API runs an event loop in this thread: write from another.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, add()).result()


def test_an_owner_retries_a_failed_delivery_and_sees_it_audited(
    server: str, database: str, page: Page
) -> None:
    ident = given_up_webhook(database)
    sign_in(page, server, *OWNER)
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(rf"^{ident} webhook"))
    expect(row).to_contain_text("receiver answered 410")
    expect(page.get_by_text("evt_browser")).to_have_count(0)
    accessible(page)
    page.get_by_role("button", name=f"Retry message {ident}").click()
    expect(page.get_by_role("status")).to_contain_text("due again")
    accessible(page)

    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit")).to_be_visible()
    retry = page.get_by_role("row", name=re.compile("outbox_retry"))
    expect(retry).to_contain_text(f"[{ident}]")
    expect(retry).to_contain_text("owner@demo.example")
    signed_in = page.get_by_role("row", name=re.compile(r"owner@demo\.example sign_in "))
    expect(signed_in.first).to_be_visible()
    expect(page.get_by_text(OWNER[1])).to_have_count(0)
    accessible(page)

    page.get_by_role("link", name="Health").click()
    expect(page.get_by_role("heading", name="Health")).to_be_visible()
    expect(page.locator("#schema-state")).to_have_text("up to date")
    expect(page.locator("#worker-state")).to_have_text("running")
    accessible(page)


def test_a_csr_reads_health_but_not_the_outbox(server: str, page: Page) -> None:
    sign_in(page, server, *CSR)
    expect(page.get_by_role("link", name="Outbox")).to_have_count(0)
    page.get_by_role("link", name="Health").click()
    expect(page.locator("#database-kind")).to_have_text(database_kind())
    accessible(page)
    page.goto(f"{server}/console/outbox")
    expect(page.get_by_role("alert")).to_contain_text("Your role (csr) does not allow this.")
    accessible(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    accessible(page)
