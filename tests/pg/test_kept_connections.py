"""PostgreSQL connections kept checked out between calls (store/kept.py).

A unit of work takes the connection the last one gave back, without a trip through the
pool; what the pool did for its connections (a rollback on return, replacing the
connections a restart killed, closing them at shutdown) must still happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.settings import Settings
from openpxs.store import kept
from openpxs.store.db import create_engine
from openpxs.store.uow import reading, unit_of_work
from tests.api.pos import POS, add_redeem_body, card, header, sell_body, sv
from tests.pg.test_outage import Relay

pytestmark = pytest.mark.postgresql

Call = Callable[[str, dict[str, Any]], Awaitable[httpx.Response]]


@asynccontextmanager
async def served(url: str) -> AsyncIterator[tuple[Any, Call]]:
    app = create_app(Settings(database_url=url, log_level="CRITICAL"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def call(operation: str, body: dict[str, Any]) -> httpx.Response:
                return await http.post(
                    f"/rest/24.11/transaction/{operation}.json", json=body, auth=POS
                )

            yield app, call


def test_calls_take_the_kept_connections_without_the_pool(client: Any, database_url: str) -> None:
    async def scenario() -> int:
        async with served(database_url) as (app, call):
            engine: AsyncEngine = app.state.runtime.engine
            assert (await call("activateAdd", sell_body())).json()["result"] == (
                "authorizedSuccess"
            )
            checkouts = 0

            def checked_out(*_: Any) -> None:
                nonlocal checkouts
                checkouts += 1

            event.listen(engine.sync_engine, "checkout", checked_out)
            for n in range(5):
                # The lock-free path (addRedeem, balanceInquiry) and a locking one (the
                # sale of another card).
                redeemed = await call(
                    "addRedeem", add_redeem_body(redeem=sv("1.00"), pos_id=f"k{n}")
                )
                assert redeemed.json()["result"] == "authorizedSuccess", redeemed.text
                inquiry = {"headerInfo": header(), "cardInfo": card()}
                assert (await call("balanceInquiry", inquiry)).status_code == 200
                sale = await call("activateAdd", sell_body(f"60000000000001{n:02d}"))
                assert sale.json()["result"] == "authorizedSuccess", sale.text
            event.remove(engine.sync_engine, "checkout", checked_out)
            return checkouts

    # Without kept connections every unit of work checks one out: 15 calls, 15 or more.
    assert asyncio.run(scenario()) == 0


def test_no_transaction_is_left_open_on_a_kept_connection(database_url: str) -> None:
    async def scenario() -> list[str]:
        engine = create_engine(database_url)
        try:
            async with reading(engine) as uow:
                # A read autobegins a transaction; the connection is kept all the same.
                await uow._conn.execute(text("SELECT 1"))
            with pytest.raises(ZeroDivisionError):
                async with unit_of_work(engine) as uow:
                    await uow._conn.execute(text("SELECT 1"))
                    raise ZeroDivisionError  # a failure that is no database's
            async with kept.connection(engine) as conn:
                # Both came back rolled back, and one is taken again here.
                assert not conn.in_transaction()
                rows = await conn.execute(
                    text(
                        "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND application_name = ''"
                        " AND state LIKE 'idle in transaction%'"
                    )
                )
                return [r.state for r in rows]
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == []


def test_at_most_the_pools_size_is_kept_and_disposal_closes_them(database_url: str) -> None:
    async def scenario() -> tuple[int, int, int]:
        engine = create_engine(database_url, pool_size=3)

        async def one() -> None:
            async with unit_of_work(engine) as uow:
                await uow._conn.execute(text("SELECT pg_sleep(0.05)"))

        await asyncio.gather(*(one() for _ in range(5)))  # 3 pooled and 2 of overflow
        pool: Any = engine.sync_engine.pool
        held = pool.checkedout()
        idle = [conn.sync_connection for conn in kept._kept(engine).idle]
        await engine.dispose()
        closed = sum(1 for sync in idle if sync is not None and sync.invalidated)
        return held, len(idle), closed

    held, idle, closed = asyncio.run(scenario())
    assert (held, idle) == (3, 3)
    assert closed == 3


def test_a_restart_costs_one_failed_call_on_the_locking_path_too(
    client: Any, database_url: str
) -> None:
    """After the database restarts, a locking call (a sale) finds a dead kept
    connection: it fails, and the kept connections opened before it are closed with it,
    as the pool replaces its own, so the next calls reconnect."""
    real = make_url(database_url)

    async def scenario() -> list[int]:
        relay = Relay(real.host or "127.0.0.1", real.port or 5432)
        await relay.open()
        via_relay = real.set(port=relay.port).render_as_string(hide_password=False)
        statuses = []
        async with served(via_relay) as (_, call):
            numbers = [f"6000000000{n:06d}" for n in range(1, 9)]
            # Several kept connections, all of which the restart kills.
            sold = await asyncio.gather(
                *(call("activateAdd", sell_body(number, "10.00")) for number in numbers[:4])
            )
            assert all(r.json()["result"] == "authorizedSuccess" for r in sold)
            await relay.cut()
            await relay.open()
            for number in numbers[4:]:
                statuses.append((await call("activateAdd", sell_body(number, "10.00"))).status_code)
        await relay.cut()
        return statuses

    statuses = asyncio.run(scenario())
    assert statuses[1:] == [200, 200, 200], statuses
    assert statuses[0] in (200, 503)


def test_shutdown_closes_the_kept_connections(client: Any, database_url: str) -> None:
    real = make_url(database_url)

    async def scenario() -> tuple[int, int]:
        relay = Relay(real.host or "127.0.0.1", real.port or 5432)
        await relay.open()
        via_relay = real.set(port=relay.port).render_as_string(hide_password=False)
        async with served(via_relay) as (_, call):
            inquiry = {"headerInfo": header(), "cardInfo": card()}
            await call("activateAdd", sell_body())
            await asyncio.gather(*(call("balanceInquiry", inquiry) for _ in range(4)))
            opened = sum(1 for link in relay.links if not link.is_closing())
        await asyncio.sleep(0.2)
        still_open = sum(1 for link in relay.links if not link.is_closing())
        await relay.cut()
        return opened, still_open

    opened, still_open = asyncio.run(scenario())
    assert opened > 0
    assert still_open == 0
