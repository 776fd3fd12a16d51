"""PostgreSQL connections kept checked out between calls (store/kept.py).

A unit of work takes the connection the last one gave back, without a trip through the
pool; what the pool did for its connections (a rollback on return, replacing the
connections a restart killed, closing them at shutdown) must still happen.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.store import kept
from openpxs.store.db import create_engine
from openpxs.store.uow import reading, unit_of_work
from tests.api.pos import add_redeem_body, card, header, sell_body, sv
from tests.pg.serving import Relay, served

pytestmark = pytest.mark.postgresql


def test_calls_take_the_kept_connections_without_the_pool(client: Any, database_url: str) -> None:
    async def scenario() -> int:
        async with served(database_url, outbox_worker=False) as (app, call):
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
    async def backend(uow: Any) -> int:
        return int((await uow._conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    async def scenario() -> tuple[set[int], str, bool]:
        engine = create_engine(database_url)
        onlooker = create_engine(database_url, pool_size=1)
        try:
            pids = set()
            async with reading(engine) as uow:
                # A read autobegins a transaction; the connection is kept all the same.
                pids.add(await backend(uow))
            with pytest.raises(ZeroDivisionError):
                async with unit_of_work(engine) as uow:
                    pids.add(await backend(uow))
                    raise ZeroDivisionError  # a failure that is no database's
            async with kept.connection(engine) as conn:
                pids.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
                await conn.rollback()
            async with onlooker.connect() as other:
                state = (
                    await other.execute(
                        text("SELECT state FROM pg_stat_activity WHERE pid = :pid"),
                        {"pid": next(iter(pids))},
                    )
                ).scalar_one()
            async with kept.connection(engine) as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                in_transaction = bool(driver.is_in_transaction())
            return pids, state, in_transaction
        finally:
            await engine.dispose()
            await onlooker.dispose()

    pids, state, in_transaction = asyncio.run(scenario())
    assert len(pids) == 1  # one connection, taken again each time
    assert state == "idle"  # not "idle in transaction"
    assert not in_transaction


def test_a_caller_waiting_for_the_pool_gets_the_next_connection_given_back(
    database_url: str,
) -> None:
    """Kept connections count as checked out: one given back while the pool is
    exhausted is checked in, so a caller waiting in the pool gets it at once."""

    async def scenario() -> float:
        engine = create_engine(database_url, pool_size=1)  # and 2 of overflow
        releases = [asyncio.Event() for _ in range(3)]
        all_holding = asyncio.Event()
        holding = 0

        async def holder(release: asyncio.Event) -> None:
            nonlocal holding
            async with unit_of_work(engine) as uow:
                await uow._conn.execute(text("SELECT 1"))
                holding += 1
                if holding == 3:
                    all_holding.set()
                await release.wait()

        try:
            holders = [asyncio.create_task(holder(release)) for release in releases]
            await asyncio.wait_for(all_holding.wait(), 5)
            waiter = asyncio.create_task(engine.connect().start())
            await asyncio.sleep(0.1)
            assert not waiter.done()  # the pool is exhausted
            started = asyncio.get_running_loop().time()
            releases[0].set()  # one connection given back, the pool still exhausted
            conn = await asyncio.wait_for(waiter, 5)
            waited = asyncio.get_running_loop().time() - started
            await conn.close()
            for release in releases:
                release.set()
            await asyncio.gather(*holders)
            return waited
        finally:
            await engine.dispose()

    # Without the check-in the waiter got its connection only when pool_timeout (10 s)
    # ran out.
    assert asyncio.run(scenario()) < 2


def test_a_cancelled_statement_leaves_the_other_kept_connections_alone(
    database_url: str,
) -> None:
    async def scenario() -> tuple[int, list[bool], int]:
        engine = create_engine(database_url)

        async def one(seconds: float) -> None:
            async with unit_of_work(engine) as uow:
                await uow._conn.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})

        try:
            await asyncio.gather(*(one(0.05) for _ in range(3)))
            before = list(kept._kept(engine).idle)
            slow = asyncio.create_task(one(5))
            await asyncio.sleep(0.3)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            # SQLAlchemy counts the cancelled statement as a disconnect of its own
            # connection only, not of the pool.
            after = kept._kept(engine).idle
            still = [conn in after and _open(conn) for conn in before if conn is not None]
            await one(0)
            return len(before), still, len(after)
        finally:
            await engine.dispose()

    kept_before, still, _ = asyncio.run(scenario())
    assert kept_before >= 2
    assert still.count(True) >= kept_before - 1, still


def _open(conn: Any) -> bool:
    sync = conn.sync_connection
    return sync is not None and not sync.closed and not sync.invalidated


def test_kept_connections_whose_sessions_ended_are_not_handed_out(database_url: str) -> None:
    """Sessions ended by the server while idle (an administrator's
    pg_terminate_backend, an idle timeout): the driver sees the socket closed, and the
    next unit of work opens a new connection instead of failing."""

    async def scenario() -> tuple[int, int]:
        engine = create_engine(database_url)
        onlooker = create_engine(database_url, pool_size=1)
        pids = []

        async def one() -> None:
            async with unit_of_work(engine) as uow:
                pid = await uow._conn.execute(text("SELECT pg_backend_pid(), pg_sleep(0.05)"))
                pids.append(int(pid.first()[0]))  # type: ignore[index]

        try:
            await asyncio.gather(*(one() for _ in range(3)))
            async with onlooker.connect() as other:
                for pid in pids:
                    await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            await asyncio.sleep(0.3)
            failures = 0
            for _ in range(3):
                try:
                    await one()
                except Exception:
                    failures += 1
            return failures, len(set(pids[3:]) & set(pids[:3]))
        finally:
            await engine.dispose()
            await onlooker.dispose()

    failures, reused = asyncio.run(scenario())
    assert failures == 0
    assert reused == 0


def test_at_most_the_pools_size_is_kept_and_disposal_closes_them(database_url: str) -> None:
    async def scenario() -> tuple[int, int, int]:
        engine = create_engine(database_url, pool_size=3)

        async def one() -> None:
            async with unit_of_work(engine) as uow:
                await uow._conn.execute(text("SELECT pg_sleep(0.05)"))

        await asyncio.gather(*(one() for _ in range(5)))  # 3 pooled and 2 of overflow
        # Five given back at once may all see the pool full (each one's check-in is
        # still on its way as the next decides): one more, alone, finds room.
        await one()
        pool: Any = engine.sync_engine.pool
        held = pool.checkedout()
        idle = [conn.sync_connection for conn in kept._kept(engine).idle]
        await engine.dispose()
        closed = sum(1 for sync in idle if sync is not None and sync.invalidated)
        return held, len(idle), closed

    held, idle, closed = asyncio.run(scenario())
    # The overflow went back to the pool; what stayed is kept, within the pool's size.
    assert 1 <= idle <= 3
    assert held == idle
    assert closed == idle


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
        async with served(via_relay, outbox_worker=False) as (_, call):
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
        async with served(via_relay, outbox_worker=False) as (app, call):
            inquiry = {"headerInfo": header(), "cardInfo": card()}
            await call("activateAdd", sell_body())
            await asyncio.gather(*(call("balanceInquiry", inquiry) for _ in range(4)))
            opened = len(kept._kept(app.state.runtime.engine).idle)
        await asyncio.sleep(0.2)
        still_open = sum(1 for link in relay.links if not link.is_closing())
        await relay.cut()
        return opened, still_open

    opened, still_open = asyncio.run(scenario())
    assert opened > 0
    assert still_open == 0
