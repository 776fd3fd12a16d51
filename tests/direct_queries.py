"""What the tests of DirectQuery on both databases share: a guest's card with a check
posted, the reads a unit of work sends as DirectQuery on it, and the comparison of
their rows with SQLAlchemy's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.db import create_engine
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import (
    challenges,
    ledger,
    postings,
    social_groups,
    standing,
    users,
)
from openpxs.store.tables import accounts, cards, challenge_entries, challenge_progress
from tests.api.checks import a_check, item, post_check
from tests.api.guests import b2b, enroll, gpost
from tests.api.pos import POS

MERCHANT = 1000
Found = list[tuple[str, Sequence[Any], Sequence[Any]]]
# Reads one case the direct way (name, query, connection, parameters), checking it went so.
Straight = Callable[[str, DirectQuery, AsyncConnection, dict[str, Any]], Awaitable[Sequence[Any]]]


def guest_card(client: TestClient, database_url: str, *, in_a_group: bool = False) -> str:
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


def posted(client: TestClient, card: str) -> None:
    reply = post_check(client, card, a_check(f"dq-{uuid.uuid4().hex[:8]}", item("1", "12.00")))
    assert reply["result"] == "success", reply


async def cases(
    conn: AsyncConnection, card: str, locked: DirectQuery
) -> list[tuple[str, DirectQuery, dict[str, Any]]]:
    """The reads of ``card``'s account, ``locked`` being the card's lock of the
    database at hand; choices about challenges are made first, so the entries' columns
    are read too."""
    account, user = (
        await conn.execute(
            select(cards.c.account_id, accounts.c.user_id)
            .join(accounts, accounts.c.id == cards.c.account_id)
            .where(cards.c.merchant_id == MERCHANT, cards.c.printed_card_number == card)
        )
    ).one()
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
    return [
        ("the card locked", locked, {"m": MERCHANT, "n": card}),
        ("the book", ledger._ONE_BOOK_ROWS, account_of),
        ("after the lock", postings._AFTER_LOCK, {**account_of, "user": user}),
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


def read_both_ways(database_url: str, card: str, locked: DirectQuery, straight: Straight) -> Found:
    """Each case read through SQLAlchemy and by ``straight``, both inside one open
    transaction, as a unit of work reads them."""

    async def scenario() -> Found:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                found: Found = []
                for name, query, params in await cases(conn, card, locked):
                    through = (await conn.execute(query.clause, params)).all()
                    found.append((name, through, await straight(name, query, conn, params)))
                return found
        finally:
            await engine.dispose()

    return asyncio.run(scenario())


def _typed(rows: Sequence[Any]) -> list[list[tuple[Any, ...]]]:
    # Equal values of other types (1 and True, an instant in another zone) differ.
    return [[(type(v), v, getattr(v, "tzinfo", None)) for v in row] for row in rows]


def assert_same_rows(found: Found) -> None:
    """Each read's rows, by position and by name, as SQLAlchemy's; the reads that
    matter most read something (an empty read would prove nothing)."""
    for name, through, straight in found:
        assert _typed(straight) == _typed(through), name
        for direct_row, row in zip(straight, through, strict=True):
            fields = [f for f in row._fields if f.isidentifier() and not f.startswith("_")]
            assert all(getattr(direct_row, f) == getattr(row, f) for f in fields), name
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
