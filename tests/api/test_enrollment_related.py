"""Enrollment: related guests and the automatic combine workflow over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.store.tables import accounts, users
from tests.api.guests import as_guest, b2b, body_of, enroll, gget
from tests.api.pos import POS, add_redeem_body, call, ok, refused
from tests.api.test_enrollment_create import (
    code_in,
    enroll_call,
    last_message,
    query,
    unchanged,
)
from tests.api.test_enrollment_users import delete

KID = {
    "firstName": "Tim",
    "lastName": "Lovelace",
    "dateOfBirth": "2015-06-01",
    "relationship": "child",
}


def test_related_guests_add_edit_remove(client: TestClient) -> None:
    ada = enroll(client, "ada")
    card = ada["printedCardNumber"]
    token = ada["oauthTokens"]["access_token"]
    added = enroll_call(
        client,
        "addRelatedGuests",
        as_guest(token, printedCardNumber=card, relatedGuests=[KID, {"firstName": "Sue"}]),
    )
    assert added["result"] == "success" and added["accountId"] == ada["accountId"]
    tim, sue = added["relatedGuests"]
    assert {k: v for k, v in tim.items() if k != "id"} == KID
    assert sue == {"id": sue["id"], "firstName": "Sue"}

    edited = enroll_call(
        client,
        "editRelatedGuest",
        b2b(
            printedCardNumber=card,
            relatedGuest={"id": tim["id"], "relationship": None, "lastName": "Byron"},
        ),
        auth=POS,
    )
    assert edited["relatedGuests"][0] == {
        "id": tim["id"],
        "firstName": "Tim",
        "lastName": "Byron",
        "dateOfBirth": "2015-06-01",
    }
    removed = delete(
        client,
        "relatedGuest",
        as_guest(token, printedCardNumber=card, relatedGuestId=sue["id"]),
        auth=None,
    )
    assert removed == {"result": "success"}
    after = enroll_call(
        client,
        "editRelatedGuest",
        as_guest(token, printedCardNumber=card, relatedGuest={"id": tim["id"]}),
    )
    assert [g["id"] for g in after["relatedGuests"]] == [tim["id"]]


def test_related_guest_refusals(client: TestClient) -> None:
    ada = enroll(client, "ada")
    bob = enroll(client, "bob")
    card = ada["printedCardNumber"]
    token = ada["oauthTokens"]["access_token"]
    kept = enroll_call(
        client, "addRelatedGuests", as_guest(token, printedCardNumber=card, relatedGuests=[KID])
    )
    kid_id = kept["relatedGuests"][0]["id"]
    with unchanged(client):
        bad = enroll_call(
            client,
            "addRelatedGuests",
            as_guest(
                token,
                printedCardNumber=card,
                relatedGuests=[
                    KID,
                    {"firstName": "Old", "dateOfBirth": "1850-01-01"},
                    {"lastName": "X"},
                ],
            ),
        )
        refused(bad, "enrollment.field_validation")
        assert bad["errorsByField"]["relatedGuests/1/dateOfBirth"][0]["code"] == "invalid_date"
        failed = enroll_call(
            client,
            "addRelatedGuests",
            as_guest(token, printedCardNumber=card, relatedGuests=[{"lastName": "X"}]),
        )
        assert failed["errorsByField"]["relatedGuests/0/firstName"][0]["code"] == "required"
        theirs = enroll_call(
            client,
            "addRelatedGuests",
            as_guest(token, printedCardNumber=bob["printedCardNumber"], relatedGuests=[KID]),
        )
        refused(theirs, "enrollment.card_not_found")
        other_account = enroll_call(
            client,
            "editRelatedGuest",
            b2b(
                printedCardNumber=bob["printedCardNumber"],
                relatedGuest={"id": kid_id, "firstName": "Z"},
            ),
            auth=POS,
        )
        refused(other_account, "enrollment.related_guest_not_found")
        clear_name = enroll_call(
            client,
            "editRelatedGuest",
            as_guest(token, printedCardNumber=card, relatedGuest={"id": kid_id, "firstName": None}),
        )
        assert clear_name["errorsByField"]["relatedGuest/firstName"][0]["code"] == "required"
        refused(
            delete(
                client, "relatedGuest", b2b(printedCardNumber=card, relatedGuestId=kid_id + 999)
            ),
            "enrollment.related_guest_not_found",
        )
        refused(
            enroll_call(
                client,
                "addRelatedGuests",
                as_guest(token, printedCardNumber=card, relatedGuests=[]),
            ),
            "enrollment.invalid_request",
        )


def test_validate_related_guest(client: TestClient) -> None:
    with unchanged(client):
        good = enroll_call(
            client, "validateRelatedGuest", {"authentication": "anonymous", "relatedGuest": KID}
        )
        assert good == {"result": "success"}
        bad = enroll_call(
            client,
            "validateRelatedGuest",
            {
                "authentication": "anonymous",
                "relatedGuest": {"firstName": 7, "dateOfBirth": "soon"},
            },
        )
        refused(bad, "enrollment.field_validation")
        assert set(bad["errorsByField"]) == {"relatedGuest/firstName", "relatedGuest/dateOfBirth"}


# --- automatic combine ---------------------------------------------------------

PHONE = "617-555-0100"


def points(client: TestClient, card: str) -> str:
    info = body_of(
        gget(client, "guest", "accountInformation", b2b(printedCardNumber=card), auth=POS)
    )
    return str(next(b["balance"] for b in info["walletBalances"] if b["walletCode"] == 2))


def guest_with_walk_in_account(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ada (phone on file) and an account texted to the same phone, holding 40 points."""
    ada = enroll(client, "ada", mobilePhone=[PHONE])
    walk_in = enroll_call(client, "smsEnroll", b2b(cardTemplateCode=1, mobilePhone=PHONE), auth=POS)
    ok(
        call(
            client,
            "addRedeem",
            add_redeem_body(
                walk_in["printedCardNumber"],
                add=[{"walletCode": 2, "quantity": "40"}],
                program="LP",
            ),
        )
    )
    return ada, walk_in


