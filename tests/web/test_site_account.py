"""The account page of the guest website, over HTTP: each wallet's value with the days
it expires, rewards with theirs, and how far the next reward and the next tier are, in
words (a bar beside a number is decoration)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock, local_date
from tests.api.checks import a_check, item, post_check
from tests.api.pos import LOYALTY, add_redeem, ok, sv
from tests.web.site import SITE, sign_in
from tests.web.test_site_register_card import NEW_PASSWORD, guest, join

ZONE = "America/New_York"


def joined_with_card(client: TestClient) -> None:
    assert join(client, LOYALTY, "1234", guest()).status_code == 303


def on(day: date) -> dict[str, object]:
    return {"expiration": {"date": day.isoformat(), "type": "absolute"}}


def words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_a_new_account_shows_what_the_next_reward_and_tier_take(site: TestClient) -> None:
    joined_with_card(site)
    page = site.get(f"{SITE}/account").text
    assert "No rewards yet" in page
    assert "100 more Points to your next $5 Reward (0 of 100)." in page
    assert "Next tier: Gold." in page
    assert "0 of 500 Points earned in the last 365 days" in page
    assert page.count("Does not expire") >= 2  # one per wallet holding nothing


def test_value_and_rewards_show_the_days_they_expire(site: TestClient, clock: ShiftedClock) -> None:
    joined_with_card(site)
    today = local_date(clock.now(), ZONE)
    soon, later = today + timedelta(days=10), today + timedelta(days=40)
    ok(add_redeem(site, LOYALTY, add=sv(40, 2), program="LP"))
    ok(add_redeem(site, LOYALTY, add=sv(30, 2, **on(soon)), program="LP"))
    ok(add_redeem(site, LOYALTY, add=sv(2, 3, **on(later)) + sv(1, 3, **on(soon)), program="LP"))
    page = site.get(f"{SITE}/account").text
    assert f"30 at the end of {words(soon)}" in page  # the points that lapse
    assert "3 \u00d7 $5 Reward" in page
    assert f"1 of them expire at the end of {words(soon)}" in page
    assert f"2 of them expire at the end of {words(later)}" in page
    assert page.index(words(soon)) < page.index(words(later))  # soonest first
    assert "30 more Points to your next $5 Reward (70 of 100)." in page
    assert '<progress value="70" max="100" aria-hidden="true">' in page
    assert "70 of 500 Points earned in the last 365 days" in page

    # Once the day has passed, what lapsed is gone from the page.
    clock.offset += timedelta(days=12)
    sign_in(site, "bopeep", NEW_PASSWORD)  # the session ended long ago
    page = site.get(f"{SITE}/account").text
    assert words(soon) not in page and "2 \u00d7 $5 Reward" in page
    assert "60 more Points to your next $5 Reward (40 of 100)." in page


def test_the_top_tier_has_nothing_above_it(site: TestClient) -> None:
    joined_with_card(site)
    first = post_check(site, LOYALTY, a_check("T1", item("A", "10.00")))
    page = site.get(f"{SITE}/account").text
    assert "<p>Member</p>" in page and "Next tier: Gold." in page
    reached = post_check(site, LOYALTY, a_check("T2", item("A", "250.00", "FEATURED")))
    assert (first["tierCode"], reached["tierCode"]) == (1, 2)
    page = site.get(f"{SITE}/account").text
    assert "<p>Gold</p>" in page and "You are in the top tier." in page
    assert "Next tier" not in page
