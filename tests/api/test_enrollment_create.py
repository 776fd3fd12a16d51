"""Enrollment: createAndEdit, createAndRegisterWithCardNumber, createEClubAndRegister,
activateAndEdit, activateAndRegister, smsEnroll and editSmsEnroll over HTTP.

Every refusal is checked to leave the database as it was (``unchanged``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.store.tables import (
    account_perks,
    accounts,
    cards,
    combine_workflows,
    external_accounts,
    oauth_tokens,
    outbox,
    related_guests,
    user_addresses,
    user_unique_values,
    users,
    verification_codes,
)
from tests.api.guests import (
    PASSWORD,
    as_guest,
    b2b,
    body_of,
    enroll,
    gget,
    gpost,
    user_fields,
)
from tests.api.pos import LOYALTY, LOYALTY2, POS, refused
from tests.api.test_onetimepassword import with_bodies

WATCHED = (
    users,
    accounts,
    user_unique_values,
    user_addresses,
    external_accounts,
    related_guests,
    account_perks,
    outbox,
    verification_codes,
    combine_workflows,
)


def query(client: TestClient, stmt: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with client.app.state.runtime.engine.connect() as conn:  # type: ignore[attr-defined]
            return list((await conn.execute(stmt)).all())

    assert client.portal is not None
    return client.portal.call(go)


def state(client: TestClient) -> dict[str, object]:
    """Row counts of every table enrollment writes, and the status of every used card."""
    counts: dict[str, object] = {
        t.name: query(client, select(func.count()).select_from(t))[0][0] for t in WATCHED
    }
    counts["cards"] = sorted(
        (r.printed_card_number, r.status, r.account_id)
        for r in query(client, select(cards).where(cards.c.status != "inactive"))
    )
    counts["virtual"] = query(
        client, select(func.count()).where(cards.c.printed_card_number.like("9%"))
    )[0][0]
    return counts


@contextmanager
def unchanged(client: TestClient) -> Iterator[None]:
    before = state(client)
    yield
    assert state(client) == before


def enroll_call(
    client: TestClient, operation: str, body: dict[str, Any], auth: tuple[str, str] | None = None
) -> dict[str, Any]:
    if auth is None:
        return body_of(gpost(client, "enrollment", operation, body))
    return body_of(gpost(client, "enrollment", operation, body, auth=auth))


def user_row(client: TestClient, account_id: int) -> Any:
    rows = query(client, select(users).where(users.c.account_id == account_id))
    return rows[0] if rows else None


def last_message(client: TestClient, recipient: str) -> Any:
    rows = query(
        client, select(outbox).where(outbox.c.recipient == recipient).order_by(outbox.c.id.desc())
    )
    assert rows, f"no message to {recipient}"
    return SimpleNamespace(**with_bodies(client, [dict(rows[0]._mapping)])[0])


def code_in(body: str) -> str:
    found = re.search(r"code(?: to [a-z -]+ is |=)(\d{6})", body)
    assert found, "no code in the message"
    return found.group(1)


def anonymous(**params: Any) -> dict[str, Any]:
    return {"authentication": "anonymous", **params}


def loginless(**extra: Any) -> dict[str, Any]:
    fields = user_fields("x")
    del fields["username"], fields["password"]
    fields.update(extra)
    return fields


# --- createAndEdit ----------------------------------------------------------


def test_create_and_edit_makes_a_card_without_a_login(client: TestClient) -> None:
    reply = enroll_call(
        client,
        "createAndEdit",
        anonymous(
            cardTemplateCode=1,
            activationStoreCode="corp",
            setUserFields=loginless(email=["walk-in@example.com"]),
            setAccountFields={"style": "typed", "favoriteStore": [{"code": "1001"}]},
        ),
    )
    assert reply["result"] == "cardCreatedSuccess" and "oauthTokens" not in reply
    assert reply["printedCardNumber"].startswith("9")
    user = user_row(client, reply["accountId"])
    assert user.username is None and user.password_hash is None
    assert user.email == "walk-in@example.com" and user.first_name == "Ada"
    account = query(client, select(accounts).where(accounts.c.id == reply["accountId"]))[0]
    assert account.fields == {"favoriteStore": {"code": "1001"}}
    assert account.enroll_store_code == "corp"
    # The e-mail (unique on this form) is claimed: nobody can register with it now.
    taken = enroll_call(
        client,
        "createAndRegister",
        anonymous(cardTemplateCode=1, setUserFields=user_fields("bob", "walk-in@example.com")),
    )
    assert taken["result"] == "uniquenessConflict"


def test_register_gives_a_login_to_a_guest_known_by_fields_only(client: TestClient) -> None:
    created = enroll_call(
        client,
        "createAndEdit",
        anonymous(cardTemplateCode=1, setUserFields=loginless(email=["later@example.com"])),
    )
    number = created["printedCardNumber"]
    registered = enroll_call(
        client,
        "register",
        b2b(
            printedCardNumber=number,
            setUserFields={"style": "typed", "username": ["later"], "password": [PASSWORD]},
        ),
        auth=POS,
    )
    assert registered["result"] == "success", registered
    assert registered["oauthTokens"]["printedCardNumber"] == number
    user = user_row(client, created["accountId"])
    assert user.username == "later" and user.email == "later@example.com"
    again = enroll_call(
        client,
        "register",
        b2b(
            printedCardNumber=number,
            setUserFields={"style": "typed", "username": ["other"], "password": [PASSWORD]},
        ),
        auth=POS,
    )
    assert again["errorCode"] == "enrollment.already_registered"


def test_create_and_edit_without_user_fields_makes_no_user(client: TestClient) -> None:
    reply = enroll_call(client, "createAndEdit", b2b(cardTemplateCode=2), auth=POS)
    assert reply["result"] == "cardCreatedSuccess"
    assert user_row(client, reply["accountId"]) is None


def test_create_and_edit_refusals_create_nothing(client: TestClient) -> None:
    enroll(client, "ada")
    with unchanged(client):
        login = enroll_call(
            client, "createAndEdit", anonymous(cardTemplateCode=1, setUserFields=user_fields("x"))
        )
        refused(login, "enrollment.field_validation")
        assert login["errorsByField"]["setUserFields/username"][0]["code"] == "not_allowed"
        assert login["errorsByField"]["setUserFields/password"][0]["code"] == "not_allowed"

        fields = loginless()
        del fields["lastName"]
        missing = enroll_call(
            client, "createAndEdit", anonymous(cardTemplateCode=1, setUserFields=fields)
        )
        refused(missing, "enrollment.field_validation")
        assert missing["errorsByField"]["setUserFields/lastName"][0]["code"] == "required"

        bad = enroll_call(
            client,
            "createAndEdit",
            anonymous(cardTemplateCode=1, setUserFields=loginless(dateOfBirth=["1990-13-01"])),
        )
        assert bad["errorsByField"]["setUserFields/dateOfBirth"][0]["code"] == "invalid_format"

        taken = enroll_call(
            client,
            "createAndEdit",
            anonymous(
                cardTemplateCode=1,
                setUserFields=loginless(email=["ada@example.com"]),
            ),
        )
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")
        assert "setUserFields/email" in taken["errorsByField"]

        template = enroll_call(client, "createAndEdit", anonymous(cardTemplateCode=99))
        refused(template, "enrollment.invalid_card_template")


# --- createAndRegisterWithCardNumber ----------------------------------------

NUMBER = "9100000000000042"


def with_number(username: str, number: str = NUMBER, **extra: Any) -> dict[str, Any]:
    body = anonymous(
        cardTemplateCode=1,
        printedCardNumber=number,
        enforceUniqueFields=["username", "email"],
        setUserFields=user_fields(username),
    )
    return {**body, **extra}


def test_create_and_register_with_card_number(client: TestClient) -> None:
    reply = enroll_call(client, "createAndRegisterWithCardNumber", with_number("cara"))
    assert reply["result"] == "cardCreatedSuccess" and reply["printedCardNumber"] == NUMBER
    assert reply["oauthTokens"]["printedCardNumber"] == NUMBER
    token = reply["oauthTokens"]["access_token"]
    info = body_of(
        gget(client, "guest", "accountInformation", as_guest(token, printedCardNumber=NUMBER))
    )
    assert info["isRegistered"] == "true" and info["cardTemplateCode"] == 1
    assert PASSWORD not in str(reply)

    pos = enroll_call(
        client,
        "createAndRegisterWithCardNumber",
        {**with_number("dora", "9100000000000043"), "authentication": "b2b"},
        auth=POS,
    )
    assert pos["result"] == "cardCreatedSuccess"


def test_create_with_card_number_refusals(client: TestClient) -> None:
    enroll_call(client, "createAndRegisterWithCardNumber", with_number("cara"))
    with unchanged(client):
        again = enroll_call(
            client,
            "createAndRegisterWithCardNumber",
            with_number("other", setUserFields=user_fields("other")),
        )
        refused(again, "enrollment.card_number_in_use")
        printed = enroll_call(
            client, "createAndRegisterWithCardNumber", with_number("pia", LOYALTY)
        )
        refused(printed, "enrollment.card_number_in_use")
        bad = enroll_call(client, "createAndRegisterWithCardNumber", with_number("quin", "12AB"))
        refused(bad, "enrollment.field_validation")
        assert bad["errorsByField"]["printedCardNumber"][0]["code"] == "invalid_format"
        taken = enroll_call(
            client, "createAndRegisterWithCardNumber", with_number("CARA", "9100000000000044")
        )
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")
        assert "setUserFields/username" in taken["errorsByField"]
        short = enroll_call(
            client,
            "createAndRegisterWithCardNumber",
            with_number(
                "sam",
                "9100000000000045",
                setUserFields=user_fields("sam") | {"password": ["short"]},
            ),
        )
        assert short["errorsByField"]["setUserFields/password"][0]["code"] == "too_short"


# --- createEClubAndRegister --------------------------------------------------


def eclub(**fields: Any) -> dict[str, Any]:
    return anonymous(cardTemplateCode=3, setUserFields={"style": "typed", **fields})


def test_eclub_sign_up_without_and_with_a_login(client: TestClient) -> None:
    plain = enroll_call(
        client, "createEClubAndRegister", eclub(email=["news@example.com"], optIn=[True])
    )
    assert plain["result"] == "cardCreatedSuccess" and "oauthTokens" not in plain
    user = user_row(client, plain["accountId"])
    assert user.email == "news@example.com" and user.username is None
    assert user.password_hash is None

    login = enroll_call(
        client,
        "createEClubAndRegister",
        eclub(email=["club@example.com"], username=["clubber"], password=[PASSWORD]),
    )
    assert login["result"] == "cardCreatedSuccess"
    assert login["oauthTokens"]["username"] == "clubber"


def test_eclub_refusals_create_nothing(client: TestClient) -> None:
    enroll_call(client, "createEClubAndRegister", eclub(email=["news@example.com"]))
    with unchanged(client):
        not_club = enroll_call(
            client,
            "createEClubAndRegister",
            anonymous(cardTemplateCode=1, setUserFields=user_fields("zed")),
        )
        refused(not_club, "enrollment.invalid_card_template")
        missing = enroll_call(client, "createEClubAndRegister", eclub(firstName=["Eve"]))
        refused(missing, "enrollment.field_validation")
        assert missing["errorsByField"]["setUserFields/email"][0]["code"] == "required"
        half = enroll_call(
            client, "createEClubAndRegister", eclub(email=["h@example.com"], username=["half"])
        )
        assert half["errorsByField"]["setUserFields/password"][0]["code"] == "required"
        unknown = enroll_call(
            client, "createEClubAndRegister", eclub(email=["u@example.com"], lastName=["X"])
        )
        assert unknown["errorsByField"]["setUserFields/lastName"][0]["code"] == "unknown_field"
        taken = enroll_call(client, "createEClubAndRegister", eclub(email=["NEWS@example.com"]))
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")


# --- activateAndEdit / activateAndRegister -----------------------------------


def card_status(client: TestClient, number: str) -> str:
    return str(
        query(client, select(cards.c.status).where(cards.c.printed_card_number == number))[0][0]
    )


def test_activate_and_edit(client: TestClient) -> None:
    reply = enroll_call(
        client,
        "activateAndEdit",
        b2b(
            printedCardNumber=LOYALTY,
            activationStoreCode="1001",
            setUserFields=loginless(email=["card@example.com"]),
            setAccountFields={"style": "typed", "favoriteStore": [{"code": "1002"}]},
        ),
        auth=POS,
    )
    assert reply == {
        "result": "success",
        "accountId": reply["accountId"],
        "printedCardNumber": LOYALTY,
    }
    assert card_status(client, LOYALTY) == "active"
    user = user_row(client, reply["accountId"])
    assert user.username is None and user.email == "card@example.com"

    bare = enroll_call(client, "activateAndEdit", b2b(printedCardNumber=LOYALTY2), auth=POS)
    assert bare["result"] == "success" and user_row(client, bare["accountId"]) is None


def test_activate_and_edit_refusals(client: TestClient) -> None:
    enroll_call(client, "activateAndEdit", b2b(printedCardNumber=LOYALTY2), auth=POS)
    with unchanged(client):
        again = enroll_call(client, "activateAndEdit", b2b(printedCardNumber=LOYALTY2), auth=POS)
        refused(again, "enrollment.card_already_active")
        unknown = enroll_call(
            client, "activateAndEdit", b2b(printedCardNumber="7999999999999999"), auth=POS
        )
        refused(unknown, "enrollment.card_not_found")
        login = enroll_call(
            client,
            "activateAndEdit",
            b2b(printedCardNumber=LOYALTY, setUserFields=user_fields("x")),
            auth=POS,
        )
        refused(login, "enrollment.field_validation")
        store = enroll_call(
            client,
            "activateAndEdit",
            b2b(
                printedCardNumber=LOYALTY,
                setAccountFields={"style": "typed", "favoriteStore": [{"code": "nowhere"}]},
            ),
            auth=POS,
        )
        assert (
            store["errorsByField"]["setAccountFields/favoriteStore"][0]["code"] == "invalid_store"
        )
    assert card_status(client, LOYALTY) == "inactive"


def test_activate_and_register(client: TestClient) -> None:
    reply = enroll_call(
        client,
        "activateAndRegister",
        anonymous(
            printedCardNumber=LOYALTY,
            registrationCode="1234",
            setUserFields=user_fields("phys"),
        ),
    )
    assert reply["result"] == "success" and reply["printedCardNumber"] == LOYALTY
    assert reply["oauthTokens"]["username"] == "phys"
    assert card_status(client, LOYALTY) == "active"
    pos = enroll_call(
        client,
        "activateAndRegister",
        b2b(printedCardNumber=LOYALTY2, setUserFields=user_fields("phys2")),
        auth=POS,
    )
    assert pos["result"] == "success" and pos["oauthTokens"]["username"] == "phys2"


def test_activate_and_register_refusals(client: TestClient) -> None:
    enroll(client, "ada")
    body = anonymous(printedCardNumber=LOYALTY, registrationCode="1234")
    with unchanged(client):
        wrong = enroll_call(
            client,
            "activateAndRegister",
            {**body, "registrationCode": "9999", "setUserFields": user_fields("pat")},
        )
        refused(wrong, "enrollment.card_not_found")
        taken = enroll_call(
            client, "activateAndRegister", {**body, "setUserFields": user_fields("ADA")}
        )
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")
        no_login = enroll_call(
            client, "activateAndRegister", {**body, "setUserFields": loginless()}
        )
        assert no_login["errorsByField"]["setUserFields/username"][0]["code"] == "required"
        unknown = enroll_call(
            client,
            "activateAndRegister",
            {**body, "printedCardNumber": "7999999999999999", "setUserFields": user_fields("pat")},
        )
        refused(unknown, "enrollment.card_not_found")
    # The wrong guess above was counted, and written after its call rolled back.
    assert card_status(client, LOYALTY) == "inactive"
    enroll_call(client, "activateAndRegister", {**body, "setUserFields": user_fields("pat")})
    with unchanged(client):
        again = enroll_call(
            client, "activateAndRegister", {**body, "setUserFields": user_fields("pat2")}
        )
        refused(again, "enrollment.card_already_active")


def test_card_style_activation_proves_the_inactive_card(client: TestClient) -> None:
    body = {
        "authentication": "card",
        "printedCardNumber": LOYALTY2,
        "setUserFields": user_fields("cyd"),
    }
    with unchanged(client):
        wrong = enroll_call(client, "activateAndRegister", {**body, "registrationCode": "9999"})
        refused(wrong, "system.invalid_card_credentials")
    done = enroll_call(client, "activateAndRegister", {**body, "registrationCode": "1234"})
    assert done["result"] == "success" and done["oauthTokens"]["printedCardNumber"] == LOYALTY2
    assert card_status(client, LOYALTY2) == "active"
    # Elsewhere an inactive card still proves nothing: it is answered like a wrong code.
    reply = body_of(
        gget(
            client,
            "guest",
            "accountInformation",
            {"authentication": "card", "printedCardNumber": LOYALTY, "registrationCode": "1234"},
        )
    )
    refused(reply, "system.invalid_card_credentials")


# --- smsEnroll / editSmsEnroll -----------------------------------------------

PHONE = "+1 617 555 0100"


def test_sms_enroll_texts_a_link(client: TestClient) -> None:
    reply = enroll_call(client, "smsEnroll", anonymous(cardTemplateCode=1, mobilePhone=PHONE))
    assert reply["result"] == "cardCreatedSuccess" and set(reply) == {
        "result",
        "accountId",
        "printedCardNumber",
    }
    user = user_row(client, reply["accountId"])
    assert user.mobile_phone == PHONE and user.username is None
    message = last_message(client, PHONE)
    assert message.channel == "sms" and "https://example.com/enroll?code=" in message.body
    code = code_in(message.body)
    assert code not in str(reply)
    stored = query(client, select(verification_codes))
    assert [r.purpose for r in stored] == ["sms_enroll"] and code not in str(stored)


def test_sms_enroll_refusals(client: TestClient) -> None:
    enroll_call(client, "smsEnroll", anonymous(cardTemplateCode=1, mobilePhone=PHONE))
    with unchanged(client):
        taken = enroll_call(
            client, "smsEnroll", b2b(cardTemplateCode=1, mobilePhone="16175550100"), auth=POS
        )
        refused(taken, "enrollment.uniqueness_conflict", "uniquenessConflict")
        assert "setUserFields/mobilePhone" in taken["errorsByField"]
        bad = enroll_call(client, "smsEnroll", anonymous(cardTemplateCode=1, mobilePhone="12"))
        refused(bad, "enrollment.field_validation")
        assert bad["errorsByField"]["setUserFields/mobilePhone"][0]["code"] == "invalid_format"
        no_field = enroll_call(
            client, "smsEnroll", anonymous(cardTemplateCode=2, mobilePhone=PHONE)
        )
        refused(no_field, "enrollment.field_validation")
        template = enroll_call(
            client, "smsEnroll", anonymous(cardTemplateCode=42, mobilePhone=PHONE)
        )
        refused(template, "enrollment.invalid_card_template")


def test_edit_sms_enroll(client: TestClient) -> None:
    ada = enroll(client, "ada")
    card = ada["printedCardNumber"]
    token = ada["oauthTokens"]["access_token"]
    reply = enroll_call(
        client,
        "editSmsEnroll",
        as_guest(token, printedCardNumber=card, mobilePhone="617-555-0199"),
    )
    assert reply == {"result": "success", "accountId": ada["accountId"], "printedCardNumber": card}
    assert user_row(client, ada["accountId"]).mobile_phone == "617-555-0199"
    assert last_message(client, "617-555-0199").channel == "sms"

    # An unregistered account gets a user without a login to hold the phone.
    bare = enroll_call(client, "activateAndEdit", b2b(printedCardNumber=LOYALTY), auth=POS)
    enroll_call(
        client, "editSmsEnroll", b2b(printedCardNumber=LOYALTY, mobilePhone=PHONE), auth=POS
    )
    assert user_row(client, bare["accountId"]).mobile_phone == PHONE

    bob = enroll(client, "bob")
    with unchanged(client):
        other = enroll_call(
            client,
            "editSmsEnroll",
            as_guest(token, printedCardNumber=bob["printedCardNumber"], mobilePhone=PHONE),
        )
        refused(other, "enrollment.card_not_found")
        bad = enroll_call(
            client, "editSmsEnroll", as_guest(token, printedCardNumber=card, mobilePhone="x")
        )
        refused(bad, "enrollment.field_validation")
        inactive = enroll_call(
            client, "editSmsEnroll", b2b(printedCardNumber=LOYALTY2, mobilePhone=PHONE), auth=POS
        )
        refused(inactive, "enrollment.card_not_found")


def test_tokens_of_the_new_guest_are_stored_hashed(client: TestClient) -> None:
    reply = enroll_call(client, "createAndRegisterWithCardNumber", with_number("hash"))
    stored = [r.token_hash for r in query(client, select(oauth_tokens))]
    assert reply["oauthTokens"]["access_token"] not in stored


def test_guessing_a_registration_code_locks_the_card(client: TestClient) -> None:
    body = anonymous(printedCardNumber=LOYALTY, setUserFields=user_fields("guesser"))
    for guess in range(5):
        wrong = enroll_call(client, "activateAndRegister", {**body, "registrationCode": f"{guess}"})
        refused(wrong, "enrollment.card_not_found")
    with unchanged(client):
        locked = enroll_call(client, "activateAndRegister", {**body, "registrationCode": "1234"})
        refused(locked, "system.too_many_attempts")
    assert card_status(client, LOYALTY) == "inactive"
