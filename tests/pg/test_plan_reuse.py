"""The hot write is planned once per connection, not on every call, and its plan
reaches what it changes by index.

PostgreSQL plans a prepared statement anew for each of its first five executions and
then keeps a generic plan only if that plan's estimated cost is close to theirs.
addRedeem's guarded write once lost that comparison (its new lots were numbered by
generate_series over a count, estimated at a thousand rows without the count), so
every call planned it again: about 0.5 ms of PostgreSQL's CPU per addRedeem, more
than the statement's execution.

A generic plan knows neither the arrays' lengths nor their contents. Joined with the
array of lots the call changes, it counted on ten of them and read the merchant's whole
lots table rather than probing the index ten times, as long as the table was under a
few thousand lots: 0.1 ms of PostgreSQL's CPU per call at a thousand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient

from openpxs.store import direct
from openpxs.store.repositories.ledger import GUARDED_WRITE
from tests.api.pos import GIFT, add_redeem_body, call, ok, sell_body, sv

pytestmark = pytest.mark.postgresql

EXECUTIONS = 12


def _guarded_write_of_an_add_redeem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The parameters an addRedeem (a load and a redemption on a sold gift card) sent
    with the guarded write."""
    ok(call(client, "activateAdd", sell_body(GIFT, "150.00")))
    sent: list[Mapping[str, Any]] = []
    fetch = direct.DirectStatement.fetch

    async def capture(
        statement: direct.DirectStatement, driver: Any, params: Mapping[str, Any]
    ) -> list[Any]:
        if statement is GUARDED_WRITE:
            sent.append(dict(params))
        return await fetch(statement, driver, params)

    monkeypatch.setattr(direct.DirectStatement, "fetch", capture)
    ok(call(client, "addRedeem", add_redeem_body(GIFT, add=sv("2.00"), redeem=sv("1.00"))))
    monkeypatch.undo()
    assert len(sent) == 1, "addRedeem no longer writes through the guarded statement"
    return dict(sent[0])


def test_the_guarded_write_keeps_a_generic_plan(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _guarded_write_of_an_add_redeem(client, monkeypatch)

    async def plans() -> tuple[int, int]:
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            prepared = await conn.prepare(GUARDED_WRITE.sql)
            arguments = [params[name] for name in GUARDED_WRITE.names]
            async with conn.transaction():
                # The book's revision has moved on since: each execution finds the
                # guard unmet and writes nothing, but is planned all the same.
                for _ in range(EXECUTIONS):
                    await prepared.fetch(*arguments)
            row = await conn.fetchrow(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement = $1",
                GUARDED_WRITE.sql,
            )
            assert row is not None
            return int(row[0]), int(row[1])
        finally:
            await conn.close()

    generic, custom = asyncio.run(plans())
    assert custom == 5 and generic == EXECUTIONS - 5, (generic, custom)


# Lots of other accounts in a table of new pages: enough that the planner prices a
# read of the whole table above one index probe, and few enough that it priced the
# read below ten.
OTHER_LOTS = 1500


def test_the_generic_plan_of_the_write_reads_no_other_lots(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _guarded_write_of_an_add_redeem(client, monkeypatch)
    assert len(params["ol_id"]) == 1, "the redemption no longer changes one existing lot"

    async def lots_read() -> int:
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            async with conn.transaction():  # rolled back: the test database stays as it was
                # Emptied first, so the table's size is the test's, whatever earlier
                # tests left in it (autovacuum may be off); the lot the write changes is
                # put back.
                await conn.execute("TRUNCATE lots")
                await conn.execute(
                    "INSERT INTO lots (merchant_id, id, account_id, wallet_code,"
                    " remaining_units, transaction_id) VALUES ($1, $2, $3, 1, 1, 0)",
                    params["m"],
                    params["ol_id"][0],
                    params["a"],
                )
                await conn.execute(
                    "INSERT INTO lots (merchant_id, account_id, wallet_code, remaining_units,"
                    " transaction_id) SELECT $1, -g, 1, 100, 0 FROM generate_series(1, $2) g",
                    params["m"],
                    OTHER_LOTS,
                )
                await conn.execute("ANALYZE lots")
                await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                prepared = await conn.prepare(GUARDED_WRITE.sql)
                read = "SELECT seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'lots'"
                before = int(await conn.fetchval(read))
                for n in range(EXECUTIONS):
                    # Each execution a new write of the same book: the guard is met.
                    arguments = {
                        **params,
                        "revision": await conn.fetchval(
                            "SELECT revision FROM accounts WHERE merchant_id = $1 AND id = $2",
                            params["m"],
                            params["a"],
                        ),
                        "txn": None,
                        "scopes": [f"plan-test:{n}"],
                    }
                    written = await prepared.fetch(*[arguments[k] for k in GUARDED_WRITE.names])
                    assert written, "the guarded write was refused"
                lots_read = int(await conn.fetchval(read)) - before
                changed = await conn.fetchval(
                    "SELECT remaining_units FROM lots WHERE id = $1", params["ol_id"][0]
                )
                assert changed == params["ol_units"][0], "the write did not change the lot"
                return lots_read
        finally:
            await conn.close()

    # One lot changed per call, found by its id: no lot of another account is read.
    assert asyncio.run(lots_read()) < OTHER_LOTS, "the write read the whole lots table"
