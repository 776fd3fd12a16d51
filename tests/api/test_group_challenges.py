"""Group challenges over HTTP: a social group's owner or an admin opts the group in, its
members' posted checks add up while they are members, the completion pays every member
once, and reversing the check that completed it takes every payout back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from tests.api.checks import a_check, audit_clean, item, post_check, wallets
from tests.api.guests import b2b, body_of, enroll, gget, gpost
from tests.api.pos import POS, call, header
from tests.api.pos import ok as authorized
from tests.program_config import program_editor

# Wednesday 10 March 2027: the demo's TEAM10 runs from 1 March (monthly, 10 visits).
WEDNESDAY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
MARCH = "TEAM10.20270301"
REWARD_WALLET = 3


def challenge(client: TestClient, operation: str, **params: Any) -> dict[str, Any]:
    if operation in ("optIn", "optOut"):
        return body_of(gpost(client, "challenge", operation, b2b(**params), auth=POS))
    return body_of(gget(client, "challenge", operation, b2b(**params), auth=POS))


def social(client: TestClient, operation: str, **body: Any) -> dict[str, Any]:
    reply = body_of(gpost(client, "socialgroup", operation, b2b(**body), auth=POS))
    assert reply["result"] == "success", reply
    return reply


def group_list(client: TestClient, operation: str, group: int, who: str = "ada") -> dict[str, Any]:
    reply = challenge(client, operation, username=who, groupCode=group)
    assert reply["result"] == "success", reply
    return {c["challengeCode"]: c for c in reply["challenges"]}


def visit(client: TestClient, card: str, number: str) -> dict[str, Any]:
    reply = post_check(client, card, a_check(number, item("BURGER", "12.00", "FOOD")))
    assert reply["result"] == "success", reply
    return reply


def join(client: TestClient, group: int, who: str) -> None:
    shared = social(client, "createInvitationMessage", username="ada", groupCode=group)
    social(client, "acceptInvitation", username=who, invitationCode=shared["invitationCode"])


@pytest.fixture
def team(client: TestClient, clock: ShiftedClock) -> tuple[int, dict[str, str]]:
    """ada (owner) and bob (member) in one group; cyd not yet. Their cards by name."""
    clock.offset = WEDNESDAY - datetime.now(UTC)
    cards = {name: enroll(client, name)["printedCardNumber"] for name in ("ada", "bob", "cyd")}
    made = social(client, "createGroup", username="ada", name="Lunch Club")
    group: int = made["group"]["groupCode"]
    join(client, group, "bob")
    return group, cards


def test_the_owner_opts_the_group_in_and_a_member_may_not(
    client: TestClient, team: tuple[int, dict[str, str]]
) -> None:
    group, cards = team
    eligible = group_list(client, "eligibleChallengesForGroup", group)
    assert list(eligible) == ["TEAM10"]
    assert eligible["TEAM10"]["type"] == "GROUP"
    assert eligible["TEAM10"]["status"] == "ELIGIBLE"
    assert group_list(client, "activeChallengesForGroup", group) == {}
    # A group challenge is not a guest's to join, nor listed for one.
    alone = challenge(client, "optIn", printedCardNumber=cards["ada"], challengeCode="TEAM10")
    assert alone["errorCode"] == "challenge.not_eligible", alone
    mine = challenge(client, "eligibleChallenges", printedCardNumber=cards["ada"])
    assert "TEAM10" not in {c["challengeCode"] for c in mine["challenges"]}

    member = challenge(client, "optIn", username="bob", groupCode=group, challengeCode="TEAM10")
    assert member["errorCode"] == "challenge.not_authorized", member
    stranger = challenge(client, "optIn", username="cyd", groupCode=group, challengeCode="TEAM10")
    assert stranger["errorCode"] == "challenge.not_group_member", stranger
    individual = challenge(client, "optIn", username="ada", groupCode=group, challengeCode="VISIT3")
    assert individual["errorCode"] == "challenge.not_eligible", individual
    joined = challenge(client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10")
    assert joined["result"] == "success", joined
    assert (joined["challenge"]["status"], joined["challenge"]["progress"]) == ("IN_PROGRESS", "0")
    again = challenge(client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10")
    assert again["errorCode"] == "challenge.already_opted_in"
    # An admin may take the group out again.
    social(
        client,
        "modifyMemberRole",
        username="ada",
        groupCode=group,
        memberUsername="bob",
        role="ADMIN",
    )
    out = challenge(client, "optOut", username="bob", groupCode=group, challengeCode="TEAM10")
    assert out["result"] == "success", out
    assert out["challenge"]["status"] == "ELIGIBLE"
    assert "TEAM10" in group_list(client, "eligibleChallengesForGroup", group)


def test_members_activity_adds_up_completes_once_and_is_taken_back_by_a_reversal(
    client: TestClient, team: tuple[int, dict[str, str]], clock: ShiftedClock
) -> None:
    group, cards = team
    visit(client, cards["ada"], "EARLY")  # before the group opted in: not counted
    ok = challenge(client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10")
    assert ok["result"] == "success", ok
    for n in range(4):
        visit(client, cards["ada"], f"A{n}")
    for n in range(2):
        visit(client, cards["cyd"], f"C{n}")  # not a member yet: not counted
    for n in range(5):
        visit(client, cards["bob"], f"B{n}")
    assert group_list(client, "activeChallengesForGroup", group)["TEAM10"]["progress"] == "9"
    join(client, group, "cyd")
    tenth = visit(client, cards["cyd"], "C-TENTH")
    assert wallets(tenth)[REWARD_WALLET] == "1"  # the completing member sees it at once
    active = group_list(client, "activeChallengesForGroup", group, who="cyd")
    assert (active["TEAM10"]["status"], active["TEAM10"]["progress"]) == ("COMPLETED", "10")
    # Every member is paid once: an eleventh visit pays nobody again.
    assert wallets(visit(client, cards["ada"], "A-MORE"))[REWARD_WALLET] == "1"
    assert wallets(visit(client, cards["bob"], "B-MORE"))[REWARD_WALLET] == "1"

    detail = challenge(
        client, "occurrenceDetail", username="bob", groupCode=group, occurrenceCode=MARCH
    )
    occurrence = detail["occurrence"]
    assert occurrence["challenge"]["progress"] == "12"
    parts = {p["username"]: p["contribution"] for p in occurrence["participants"]}
    assert parts == {"ada": "5", "bob": "6", "cyd": "1"}
    audit_clean(client)

    # The two visits after the tenth keep the group at 11 without it: reversing the
    # tenth keeps the completion and every payout.
    body = {"headerInfo": header(programId="PX"), "pxTransactionId": tenth["pxTransactionId"]}
    authorized(call(client, "reverse", body))
    kept = group_list(client, "activeChallengesForGroup", group)["TEAM10"]
    assert (kept["status"], kept["progress"]) == ("COMPLETED", "11")
    audit_clean(client)


def test_reversing_the_completing_check_takes_every_members_reward_back(
    client: TestClient, team: tuple[int, dict[str, str]]
) -> None:
    group, cards = team
    challenge(client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10")
    for n in range(9):
        visit(client, cards["ada" if n % 2 else "bob"], f"V{n}")
    tenth = visit(client, cards["ada"], "V-TENTH")
    assert wallets(tenth)[REWARD_WALLET] == "1"
    body = {"headerInfo": header(programId="PX"), "pxTransactionId": tenth["pxTransactionId"]}
    authorized(call(client, "reverse", body))
    active = group_list(client, "activeChallengesForGroup", group)["TEAM10"]
    assert (active["status"], active["progress"]) == ("IN_PROGRESS", "9")
    # bob's reward went back too (in the journal, as a reversal of the reward).
    assert wallets(visit(client, cards["bob"], "V-AGAIN"))[REWARD_WALLET] == "1"  # paid anew
    assert wallets(visit(client, cards["ada"], "V-ADA"))[REWARD_WALLET] == "1"
    audit_clean(client)


def test_activity_counts_while_a_member_and_history_lists_the_month(
    client: TestClient, team: tuple[int, dict[str, str]], clock: ShiftedClock
) -> None:
    group, cards = team
    challenge(client, "optIn", username="ada", groupCode=group, challengeCode="TEAM10")
    visit(client, cards["bob"], "B1")
    social(client, "leaveGroup", username="bob", groupCode=group)
    visit(client, cards["bob"], "B2")  # no longer a member: not counted
    visit(client, cards["ada"], "A1")
    active = group_list(client, "activeChallengesForGroup", group)["TEAM10"]
    assert active["progress"] == "2"  # bob's visit while a member still counts
    clock.offset += timedelta(days=30)  # April
    history = group_list(client, "historicalChallengesForGroup", group)
    assert history["TEAM10"]["occurrenceCode"] == MARCH
    assert (history["TEAM10"]["status"], history["TEAM10"]["progress"]) == ("FAILED", "2")


def test_contributors_only_and_the_cap_across_every_group(
    client: TestClient, team: tuple[int, dict[str, str]]
) -> None:
    group, cards = team

    def edit(data: dict[str, Any]) -> None:
        data["challenges"].append(
            {
                "code": "DUO",
                "name": "Two visits together",
                "kind": "group",
                "group_payout": "contributors",
                "opt_in": False,
                "max_total_completions": 1,
                "schedule": {"start": "2026-01-05T00:00:00", "repeat": "weekly"},
                "goal": {"measure": "visits", "target": 2},
                "reward": {"wallet": REWARD_WALLET, "quantity": 2},
            }
        )

    with program_editor(client) as change:
        change(edit)
        other = social(client, "createGroup", username="cyd", name="Others")["group"]
        # Automatic: every group takes part; ada's two visits complete it, bob gets nothing.
        visit(client, cards["ada"], "D1")
        assert wallets(visit(client, cards["ada"], "D2"))[REWARD_WALLET] == "2"
        assert wallets(visit(client, cards["bob"], "D3"))[REWARD_WALLET] == "0"
        ours = group_list(client, "activeChallengesForGroup", group)["DUO"]
        assert (ours["status"], ours["progress"]) == ("COMPLETED", "3")
        # The cap of one completion in all: the other group reaches the goal unpaid.
        visit(client, cards["cyd"], "E1")
        assert wallets(visit(client, cards["cyd"], "E2"))[REWARD_WALLET] == "0"
        theirs = group_list(client, "activeChallengesForGroup", other["groupCode"], who="cyd")
        assert (theirs["DUO"]["status"], theirs["DUO"]["progress"]) == ("IN_PROGRESS", "2")
        audit_clean(client)
