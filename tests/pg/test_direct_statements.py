"""Statements sent straight to asyncpg (store/direct.py): errors as SQLAlchemy reports
them, and a write inside the locking path's transaction."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from openpxs.store import direct
from openpxs.store.db import create_engine
from openpxs.store.direct import DirectConnection, DirectStatement
from tests.api.pos import call, card, header, ok, sell_body

pytestmark = pytest.mark.postgresql


def test_the_servers_refusals_come_as_sqlalchemys_errors(database_url: str) -> None:
    async def scenario() -> tuple[BaseException, BaseException]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                statement = DirectStatement(text("SELECT 1 / CAST(:n AS INTEGER)"))
                with pytest.raises(DBAPIError) as divided:
                    await DirectConnection(conn).fetch(statement, {"n": 0})
            async with engine.connect() as conn:
                await conn.execute(text("CREATE TEMPORARY TABLE checked (n INTEGER CHECK (n > 0))"))
                await conn.commit()
                insert = DirectStatement(text("INSERT INTO checked VALUES (CAST(:n AS INTEGER))"))
                with pytest.raises(IntegrityError) as refused:
                    await DirectConnection(conn).fetch(insert, {"n": -1})
            return divided.value, refused.value
        finally:
            await engine.dispose()

    divided, refused = asyncio.run(scenario())
    # The driver's own error stays on ``orig``: a deadlock's sqlstate (40P01) is how the
    # locking path knows to run the call again.
    assert getattr(divided.orig, "sqlstate", None) == "22012"  # type: ignore[attr-defined]
    assert getattr(refused.orig, "sqlstate", None) == "23514"  # type: ignore[attr-defined]


def test_a_sale_sends_its_write_straight_to_the_driver_within_its_transaction(
    client: TestClient,
) -> None:
    seen: list[str] = []
    direct.LISTENERS.append(seen.append)
    try:
        ok(call(client, "activateAdd", sell_body("6000000000000201", "20.00")))
    finally:
        direct.LISTENERS.remove(seen.append)
    # The card is locked through SQLAlchemy, which begins the transaction; the write
    # (the transaction, the activation, lots, journal, balances) then goes straight to
    # asyncpg, in that transaction.
    assert len(seen) == 1, seen
    assert "INSERT INTO transactions" in seen[0]
    inquiry = {"headerInfo": header(), "cardInfo": card("6000000000000201")}
    assert ok(call(client, "balanceInquiry", inquiry))["svCurrentBalance"] == "20.00"


def test_a_refusal_of_the_driver_itself_keeps_its_connection(database_url: str) -> None:
    async def scenario() -> tuple[DBAPIError, int]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                direct_conn = DirectConnection(conn)
                slow = DirectStatement(text("SELECT pg_sleep(0.3)"))
                statement = DirectStatement(text("SELECT CAST(:n AS BIGINT)"))
                first = asyncio.create_task(direct_conn.fetch(slow, {}))
                await asyncio.sleep(0.1)
                # asyncpg refuses a second statement while one is in flight: an error
                # of the driver's own, not a lost connection.
                with pytest.raises(DBAPIError) as busy:
                    await direct_conn.fetch(statement, {"n": 7})
                await first
                rows = await direct_conn.fetch(statement, {"n": 7})
                return busy.value, rows[0][0]
        finally:
            await engine.dispose()

    busy, seven = asyncio.run(scenario())
    assert "another operation is in progress" in str(busy.orig)
    assert not isinstance(busy, OperationalError)
    assert not busy.connection_invalidated
    assert seven == 7
