"""Visit codes, pending event rewards, preferences, annotations, external-account and
eClub reads (guest.yaml), over HTTP."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from openpxs.domain.clock import ShiftedClock
from openpxs.store.tables import (
    external_accounts,
    pending_event_rewards,
    transactions,
    visit_codes,
)
from tests.api.guest_state import audit_clean, nothing_changes, token_of
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import (
    APP,
    GIFT,
    LOYALTY,
    LOYALTY2,
    POS,
    activate,
    add_redeem,
    insert_rows,
    ok,
    refused,
    run_db,
    sell,
)
from tests.program_config import demo_program

UNITS = 10_000  # storage units per whole point or visit


def test_printed_card_number_for_external_account(client: TestClient) -> None:
    ok(activate(client, LOYALTY))
    ok(activate(client, LOYALTY2))
    account_id = body_of(
        gget(client, "guest", "accountInformation", b2b(printedCardNumber=LOYALTY), auth=POS)
    )["accountId"]
    other_id = body_of(
        gget(client, "guest", "accountInformation", b2b(printedCardNumber=LOYALTY2), auth=POS)
    )["accountId"]
    insert_rows(
        client,
        external_accounts,
        [
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "external_identifier": "push",
                "account_code": "A-1",
            },
            {
                "merchant_id": 1000,
                "account_id": other_id,
                "external_identifier": "partner",
                "account_code": "SHARED",
            },
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "external_identifier": "push",
                "account_code": "SHARED",
            },
        ],
    )

    def lookup(**params: Any) -> dict[str, Any]:
        return body_of(
            gget(client, "guest", "printedCardNumberForExternalAccount", b2b(**params), auth=POS)
        )

    assert lookup(accountCode="A-1") == {
        "result": "success",
        "primaryCard": {
            "printedCardNumber": LOYALTY,
            "maskedCardNumber": LOYALTY[-6:],
            "status": "ACTIVE",
        },
        "additionalCards": [],
    }
    refused(lookup(accountCode="nope"), "guest.external_account_not_found")
    refused(lookup(accountCode="SHARED"), "guest.invalid_request")
    shared = lookup(accountCode="SHARED", externalIdentifier="partner")
    assert shared["primaryCard"]["printedCardNumber"] == LOYALTY2
    # b2b only: a guest app cannot ask.
    denied = gget(
        client,
        "guest",
        "printedCardNumberForExternalAccount",
        {"authentication": "anonymous", "accountCode": "A-1"},
        auth=APP,
    )
    assert denied.json()["result"] == "failure"


def eclub_template(client: TestClient) -> AbstractContextManager[None]:
    """Template 1 configured as an eClub for the duration of a test."""

    def edit(data: dict[str, Any]) -> None:
        template = next(t for t in data["card_templates"] if t["code"] == 1)
        template["enrollment"]["eclub"] = True

    return demo_program(client, edit)


def test_eclub_reads(client: TestClient) -> None:
    created = enroll(client, "ada")
    account_id = created["accountId"]
    token = token_of(client, "ada")
    enroll(client, "grace")
    other = token_of(client, "grace")

    def account(params: dict[str, Any], auth: Any = None) -> dict[str, Any]:
        return body_of(gget(client, "guest", "eClubAccountInformation", params, auth=auth))

    def user(params: dict[str, Any], auth: Any = None) -> dict[str, Any]:
        return body_of(gget(client, "guest", "eClubUserInformation", params, auth=auth))

    # Not an eClub program: the account is not an eClub account.
    refused(account(b2b(email="ada@example.com"), POS), "guest.account_not_found")

    with eclub_template(client):
        for params, auth in (
            (b2b(email="ADA@example.com"), POS),
            (b2b(accountId=account_id), POS),
            (as_guest(token), None),
            (as_guest(token, email="ada@example.com"), None),
        ):
            reply = account(params, auth)
            assert reply["result"] == "success" and reply["accountId"] == account_id, reply
            info = user(params, auth)
            assert info["fields"]["username"] == "ada" and info["accountIds"] == [account_id]
        refused(account(b2b(email="nobody@example.com"), POS), "guest.account_not_found")
        refused(account(b2b(), POS), "guest.account_not_found")
        # Another guest learns nothing about ada's membership.
        refused(account(as_guest(other, email="ada@example.com")), "guest.account_not_found")
        refused(account(as_guest(other, accountId=account_id)), "guest.account_not_found")
        refused(user(as_guest(other, accountId=account_id)), "guest.account_not_found")


def test_transaction_annotation(client: TestClient) -> None:
    created = enroll(client, "ada")
    card, account_id = created["printedCardNumber"], created["accountId"]
    token = token_of(client, "ada")
    noted = ok(add_redeem(client, card, add=[{"walletCode": 2, "quantity": "5"}], program="LP"))
    plain = ok(add_redeem(client, card, add=[{"walletCode": 2, "quantity": "1"}], program="LP"))
    ok(activate(client, LOYALTY))
    elsewhere = ok(
        add_redeem(client, LOYALTY, add=[{"walletCode": 2, "quantity": "1"}], program="LP")
    )

    async def comment(conn: Any) -> None:
        await conn.execute(
            update(transactions)
            .where(transactions.c.id == noted["pxTransactionId"])
            .values(comment="Double points weekend")
        )

    run_db(client, comment)

    def annotation(tok: str, **params: Any) -> dict[str, Any]:
        return body_of(gget(client, "guest", "transactionAnnotation", as_guest(tok, **params)))

    assert annotation(token, printedCardNumber=card, transactionId=noted["pxTransactionId"]) == {
        "result": "success",
        "annotation": "Double points weekend",
    }
    assert annotation(token, accountId=account_id, transactionId=noted["pxTransactionId"])[
        "annotation"
    ] == ("Double points weekend")
    assert annotation(token, printedCardNumber=card, transactionId=plain["pxTransactionId"]) == {
        "result": "success"
    }
    history = body_of(
        gget(client, "guest", "transactionHistory", as_guest(token, printedCardNumber=card))
    )
    visible = {t["transactionId"]: t["hasVisibleComment"] for t in history["transactions"]}
    assert visible[noted["pxTransactionId"]] is True
    # Every transaction the history lists can be asked for, also one that only changed
    # the account's cards and moved no value (the activation at enrollment).
    for listed in history["transactions"]:
        assert (
            annotation(token, printedCardNumber=card, transactionId=listed["transactionId"])[
                "result"
            ]
            == "success"
        ), listed
    # Another account's transaction, or an unknown id, is not found.
    for txn in (elsewhere["pxTransactionId"], 999_999_999):
        refused(
            annotation(token, printedCardNumber=card, transactionId=txn),
            "guest.transaction_not_found",
        )
    enroll(client, "grace")
    other = token_of(client, "grace")
    refused(
        annotation(other, printedCardNumber=card, transactionId=noted["pxTransactionId"]),
        "guest.card_not_found",
    )
    refused(
        annotation(other, accountId=account_id, transactionId=noted["pxTransactionId"]),
        "guest.account_not_found",
    )


def test_pending_event_rewards(client: TestClient, clock: ShiftedClock) -> None:
    created = enroll(client, "ada")
    card, account_id = created["printedCardNumber"], created["accountId"]
    token = token_of(client, "ada")
    today = clock.now().date()
    insert_rows(
        client,
        pending_event_rewards,
        [
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "event_name": "Birthday",
                "wallet_code": 3,
                "units": 1 * UNITS,
                "expires_on": today + timedelta(days=30),
                "created_at": clock.now(),
            },
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "event_name": "Survey",
                "wallet_code": 1,
                "units": 25_000,
                "expires_on": None,
                "created_at": clock.now(),
            },
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "event_name": "Lapsed",
                "wallet_code": 2,
                "units": 5 * UNITS,
                "expires_on": today - timedelta(days=2),
                "created_at": clock.now(),
            },
        ],
    )
    expected = {
        "result": "success",
        "pendingRewards": [
            {
                "eventName": "Birthday",
                "walletCode": 3,
                "quantity": "1",
                "expirationDate": (today + timedelta(days=30)).isoformat(),
            },
            {"eventName": "Survey", "walletCode": 1, "quantity": "2.50"},
        ],
    }
    by_card = gget(client, "guest", "pendingEventRewards", as_guest(token, printedCardNumber=card))
    assert body_of(by_card) == expected
    by_id = gget(client, "guest", "pendingEventRewardsById", b2b(accountId=account_id), auth=POS)
    assert body_of(by_id) == expected
    enroll(client, "grace")
    other = token_of(client, "grace")
    refused(
        body_of(
            gget(client, "guest", "pendingEventRewards", as_guest(other, printedCardNumber=card))
        ),
        "guest.card_not_found",
    )
    refused(
        body_of(
            gget(client, "guest", "pendingEventRewardsById", as_guest(other, accountId=account_id))
        ),
        "guest.account_not_found",
    )


def _visit_code(code: str, wallet: int, units: int, expires: Any = None) -> dict[str, Any]:
    return {
        "merchant_id": 1000,
        "code": code,
        "store_code": "1001",
        "wallet_code": wallet,
        "units": units,
        "expires_at": expires,
    }


def test_visit_codes(client: TestClient, clock: ShiftedClock) -> None:
    created = enroll(client, "ada")
    card = created["printedCardNumber"]
    token = token_of(client, "ada")
    enroll(client, "grace")
    other = token_of(client, "grace")
    ok(sell(client, GIFT))
    insert_rows(
        client,
        visit_codes,
        [
            _visit_code("VISIT-1", 4, 1 * UNITS, clock.now() + timedelta(days=1)),
            _visit_code("POINTS-25", 2, 25 * UNITS),
            _visit_code("OLD", 4, 1 * UNITS, clock.now() - timedelta(minutes=1)),
        ],
    )

    def validate(code: str) -> dict[str, Any]:
        return body_of(gget(client, "guest", "validateVisitCode", as_guest(token, visitCode=code)))

    def apply(code: str, number: str = card, tok: str = token) -> dict[str, Any]:
        return body_of(
            gpost(
                client,
                "guest",
                "applyVisitCode",
                as_guest(tok, printedCardNumber=number, visitCode=code),
            )
        )

    assert validate("VISIT-1") == {"result": "success"}
    with nothing_changes(client):
        refused(validate("OLD"), "guest.invalid_visit_code")
        refused(validate("NOPE"), "guest.invalid_visit_code")
        refused(apply("OLD"), "guest.invalid_visit_code")
        refused(apply("NOPE"), "guest.invalid_visit_code")
        refused(apply("VISIT-1", card, other), "guest.card_not_found")
        # A Points code means nothing to a gift card's program.
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "applyVisitCode",
                    b2b(printedCardNumber=GIFT, visitCode="POINTS-25"),
                    auth=POS,
                )
            ),
            "guest.invalid_visit_code",
        )

    applied = apply("VISIT-1")
    assert applied["result"] == "success"
    assert {b["walletCode"]: b["balance"] for b in applied["pointBalances"]} == {2: "0", 4: "1"}
    points = apply("POINTS-25")
    assert {b["walletCode"]: b["balance"] for b in points["pointBalances"]} == {2: "25", 4: "1"}
    history = body_of(
        gget(client, "guest", "transactionHistory", as_guest(token, printedCardNumber=card))
    )
    visits = [t for t in history["transactions"] if t["transactionType"] == "visitCode"]
    assert len(visits) == 2 and {t["storeCode"] for t in visits} == {"1001"}

    with nothing_changes(client):
        refused(apply("VISIT-1"), "guest.visit_code_already_used")
        refused(validate("VISIT-1"), "guest.visit_code_already_used")
        refused(apply("POINTS-25", card, other), "guest.card_not_found")
    audit_clean(client)


def test_preferences(client: TestClient) -> None:
    created = enroll(client, "ada")
    card = created["printedCardNumber"]
    token = token_of(client, "ada")
    enroll(client, "grace")
    other = token_of(client, "grace")
    ok(activate(client, LOYALTY))

    def fields(username: str) -> dict[str, Any]:
        info = body_of(gget(client, "guest", "userInformation", b2b(username=username), auth=POS))
        result: dict[str, Any] = info["fields"]
        return result

    def frequency(params: dict[str, Any], auth: Any = None) -> dict[str, Any]:
        return body_of(gpost(client, "guest", "updateMessageFrequency", params, auth=auth))

    def language(params: dict[str, Any], auth: Any = None) -> dict[str, Any]:
        return body_of(gpost(client, "guest", "updateLanguagePreference", params, auth=auth))

    assert frequency(as_guest(token, messageFrequency="weekly")) == {"result": "success"}
    assert language(as_guest(token, languageCode="ES")) == {"result": "success"}
    assert fields("ada")["messageFrequency"] == "WEEKLY"
    assert fields("ada")["language"] == "es"

    assert frequency(b2b(printedCardNumber=card, messageFrequency="NEVER"), POS)["result"] == (
        "success"
    )
    assert language(b2b(username="ada", languageCode="fr"), POS)["result"] == "success"
    assert fields("ada")["messageFrequency"] == "NEVER" and fields("ada")["language"] == "fr"

    with nothing_changes(client):
        refused(
            frequency(as_guest(token, messageFrequency="HOURLY")), "guest.invalid_message_frequency"
        )
        refused(language(as_guest(token, languageCode="de")), "guest.invalid_language")
        refused(
            frequency(b2b(printedCardNumber=LOYALTY, messageFrequency="NEVER"), POS),
            "guest.card_not_registered",
        )
        refused(language(as_guest(other, username="ada", languageCode="en")), "user_info.not_found")
        refused(
            language(as_guest(other, printedCardNumber=card, languageCode="en")),
            "guest.card_not_found",
        )
        refused(
            frequency(b2b(username="nobody", messageFrequency="NEVER"), POS), "user_info.not_found"
        )
        # A username and a card of two different users name nobody.
        refused(
            language(b2b(username="grace", printedCardNumber=card, languageCode="en"), POS),
            "guest.card_not_found",
        )
    assert "language" not in fields("grace")
