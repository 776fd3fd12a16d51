"""Reads sent straight to asyncpg inside a unit of work's transaction
(store/direct.py: DirectQuery): the rows SQLAlchemy would give, and a posted check's
reads go that way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Integer, bindparam, select, text

from openpxs.store import direct
from openpxs.store.db import create_engine
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import cards as cards_
from openpxs.store.repositories import (
    challenges,
    checks,
    ledger,
    postings,
    social_groups,
    standing,
    users,
)
from openpxs.store.tables import accounts, cards, challenge_entries, challenge_progress, lots
from tests.api.checks import a_check, item, post_check
from tests.api.guests import b2b, enroll, gpost
from tests.api.pos import POS

pytestmark = pytest.mark.postgresql

MERCHANT = 1000


def _guest_card(client: TestClient, database_url: str, *, in_a_group: bool = False) -> str:
    """A new guest's loyalty card (enrolled, so the check names its guest); with
    ``in_a_group``, the guest owns a social group."""
    username = f"dq{uuid.uuid4().hex[:8]}"
    enroll(client, username)
    if in_a_group:
        made = gpost(
            client, "socialgroup", "createGroup", b2b(username=username, name="Club"), auth=POS
        )
        assert made.json()["result"] == "success", made.text

    async def newest() -> str:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                number = (
                    await conn.execute(
                        select(cards.c.printed_card_number)
                        .join(accounts, accounts.c.id == cards.c.account_id)
                        .where(accounts.c.user_id.is_not(None))
                        .order_by(cards.c.id.desc())
                        .limit(1)
                    )
                ).scalar_one()
                return str(number)
        finally:
            await engine.dispose()

    return asyncio.run(newest())


def _posted(client: TestClient, card: str) -> None:
    reply = post_check(client, card, a_check(f"dq-{uuid.uuid4().hex[:8]}", item("1", "12.00")))
    assert reply["result"] == "success", reply


def test_each_direct_query_reads_the_rows_sqlalchemy_reads(
    client: TestClient, database_url: str
) -> None:
    card = _guest_card(client, database_url, in_a_group=True)
    _posted(client, card)

    async def scenario() -> list[tuple[str, Sequence[Any], Sequence[Any]]]:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                account, user = (
                    await conn.execute(
                        select(cards.c.account_id, accounts.c.user_id)
                        .join(accounts, accounts.c.id == cards.c.account_id)
                        .where(
                            cards.c.merchant_id == MERCHANT,
                            cards.c.printed_card_number == card,
                        )
                    )
                ).one()
                # Choices about challenges, so the entries' columns are read too.
                await conn.execute(
                    challenge_entries.insert(),
                    [
                        {
                            "merchant_id": MERCHANT,
                            "challenge_code": code,
                            "account_id": account,
                            "opted_in": joined,
                            "charity_code": charity,
                            "changed_at": datetime.now(UTC),
                        }
                        for code, joined, charity in (("VISIT3", True, "KIDS"), ("X", False, None))
                    ],
                )
                progress = (
                    await conn.execute(
                        select(challenge_progress.c.challenge_code, challenge_progress.c.occurrence)
                        .where(challenge_progress.c.account_id == account)
                        .limit(1)
                    )
                ).one_or_none()
                code, occurrence = progress or ("none", "none")
                account_of = {"m": MERCHANT, "a": account}
                since = datetime.now(UTC) - timedelta(days=365)
                cases: list[tuple[str, DirectQuery, dict[str, Any]]] = [
                    ("the card locked", cards_._FIND_LOCKING_ACCOUNT, {"m": MERCHANT, "n": card}),
                    ("the book", ledger._ONE_BOOK_ROWS, account_of),
                    (
                        "after the lock",
                        postings._AFTER_LOCK,
                        {**account_of, "user": user},
                    ),
                    ("the guest", users._USER_OF_ACCOUNT, account_of),
                    ("the guest by id", users._USER_BY_ID, {"m": MERCHANT, "u": user}),
                    ("tier and visit", standing._TIER_AND_VISITED, account_of),
                    (
                        "tier and earnings",
                        standing._tier_and_earnings(2),
                        {**account_of, "w0": 1, "since0": since, "w1": 2, "since1": since},
                    ),
                    ("audience", challenges._AUDIENCE_FACTS, account_of),
                    ("entries", challenges._ENTRIES, account_of),
                    (
                        "standing",
                        challenges._STANDING_IN_ONE,
                        {**account_of, "code": code, "occurrence": occurrence},
                    ),
                    ("groups", social_groups._GROUPS_OF_ONE, {"m": MERCHANT, "user": user}),
                ]
                found = []
                for name, query, params in cases:
                    # Both inside the open transaction, as a unit of work reads them.
                    through = (await conn.execute(query.clause, params)).all()
                    sent: list[str] = []
                    direct.LISTENERS.append(sent.append)
                    try:
                        straight = await query.rows(conn, params)
                    finally:
                        direct.LISTENERS.remove(sent.append)
                    assert sent == [query._statement.sql], f"{name} did not go to the driver"
                    found.append((name, through, straight))
                return found
        finally:
            await engine.dispose()

    def typed(rows: Sequence[Any]) -> list[list[tuple[Any, ...]]]:
        # Equal values of other types (1 and True, an instant in another zone) differ.
        return [[(type(v), v, getattr(v, "tzinfo", None)) for v in row] for row in rows]

    found = asyncio.run(scenario())
    for name, through, straight in found:
        assert typed(straight) == typed(through), name
        for direct_row, row in zip(straight, through, strict=True):
            fields = [f for f in row._fields if f.isidentifier() and not f.startswith("_")]
            assert all(getattr(direct_row, f) == getattr(row, f) for f in fields), name
    # The reads that matter most read something: an empty read would prove nothing.
    after_lock = next(straight for name, _, straight in found if name == "after the lock")
    # Every kind of row of the read after the lock: book, visit, entries, name, group.
    assert {row.kind for row in after_lock} == {1, 2, 3, 4, 5}, after_lock
    empty = {name for name, through, _ in found if not through}
    read = {
        "the card locked",
        "the book",
        "after the lock",
        "entries",
        "groups",
        "the guest",
        "the guest by id",
        "tier and visit",
        "tier and earnings",
    }
    assert not empty & read, empty


def test_a_posted_check_reads_its_account_straight_from_the_driver(
    client: TestClient, database_url: str
) -> None:
    card = _guest_card(client, database_url)
    _posted(client, card)  # statements prepared, the program loaded
    seen: list[str] = []
    direct.LISTENERS.append(seen.append)
    try:
        _posted(client, card)
    finally:
        direct.LISTENERS.remove(seen.append)
    sent = "\n".join(seen)
    for query in (cards_._FIND_LOCKING_ACCOUNT, postings._AFTER_LOCK, checks._RECORD):
        assert query._statement.sql in sent
    # What the lock and the read after it found of the account is not read again.
    for query in (
        users._USER_OF_ACCOUNT,
        users._USER_BY_ID,
        challenges._AUDIENCE_FACTS,
        ledger._ONE_BOOK_ROWS,
        standing._TIER_AND_VISITED,
        challenges._ENTRIES,
        social_groups._GROUPS_OF_ONE,
    ):
        assert query._statement.sql not in sent


def test_a_query_whose_sql_changes_per_call_is_refused() -> None:
    expanding = select(lots.c.id).where(lots.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="must not change"):
        DirectQuery(expanding)


def test_a_missing_parameter_is_an_error_not_a_null(database_url: str) -> None:
    query = DirectQuery(select((bindparam("m", type_=Integer) + 5).label("sum")))

    async def scenario() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT 1"))
                with pytest.raises(KeyError, match="'m'"):
                    await query.rows(conn, {})
                # A literal in the statement is sent with it.
                assert [tuple(r) for r in await query.rows(conn, {"m": 2})] == [(7,)]
        finally:
            await engine.dispose()

    asyncio.run(scenario())
