"""Referrals and referral codes (guest.yaml), over HTTP."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.guest_state import nothing_changes, token_of
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import APP, POS, refused

CODE_SHAPE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")


def emails(reply: dict[str, Any]) -> list[str]:
    assert reply["result"] == "success", reply
    return [r["email"] for r in reply["referrals"]]


def test_add_and_list_referrals_three_ways(client: TestClient) -> None:
    created = enroll(client, "ada")
    card, account_id = created["printedCardNumber"], created["accountId"]
    token = token_of(client, "ada")

    first = body_of(
        gpost(
            client,
            "guest",
            "addReferrals",
            as_guest(
                token,
                referrals=[
                    {"email": "Bob@Example.com", "firstName": "Bob", "lastName": "Smith"},
                    {"email": "carol@example.com"},
                    {"email": "bob@example.com"},
                ],
            ),
        )
    )
    assert emails(first) == ["bob@example.com", "carol@example.com"]
    bob = first["referrals"][0]
    assert bob["status"] == "pending" and bob["firstName"] == "Bob" and bob["referralDate"]
    assert "firstName" not in first["referrals"][1]

    # The same address again is ignored; a new one is added by card and by account id.
    by_card = body_of(
        gpost(
            client,
            "guest",
            "addReferralsByPrintedCardNumber",
            as_guest(
                token,
                printedCardNumber=card,
                referrals=[{"email": "bob@example.com"}, {"email": "dan@example.com"}],
            ),
        )
    )
    assert emails(by_card) == ["bob@example.com", "carol@example.com", "dan@example.com"]
    by_id = body_of(
        gpost(
            client,
            "guest",
            "addReferralsByAccountId",
            b2b(accountId=account_id, referrals=[{"email": "eve@example.com"}]),
            auth=POS,
        )
    )
    assert emails(by_id)[-1] == "eve@example.com"

    everyone = ["bob@example.com", "carol@example.com", "dan@example.com", "eve@example.com"]
    assert emails(body_of(gget(client, "guest", "referrals", as_guest(token)))) == everyone
    assert (
        emails(body_of(gget(client, "guest", "referrals", b2b(username="ada"), auth=POS)))
        == everyone
    )
    assert (
        emails(
            body_of(
                gget(
                    client,
                    "guest",
                    "referralsByPrintedCardNumber",
                    as_guest(token, printedCardNumber=card),
                )
            )
        )
        == everyone
    )
    assert (
        emails(
            body_of(
                gget(client, "guest", "referralsByAccountId", as_guest(token, accountId=account_id))
            )
        )
        == everyone
    )


def test_referral_refusals_change_nothing(client: TestClient) -> None:
    created = enroll(client, "ada")
    card, account_id = created["printedCardNumber"], created["accountId"]
    token = token_of(client, "ada")
    enroll(client, "grace")
    other = token_of(client, "grace")
    bad_lists: list[list[dict[str, Any]]] = [
        [],
        [{"email": "not-an-address"}],
        [{"firstName": "No address"}],
        [{"email": "ok@example.com"}, {"email": "ada@example.com"}],  # the member's own
    ]
    with nothing_changes(client):
        for bad in bad_lists:
            refused(
                body_of(gpost(client, "guest", "addReferrals", as_guest(token, referrals=bad))),
                "guest.invalid_referral",
            )
        too_many = [{"email": f"p{i}@example.com"} for i in range(51)]
        refused(
            body_of(gpost(client, "guest", "addReferrals", as_guest(token, referrals=too_many))),
            "guest.invalid_request",
        )
        # Another guest reaches neither the account nor the user: "not found".
        for operation, params, code in (
            (
                "addReferralsByPrintedCardNumber",
                {"printedCardNumber": card},
                "guest.card_not_found",
            ),
            ("addReferralsByAccountId", {"accountId": account_id}, "guest.account_not_found"),
            ("addReferrals", {"username": "ada"}, "user_info.not_found"),
        ):
            refused(
                body_of(
                    gpost(
                        client,
                        "guest",
                        operation,
                        as_guest(other, referrals=[{"email": "x@example.com"}], **params),
                    )
                ),
                code,
            )
        refused(
            body_of(
                gget(
                    client,
                    "guest",
                    "referralsByPrintedCardNumber",
                    as_guest(other, printedCardNumber=card),
                )
            ),
            "guest.card_not_found",
        )
        refused(
            body_of(
                gget(client, "guest", "referralsByAccountId", as_guest(other, accountId=account_id))
            ),
            "guest.account_not_found",
        )
        refused(
            body_of(gget(client, "guest", "referrals", as_guest(other, username="ada"))),
            "user_info.not_found",
        )
        refused(
            body_of(gget(client, "guest", "referrals", b2b(username="nobody"), auth=POS)),
            "user_info.not_found",
        )


def test_referral_code_is_made_once_and_validates(client: TestClient) -> None:
    created = enroll(client, "ada")
    card, account_id = created["printedCardNumber"], created["accountId"]
    token = token_of(client, "ada")

    first = body_of(gpost(client, "guest", "createReferralCode", as_guest(token)))
    code = first["referralCode"]
    assert first["result"] == "success" and CODE_SHAPE.match(code)
    with nothing_changes(client):
        for operation, params in (
            ("createReferralCode", {"username": "ada"}),
            ("createReferralCodeByPrintedCardNumber", {"printedCardNumber": card}),
            ("createReferralCodeByAccountId", {"accountId": account_id}),
        ):
            again = body_of(gpost(client, "guest", operation, as_guest(token, **params)))
            assert again == {"result": "success", "referralCode": code}
        by_b2b = body_of(
            gpost(client, "guest", "createReferralCode", b2b(username="ada"), auth=POS)
        )
        assert by_b2b["referralCode"] == code

    # A registration form checks a typed code before enrolling: any case, no login.
    for typed in (code, f" {code.lower()} "):
        assert body_of(
            gget(
                client,
                "guest",
                "validateReferralCode",
                {"authentication": "anonymous", "referralCode": typed},
                auth=APP,
            )
        ) == {"result": "success"}
    assert (
        body_of(gget(client, "guest", "validateReferralCode", b2b(referralCode=code), auth=POS))[
            "result"
        ]
        == "success"
    )
    refused(
        body_of(
            gget(
                client,
                "guest",
                "validateReferralCode",
                {"authentication": "anonymous", "referralCode": "ZZZZZZZZ"},
            )
        ),
        "guest.invalid_referral_code",
    )

    enroll(client, "grace")
    other = token_of(client, "grace")
    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "createReferralCodeByAccountId",
                    as_guest(other, accountId=account_id),
                )
            ),
            "guest.account_not_found",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "createReferralCodeByPrintedCardNumber",
                    as_guest(other, printedCardNumber=card),
                )
            ),
            "guest.card_not_found",
        )
        refused(
            body_of(gpost(client, "guest", "createReferralCode", as_guest(other, username="ada"))),
            "user_info.not_found",
        )
    grace_code = body_of(gpost(client, "guest", "createReferralCode", as_guest(other)))[
        "referralCode"
    ]
    assert grace_code != code
