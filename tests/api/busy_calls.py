"""The statements the busiest calls send, with their parameters: what the tests of their
plans explain, on each database. Three sets: a POS's money calls and checks, a
cashier's search for a guest, and what a guest's app asks most (enrollment, sign-in,
the account, its history, its messages, its challenges)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from openpxs.store import direct, direct_sqlite
from tests.api.checks import a_check, check_call, item, post_check
from tests.api.guests import APP, as_guest, b2b, body_of, enroll, gget, sign_in
from tests.api.pos import (
    GIFT,
    LOYALTY2,
    POS,
    activate,
    add_redeem_body,
    call,
    card,
    header,
    ok,
    sell_body,
    sv,
)
from tests.api.test_coupon import record, validate, void

# Tables of a merchant's configuration: a handful of rows per merchant whatever its
# number of guests, read by the merchant alone.
CONFIGURATION = frozenset(
    {
        "merchants",
        "programs",
        "program_files",
        "integrations",
        "wallets",
        "card_templates",
        "stores",
        "tiers",
        "challenges",
        "social_groups",
    }
)

Sent = list[tuple[str, tuple[Any, ...]]]


def _in_background() -> bool:
    """Whether the statement comes from the server's background work (the outbox
    worker's task), not from a call."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # a driver's thread: a call's batch run there
        return False
    return task is not None and task.get_name().startswith("openpxs-")


