"""The guest website's challenges page over HTTP: what the guest may join, joining
(with a charity where the challenge donates), and progress from posted checks, as the
Challenge Service answers them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.checks import a_check, item, post_check
from tests.api.guests import enroll
from tests.api.test_group_challenges import challenge as group_challenge
from tests.api.test_group_challenges import join as join_group
from tests.api.test_group_challenges import social
from tests.web.site import SITE, sign_in, submit

# A Wednesday in the demo's VISIT3 week of Monday 8 March 2027 (America/New_York).
WEDNESDAY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def site(client: TestClient, clock: ShiftedClock) -> Iterator[tuple[TestClient, str]]:
    """A browser signed in as ada; the card of her account."""
    clock.offset = WEDNESDAY - datetime.now(UTC)
    client.cookies.clear()
    number: str = enroll(client, "ada")["printedCardNumber"]
    sign_in(client)
    yield client, number
    client.cookies.clear()


def section(html: str, title: str) -> str:
    """The text of the page's section headed ``title`` (up to the next h2)."""
    found = re.search(rf"<h2 [^>]*>{re.escape(title)}</h2>(.*?)(?=<h2 |</main>)", html, re.S)
    assert found, html
    return found.group(1)


def join(client: TestClient, code: str, **extra: str) -> tuple[int, str]:
    reply = submit(client, "challenges/join", {"challenge": code, **extra}, page="challenges")
    return reply.status_code, reply.headers.get("location", reply.text)


def visit(client: TestClient, card: str, number: str) -> None:
    reply = post_check(client, card, a_check(number, item("BURGER", "12.00", "FOOD")))
    assert reply["result"] == "success", reply


def test_joining_a_challenge_and_seeing_progress_after_a_visit(
    site: tuple[TestClient, str],
) -> None:
    client, card = site
    page = client.get(f"{SITE}/challenges").text
    assert "Three visits this week" in section(page, "You can join")
    # The automatic challenge runs without joining; its progress is text, not only a bar.
    assert "Points sprint" in section(page, "Taking part")
    assert "0 of 200 points" in section(page, "Taking part")
    assert "From 8 March 2027 to 15 March 2027" in page

    assert join(client, "VISIT3") == (303, f"{SITE}/challenges?joined=1")
    visit(client, card, "1001")
    page = client.get(f"{SITE}/challenges?joined=1").text
    assert "You joined the challenge" in page
    taking_part = section(page, "Taking part")
    assert "Three visits this week" in taking_part and "1 of 3 visits" in taking_part
    assert "in progress" in taking_part and "Reward: $5 Reward" in taking_part
    assert "Three visits this week" not in section(page, "You can join")

    status, text = join(client, "VISIT3")
    assert status == 400 and "already taking part" in text


def test_a_donating_challenge_needs_one_of_its_charities(site: tuple[TestClient, str]) -> None:
    client, _ = site
    page = client.get(f"{SITE}/challenges").text
    assert "<legend>Choose the charity Feast for a cause donates to</legend>" in page
    status, text = join(client, "FEAST50")
    assert status == 400 and "Choose one of the charities" in text
    assert 'aria-describedby="join-error"' in text
    assert join(client, "FEAST50", charity="NOT-A-CHARITY")[0] == 400
    assert join(client, "FEAST50", charity="FOODBANK") == (303, f"{SITE}/challenges?joined=1")
    assert "Feast for a cause" in section(client.get(f"{SITE}/challenges").text, "Taking part")


def test_challenges_that_cannot_be_joined_are_refused(site: tuple[TestClient, str]) -> None:
    client, _ = site
    for code in ("NOPE", "TEAM10", "POINTS200", ""):
        status, text = join(client, code)
        assert status in (400,), (code, text)
        assert 'role="alert"' in text


def test_the_page_and_its_form_need_a_session_and_a_csrf_token(
    site: tuple[TestClient, str],
) -> None:
    client, _ = site
    client.get(f"{SITE}/challenges")
    forged = client.post(
        f"{SITE}/challenges/join", data={"challenge": "VISIT3"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "Three visits this week" in section(
        client.get(f"{SITE}/challenges").text, "You can join"
    )
    client.cookies.delete("pxs_session", path=f"{SITE}/")
    away = client.get(f"{SITE}/challenges", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin"
    assert join(client, "VISIT3") == (303, f"{SITE}/signin")


def test_the_guest_sees_their_groups_progress_read_only(site: tuple[TestClient, str]) -> None:
    client, card = site
    bob_card: str = enroll(client, "bob")["printedCardNumber"]
    made = social(client, "createGroup", username="ada", name="Lunch Club")
    group: int = made["group"]["groupCode"]
    join_group(client, group, "bob")
    # Not in a group challenge yet: no section for the group.
    assert "Your group Lunch Club" not in client.get(f"{SITE}/challenges").text
    joined = group_challenge(
        client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10"
    )
    assert joined["result"] == "success", joined
    visit(client, card, "1101")
    visit(client, bob_card, "1102")
    page = client.get(f"{SITE}/challenges").text
    together = section(page, "Your group Lunch Club")
    assert "Ten visits together" in together and "2 of 10 visits" in together
    assert "<form" not in together  # the group's owner or an admin opts it in or out, in the app
