"""The hot write is planned once per connection, not on every call.

PostgreSQL plans a prepared statement anew for each of its first five executions and
then keeps a generic plan only if that plan's estimated cost is close to theirs.
addRedeem's guarded write once lost that comparison (its new lots were numbered by
generate_series over a count, estimated at a thousand rows without the count), so
every call planned it again: about 0.5 ms of PostgreSQL's CPU per addRedeem, more
than the statement's execution.
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


def test_the_guarded_write_keeps_a_generic_plan(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    assert len(sent) == 1, "addRedeem no longer writes through the guarded statement"

    async def plans() -> tuple[int, int]:
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            prepared = await conn.prepare(GUARDED_WRITE.sql)
            arguments = [sent[0][name] for name in GUARDED_WRITE.names]
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
