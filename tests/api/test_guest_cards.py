"""Attaching, combining, enabling and disabling cards (guest.yaml), over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.store.tables import lots
from tests.api.guest_state import audit_clean, nothing_changes, token_of
from tests.api.guests import as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import (
    GIFT,
    LOYALTY,
    LOYALTY2,
    POS,
    UNKNOWN_CARD,
    activate,
    add_redeem,
    ok,
    refused,
    run_db,
    sell,
)


def points(reply: dict[str, Any]) -> dict[int, str]:
    return {w["walletCode"]: w["balance"] for w in reply["walletBalances"]}


def account(client: TestClient, token: str, number: str) -> dict[str, Any]:
    return body_of(
        gget(client, "guest", "accountInformation", as_guest(token, printedCardNumber=number))
    )


def card_statuses(reply: dict[str, Any]) -> dict[str, str]:
    """Every card of an account reply (primary and additional) with its status."""
    return {
        c["printedCardNumber"]: c["status"]
        for c in [reply["primaryCard"], *reply["additionalCards"]]
    }


def primary_numbers(client: TestClient, username: str) -> list[str]:
    info = body_of(gget(client, "guest", "userInformation", b2b(username=username), auth=POS))
    numbers: list[str] = info["primaryCardNumbers"]
    return numbers


def loyalty_card_with_points(client: TestClient, number: str, quantity: str, **extra: Any) -> None:
    ok(activate(client, number))
    ok(
        add_redeem(
            client, number, add=[{"walletCode": 2, "quantity": quantity, **extra}], program="LP"
        )
    )


def guest(client: TestClient, username: str) -> tuple[str, str]:
    """(virtual card number, access token) of a newly enrolled guest."""
    card: str = enroll(client, username)["printedCardNumber"]
    return card, token_of(client, username)


def test_attach_card_links_without_moving_value(client: TestClient) -> None:
    home, token = guest(client, "ada")
    loyalty_card_with_points(client, LOYALTY, "40")

    for code in ("9999", None):
        with nothing_changes(client):
            body = {"printedCardNumber": LOYALTY}
            if code:
                body["registrationCode"] = code
            refused(
                body_of(gpost(client, "guest", "attachCard", as_guest(token, **body))),
                "guest.invalid_registration_code",
            )
    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    as_guest(token, printedCardNumber=UNKNOWN_CARD, registrationCode="1234"),
                )
            ),
            "guest.card_not_found",
        )
        # Sold cards only: an inactive card has no account to attach.
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    as_guest(token, printedCardNumber=LOYALTY2, registrationCode="1234"),
                )
            ),
            "guest.card_not_found",
        )

    attach = as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234")
    assert body_of(gpost(client, "guest", "attachCard", attach)) == {"result": "success"}
    assert primary_numbers(client, "ada") == [home, LOYALTY]
    assert points(account(client, token, LOYALTY))[2] == "40"
    assert points(account(client, token, home))[2] == "0"
    # A retry is accepted again and changes nothing.
    with nothing_changes(client):
        assert body_of(gpost(client, "guest", "attachCard", attach))["result"] == "success"

    # Another guest cannot take the card, nor learn that it exists; b2b is told why.
    _, other = guest(client, "grace")
    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    as_guest(other, printedCardNumber=LOYALTY, registrationCode="1234"),
                )
            ),
            "guest.card_not_found",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    b2b(username="grace", printedCardNumber=LOYALTY),
                    auth=POS,
                )
            ),
            "guest.card_already_registered",
        )


def test_attach_card_by_b2b_needs_no_code_but_checks_one_sent(client: TestClient) -> None:
    home, _ = guest(client, "ada")
    loyalty_card_with_points(client, LOYALTY, "5")
    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    b2b(username="ada", printedCardNumber=LOYALTY, registrationCode="0000"),
                    auth=POS,
                )
            ),
            "guest.invalid_registration_code",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    b2b(username="nobody", printedCardNumber=LOYALTY),
                    auth=POS,
                )
            ),
            "user_info.not_found",
        )
    reply = body_of(
        gpost(
            client, "guest", "attachCard", b2b(username="ada", printedCardNumber=LOYALTY), auth=POS
        )
    )
    assert reply["result"] == "success"
    assert primary_numbers(client, "ada") == [home, LOYALTY]


def _lot_expiries(client: TestClient, account_id: int) -> list[Any]:
    async def work(conn: Any) -> list[Any]:
        rows = await conn.execute(
            select(lots.c.remaining_units, lots.c.expires_on).where(
                lots.c.account_id == account_id, lots.c.remaining_units > 0
            )
        )
        return sorted((tuple(r) for r in rows), key=repr)

    result: list[Any] = run_db(client, work)
    return result


def test_combine_cards_moves_every_lot_as_a_ledger_transaction(
    client: TestClient, clock: ShiftedClock
) -> None:
    home, token = guest(client, "ada")
    ok(add_redeem(client, home, add=[{"walletCode": 2, "quantity": "10"}], program="LP"))
    ok(add_redeem(client, home, add=[{"walletCode": 1, "quantity": "5.00"}]))
    later = (clock.now() + timedelta(days=30)).date()
    loyalty_card_with_points(
        client, LOYALTY, "40", expiration={"date": later.isoformat(), "type": "absolute"}
    )
    ok(add_redeem(client, LOYALTY, add=[{"walletCode": 1, "quantity": "2.50"}]))
    attach = as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234")
    assert body_of(gpost(client, "guest", "attachCard", attach))["result"] == "success"
    source_id = account(client, token, LOYALTY)["accountId"]
    home_id = account(client, token, home)["accountId"]

    combine = as_guest(token, primaryPrintedCardNumber=home, printedCardNumbers=[LOYALTY])
    reply = body_of(gpost(client, "guest", "combineCards", combine))
    assert reply["result"] == "success" and reply["accountId"] == home_id
    assert points(reply) == {1: "7.50", 2: "50", 3: "0", 4: "0"}
    assert card_statuses(reply) == {home: "ACTIVE", LOYALTY: "ACTIVE"}
    # The old card now reaches the surviving account, at the POS too.
    assert account(client, token, LOYALTY)["accountId"] == home_id
    ok(add_redeem(client, LOYALTY, redeem=[{"walletCode": 2, "quantity": "1"}], program="LP"))
    assert len(primary_numbers(client, "ada")) == 1
    # The lot kept its expiry; the source account is empty and closed.
    expiries = _lot_expiries(client, home_id)
    assert (390000, later) in expiries  # the redemption took from the soonest expiry
    assert _lot_expiries(client, source_id) == []
    by_id = body_of(
        gget(client, "guest", "accountInformationById", as_guest(token, accountId=source_id))
    )
    refused(by_id, "guest.account_not_found")
    history = body_of(
        gget(client, "guest", "transactionHistory", as_guest(token, printedCardNumber=home))
    )
    combined = [t for t in history["transactions"] if t["transactionType"] == "combineCards"]
    assert len(combined) == 1
    assert {d["walletCode"]: d["accrued"] for d in combined[0]["details"]} == {1: "2.50", 2: "40"}
    audit_clean(client)

    # A retry finds nothing left to move and answers the same account.
    again = body_of(gpost(client, "guest", "combineCards", combine))
    assert again["result"] == "success" and points(again)[2] == "49"
    audit_clean(client)


def test_combine_refusals_change_nothing(client: TestClient) -> None:
    home, token = guest(client, "ada")
    ok(sell(client, GIFT))
    loyalty_card_with_points(client, LOYALTY, "40")
    for number in (GIFT, LOYALTY):
        assert (
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachCard",
                    as_guest(token, printedCardNumber=number, registrationCode="1234"),
                )
            )["result"]
            == "success"
        )
    cases = [
        ([GIFT], "guest.cards_cannot_be_combined"),  # another card template
        ([home], "guest.cards_cannot_be_combined"),  # the card itself
        ([LOYALTY, UNKNOWN_CARD], "guest.card_not_found"),
    ]
    for numbers, code in cases:
        with nothing_changes(client):
            refused(
                body_of(
                    gpost(
                        client,
                        "guest",
                        "combineCards",
                        as_guest(token, primaryPrintedCardNumber=home, printedCardNumbers=numbers),
                    )
                ),
                code,
            )
    # Cards of two different users are never combined, and another guest's token
    # cannot even name them.
    other_card, other = guest(client, "grace")
    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "combineCards",
                    as_guest(
                        other, primaryPrintedCardNumber=other_card, printedCardNumbers=[LOYALTY]
                    ),
                )
            ),
            "guest.card_not_found",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "combineCards",
                    b2b(primaryPrintedCardNumber=other_card, printedCardNumbers=[LOYALTY]),
                    auth=POS,
                )
            ),
            "guest.cards_cannot_be_combined",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "combineCards",
                    b2b(
                        username="grace",
                        primaryPrintedCardNumber=home,
                        printedCardNumbers=[LOYALTY],
                    ),
                    auth=POS,
                )
            ),
            "guest.card_not_found",
        )
    audit_clean(client)


def test_can_combine_and_attach_and_combine(client: TestClient) -> None:
    home, token = guest(client, "ada")
    other_card, other = guest(client, "grace")
    ok(sell(client, GIFT))
    loyalty_card_with_points(client, LOYALTY, "40")

    def can(tok: str | None, number: str, **extra: Any) -> dict[str, Any]:
        params = (
            as_guest(tok, printedCardNumber=number)
            if tok
            else b2b(printedCardNumber=number, **extra)
        )
        return body_of(gget(client, "guest", "canCombineCards", params, auth=None if tok else POS))

    with nothing_changes(client):
        assert can(token, LOYALTY) == {"result": "success", "canCombine": True}
        # The guest's own card tells them nothing new.
        assert can(token, home)["canCombine"] is False
        # To a guest, a card that is not theirs and cannot be combined is "not found"
        # whatever the reason (another program, inactive, unknown, another guest's);
        # to b2b it is merely not combinable.
        answers = [can(token, n) for n in (GIFT, LOYALTY2, UNKNOWN_CARD, other_card)]
        assert len({repr(a) for a in answers}) == 1, answers
        refused(answers[0], "guest.card_not_found")
        assert can(None, other_card, username="ada")["canCombine"] is False
        assert can(None, GIFT, username="ada")["canCombine"] is False
        assert can(None, LOYALTY, username="ada")["canCombine"] is True

    with nothing_changes(client):
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachAndCombineCards",
                    as_guest(token, printedCardNumber=LOYALTY, registrationCode="4321"),
                )
            ),
            "guest.invalid_registration_code",
        )
        # A gift card attaches but cannot combine: the whole call is refused, so the
        # card is not left attached either.
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachAndCombineCards",
                    as_guest(token, printedCardNumber=GIFT, registrationCode="1234"),
                )
            ),
            "guest.cards_cannot_be_combined",
        )
        refused(
            body_of(
                gpost(
                    client,
                    "guest",
                    "attachAndCombineCards",
                    as_guest(other, printedCardNumber=home),
                )
            ),
            # Another guest's card is "not found" whatever code comes with it.
            "guest.card_not_found",
        )

    call = as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234")
    reply = body_of(gpost(client, "guest", "attachAndCombineCards", call))
    assert reply["result"] == "success"
    assert reply["accountId"] == account(client, token, home)["accountId"]
    assert points(reply)[2] == "40"
    assert card_statuses(reply) == {home: "ACTIVE", LOYALTY: "ACTIVE"}
    assert len(primary_numbers(client, "ada")) == 1
    assert can(token, LOYALTY)["canCombine"] is False
    # Retried: the card is already part of the account, nothing moves twice.
    again = body_of(gpost(client, "guest", "attachAndCombineCards", call))
    assert again["result"] == "success" and points(again)[2] == "40"
    audit_clean(client)


def test_change_card_status(client: TestClient) -> None:
    home, token = guest(client, "ada")
    loyalty_card_with_points(client, LOYALTY, "40")
    body_of(
        gpost(
            client,
            "guest",
            "attachAndCombineCards",
            as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234"),
        )
    )

    def change(number: str, status: str, tok: str = token) -> dict[str, Any]:
        return body_of(
            gpost(
                client,
                "guest",
                "changeCardStatus",
                as_guest(tok, printedCardNumber=number, status=status),
            )
        )

    assert change(LOYALTY, "DISABLED") == {"result": "success"}
    info = account(client, token, home)
    assert card_statuses(info) == {home: "ACTIVE", LOYALTY: "DISABLED"}
    assert info["primaryCard"]["printedCardNumber"] == home
    lost = account(client, token, LOYALTY)
    assert lost["result"] == "invalid_status" and lost["queryCardStatus"] == "DISABLED"
    at_pos = add_redeem(client, LOYALTY, add=[{"walletCode": 2, "quantity": "1"}], program="LP")
    assert at_pos["errorCode"] == "transaction.card_not_active"
    ok(add_redeem(client, home, add=[{"walletCode": 2, "quantity": "1"}], program="LP"))
    history = body_of(
        gget(client, "guest", "transactionHistory", as_guest(token, printedCardNumber=home))
    )
    assert "disableCard" in [t["transactionType"] for t in history["transactions"]]

    _, other = guest(client, "grace")
    with nothing_changes(client):
        # The last active card would leave the account unusable.
        refused(change(home, "disabled"), "guest.invalid_status_change")
        refused(change(LOYALTY, "EXCHANGED"), "guest.invalid_status_change")
        refused(change(LOYALTY, "ACTIVE", other), "guest.card_not_found")
        # Asking for the status the card has is a no-op.
        assert change(LOYALTY, "disabled")["result"] == "success"

    assert change(LOYALTY, "active")["result"] == "success"
    assert account(client, token, LOYALTY)["queryCardStatus"] == "ACTIVE"
    ok(add_redeem(client, LOYALTY, add=[{"walletCode": 2, "quantity": "1"}], program="LP"))
    audit_clean(client)
