"""Enrollment: the user record, addresses, e-mail verification, external accounts, perks
and eClub members over HTTP. Refusals are checked to change nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import account_perks, accounts, oauth_tokens, users
from tests.api.guests import (
    PASSWORD,
    as_guest,
    b2b,
    body_of,
    enroll,
    gget,
    gpost,
    sign_in,
)
from tests.api.pos import POS, refused
from tests.api.test_enrollment_create import (
    code_in,
    enroll_call,
    last_message,
    query,
    unchanged,
)


def delete(client: TestClient, operation: str, params: dict[str, Any], auth: Any = POS) -> Any:
    return body_of(
        client.delete(
            f"/rest/24.11/enrollment/{operation}.json",
            params={"merchantId": 1000, **params},
            auth=auth,
        )
    )


def user_info(client: TestClient, username: str) -> dict[str, Any]:
    return body_of(gget(client, "guest", "userInformation", b2b(username=username), auth=POS))


# --- editUser ---------------------------------------------------------------


def test_edit_user_as_guest_and_b2b(client: TestClient) -> None:
    ada = enroll(client, "ada")
    token = ada["oauthTokens"]["access_token"]
    reply = enroll_call(
        client,
        "editUser",
        as_guest(token, setUserFields={"style": "typed", "firstName": ["Augusta"]}),
    )
    assert reply == {
        "result": "success",
        "accountId": ada["accountId"],
        "printedCardNumber": ada["printedCardNumber"],
    }
    assert user_info(client, "ada")["fields"]["firstName"] == "Augusta"
    enroll_call(
        client,
        "editUser",
        b2b(username="ada", setUserFields={"style": "string", "postalCode": "02110"}),
        auth=POS,
    )
    assert user_info(client, "ada")["fields"]["postalCode"] == "02110"
    # A new password works at once.
    enroll_call(
        client,
        "editUser",
        as_guest(token, setUserFields={"style": "typed", "password": ["N3wPassword!"]}),
    )
    assert sign_in(client, "ada", "N3wPassword!")["result"] == "success"


def test_edit_user_refusals(client: TestClient) -> None:
    ada = enroll(client, "ada")
    enroll(client, "bob")
    token = ada["oauthTokens"]["access_token"]
    with unchanged(client):
        other = enroll_call(
            client,
            "editUser",
            as_guest(token, username="bob", setUserFields={"style": "typed", "firstName": ["X"]}),
        )
        refused(other, "user_info.not_found")
        nobody = enroll_call(
            client,
            "editUser",
            b2b(username="nobody", setUserFields={"style": "typed", "firstName": ["X"]}),
            auth=POS,
        )
        refused(nobody, "user_info.not_found")
        bad = enroll_call(
            client, "editUser", as_guest(token, setUserFields={"style": "typed", "email": ["x"]})
        )
        refused(bad, "enrollment.field_validation")
        assert bad["errorsByField"]["setUserFields/email"][0]["code"] == "invalid_format"
        taken = enroll_call(
            client,
            "editUser",
            as_guest(
                token,
                enforceUniqueFields=["email"],
                setUserFields={"style": "typed", "email": ["bob@example.com"]},
            ),
        )
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")
        assert "setUserFields/email" in taken["errorsByField"]
        empty = enroll_call(client, "editUser", as_guest(token, setUserFields={"style": "typed"}))
        refused(empty, "enrollment.invalid_request")
        account = enroll_call(
            client,
            "editUser",
            as_guest(token, setUserFields={"style": "typed", "favoriteStore": [{"code": "1001"}]}),
        )
        assert "setUserFields/favoriteStore" in account["errorsByField"]


# --- deleting users -----------------------------------------------------------


def test_delete_user_by_username(client: TestClient) -> None:
    ada = enroll(client, "ada")
    enroll_call(
        client,
        "addAddressForUser",
        b2b(username="ada", address={"label": "Work", "city": "Boston"}),
        auth=POS,
    )
    assert delete(client, "user", b2b(username="ADA")) == {"result": "success"}
    assert query(client, select(users)) == []
    account = query(client, select(accounts).where(accounts.c.id == ada["accountId"]))[0]
    assert account.user_id is None and account.status == "active"
    assert all(r.revoked_at is not None for r in query(client, select(oauth_tokens)))
    gone = gget(client, "guest", "userInformation", as_guest(ada["oauthTokens"]["access_token"]))
    assert gone.status_code == 401
    assert sign_in(client, "ada")["result"] == "failure"
    # The username and e-mail are free again.
    enroll(client, "ada")


def test_a_guest_deletes_themself_and_nobody_else(client: TestClient) -> None:
    ada = enroll(client, "ada")
    enroll(client, "bob")
    token = ada["oauthTokens"]["access_token"]
    with unchanged(client):
        refused(
            delete(client, "user", as_guest(token, username="bob"), auth=None),
            "user_info.not_found",
        )
        refused(delete(client, "user", b2b(username="nobody")), "user_info.not_found")
        refused(delete(client, "user", b2b()), "user_info.not_found")
    assert delete(client, "user", as_guest(token), auth=None)["result"] == "success"
    assert [r.username for r in query(client, select(users))] == ["bob"]


def test_delete_user_by_printed_card_number(client: TestClient) -> None:
    ada = enroll(client, "ada")
    bob = enroll(client, "bob")
    bare = enroll_call(client, "createAndEdit", b2b(cardTemplateCode=2), auth=POS)
    token = ada["oauthTokens"]["access_token"]
    with unchanged(client):
        refused(
            delete(client, "userByPrintedCardNumber", b2b(printedCardNumber="9999")),
            "enrollment.card_not_found",
        )
        refused(
            delete(
                client,
                "userByPrintedCardNumber",
                as_guest(token, printedCardNumber=bob["printedCardNumber"]),
                auth=None,
            ),
            "enrollment.card_not_found",
        )
        refused(
            delete(
                client, "userByPrintedCardNumber", b2b(printedCardNumber=bare["printedCardNumber"])
            ),
            "user_info.not_found",
        )
    reply = delete(
        client, "userByPrintedCardNumber", b2b(printedCardNumber=bob["printedCardNumber"])
    )
    assert reply == {"result": "success"}
    assert [r.username for r in query(client, select(users))] == ["ada"]


# --- addresses ----------------------------------------------------------------


def test_secondary_addresses(client: TestClient) -> None:
    ada = enroll(client, "ada")
    token = ada["oauthTokens"]["access_token"]
    added = enroll_call(
        client,
        "addAddressForUser",
        as_guest(
            token,
            address={
                "label": "Home",
                "address1": "1 Main St",
                "city": "Boston",
                "postalCode": "02110",
            },
        ),
    )
    assert added["result"] == "success" and isinstance(added["addressId"], int)
    address_id = added["addressId"]
    listed = user_info(client, "ada")["addresses"]
    assert listed == [
        {
            "addressId": address_id,
            "label": "Home",
            "address1": "1 Main St",
            "city": "Boston",
            "postalCode": "02110",
        }
    ]
    edited = enroll_call(
        client,
        "editAddressForUser",
        as_guest(token, address={"addressId": address_id, "label": "Cabin", "city": "Stowe"}),
    )
    assert edited == {"result": "success", "addressId": address_id}
    assert user_info(client, "ada")["addresses"] == [
        {"addressId": address_id, "label": "Cabin", "city": "Stowe"}
    ]

    bob = enroll(client, "bob")
    bob_token = bob["oauthTokens"]["access_token"]
    with unchanged(client):
        theirs = enroll_call(
            client,
            "editAddressForUser",
            as_guest(bob_token, address={"addressId": address_id, "city": "Nope"}),
        )
        refused(theirs, "enrollment.address_not_found")
        refused(
            delete(
                client, "deleteAddressForUser", as_guest(bob_token, addressId=address_id), auth=None
            ),
            "enrollment.address_not_found",
        )
        empty = enroll_call(client, "addAddressForUser", as_guest(token, address={"label": "X"}))
        refused(empty, "enrollment.field_validation")
        assert empty["errorsByField"]["address"][0]["code"] == "required"
        no_id = enroll_call(client, "editAddressForUser", as_guest(token, address={"city": "X"}))
        refused(no_id, "enrollment.address_not_found")
        refused(
            enroll_call(
                client, "addAddressForUser", b2b(username="nobody", address={"city": "X"}), auth=POS
            ),
            "user_info.not_found",
        )
    gone = delete(client, "deleteAddressForUser", b2b(username="ada", addressId=address_id))
    assert gone == {"result": "success"}
    assert (
        "addresses" not in user_info(client, "ada") or user_info(client, "ada")["addresses"] == []
    )
    refused(
        delete(client, "deleteAddressForUser", b2b(username="ada", addressId=address_id)),
        "enrollment.address_not_found",
    )


# --- e-mail verification -------------------------------------------------------


def test_email_verification(client: TestClient) -> None:
    ada = enroll(client, "ada")
    token = ada["oauthTokens"]["access_token"]
    sent = enroll_call(client, "sendEmailVerificationChallenge", as_guest(token))
    assert sent == {"result": "success"}
    message = last_message(client, "ada@example.com")
    assert message.channel == "email" and message.subject == "Verify your e-mail address"
    code = code_in(message.body)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    with unchanged(client):
        refused(
            enroll_call(
                client, "completeEmailVerification", as_guest(token, verificationCode=wrong)
            ),
            "enrollment.invalid_verification_code",
        )
    assert user_info(client, "ada")["fields"]["emailVerified"] is False
    done = enroll_call(client, "completeEmailVerification", as_guest(token, verificationCode=code))
    assert done == {"result": "success"}
    assert user_info(client, "ada")["fields"]["emailVerified"] is True
    # Used once.
    refused(
        enroll_call(client, "completeEmailVerification", as_guest(token, verificationCode=code)),
        "enrollment.invalid_verification_code",
    )
    refused(
        enroll_call(client, "sendEmailVerificationChallenge", as_guest(token)),
        "enrollment.email_already_verified",
    )


def test_email_verification_by_link_and_its_refusals(client: TestClient) -> None:
    enroll(client, "ada")
    enroll_call(client, "sendEmailVerificationChallenge", b2b(username="ada"), auth=POS)
    code = code_in(last_message(client, "ada@example.com").body)
    # A changed address needs a new code.
    enroll_call(
        client,
        "editUser",
        b2b(username="ada", setUserFields={"style": "typed", "email": ["ada2@example.com"]}),
        auth=POS,
    )
    with unchanged(client):
        refused(
            enroll_call(
                client,
                "completeEmailVerification",
                {"authentication": "anonymous", "verificationCode": code},
            ),
            "enrollment.invalid_verification_code",
        )
    enroll_call(client, "sendEmailVerificationChallenge", b2b(username="ada"), auth=POS)
    code = code_in(last_message(client, "ada2@example.com").body)
    done = enroll_call(
        client,
        "completeEmailVerification",
        {"authentication": "anonymous", "verificationCode": code},
    )
    assert done == {"result": "success"}
    assert user_info(client, "ada")["fields"]["emailVerified"] is True

    # A gift-card user has no e-mail field at all.
    body_of(
        gpost(
            client,
            "enrollment",
            "createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 2,
                "setUserFields": {"style": "typed", "username": ["gifty"], "password": [PASSWORD]},
            },
        )
    )
    with unchanged(client):
        refused(
            enroll_call(client, "sendEmailVerificationChallenge", b2b(username="gifty"), auth=POS),
            "enrollment.email_missing",
        )


# --- external accounts ------------------------------------------------------------


def account_info(client: TestClient, card: str) -> dict[str, Any]:
    return body_of(
        gget(client, "guest", "accountInformation", b2b(printedCardNumber=card), auth=POS)
    )


def test_external_accounts(client: TestClient) -> None:
    ada = enroll(client, "ada")
    card = ada["printedCardNumber"]
    token = ada["oauthTokens"]["access_token"]
    push = {"externalIdentifier": "PUSH", "accountCode": "device-1"}
    apple = {"externalIdentifier": "APPLE", "accountCode": "001122.abc"}
    reply = enroll_call(
        client,
        "editExternalAccounts",
        as_guest(token, printedCardNumber=card, addExternalAccounts=[push, apple]),
    )
    assert reply == {"result": "success", "accountId": ada["accountId"], "printedCardNumber": card}
    assert account_info(client, card)["fields"]["externalAccounts"] == [push, apple]
    # Adding again is harmless.
    enroll_call(
        client,
        "editExternalAccounts",
        as_guest(token, printedCardNumber=card, addExternalAccounts=[push]),
    )
    enroll_call(
        client,
        "editExternalAccounts",
        b2b(printedCardNumber=card, removeExternalAccounts=[push]),
        auth=POS,
    )
    assert account_info(client, card)["fields"]["externalAccounts"] == [apple]

    bob = enroll(client, "bob")
    with unchanged(client):
        stolen = enroll_call(
            client,
            "editExternalAccounts",
            b2b(printedCardNumber=bob["printedCardNumber"], addExternalAccounts=[apple]),
            auth=POS,
        )
        refused(stolen, "enrollment.field_validation")
        assert stolen["errorsByField"]["addExternalAccounts/0"][0]["code"] == "already_linked"
        theirs = enroll_call(
            client,
            "editExternalAccounts",
            as_guest(token, printedCardNumber=bob["printedCardNumber"], addExternalAccounts=[push]),
        )
        refused(theirs, "enrollment.card_not_found")
        refused(
            enroll_call(client, "editExternalAccounts", as_guest(token, printedCardNumber=card)),
            "enrollment.invalid_request",
        )
        blank = enroll_call(
            client,
            "editExternalAccounts",
            as_guest(
                token,
                printedCardNumber=card,
                addExternalAccounts=[{"externalIdentifier": "", "accountCode": "x"}],
            ),
        )
        refused(blank, "enrollment.invalid_request")


# --- perks -----------------------------------------------------------------------


def test_configured_perks_and_adding_one(client: TestClient) -> None:
    diet = body_of(gget(client, "enrollment", "configuredPerks", {"perkType": "DIET"}))
    assert diet == {
        "result": "success",
        "perks": [
            {"code": "VEGGIE", "type": "DIET", "label": "Vegetarian"},
            {"code": "GLUTENFREE", "type": "DIET", "label": "Gluten free"},
        ],
    }
    refused(
        body_of(gget(client, "enrollment", "configuredPerks", {"perkType": "NOPE"})),
        "enrollment.invalid_perk_type",
    )
    ada = enroll(client, "ada")
    card = ada["printedCardNumber"]
    token = ada["oauthTokens"]["access_token"]
    for _ in range(2):
        reply = enroll_call(
            client, "addAccountPerk", as_guest(token, printedCardNumber=card, perkCode="VEGGIE")
        )
        assert reply["result"] == "success"
    rows = query(client, select(account_perks))
    assert [(r.account_id, r.perk_code) for r in rows] == [(ada["accountId"], "VEGGIE")]
    bob = enroll(client, "bob")
    with unchanged(client):
        refused(
            enroll_call(
                client, "addAccountPerk", as_guest(token, printedCardNumber=card, perkCode="BOGUS")
            ),
            "enrollment.invalid_perk",
        )
        refused(
            enroll_call(
                client,
                "addAccountPerk",
                as_guest(token, printedCardNumber=bob["printedCardNumber"], perkCode="PATIO"),
            ),
            "enrollment.card_not_found",
        )


# --- eClub -------------------------------------------------------------------------


def test_eclub_config_and_edit(client: TestClient) -> None:
    config = body_of(gget(client, "enrollment", "eClubEnrollmentConfig", {"cardTemplateCode": 3}))
    fields = {f["field"]: f for f in config["config"]["fields"]}
    assert fields["email"]["required"] is True and fields["email"]["unique"] is True
    assert fields["password"]["required"] is False and fields["username"]["required"] is False
    refused(
        body_of(gget(client, "enrollment", "eClubEnrollmentConfig", {"cardTemplateCode": 1})),
        "enrollment.invalid_card_template",
    )

    member = enroll_call(
        client,
        "createEClubAndRegister",
        {
            "authentication": "anonymous",
            "cardTemplateCode": 3,
            "setUserFields": {"style": "typed", "email": ["club@example.com"]},
        },
    )
    by_email = enroll_call(
        client,
        "editEClubAccount",
        b2b(email="CLUB@example.com", setUserFields={"style": "typed", "firstName": ["Cleo"]}),
        auth=POS,
    )
    assert by_email == {
        "result": "success",
        "accountId": member["accountId"],
        "printedCardNumber": member["printedCardNumber"],
    }
    enroll_call(
        client,
        "editEClubAccount",
        b2b(
            printedCardNumber=member["printedCardNumber"],
            setUserFields={"style": "typed", "username": ["cleo"], "password": [PASSWORD]},
        ),
        auth=POS,
    )
    assert sign_in(client, "cleo")["result"] == "success"

    ada = enroll(client, "ada")
    with unchanged(client):
        refused(
            enroll_call(
                client,
                "editEClubAccount",
                b2b(
                    printedCardNumber=ada["printedCardNumber"],
                    setUserFields={"style": "typed", "firstName": ["X"]},
                ),
                auth=POS,
            ),
            "enrollment.invalid_card_template",
        )
        refused(
            enroll_call(
                client,
                "editEClubAccount",
                b2b(
                    email="nobody@example.com", setUserFields={"style": "typed", "firstName": ["X"]}
                ),
                auth=POS,
            ),
            "user_info.not_found",
        )
        bad = enroll_call(
            client,
            "editEClubAccount",
            b2b(email="club@example.com", setUserFields={"style": "typed", "optIn": ["maybe"]}),
            auth=POS,
        )
        refused(bad, "enrollment.field_validation")
        assert bad["errorsByField"]["setUserFields/optIn"][0]["code"] == "invalid_type"
        # A guest reaches only their own eClub account.
        theirs = enroll_call(
            client,
            "editEClubAccount",
            as_guest(
                ada["oauthTokens"]["access_token"],
                email="club@example.com",
                setUserFields={"style": "typed", "firstName": ["X"]},
            ),
        )
        refused(theirs, "user_info.not_found")
