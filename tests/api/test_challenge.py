"""The Challenge Service over HTTP: lists, opting in and out, occurrence detail and
charities, with progress coming from checks posted through the Check Service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.checks import a_check, audit_clean, item, post_check, wallets
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import APP, GIFT, LOYALTY, LOYALTY2, POS, UNKNOWN_CARD, activate, ok
from tests.program_config import program_editor

# A Wednesday in the demo's VISIT3 week of Monday 8 March 2027 (America/New_York).
WEDNESDAY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
THIS_WEEK = "VISIT3.20270308"


def get(client: TestClient, operation: str, auth: Any = POS, **params: Any) -> dict[str, Any]:
    return body_of(gget(client, "challenge", operation, params, auth=auth))


def send(client: TestClient, operation: str, auth: Any = POS, **body: Any) -> dict[str, Any]:
    return body_of(gpost(client, "challenge", operation, body, auth=auth))


def listed(client: TestClient, operation: str, card: str = LOYALTY) -> dict[str, dict[str, Any]]:
    reply = get(client, operation, **b2b(printedCardNumber=card))
    assert reply["result"] == "success", reply
    return {c["challengeCode"]: c for c in reply["challenges"]}


def opt_in(client: TestClient, code: str, card: str = LOYALTY, **extra: Any) -> dict[str, Any]:
    return send(client, "optIn", **b2b(printedCardNumber=card, challengeCode=code, **extra))


def visit(client: TestClient, number: str, price: str = "12.00") -> dict[str, Any]:
    reply = post_check(client, LOYALTY, a_check(number, item("BURGER", price, "FOOD")))
    assert reply["result"] == "success", reply
    return reply


@pytest.fixture
def guest(client: TestClient, clock: ShiftedClock) -> str:
    clock.offset = WEDNESDAY - datetime.now(UTC)
    ok(activate(client))
    return LOYALTY


def test_a_new_guest_sees_what_to_join_and_the_automatic_challenge_running(
    client: TestClient, guest: str
) -> None:
    eligible = listed(client, "eligibleChallenges")
    assert sorted(eligible) == ["FEAST50", "VISIT3"]
    visit3 = eligible["VISIT3"]
    assert visit3 == {
        "challengeCode": "VISIT3",
        "occurrenceCode": THIS_WEEK,
        "name": "Three visits this week",
        "description": visit3["description"],
        "type": "GUEST",
        "startDate": "2027-03-08T00:00:00-05:00",
        "endDate": "2027-03-15T00:00:00-04:00",  # daylight saving time began on the 14th
        "optInStartDate": "2027-03-08T00:00:00-05:00",
        "status": "ELIGIBLE",
        "goal": "3",
        "progress": "0",
        "rewardDescription": "$5 Reward",
        "badgeImageUrl": "https://demo.openpxs.org/badges/regular.png",
        "goalType": "VISITS",
    }
    active = listed(client, "activeChallenges")
    assert list(active) == ["POINTS200"]
    assert active["POINTS200"]["status"] == "IN_PROGRESS"
    assert active["POINTS200"]["occurrenceCode"] == "POINTS200.20270301"


def test_opting_in_and_three_visits_complete_the_week_with_the_reward(
    client: TestClient, guest: str
) -> None:
    joined = opt_in(client, "VISIT3")
    assert joined["result"] == "success", joined
    assert joined["challenge"]["status"] == "IN_PROGRESS"
    assert joined["challenge"]["progress"] == "0"
    assert opt_in(client, "VISIT3")["errorCode"] == "challenge.already_opted_in"
    assert "VISIT3" not in listed(client, "eligibleChallenges")

    visit(client, "A1")
    visit(client, "A2", price="4.00")  # under the $5.00 minimum: not a visit
    assert listed(client, "activeChallenges")["VISIT3"]["progress"] == "1"
    visit(client, "A3")
    third = visit(client, "A4")
    assert wallets(third)[3] == "1"
    active = listed(client, "activeChallenges")
    assert (active["VISIT3"]["status"], active["VISIT3"]["progress"]) == ("COMPLETED", "3")
    assert active["POINTS200"]["progress"] == "40"  # 12 + 4 + 12 + 12 points

    detail = get(
        client,
        "occurrenceDetail",
        **b2b(printedCardNumber=LOYALTY, occurrenceCode=THIS_WEEK),
    )
    assert detail["occurrence"]["challenge"]["status"] == "COMPLETED"
    assert detail["occurrence"]["challenge"]["progress"] == "3"
    audit_clean(client)


def test_opting_out_stops_progress_and_keeps_what_was_paid(client: TestClient, guest: str) -> None:
    ok_reply = opt_in(client, "VISIT3")
    assert ok_reply["result"] == "success"
    visit(client, "B1")
    out = send(client, "optOut", **b2b(printedCardNumber=LOYALTY, challengeCode="VISIT3"))
    assert out["result"] == "success", out
    assert out["challenge"]["status"] == "ELIGIBLE"
    again = send(client, "optOut", **b2b(printedCardNumber=LOYALTY, challengeCode="VISIT3"))
    assert again["errorCode"] == "challenge.not_opted_in"
    visit(client, "B2")
    assert "VISIT3" not in listed(client, "activeChallenges")
    assert listed(client, "eligibleChallenges")["VISIT3"]["progress"] == "1"
    # An automatic challenge can be left too, and joined again.
    left = send(client, "optOut", **b2b(printedCardNumber=LOYALTY, challengeCode="POINTS200"))
    assert left["result"] == "success", left
    assert "POINTS200" in listed(client, "eligibleChallenges")
    back = opt_in(client, "POINTS200")
    assert back["challenge"]["status"] == "IN_PROGRESS"


def test_a_donation_challenge_needs_one_of_its_charities(client: TestClient, guest: str) -> None:
    charities = get(client, "charitableOrganizations", **b2b(challengeCode="FEAST50"))
    assert [c["code"] for c in charities["charitableOrganizations"]] == ["FOODBANK", "SHELTER"]
    assert charities["charitableOrganizations"][0]["name"] == "Greater Boston Food Bank"
    none = get(client, "charitableOrganizations", **b2b(challengeCode="VISIT3"))
    assert none == {"result": "success", "charitableOrganizations": []}
    unknown = get(client, "charitableOrganizations", **b2b(challengeCode="NOPE"))
    assert unknown["errorCode"] == "challenge.challenge_not_found"

    bad = "challenge.invalid_charitable_organization"
    assert opt_in(client, "FEAST50")["errorCode"] == bad
    assert opt_in(client, "FEAST50", charitableOrganizationCode="RSPCA")["errorCode"] == bad
    assert opt_in(client, "VISIT3", charitableOrganizationCode="FOODBANK")["errorCode"] == bad
    joined = opt_in(client, "FEAST50", charitableOrganizationCode="SHELTER")
    assert joined["challenge"]["charitableOrganizationCode"] == "SHELTER"
    # Spend on food only, after discounts: $30 of food and a $20 drink.
    post_check(
        client,
        LOYALTY,
        a_check("F1", item("STEAK", "30.00", "FOOD"), item("WINE", "20.00", "ALCOHOL")),
    )
    assert listed(client, "activeChallenges")["FEAST50"]["progress"] == "30"
    post_check(client, LOYALTY, a_check("F2", item("RIBS", "25.00", "FOOD")))
    active = listed(client, "activeChallenges")["FEAST50"]
    assert (active["status"], active["progress"]) == ("COMPLETED", "55")
    assert active["charitableOrganizationCode"] == "SHELTER"


def test_history_lists_ended_weeks_completed_or_not(
    client: TestClient, guest: str, clock: ShiftedClock
) -> None:
    opt_in(client, "VISIT3")
    for number in ("H1", "H2", "H3"):
        visit(client, number)
    clock.offset += timedelta(days=7)
    visit(client, "H4")
    clock.offset += timedelta(days=7)
    history = get(client, "historicalChallenges", **b2b(printedCardNumber=LOYALTY))
    weeks = [
        (c["occurrenceCode"], c["status"], c["progress"])
        for c in history["challenges"]
        if c["challengeCode"] == "VISIT3"
    ]
    assert weeks == [
        ("VISIT3.20270315", "FAILED", "1"),
        ("VISIT3.20270308", "COMPLETED", "3"),
    ]
    assert listed(client, "activeChallenges")["VISIT3"]["occurrenceCode"] == "VISIT3.20270322"


def test_occurrence_codes_and_cards_that_name_nothing_are_refused(
    client: TestClient, guest: str
) -> None:
    for code in (
        "VISIT3.20270309",
        "VISIT3",
        "NOPE.20270308",
        "VISIT3.2027030x",
        "",
        "VISIT3.99991227",  # its week would end past the year 9999
        "FEAST50.99991201",
        "FEAST50.00010101",
    ):
        reply = get(client, "occurrenceDetail", **b2b(occurrenceCode=code))
        assert reply["errorCode"] == "challenge.occurrence_not_found", (code, reply)
    rules = get(client, "occurrenceDetail", **b2b(occurrenceCode=THIS_WEEK))
    shown = rules["occurrence"]["challenge"]
    assert shown["goal"] == "3" and "progress" not in shown and "status" not in shown
    for card in (UNKNOWN_CARD, ""):
        reply = get(client, "activeChallenges", **b2b(printedCardNumber=card))
        assert reply["errorCode"] == "challenge.invalid_card", reply
    assert get(client, "eligibleChallenges", **b2b())["errorCode"] == "challenge.invalid_card"
    unknown = opt_in(client, "NOPE")
    assert unknown["errorCode"] == "challenge.challenge_not_found"


def test_a_card_whose_template_cannot_hold_the_reward_is_not_eligible(
    client: TestClient, guest: str
) -> None:
    ok(activate(client, GIFT, program="SV"))
    assert sorted(listed(client, "eligibleChallenges", GIFT)) == ["FEAST50"]
    assert opt_in(client, "VISIT3", card=GIFT)["errorCode"] == "challenge.not_eligible"


def test_a_guest_app_sees_only_its_own_card(client: TestClient, guest: str) -> None:
    enrolled = enroll(client, "ada")
    token = enrolled["oauthTokens"]["access_token"]
    own = enrolled["printedCardNumber"]
    mine = get(client, "eligibleChallenges", APP, **as_guest(token, printedCardNumber=own))
    assert mine["result"] == "success", mine
    joined = send(
        client, "optIn", APP, **as_guest(token, printedCardNumber=own, challengeCode="VISIT3")
    )
    assert joined["result"] == "success", joined
    theirs = get(client, "activeChallenges", APP, **as_guest(token, printedCardNumber=LOYALTY))
    assert theirs["errorCode"] == "challenge.invalid_card"
    foreign = send(
        client, "optIn", APP, **as_guest(token, printedCardNumber=LOYALTY, challengeCode="VISIT3")
    )
    assert foreign["errorCode"] == "challenge.invalid_card"
    assert "VISIT3" not in listed(client, "activeChallenges")


def test_group_lists_name_a_user_and_a_group(client: TestClient, guest: str) -> None:
    enroll(client, "ada")
    for operation in (
        "activeChallengesForGroup",
        "eligibleChallengesForGroup",
        "historicalChallengesForGroup",
    ):
        nobody = get(client, operation, **b2b(username="nobody", groupCode=7))
        assert nobody["errorCode"] == "challenge.user_not_found", nobody
        no_group = get(client, operation, **b2b(username="ada", groupCode=7))
        assert no_group["errorCode"] == "challenge.group_not_found", no_group
    detail = get(
        client, "occurrenceDetail", **b2b(username="ada", groupCode=7, occurrenceCode=THIS_WEEK)
    )
    assert detail["errorCode"] == "challenge.group_not_found"


def test_malformed_requests_get_a_failure_reply_not_a_server_error(
    client: TestClient, guest: str
) -> None:
    bad_group = gget(
        client, "challenge", "activeChallengesForGroup", b2b(username="ada", groupCode="x")
    )
    assert bad_group.status_code < 500
    long_code = opt_in(client, "X" * 65)
    assert long_code["result"] == "failure"
    listed_card = get(client, "activeChallenges", **b2b(printedCardNumber=LOYALTY2))
    assert listed_card["errorCode"] == "challenge.invalid_card"  # printed, never activated


def _add(data: dict[str, Any], **challenge: Any) -> None:
    base = {
        "name": challenge["code"].title(),
        "goal": {"measure": "visits", "target": 1},
        "reward": {"badge": {"code": "B", "name": "Badge"}},
    }
    data["challenges"].append({**base, **challenge})


def test_schedules_audiences_and_caps_from_the_program_file(
    client: TestClient, guest: str, clock: ShiftedClock
) -> None:
    def edit(data: dict[str, Any]) -> None:
        weekly = {"start": "2026-01-05T00:00:00", "repeat": "weekly"}
        _add(data, code="ONCE", schedule=weekly, max_completions=1)
        _add(
            data,
            code="OVER",
            schedule={"start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00"},
        )
        _add(
            data,
            code="SOON",
            schedule={
                "start": "2027-04-01T00:00:00",
                "end": "2027-05-01T00:00:00",
                "opt_in_from": "2027-03-09T00:00:00",
            },
        )
        _add(
            data,
            code="LATER",
            schedule={
                "start": "2027-04-01T00:00:00",
                "end": "2027-05-01T00:00:00",
                "opt_in_from": "2027-03-20T00:00:00",
            },
        )
        _add(data, code="LISTED", schedule=weekly, audience={"cards": ["7000000000000002"]})
        _add(data, code="GOLD", schedule=weekly, audience={"tiers": [2]})

    with program_editor(client) as change:
        change(edit)
        eligible = listed(client, "eligibleChallenges")
        assert {"ONCE", "SOON"} <= set(eligible)
        assert not {"OVER", "LATER", "LISTED", "GOLD"} & set(eligible)
        assert opt_in(client, "OVER")["errorCode"] == "challenge.challenge_ended"
        later = opt_in(client, "LATER")
        assert later["errorCode"] == "challenge.not_eligible"
        assert "2027-03-20" in later["errorMessage"]
        for code in ("LISTED", "GOLD"):
            assert opt_in(client, code)["errorCode"] == "challenge.not_eligible"
        soon = opt_in(client, "SOON")
        assert soon["challenge"]["status"] == "OPTED_IN", soon
        assert listed(client, "activeChallenges")["SOON"]["status"] == "OPTED_IN"

        # At most one completion in all, however many weeks the guest meets the goal.
        assert opt_in(client, "ONCE")["result"] == "success"
        visit(client, "W1")
        assert listed(client, "activeChallenges")["ONCE"]["status"] == "COMPLETED"
        clock.offset += timedelta(days=7)
        visit(client, "W2")
        week_two = listed(client, "activeChallenges")["ONCE"]
        assert (week_two["status"], week_two["progress"]) == ("IN_PROGRESS", "1")
