"""Reads sent straight to asyncpg inside a unit of work's transaction
(store/direct.py: DirectQuery): the rows SQLAlchemy would give, and a posted check's
reads go that way."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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
from openpxs.store.tables import lots
from tests.direct_queries import assert_same_rows, guest_card, posted, read_both_ways

pytestmark = pytest.mark.postgresql


def test_each_direct_query_reads_the_rows_sqlalchemy_reads(
    client: TestClient, database_url: str
) -> None:
    card = guest_card(client, database_url, in_a_group=True)
    posted(client, card)

    async def straight(
        name: str, query: DirectQuery, conn: Any, params: dict[str, Any]
    ) -> Sequence[Any]:
        sent: list[str] = []
        direct.LISTENERS.append(sent.append)
        try:
            rows = await query.rows(conn, params)
        finally:
            direct.LISTENERS.remove(sent.append)
        assert sent == [query._statement.sql], f"{name} did not go to the driver"
        return rows

    assert_same_rows(read_both_ways(database_url, card, cards_._FIND_LOCKING_ACCOUNT, straight))


def test_a_posted_check_reads_its_account_straight_from_the_driver(
    client: TestClient, database_url: str
) -> None:
    card = guest_card(client, database_url)
    posted(client, card)  # statements prepared, the program loaded
    seen: list[str] = []
    direct.LISTENERS.append(seen.append)
    try:
        posted(client, card)
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
