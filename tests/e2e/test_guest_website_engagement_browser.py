"""The guest website's engagement and account pages in a real browser (Debian's chromium
driven by Playwright) against a real `openpxs demo` process: joining a challenge and
seeing the progress a check posted by the POS made, taking the demo survey, combining a
card the guest holds, and a forgotten password reset with a code texted through the
outbox. Every page is scanned with axe-core and must have no serious or critical
violation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select

from openpxs.store.db import create_engine
from openpxs.store.tables import outbox
from tests.api.checks import a_check, item
from tests.api.pos import POS, card, header
from tests.conftest import database_kind, reset
from tests.e2e.browser import accessible
from tests.e2e.server import free_port, start

PASSWORD = "Wonderful42!"
# A loyalty card of the demo's range (registration code 1234) no demo guest holds.
SPARE_CARD = "7000000000000777"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, session_client: TestClient
) -> Iterator[tuple[str, str]]:
    """The demo's address and its database (the outbox is read there: the worker is off,
    so a texted code stays in the message as written)."""
    tmp = tmp_path_factory.mktemp("engagement")
    # On PostgreSQL the demo shares the test session's database, whose own server runs
    # an outbox worker too: it is stopped for the module, or it would send (and empty)
    # the texted code first.
    worker = None
    if database_kind() == "postgresql":
        reset(session_client)  # the session's database, emptied back to the demo
        url = database_url
        worker = session_client.app.state.outbox_worker  # type: ignore[attr-defined]
    else:
        url = f"sqlite:///{tmp / 'site.db'}"
    assert session_client.portal is not None
    if worker is not None:
        session_client.portal.call(worker.stop)
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENPXS_OUTBOX_WORKER", "false")
        process = start(["demo", "--database", url], tmp / "server.log", port)
    try:
        yield f"http://127.0.0.1:{port}", url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if worker is not None:
            session_client.portal.call(worker.start)


def join(page: Page, site: str, username: str, phone: str) -> str:
    """Join on the register page; returns the number of the guest's card."""
    page.goto(f"{site}/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Parks")
    page.get_by_label("E-mail").fill(f"{username}@example.com")
    page.get_by_label("Mobile phone").fill(phone)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Welcome, Rosa")).to_be_visible()
    found = re.search(r"Card (\d+)", page.locator(".card-number").inner_text())
    assert found is not None
    return found.group(1)


