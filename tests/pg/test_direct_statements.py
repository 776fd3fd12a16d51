"""Statements sent straight to asyncpg (store/direct.py): errors as SQLAlchemy reports
them, and a write inside the locking path's transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from openpxs.store import direct
from openpxs.store.db import create_engine
from openpxs.store.direct import DirectConnection, DirectStatement
from tests.api.pos import add_redeem_body, call, card, header, ok, sell_body, sv

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


def _statements_of(client: TestClient, operation: str, body: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    direct.LISTENERS.append(seen.append)
    try:
        ok(call(client, operation, body))
    finally:
        direct.LISTENERS.remove(seen.append)
    return seen


def test_a_sale_is_read_and_written_on_the_driver(client: TestClient) -> None:
    seen = _statements_of(client, "activateAdd", sell_body("6000000000000201", "20.00"))
    # The card read without a lock; then the card made active, and with it the
    # transaction, the account, lots, journal, balances and reply, in one statement.
    assert len(seen) == 2, seen
    assert "UPDATE cards SET status = 'active'" in seen[1]
    assert "INSERT INTO transactions" in seen[1]
    inquiry = {"headerInfo": header(), "cardInfo": card("6000000000000201")}
    assert ok(call(client, "balanceInquiry", inquiry))["svCurrentBalance"] == "20.00"


def test_a_locking_write_goes_straight_to_the_driver_within_its_transaction(
    client: TestClient,
) -> None:
    ok(call(client, "activateAdd", sell_body("6000000000000201", "20.00")))
    # Below the demo's automatic recharge threshold the redemption marks a recharge
    # due, a statement besides its read and write: it runs on the locking path.
    redeem = add_redeem_body("6000000000000201", redeem=sv("1.00"), pos_id="locked-1")
    seen = _statements_of(client, "addRedeem", redeem)
    # The card is locked through SQLAlchemy, which begins the transaction; the write
    # (the transaction, lots, journal, balances) then goes straight to asyncpg, in that
    # transaction, without the optimistic write's guard.
    # The optimistic try, sent to the locking path by that statement, never sent its.
    writes = [sql for sql in seen if "INSERT INTO transactions" in sql]
    assert len(writes) == 1, seen
    assert "FOR SHARE" not in writes[0]
    inquiry = {"headerInfo": header(), "cardInfo": card("6000000000000201")}
    assert ok(call(client, "balanceInquiry", inquiry))["svCurrentBalance"] == "19.00"


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
