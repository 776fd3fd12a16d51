"""SQLite: inside a transaction that holds the write lock (the locking path's BEGIN
IMMEDIATE), the unit of work's statements run on the sqlite3 connection in the event
loop's thread (store/direct_sqlite.py: in_transaction_here), with no hop to the
driver's thread: a posted check's, its transaction's record and postings among them.

Counted, not timed, on a database of the test's own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from openpxs.store import direct_sqlite
from openpxs.store.db import create_engine
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import cards as cards_
from openpxs.store.repositories import checks
from openpxs.store.tables import journal, transactions
from tests.api.checks import a_check, item, post_check
from tests.api.pos import LOYALTY, sqlite_demo
from tests.direct_queries import assert_same_rows, guest_card, posted, read_both_ways

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("in-thread") / "in-thread.db"


@pytest.fixture(scope="module")
def sqlite_client(database: Path) -> Iterator[TestClient]:
    with sqlite_demo(database, "25.00") as client:
        yield client


def _counted_check(client: TestClient, card: str) -> tuple[int, list[str], list[str]]:
    """Hops to aiosqlite's thread, statements through SQLAlchemy and statements run in
    this thread, of one posted check."""
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    hops = [0]
    through: list[str] = []
    here: list[str] = []
    sent = aiosqlite.Connection._execute
    fetch_here = direct_sqlite.fetch_here

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops[0] += 1
        return await sent(self, fn, *args, **kwargs)

    def fetching(db: Any, statement: Any, values: Any) -> Any:
        here.append(statement.sql.split(None, 1)[0])
        return fetch_here(db, statement, values)

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        through.append(statement.split(None, 1)[0])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counting)
        patch.setattr(direct_sqlite, "fetch_here", fetching)
        event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
        try:
            reply = post_check(
                client, card, a_check(f"t-{uuid.uuid4().hex[:8]}", item("1", "9.00"))
            )
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", on_statement)
    assert reply["result"] == "success", reply
    return hops[0], through, here


def test_a_posted_checks_statements_run_in_the_event_loops_thread(
    sqlite_client: TestClient,
) -> None:
    for _ in range(2):  # the first checks load the program
        post_check(sqlite_client, LOYALTY, a_check(f"w-{uuid.uuid4().hex[:8]}", item("1", "9.00")))
    counts = [_counted_check(sqlite_client, LOYALTY) for _ in range(3)]
    # The fewest: a process rechecks its program's version at most once a second.
    hops, through, here = min(counts, key=lambda c: (c[0], len(c[1])))
    # Only BEGIN IMMEDIATE goes through SQLAlchemy; the claim, the card's lock, the read
    # after it and the check's updates run here; so does the transaction's record and
    # postings, from the plan the batches write (not counted here: it is no query).
    assert through == ["BEGIN"], through
    assert here[:2] == ["INSERT", "SELECT"], here
    # BEGIN (three hops through SQLAlchemy: cursor, statement, closing it) and COMMIT.
    assert hops <= 5, hops


def test_a_checks_transaction_and_postings_are_written_in_the_event_loops_thread(
    sqlite_client: TestClient, database: Path
) -> None:
    async def count(table: Any) -> int:
        engine = create_engine(f"sqlite:///{database}")
        try:
            async with engine.connect() as conn:
                return int(
                    (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                )
        finally:
            await engine.dispose()

    before = asyncio.run(count(transactions)), asyncio.run(count(journal))
    _, through, _ = _counted_check(sqlite_client, LOYALTY)
    after = asyncio.run(count(transactions)), asyncio.run(count(journal))
    assert "INSERT" not in through, through  # neither the record nor its journal rows
    assert after[0] == before[0] + 1 and after[1] > before[1], (before, after)


def test_each_direct_query_reads_on_sqlite_the_rows_sqlalchemy_reads(
    sqlite_client: TestClient, database: Path
) -> None:
    url = f"sqlite:///{database}"
    card = guest_card(sqlite_client, url, in_a_group=True)
    posted(sqlite_client, card)

    fetch_here = direct_sqlite.fetch_here

    async def straight(
        name: str, query: DirectQuery, conn: Any, params: dict[str, Any]
    ) -> Sequence[Any]:
        here: list[Any] = []

        def fetching(db: Any, statement: Any, values: Any) -> Any:
            here.append(statement)
            return fetch_here(db, statement, values)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(direct_sqlite, "fetch_here", fetching)
            rows = await query.rows(conn, params)
        assert len(here) == 1, f"{name} did not run in this thread"
        return rows

    assert_same_rows(read_both_ways(url, card, cards_._FIND_WITH_ACCOUNT, straight))


def test_a_failed_statement_in_this_thread_is_sqlalchemys_error_and_rolls_back(
    database: Path,
) -> None:
    row = {
        "v_merchant_id": 1000,
        "v_store_code": "S1",
        "v_agent_name": "a",
        "v_check_number": "dup",
        "v_business_date": "2026-11-26",
        "v_body": {},
        "v_posted_at": None,  # NOT NULL: the insert fails
    }

    async def scenario() -> int:
        engine = create_engine(f"sqlite:///{database}")
        try:
            with pytest.raises(IntegrityError):
                async with engine.begin() as conn:
                    assert direct_sqlite.in_transaction_here(conn) is not None
                    await checks._CLAIM.rows(conn, row)
            async with engine.connect() as conn:
                assert direct_sqlite.in_transaction_here(conn) is None  # none open
                found = await conn.execute(
                    select(func.count())
                    .select_from(checks.checks)
                    .where(checks.checks.c.check_number == "dup")
                )
                return int(found.scalar_one())
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == 0