def pos(server: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = httpx.post(f"{server}/rest/24.11/{operation}.json", auth=POS, json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def post_check(server: str, number: str, check_number: str) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date().isoformat()
    check = a_check(check_number, item("BURGER", "12.00", "FOOD"), businessDate=today)
    body = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": "1001",
        "agentName": "TestPOS",
        "cardInfo": {"printedCardNumber": number},
        "check": check,
        "integrationIdentifier": "demo-pos",
    }
    assert pos(server, "check/postAndAccruePoints", body)["result"] == "success"


def test_join_a_challenge_and_see_progress_after_a_posted_check(
    server: tuple[str, str], page: Page
) -> None:
    address, _ = server
    site = f"{address}/m/1000/guest"
    number = join(page, site, "challenger", "617-555-0141")
    page.get_by_role("link", name="Challenges").click()
    expect(page.get_by_role("heading", name="Challenges", exact=True)).to_be_visible()
    accessible(page)

    visit3 = page.locator("li.card-item").filter(
        has=page.get_by_role("heading", name="Three visits this week")
    )
    visit3.get_by_role("button", name="Join this challenge").click()
    expect(page.get_by_role("status")).to_contain_text("You joined the challenge")
    accessible(page)

    post_check(address, number, "5001")
    page.reload()
    taking_part = page.locator("section").filter(
        has=page.get_by_role("heading", name="Taking part")
    )
    joined = taking_part.locator("li.card-item").filter(
        has=page.get_by_role("heading", name="Three visits this week")
    )
    expect(joined).to_contain_text("1 of 3 visits")
    expect(joined).to_contain_text("in progress")
    accessible(page)


def test_take_the_demo_survey(server: tuple[str, str], page: Page) -> None:
    address, _ = server
    site = f"{address}/m/1000/guest"
    join(page, site, "surveyor", "617-555-0142")
    page.get_by_role("link", name="Surveys").click()
    accessible(page)
    page.get_by_role("link", name="Tell us about your visit").click()
    expect(page.get_by_text("Reward for answering: 25 bonus points")).to_be_visible()
    accessible(page)

    # The required rating left out: the problem is shown at its question.
    page.get_by_role("checkbox", name="A burger").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#err-RATING")).to_have_text("Answer this question.")
    expect(page.get_by_role("checkbox", name="A burger")).to_be_checked()
    accessible(page)

    page.get_by_role("group", name="How was your visit overall?").get_by_label("4").check()
    page.get_by_label("Anything else we should know?").fill("Lovely patio.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("You earned 25 bonus points.")).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("row", name="Points")).to_contain_text("25")


def test_combine_a_card_one_holds(server: tuple[str, str], page: Page) -> None:
    address, _ = server
    site = f"{address}/m/1000/guest"
    activated = pos(
        address,
        "transaction/activate",
        {
            "headerInfo": header(programId="LP"),
            "cardInfo": card(SPARE_CARD, cardRegCode="1234"),
        },
    )
    assert activated["result"] == "authorizedSuccess", activated
    post_check(address, SPARE_CARD, "5002")  # 12 points on the card

    join(page, site, "combiner", "617-555-0143")
    page.get_by_role("link", name="Combine another card into this account").click()
    accessible(page)
    page.get_by_label("Card number").fill(SPARE_CARD)
    page.get_by_label("Registration code").fill("0000")
    page.get_by_role("button", name="Show what moves").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match a card you can add")
    accessible(page)

    page.get_by_label("Registration code").fill("1234")
    page.get_by_role("button", name="Show what moves").click()
    expect(page.get_by_role("row", name="Points")).to_contain_text("12")
    accessible(page)
    page.get_by_role("button", name="Combine the card").click()
    expect(page.get_by_role("heading", name="Welcome, Rosa")).to_be_visible()
    expect(page.get_by_role("row", name="Points")).to_contain_text("12")


def sent_code(url: str, channel: str, recipient: str) -> str:
    """The reset code in the newest message to ``recipient``, read from the outbox."""

    async def read() -> str:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(outbox.c.body)
                    .where(outbox.c.channel == channel, outbox.c.recipient == recipient)
                    .order_by(outbox.c.id.desc())
                )
                body = str(rows.scalars().first())
        finally:
            await engine.dispose()
        found = re.search(r"reset code: (\S+)", body)
        assert found is not None, body
        return found.group(1)

    # Playwright's sync API keeps an event loop running in this thread: read in another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


@pytest.mark.parametrize(
    ("channel", "choice"),
    [("sms", "Text message to my mobile phone"), ("email", "E-mail")],
)
def test_forgotten_password_reset_with_a_code_sent_by_text_or_mail(
    server: tuple[str, str], page: Page, channel: str, choice: str
) -> None:
    address, url = server
    site = f"{address}/m/1000/guest"
    username, phone = f"forgetful-{channel}", f"617-555-01{45 + len(channel)}"
    join(page, site, username, phone)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    accessible(page)
    page.get_by_label("Username or e-mail address").fill(username)
    page.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status")).to_contain_text("a reset code is on its way")
    accessible(page)

    recipient = phone if channel == "sms" else f"{username}@example.com"
    page.get_by_label("Reset code").fill(sent_code(url, channel, recipient))
    page.get_by_label("New password").fill("Brand-new-pass-77")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password is changed. Sign in with the new one.")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("Brand-new-pass-77")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Rosa")).to_be_visible()
