"""The mobile-app flow of flows.yaml, end to end over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.guests import (
    PASSWORD,
    as_guest,
    b2b,
    body_of,
    enroll,
    gget,
    gpost,
    sign_in,
    user_fields,
)
from tests.api.pos import POS, add_redeem_body, call, header, ok


def test_register_sign_in_read_edit_refresh_revoke(client: TestClient) -> None:
    config = body_of(gget(client, "enrollment", "enrollmentConfig", {"cardTemplateCode": 1}))
    password = next(f for f in config["config"]["fields"] if f["field"] == "password")
    assert password["minLength"] == 8 and "maxLength" not in password

    created = enroll(client, "ada")
    card = created["printedCardNumber"]
    tokens = created["oauthTokens"]
    assert tokens["printedCardNumber"] == card and tokens["expires_in"] == 1800
    assert isinstance(created["accountId"], int)

    again = body_of(
        gpost(
            client,
            "enrollment",
            "createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "setUserFields": user_fields("ADA", "other@example.com"),
            },
        )
    )
    assert again["result"] == "uniquenessConflict"
    assert "setUserFields/username" in again["errorsByField"]

    bad = body_of(
        gpost(
            client,
            "enrollment",
            "createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "setUserFields": user_fields("grace", "not-an-email"),
            },
        )
    )
    assert bad["result"] == "failure" and bad["errorCode"] == "enrollment.field_validation"
    assert bad["errorsByField"]["setUserFields/email"][0]["code"] == "invalid_format"

    signed_in = sign_in(client, "ada")
    assert signed_in["result"] == "success" and signed_in["token_type"] == "bearer"
    token = signed_in["access_token"]

    info = body_of(gget(client, "guest", "userInformation", as_guest(token, username="ada")))
    assert info["fields"]["firstName"] == "Ada"
    assert "password" not in info["fields"]
    assert info["primaryCardNumbers"] == [card]

    ok(
        call(
            client,
            "addRedeem",
            add_redeem_body(card, add=[{"walletCode": 2, "quantity": "40"}], program="LP"),
        )
    )

    account = body_of(
        gget(client, "guest", "accountInformation", as_guest(token, printedCardNumber=card))
    )
    assert account["result"] == "success" and account["username"] == "ada"
    assert account["isRegistered"] == "true"
    points = {b["walletCode"]: b["balance"] for b in account["pointBalances"]}
    assert points[2] == "40"

    by_card = body_of(
        gget(
            client,
            "guest",
            "accountInformation",
            {
                "authentication": "card",
                "printedCardNumber": "7000000000000001",
                "registrationCode": "1234",
            },
        )
    )
    assert by_card["result"] == "failure"
    assert by_card["errorCode"] == "system.invalid_card_credentials"
    ok(
        call(
            client,
            "activate",
            {
                "authentication": "b2b",
                "headerInfo": header(),
                "cardInfo": {"printedCardNumber": "7000000000000001"},
            },
        )
    )
    by_card = body_of(
        gget(
            client,
            "guest",
            "accountInformation",
            {
                "authentication": "card",
                "printedCardNumber": "7000000000000001",
                "registrationCode": "1234",
            },
        )
    )
    assert by_card["result"] == "success" and by_card["isRegistered"] == "false"
    assert by_card["registrationStatus"] == "UNREGISTERED"

    history = body_of(
        gget(client, "guest", "transactionHistory", as_guest(token, printedCardNumber=card))
    )
    assert history["result"] == "success"
    assert [t["transactionType"] for t in history["transactions"]][:1] == ["addRedeem"]
    assert {w["walletCode"] for w in history["walletInfo"]} >= {2}

    edited = body_of(
        gpost(
            client,
            "enrollment",
            "editAccount",
            as_guest(
                token,
                printedCardNumber=card,
                setUserFields={
                    "style": "typed",
                    "firstName": ["Augusta"],
                    "mobilePhone": ["617-555-0100"],
                },
            ),
        )
    )
    assert edited["result"] == "success", edited
    info = body_of(gget(client, "guest", "userInformation", as_guest(token)))
    assert info["fields"]["firstName"] == "Augusta"

    refreshed = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]},
        )
    )
    assert refreshed["result"] == "success" and refreshed["access_token"] != token

    pos_view = body_of(gget(client, "guest", "userInformation", b2b(username="ada"), auth=POS))
    assert pos_view["fields"]["username"] == "ada"
    unknown = body_of(gget(client, "guest", "userInformation", b2b(username="nobody"), auth=POS))
    assert unknown["errorCode"] == "user_info.not_found"

    revoked = body_of(
        gpost(client, "oauth", "revokeGuestToken", as_guest(refreshed["access_token"]))
    )
    assert revoked["result"] == "success"
    gone = gget(client, "guest", "userInformation", as_guest(refreshed["access_token"]))
    assert gone.status_code == 401 and gone.json()["errorCode"] == "invalid_token"
    assert PASSWORD not in gone.text
