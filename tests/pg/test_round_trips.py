"""Round trips per POS call on PostgreSQL: counted, not timed.

Each is a message the server waits for, so on a loaded server the count is what
decides how many calls the database can serve; a change that adds one to the hot path
shows here whatever the machine's speed.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench.roundtrips import counting
from fastapi.testclient import TestClient

from tests.api.checks import a_check, item, post_check
from tests.api.guests import enroll
from tests.api.pos import (
    GIFT,
    LOYALTY,
    activate,
    add_redeem_body,
    call,
    card,
    header,
    ok,
    sell_body,
    sv,
)

pytestmark = pytest.mark.postgresql


def counted(
    client: TestClient, operation: str, bodies: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """The fewest round trips of these calls: a process rechecks its program's version
    at most once a second, which one of them may pay for."""
    app: Any = client.app
    fewest: tuple[int, list[str]] | None = None
    for body in bodies:
        with counting(app.state.runtime.engine) as counter:
            ok(call(client, operation, body))
        if fewest is None or counter.total < fewest[0]:
            fewest = (counter.total, counter.texts)
    assert fewest is not None
    return fewest


def test_add_redeem_takes_two_round_trips(client: TestClient) -> None:
    # Above the demo's auto_recharge.max_threshold ($100), so no automatic recharge can
    # be due. Below it, a redemption on a merchant with automatic recharge on marks one
    # due, which takes the locking path (test_add_redeem_marking_a_recharge_takes_locks).
    ok(call(client, "activateAdd", sell_body(GIFT, "150.00")))
    for n in range(3):  # the first calls prepare statements and load the program
        ok(call(client, "addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"w{n}")))
    bodies = [
        add_redeem_body(GIFT, add=sv("2.00"), redeem=sv("1.00"), pos_id=f"counted-{n}")
        for n in range(3)
    ]
    total, statements = counted(client, "addRedeem", bodies)
    # The card, its account's book and revision, read without a lock; the transaction,
    # lots, journal, balances, retry key and reply written if the book is unchanged.
    # Each statement commits on its own: no BEGIN, no COMMIT.
    assert statements == ["WITH", "WITH"], statements
    assert total == 2


def test_balance_inquiry_takes_one_round_trip(client: TestClient) -> None:
    ok(call(client, "activateAdd", sell_body(GIFT, "50.00")))
    body = {"authentication": "b2b", "headerInfo": header(), "cardInfo": card(GIFT)}
    for _ in range(3):
        ok(call(client, "balanceInquiry", body))
    total, statements = counted(client, "balanceInquiry", [body] * 3)
    # The card with its account's balances and lots, one statement that commits on its
    # own: no BEGIN, no COMMIT.
    assert statements == ["WITH"], statements
    assert total == 1


def test_activate_add_takes_two_round_trips(client: TestClient) -> None:
    bodies = [sell_body(f"60000000000000{n:02d}", "20.00", pos_id=f"sale-{n}") for n in (2, 3, 4)]
    for n in (5, 6):
        ok(call(client, "activateAdd", sell_body(f"60000000000000{n:02d}", "20.00")))
    total, statements = counted(client, "activateAdd", bodies)
    # The card read without a lock, with the ids of the sale's transaction and its new
    # account; the card made active if it still is inactive, and with it the
    # transaction, the account, the card's change, the lot, journal, balance, retry key
    # and reply. Each statement commits on its own: no BEGIN, no COMMIT.
    assert statements == ["WITH", "WITH"], statements
    assert total == 2


def test_post_and_accrue_points_writes_its_postings_in_one_statement(
    client: TestClient,
) -> None:
    ok(activate(client, LOYALTY))
    for n in range(3):
        post_check(client, LOYALTY, a_check(f"warm-{n}", item("burger", "10.00", "food")))
    app: Any = client.app
    counts = []
    for n in range(3):  # the fewest: one of them may recheck the program's version
        with counting(app.state.runtime.engine) as counter:
            reply = post_check(client, LOYALTY, a_check(f"c{n}", item("burger", "10.00", "food")))
        assert reply["result"] == "success", reply
        counts.append((counter.total, counter.texts))
    total, texts = min(counts)
    # BEGIN; the check's claim (INSERT); the card and its account locked in one
    # statement (WITH ... FOR UPDATE), which also reads what the challenges' audiences
    # look at on the account; in one read after the lock, the book, whether the account
    # visited before, its challenge entries and its guest's name and groups (none
    # here); the check's transaction record, its lots, journal, balances and the
    # account's revision (WITH ... INSERT); its progress row written with the
    # occurrence's sums (WITH ... INSERT); the tier re-qualified from one read of its
    # windows' earnings (written only when it changes); the check's row updated; COMMIT.
    assert texts == ["INSERT", "WITH", "SELECT", "WITH", "WITH", "SELECT", "UPDATE"], texts
    assert total == 9, texts


def test_a_registered_guests_check_reads_the_guest_with_its_account(client: TestClient) -> None:
    number = enroll(client, "ada")["printedCardNumber"]
    for n in range(3):
        post_check(client, number, a_check(f"warm-{n}", item("burger", "10.00", "food")))
    app: Any = client.app
    counts = []
    for n in range(3):
        with counting(app.state.runtime.engine) as counter:
            reply = post_check(client, number, a_check(f"g{n}", item("burger", "10.00", "food")))
        assert reply["result"] == "success" and reply["customerName"] == "Ada Lovelace", reply
        counts.append((counter.total, counter.texts))
    total, texts = min(counts)
    # As an account without a guest: the guest's name (and groups) come with the read
    # after the lock.
    assert texts == ["INSERT", "WITH", "SELECT", "WITH", "WITH", "SELECT", "UPDATE"], texts
    assert total == 9, texts
