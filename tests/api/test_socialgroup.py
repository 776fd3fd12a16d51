"""The Social Group Service over HTTP: groups, invitations, requests, roles and finding
friends' groups, as a back end (b2b) and as a signed-in guest (oauth)."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.domain.errors import Refused
from openpxs.domain.social_groups import Role, check_leave, may_remove, normal_invitation_code
from openpxs.store.tables import outbox, social_group_members
from tests.api.guests import (
    APP,
    POS,
    as_guest,
    b2b,
    body_of,
    enroll,
    gget,
    gpost,
    user_fields,
)
from tests.pg.test_races import Pos, outcome, race, race_url

__all__ = ["race_url"]  # the fixture, shared with test_races.py


def get(client: TestClient, operation: str, auth: Any = POS, **params: Any) -> dict[str, Any]:
    return body_of(gget(client, "socialgroup", operation, params, auth=auth))


def send(client: TestClient, operation: str, auth: Any = POS, **body: Any) -> dict[str, Any]:
    return body_of(gpost(client, "socialgroup", operation, body, auth=auth))


def act(client: TestClient, operation: str, username: str, **body: Any) -> dict[str, Any]:
    return send(client, operation, **b2b(username=username, **body))


def ok(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["result"] == "success", reply
    return reply


def refused(reply: dict[str, Any], code: str) -> None:
    assert reply.get("errorCode") == code, reply


def create(client: TestClient, username: str = "ada", name: str = "Lunch Club") -> int:
    reply = ok(act(client, "createGroup", username, name=name, description="Fridays"))
    code: int = reply["group"]["groupCode"]
    return code


def roles(client: TestClient, username: str) -> dict[int, dict[str, str]]:
    reply = ok(get(client, "myGroups", **b2b(username=username)))
    return {
        g["groupCode"]: {m["username"]: m["role"] for m in g["members"]} for g in reply["groups"]
    }


def mail_to(client: TestClient, address: str) -> list[Any]:
    async def read() -> list[Any]:
        engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        async with engine.connect() as conn:
            rows = await conn.execute(select(outbox).where(outbox.c.recipient == address))
            return list(rows)

    assert client.portal is not None
    return client.portal.call(read)


@pytest.mark.usefixtures("quiet_worker")  # the mail is read before it is sent
def test_owner_invites_by_email_hands_over_ownership_and_leaves(client: TestClient) -> None:
    for name in ("ada", "bob"):
        enroll(client, name)
    group = create(client)
    assert roles(client, "ada") == {group: {"ada": "OWNER"}}

    invited = ok(
        act(client, "inviteByEmailAddress", "ada", groupCode=group, email="Bob@Example.com")
    )
    code = invited["invitation"]["invitationCode"]
    assert invited["invitation"]["email"] == "bob@example.com"
    (mail,) = mail_to(client, "bob@example.com")
    assert code in mail.body and "Lunch Club" in mail.subject
    refused(
        act(client, "inviteByEmailAddress", "ada", groupCode=group, email="bob@example.com"),
        "social_group.already_have_invite",
    )
    mine = ok(get(client, "myPendingInvitations", **b2b(username="bob")))["invitations"]
    assert [i["invitationCode"] for i in mine] == [code]

    joined = ok(act(client, "acceptInvitation", "bob", invitationCode=code.lower()))
    assert {m["username"]: m["role"] for m in joined["group"]["members"]} == {
        "ada": "OWNER",
        "bob": "MEMBER",
    }
    refused(
        act(client, "acceptInvitation", "bob", invitationCode=code),
        "social_group.invitation_not_found",
    )
    refused(
        act(client, "acceptInvitation", "bob", invitationCode="x!"),
        "social_group.invalid_invitation_code",
    )
    refused(
        act(client, "modifyGroupDetails", "bob", groupCode=group, name="Mine"),
        "social_group.not_authorized",
    )
    refused(
        act(client, "modifyMemberRole", "ada", groupCode=group, memberUsername="bob", role="BOSS"),
        "social_group.invalid_role",
    )
    ok(act(client, "modifyMemberRole", "ada", groupCode=group, memberUsername="bob", role="admin"))
    renamed = ok(act(client, "modifyGroupDetails", "bob", groupCode=group, name="Brunch Club"))
    assert (renamed["group"]["name"], renamed["group"]["description"]) == ("Brunch Club", "Fridays")
    cleared = ok(act(client, "modifyGroupDetails", "bob", groupCode=group, description=""))
    assert (cleared["group"]["name"], cleared["group"].get("description")) == ("Brunch Club", None)

    # The owner cannot leave, nor step down, without naming a new owner.
    refused(act(client, "leaveGroup", "ada", groupCode=group), "social_group.not_authorized")
    refused(
        act(
            client, "modifyMemberRole", "ada", groupCode=group, memberUsername="ada", role="MEMBER"
        ),
        "social_group.not_authorized",
    )
    ok(act(client, "modifyMemberRole", "ada", groupCode=group, memberUsername="bob", role="OWNER"))
    assert roles(client, "bob") == {group: {"bob": "OWNER", "ada": "ADMIN"}}
    ok(act(client, "leaveGroup", "ada", groupCode=group))
    refused(act(client, "leaveGroup", "ada", groupCode=group), "social_group.not_member")
    assert roles(client, "ada") == {}
    # The last member leaving dissolves the group.
    ok(act(client, "leaveGroup", "bob", groupCode=group))
    refused(act(client, "leaveGroup", "bob", groupCode=group), "social_group.group_not_found")


def test_requests_to_join_are_answered_by_the_owner_or_an_admin(client: TestClient) -> None:
    for name in ("ada", "bob", "cyd"):
        enroll(client, name)
    group = create(client)
    refused(
        act(client, "requestToJoinByEmailAddress", "bob", groupCode=group, email="cyd@example.com"),
        "social_group.email_not_in_group",
    )
    asked = ok(
        act(
            client,
            "requestToJoinByEmailAddress",
            "bob",
            groupCode=group,
            email="ada@example.com",
            message="Hi!",
        )
    )["request"]
    assert (asked["username"], asked["message"]) == ("bob", "Hi!")
    refused(
        act(client, "requestToJoinByEmailAddress", "bob", groupCode=group, email="ada@example.com"),
        "social_group.already_have_request",
    )
    (mine,) = ok(get(client, "myGroups", **b2b(username="ada")))["groups"]
    assert [r["requestCode"] for r in mine["pendingRequests"]] == [asked["requestCode"]]
    refused(
        act(client, "acceptRequest", "cyd", groupCode=group, requestCode=asked["requestCode"]),
        "social_group.not_authorized",
    )
    ok(act(client, "acceptRequest", "ada", groupCode=group, requestCode=asked["requestCode"]))
    refused(
        act(client, "acceptRequest", "ada", groupCode=group, requestCode=asked["requestCode"]),
        "social_group.request_lookup_error",
    )
    (bobs,) = ok(get(client, "myGroups", **b2b(username="bob")))["groups"]
    assert "pendingRequests" not in bobs  # a plain member does not see requests

    ok(act(client, "requestToJoinByEmailAddress", "cyd", groupCode=group, email="bob@example.com"))
    ok(act(client, "cancelRequest", "cyd", groupCode=group))
    refused(
        act(client, "cancelRequest", "cyd", groupCode=group), "social_group.request_lookup_error"
    )
    again = ok(
        act(client, "requestToJoinByEmailAddress", "cyd", groupCode=group, email="bob@example.com")
    )["request"]
    ok(act(client, "rejectRequest", "ada", groupCode=group, requestCode=again["requestCode"]))
    assert roles(client, "cyd") == {}

    # An admin removes members, not the owner; the owner removes the admin.
    ok(act(client, "modifyMemberRole", "ada", groupCode=group, memberUsername="bob", role="ADMIN"))
    refused(
        act(client, "removeMember", "bob", groupCode=group, memberUsername="ada"),
        "social_group.not_authorized",
    )
    refused(
        act(client, "removeMember", "ada", groupCode=group, memberUsername="cyd"),
        "social_group.not_member",
    )
    ok(act(client, "removeMember", "ada", groupCode=group, memberUsername="bob"))
    assert roles(client, "bob") == {}


@pytest.mark.usefixtures("quiet_worker")  # the mail is read before it is sent
def test_an_unknown_address_is_mailed_and_claims_the_invitation_after_enrolling(
    client: TestClient,
) -> None:
    enroll(client, "ada")
    group = create(client)
    invited = ok(
        act(client, "inviteByEmailAddress", "ada", groupCode=group, email="zoe@example.com")
    )
    code = invited["invitation"]["invitationCode"]
    (mail,) = mail_to(client, "zoe@example.com")
    assert code in mail.body
    details = ok(get(client, "pendingInvitationDetails", **b2b(invitationCode=code)))
    assert details["invitation"]["groupName"] == "Lunch Club"
    assert details["invitation"]["inviterUsername"] == "ada"
    listed = ok(get(client, "pendingInvitationsForGroup", **b2b(username="ada", groupCode=group)))
    assert [i["invitationCode"] for i in listed["invitations"]] == [code]

    zoe = enroll(client, "zoe")
    token = zoe["oauthTokens"]["access_token"]
    mine = ok(get(client, "myPendingInvitations", auth=APP, **as_guest(token)))["invitations"]
    assert [i["invitationCode"] for i in mine] == [code]
    # A guest acts only as itself.
    refused(
        send(
            client,
            "acceptInvitation",
            auth=APP,
            **as_guest(token, username="ada", invitationCode=code),
        ),
        "social_group.user_not_found",
    )
    joined = ok(send(client, "acceptInvitation", auth=APP, **as_guest(token, invitationCode=code)))
    assert [m["username"] for m in joined["group"]["members"]] == ["ada", "zoe"]
    assert ok(get(client, "myPendingInvitations", auth=APP, **as_guest(token)))["invitations"] == []


def test_a_shared_invitation_message_lets_several_join_until_cancelled(client: TestClient) -> None:
    for name in ("ada", "bob", "cyd", "dee"):
        enroll(client, name)
    group = create(client)
    shared = ok(act(client, "createInvitationMessage", "ada", groupCode=group))
    code = shared["invitationCode"]
    assert f"https://demo.openpxs.org/join?code={code}" in shared["message"]
    refused(
        act(client, "createInvitationMessage", "bob", groupCode=group), "social_group.not_member"
    )
    ok(act(client, "acceptInvitation", "bob", invitationCode=code))
    ok(act(client, "rejectInvitation", "dee", invitationCode=code))  # others may still use it
    ok(act(client, "acceptInvitation", "cyd", invitationCode=code))
    refused(
        act(client, "cancelInvitation", "cyd", groupCode=group, invitationCode=code),
        "social_group.not_authorized",
    )
    ok(act(client, "cancelInvitation", "ada", groupCode=group, invitationCode=code))
    refused(
        act(client, "acceptInvitation", "dee", invitationCode=code),
        "social_group.invitation_not_found",
    )
    assert sorted(roles(client, "ada")[group]) == ["ada", "bob", "cyd"]
    # The demo lets a guest create two groups.
    second = create(client, name="Taco\r\nNight")
    invited = act(client, "inviteByEmailAddress", "ada", groupCode=second, email="sam@example.com")
    assert ok(invited)["invitation"]["groupName"] == "Taco Night"  # one line: a mail subject
    refused(act(client, "createGroup", "ada", name="Third"), "social_group.max_create")
    refused(act(client, "createGroup", "ada", name="  "), "social_group.invalid_request")
    refused(act(client, "createGroup", "nobody", name="X"), "social_group.user_not_found")
    refused(
        act(client, "createGroup", "ada", name="X", cardTemplateCode=99),
        "social_group.template_not_found",
    )


def test_friends_lookups_tell_nothing_about_who_is_a_guest(client: TestClient) -> None:
    ada = enroll(client, "ada")
    enroll(client, "bob")
    group = create(client)
    facebook = {"externalIdentifier": "FACEBOOK", "accountCode": "fb-ada"}
    linked = body_of(
        gpost(
            client,
            "enrollment",
            "editExternalAccounts",
            b2b(printedCardNumber=ada["printedCardNumber"], addExternalAccounts=[facebook]),
            auth=POS,
        )
    )
    assert linked["result"] == "success", linked
    found = ok(
        get(
            client,
            "groupsContainingMyFriendsByEmailAddresses",
            **b2b(username="bob", emails=["ADA@example.com", "bob@example.com", "no@example.com"]),
        )
    )["emailGroups"]
    assert [(e["email"], [g["groupCode"] for g in e["groups"]]) for e in found] == [
        ("ADA@example.com", [group]),
        ("bob@example.com", []),  # a guest in no group ...
        ("no@example.com", []),  # ... answers as an address no guest has
    ]
    assert found[0]["groups"][0]["members"] == [
        {"firstName": "Ada", "lastName": "Lovelace", "role": "OWNER"}
    ]
    by_account = ok(
        get(
            client,
            "groupsContainingMyFriendsByExternalAccounts",
            **b2b(
                username="bob", externalIdentifier="FACEBOOK", accountCodes=["fb-ada", "fb-none"]
            ),
        )
    )["extAcctGroups"]
    assert by_account == [
        {
            "accountCode": "fb-ada",
            "groups": [
                {
                    "groupCode": group,
                    "name": "Lunch Club",
                    "description": "Fridays",
                    "memberCount": 1,
                }
            ],
        },
        {"accountCode": "fb-none", "groups": []},
    ]
    refused(
        get(
            client,
            "groupsContainingMyFriendsByExternalAccounts",
            **b2b(username="bob", externalIdentifier="TWITTER", accountCodes=["x"]),
        ),
        "social_group.external_identifier_not_allowed",
    )
    refused(
        get(
            client,
            "groupsContainingMyFriendsByExternalAccounts",
            **b2b(
                username="bob",
                externalIdentifier="FACEBOOK",
                accountCodes=[f"fb-{n}" for n in range(101)],
            ),
        ),
        "social_group.invalid_request",
    )
    # The friend found through Facebook leads to the group.
    asked = act(
        client,
        "requestToJoinByExternalAccount",
        "bob",
        groupCode=group,
        externalIdentifier="FACEBOOK",
        accountCode="fb-none",
    )
    refused(asked, "social_group.ext_acct_not_in_group")
    ok(
        act(
            client,
            "requestToJoinByExternalAccount",
            "bob",
            groupCode=group,
            externalIdentifier="FACEBOOK",
            accountCode="fb-ada",
        )
    )
    # An invitation to an external account reaches its holder's pending list.
    invited = ok(
        act(
            client,
            "inviteByExternalAccount",
            "ada",
            groupCode=group,
            externalIdentifier="FACEBOOK",
            accountCode="fb-bob",
        )
    )
    assert invited["invitation"]["accountCode"] == "fb-bob"


def test_a_member_lists_the_group_challenges_of_the_group(client: TestClient) -> None:
    enroll(client, "ada")
    enroll(client, "bob")
    group = create(client)
    for operation in ("activeChallengesForGroup", "historicalChallengesForGroup"):
        mine = body_of(
            gget(client, "challenge", operation, b2b(username="ada", groupCode=group), auth=POS)
        )
        assert mine == {"result": "success", "challenges": []}  # not opted in to TEAM10
    theirs = body_of(
        gget(
            client,
            "challenge",
            "eligibleChallengesForGroup",
            b2b(username="bob", groupCode=group),
            auth=POS,
        )
    )
    assert theirs["errorCode"] == "challenge.not_group_member", theirs


def test_a_deleted_guest_leaves_every_group_and_hands_ownership_over(
    client: TestClient,
) -> None:
    from tests.api.test_enrollment_users import delete

    for name in ("ada", "bob", "cyd", "dee"):
        enroll(client, name)
    club = create(client, "ada", "Lunch Club")
    for who in ("cyd", "bob"):  # cyd has been in longer, bob is made an admin
        shared = ok(act(client, "createInvitationMessage", "ada", groupCode=club))
        ok(act(client, "acceptInvitation", who, invitationCode=shared["invitationCode"]))
    ok(act(client, "modifyMemberRole", "ada", groupCode=club, memberUsername="bob", role="ADMIN"))
    alone = create(client, "ada", "Just Me")
    team = create(client, "bob", "Team")
    for who in ("dee", "cyd"):  # no admin here: dee has been in longest
        shared = ok(act(client, "createInvitationMessage", "bob", groupCode=team))
        ok(act(client, "acceptInvitation", who, invitationCode=shared["invitationCode"]))
    ok(act(client, "requestToJoinByEmailAddress", "ada", groupCode=team, email="bob@example.com"))

    assert delete(client, "user", b2b(username="ada")) == {"result": "success"}
    # The admin takes the club over; the group ada was alone in is dissolved; her request
    # to join bob's team is gone.
    assert roles(client, "bob")[club] == {"bob": "OWNER", "cyd": "MEMBER"}
    refused(get(client, "myGroups", **b2b(username="ada")), "social_group.user_not_found")
    refused(act(client, "leaveGroup", "bob", groupCode=alone), "social_group.group_not_found")
    assert ok(get(client, "myGroups", **b2b(username="bob")))["groups"][1]["pendingRequests"] == []

    assert delete(client, "user", b2b(username="bob")) == {"result": "success"}
    assert roles(client, "dee")[team] == {"dee": "OWNER", "cyd": "MEMBER"}
    assert roles(client, "cyd")[club] == {"cyd": "OWNER"}


def test_role_rules() -> None:
    assert may_remove(Role.OWNER, Role.ADMIN) and may_remove(Role.ADMIN, Role.MEMBER)
    assert not may_remove(Role.ADMIN, Role.ADMIN) and not may_remove(Role.ADMIN, Role.OWNER)
    assert not may_remove(None, Role.MEMBER)
    assert check_leave(Role.OWNER, 1) is True
    assert check_leave(Role.MEMBER, 2) is False
    try:
        check_leave(Role.OWNER, 2)
    except Refused as refusal:
        assert refusal.reason.value == "not_authorized"
    else:
        raise AssertionError("an owner with members left")
    assert normal_invitation_code(" abcd-efgh-jkmn ") == "ABCDEFGHJKMN"


# --- races ----------------------------------------------------------------------------------


def _basic(credentials: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(":".join(credentials).encode()).decode()}


async def _call(http: httpx.AsyncClient, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    service = "enrollment" if operation == "createAndRegister" else "socialgroup"
    response = await http.post(
        f"/rest/24.11/{service}/{operation}.json",
        json={"merchantId": 1000, **body},
        headers=_basic(APP if service == "enrollment" else POS),
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def test_racing_accepts_and_handovers_keep_one_membership_and_one_owner(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        http = pos.http
        for name in ("ada", "bob", "cyd"):
            body = {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "activationStoreCode": "corp",
                "setUserFields": user_fields(name),
                "setAccountFields": {"style": "typed"},
            }
            enrolled = await _call(http, "createAndRegister", body)
            assert enrolled["result"] == "cardCreatedSuccess", enrolled
        made = await _call(http, "createGroup", b2b(username="ada", name="Race"))
        group = made["group"]["groupCode"]
        ok(
            await _call(
                http,
                "modifyMemberRole",
                b2b(username="ada", groupCode=group, memberUsername="ada", role="OWNER"),
            )
        )
        asked = await _call(
            http,
            "requestToJoinByEmailAddress",
            b2b(username="bob", groupCode=group, email="ada@example.com"),
        )
        code = asked["request"]["requestCode"]
        accepts = await asyncio.gather(
            *(
                _call(http, "acceptRequest", b2b(username="ada", groupCode=group, requestCode=code))
                for _ in range(3)
            )
        )
        assert Counter(map(outcome, accepts)) == {
            "success": 1,
            "social_group.request_lookup_error": 2,
        }
        shared = await _call(http, "createInvitationMessage", b2b(username="ada", groupCode=group))
        joins = await asyncio.gather(
            *(
                _call(
                    http,
                    "acceptInvitation",
                    b2b(username="cyd", invitationCode=shared["invitationCode"]),
                )
                for _ in range(3)
            )
        )
        assert Counter(map(outcome, joins)) == {"success": 1, "social_group.already_in_group": 2}
        # The owner hands over to two members at once: one wins, the other is refused.
        handovers = await asyncio.gather(
            *(
                _call(
                    http,
                    "modifyMemberRole",
                    b2b(username="ada", groupCode=group, memberUsername=who, role="OWNER"),
                )
                for who in ("bob", "cyd")
            )
        )
        assert Counter(map(outcome, handovers)) == {
            "success": 1,
            "social_group.not_authorized": 1,
        }
        async with pos.engine.connect() as conn:
            rows = await conn.execute(
                select(social_group_members.c.role, func.count())
                .where(social_group_members.c.group_id == group)
                .group_by(social_group_members.c.role)
            )
            assert {role: count for role, count in rows} == {"OWNER": 1, "ADMIN": 1, "MEMBER": 1}

    race(race_url, scenario)