def test_automatic_combine_moves_the_walk_in_account(client: TestClient) -> None:
    ada, walk_in = guest_with_walk_in_account(client)
    token = ada["oauthTokens"]["access_token"]
    begun = enroll_call(client, "beginAutomaticCombine", as_guest(token))
    assert begun["result"] == "success" and begun["verificationChannel"] == "sms"
    workflow = begun["workflowId"]
    number = walk_in["printedCardNumber"]
    expected = [
        {
            "accountId": walk_in["accountId"],
            "maskedCardNumber": number[-6:],
            "cardTemplateCode": 1,
            "registered": False,
        }
    ]
    assert begun["candidateAccounts"] == expected
    listed = body_of(
        gget(
            client, "enrollment", "automaticCombineCandidates", as_guest(token, workflowId=workflow)
        )
    )
    assert listed == {"result": "success", "workflowId": workflow, "candidateAccounts": expected}
    code = code_in(last_message(client, PHONE).body)
    assert code not in str(begun)

    with unchanged(client):
        wrong = str((int(code) + 1) % 1_000_000).zfill(6)
        refused(
            enroll_call(
                client,
                "completeAutomaticCombine",
                as_guest(token, workflowId=workflow, verificationCode=wrong),
            ),
            "enrollment.invalid_verification_code",
        )
        refused(
            enroll_call(client, "completeAutomaticCombine", as_guest(token, workflowId=workflow)),
            "enrollment.invalid_verification_code",
        )
        refused(
            enroll_call(
                client,
                "completeAutomaticCombine",
                as_guest(
                    token, workflowId=workflow, verificationCode=code, accountIds=[ada["accountId"]]
                ),
            ),
            "enrollment.invalid_request",
        )
    done = enroll_call(
        client,
        "completeAutomaticCombine",
        as_guest(token, workflowId=workflow, verificationCode=code),
    )
    assert done == {
        "result": "success",
        "accountId": ada["accountId"],
        "printedCardNumber": ada["printedCardNumber"],
    }
    assert points(client, ada["printedCardNumber"]) == "40"
    closed = query(client, select(accounts).where(accounts.c.id == walk_in["accountId"]))[0]
    assert closed.status == "closed"
    # The walk-in user held nothing else, so it is gone, and the phone with it.
    assert [r.username for r in query(client, select(users))] == ["ada"]
    refused(
        enroll_call(
            client,
            "completeAutomaticCombine",
            as_guest(token, workflowId=workflow, verificationCode=code),
        ),
        "enrollment.invalid_workflow",
    )


def test_b2b_combine_without_a_code_and_workflow_refusals(
    client: TestClient, clock: ShiftedClock
) -> None:
    ada, _ = guest_with_walk_in_account(client)
    bob = enroll(client, "bob")
    with unchanged(client):
        refused(
            enroll_call(
                client, "beginAutomaticCombine", as_guest(bob["oauthTokens"]["access_token"])
            ),
            "enrollment.no_combine_candidates",
        )
        refused(
            enroll_call(client, "beginAutomaticCombine", b2b(username="nobody"), auth=POS),
            "user_info.not_found",
        )
    begun = enroll_call(client, "beginAutomaticCombine", b2b(username="ada"), auth=POS)
    workflow = begun["workflowId"]
    bob_token = bob["oauthTokens"]["access_token"]
    with unchanged(client):
        refused(
            body_of(
                gget(
                    client,
                    "enrollment",
                    "automaticCombineCandidates",
                    as_guest(bob_token, workflowId=workflow),
                )
            ),
            "enrollment.invalid_workflow",
        )
        refused(
            enroll_call(
                client,
                "completeAutomaticCombine",
                as_guest(bob_token, workflowId=workflow, verificationCode="000000"),
            ),
            "enrollment.invalid_workflow",
        )
        refused(
            body_of(
                gget(
                    client,
                    "enrollment",
                    "automaticCombineCandidates",
                    b2b(workflowId="nope"),
                    auth=POS,
                )
            ),
            "enrollment.invalid_workflow",
        )
    clock.offset += timedelta(minutes=31)
    with unchanged(client):
        refused(
            enroll_call(client, "completeAutomaticCombine", b2b(workflowId=workflow), auth=POS),
            "enrollment.invalid_workflow",
        )
    clock.offset -= timedelta(minutes=31)
    done = enroll_call(client, "completeAutomaticCombine", b2b(workflowId=workflow), auth=POS)
    assert done["result"] == "success" and done["accountId"] == ada["accountId"]
    assert points(client, ada["printedCardNumber"]) == "40"