@contextmanager
def sent_statements(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """Every statement the server's calls send, with its parameters, while the block
    runs (SQLAlchemy's, and those sent on the drivers' connections directly); not the
    background work's, which runs whenever it is due."""
    sent: Sent = []
    sync = client.app.state.runtime.engine.sync_engine  # type: ignore[attr-defined]

    def on_statement(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if _in_background():
            return
        # Rows sent together (executemany) are planned alike: the first stands for all.
        # (Rows SQLAlchemy folds into one multi-row INSERT come as one flat sequence.)
        rows = many and parameters and isinstance(parameters[0], (tuple, list))
        sent.append((statement, tuple((parameters[0] if rows else parameters) or ())))

    fetch = direct.DirectStatement.fetch

    async def on_direct(
        statement: direct.DirectStatement, driver: Any, params: Mapping[str, Any]
    ) -> list[Any]:
        sent.append((statement.sql, tuple(params[name] for name in statement.names)))
        return await fetch(statement, driver, params)

    execute = direct_sqlite.SqliteStatement.execute
    execute_many = direct_sqlite.SqliteStatement.execute_many

    def on_batch_statement(
        statement: direct_sqlite.SqliteStatement, db: Any, values: Mapping[str, Any]
    ) -> Any:
        sent.append((statement.sql, statement.params(values)))
        return execute(statement, db, values)

    def on_batch_rows(
        statement: direct_sqlite.SqliteStatement, db: Any, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        if rows:
            sent.append((statement.sql, statement.params(rows[0])))
        execute_many(statement, db, rows)

    event.listen(sync, "before_cursor_execute", on_statement)
    monkeypatch.setattr(direct.DirectStatement, "fetch", on_direct)
    monkeypatch.setattr(direct_sqlite.SqliteStatement, "execute", on_batch_statement)
    monkeypatch.setattr(direct_sqlite.SqliteStatement, "execute_many", on_batch_rows)
    try:
        yield sent
    finally:
        monkeypatch.undo()
        event.remove(sync, "before_cursor_execute", on_statement)


def pos_calls(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Sent:
    ok(call(client, "activateAdd", sell_body(GIFT, "150.00", pos_id="warm-sale")))
    ok(activate(client, LOYALTY2))
    # A registered guest (most checks are theirs): the check also reads the guest.
    registered = enroll(client)["printedCardNumber"]
    for n in range(2):  # the first calls load the program and prepare statements
        ok(call(client, "addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"w{n}")))
        post_check(client, registered, a_check(f"warm-{n}", item("burger", "10.00", "food")))
    # Points enough for a reward (the demo's 100 points) on the unregistered card.
    post_check(client, LOYALTY2, a_check("warm-reward", item("burger", "100.00", "food")))
    with sent_statements(client, monkeypatch) as sent:
        ok(call(client, "activateAdd", sell_body("6000000000000002", "20.00", pos_id="sale")))
        load = add_redeem_body(GIFT, add=sv("2.00"), redeem=sv("1.00"), pos_id="to-void")
        ok(call(client, "addRedeem", load))
        lookup = {"authentication": "b2b", "headerInfo": header(), "cardInfo": card(GIFT)}
        ok(call(client, "balanceInquiry", lookup))
        for number in (registered, LOYALTY2):
            reply = post_check(client, number, a_check(f"c-{number}", item("burger", "10.00")))
            assert reply["result"] == "success", reply
        # Taking calls back, and the history a POS shows.
        ok(call(client, "voidAddRedeem", load))
        redemption = add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="to-reverse")
        redeemed = ok(call(client, "addRedeem", redemption))
        taken_back = {"headerInfo": header(), "pxTransactionId": redeemed["pxTransactionId"]}
        ok(call(client, "reverse", taken_back))
        ok(call(client, "transactionHistory", lookup))
        # The rewards a check could take, and one taken.
        rewarded = {"cardInfo": {"printedCardNumber": LOYALTY2}}
        check = a_check("with-reward", item("burger", "30.00", "food"))
        applicable = check_call(client, "computeApplicableRewards", {**rewarded, "check": check})
        assert applicable["result"] == "success", applicable
        reward = [{"walletCode": 3, "quantity": 1}]
        taken = {**rewarded, "check": check, "redeemWalletContents": reward}
        assert check_call(client, "redeemOnly", taken)["result"] == "success"
        # A coupon checked, used and its use taken back (the demo's WELCOME5).
        checked = validate(
            client, couponCode="WELCOME5", storeCode="1001", printedCardNumber=LOYALTY2
        )
        assert checked["result"] == "success", checked
        for taking in (record, void):
            done = taking(client, printedCardNumber=LOYALTY2)
            assert done["result"] == "success", done
    return sent


def guest_app_calls(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Sent:
    number = enroll(client, "ada")["printedCardNumber"]
    post_check(client, number, a_check("visit", item("burger", "10.00", "food")))

    enrolled = iter(range(100))

    def app_session() -> None:
        enroll(client, f"guest{next(enrolled)}")  # a new guest's card and user
        token = sign_in(client, "ada")["access_token"]
        for operation in ("accountInformation", "transactionHistory"):
            reply = body_of(
                gget(client, "guest", operation, as_guest(token, printedCardNumber=number))
            )
            assert reply["result"] == "success", reply
        for service, operation in (("guest", "userInformation"), ("message", "myMessages")):
            reply = body_of(gget(client, service, operation, as_guest(token), auth=APP))
            assert reply["result"] == "success", reply
        for operation in ("activeChallenges", "eligibleChallenges"):
            listed = gget(client, "challenge", operation, b2b(printedCardNumber=number), auth=POS)
            assert body_of(listed)["result"] == "success", listed.text

    app_session()  # the first calls load the program and prepare statements
    with sent_statements(client, monkeypatch) as sent:
        app_session()
    return sent


def cashier_lookup_calls(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Sent:
    """A cashier finding a guest by phone (accountQuery), written another way than the
    guest wrote it."""
    enroll(client, mobilePhone=["(617) 555-0100"])
    wanted = {"headerInfo": header(), "accountQueries": [{"phone": "617-555-0100"}]}
    ok(call(client, "accountQuery", wanted))  # the first call loads the program
    with sent_statements(client, monkeypatch) as sent:
        assert ok(call(client, "accountQuery", wanted))["accounts"], "the guest was not found"
    return sent


# The call sets, by name.
CALL_SETS = {"pos": pos_calls, "guest-app": guest_app_calls, "cashier-lookup": cashier_lookup_calls}
