"""SQLite: a process's transactions wait for the write lock in a queue, in order, and the
busiest calls' writes share their commits (store/turns.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.store import direct_sqlite, turns
from openpxs.store.db import create_engine
from openpxs.store.turns import sqlite_turn


def test_transactions_take_turns_in_the_order_they_asked(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    order: list[int] = []
    holding = 0
    most = 0

    async def transaction(n: int) -> None:
        nonlocal holding, most
        async with sqlite_turn(engine), engine.begin() as conn:
            holding += 1
            most = max(most, holding)
            order.append(n)
            await conn.exec_driver_sql("SELECT 1")
            await asyncio.sleep(0.005)
            holding -= 1

    async def main() -> None:
        tasks = []
        for n in range(12):
            tasks.append(asyncio.create_task(transaction(n)))
            await asyncio.sleep(0)  # each asks before the next is made
        await asyncio.gather(*tasks)
        await engine.dispose()

    asyncio.run(main())
    assert most == 1
    assert order == list(range(12))


def test_a_task_holding_its_turn_is_not_queued_behind_itself(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    entered: list[str] = []

    async def main() -> None:
        async with sqlite_turn(engine), sqlite_turn(engine):
            entered.append("nested")
        await engine.dispose()

    asyncio.run(main())
    assert entered == ["nested"]


def test_a_turn_not_given_in_time_fails_as_sqlite_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(turns, "TURN_SECONDS", 0.2)
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")

    async def another_task_waits() -> None:
        async with sqlite_turn(engine):
            pass

    async def main() -> None:
        async with sqlite_turn(engine):
            with pytest.raises(OperationalError):
                await asyncio.create_task(another_task_waits())
        await engine.dispose()

    asyncio.run(main())


def test_postgresql_engines_do_not_queue() -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:1/none")

    async def main() -> None:
        async with sqlite_turn(engine), sqlite_turn(engine):
            pass
        await engine.dispose()

    asyncio.run(main())


async def _write_in_group(engine: AsyncEngine, value: int) -> turns.WriteGroup | None:
    """A call's part of the open write group: one row written, then settled."""
    async with sqlite_turn(engine, grouped=True) as turn:
        batches = await turn.writer()
        await batches.run(
            [], lambda db: db.execute(f"INSERT INTO t VALUES ({value})"), part="begin"
        )
        await batches.run([], lambda db: None, part="end")
        return await turn.settle()


async def _table(engine: AsyncEngine) -> None:
    async with sqlite_turn(engine), engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (v INTEGER)")


def _rows(path: Path) -> list[int]:
    with sqlite3.connect(path) as own:
        return [v for (v,) in own.execute("SELECT v FROM t ORDER BY v")]


def test_a_transaction_that_joins_no_group_commits_the_open_one_first(tmp_path: Path) -> None:
    path = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{path}")
    seen: list[list[int]] = []

    async def main() -> None:
        await _table(engine)
        group = await _write_in_group(engine, 1)
        assert group is not None and not group.committed.is_set()
        seen.append(_rows(path))  # not committed yet: the group's task has not run
        # Asked before the group's own task takes its turn: this transaction ends it.
        async with sqlite_turn(engine), engine.begin() as conn:
            assert group.committed.is_set()
            seen.append(_rows(path))
            await conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        await group.wait()
        await engine.dispose()

    asyncio.run(main())
    assert seen == [[], [1]]
    assert _rows(path) == [1, 2]


def test_a_group_is_committed_by_its_own_task_when_nobody_else_asks(tmp_path: Path) -> None:
    path = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{path}")

    async def main() -> None:
        await _table(engine)
        first = await _write_in_group(engine, 1)
        second = await _write_in_group(engine, 2)  # joined the same open group
        assert first is second and first is not None and first.members == 2
        await asyncio.wait_for(first.wait(), 5)
        await engine.dispose()

    asyncio.run(main())
    assert _rows(path) == [1, 2]


def test_a_group_whose_transaction_was_lost_fails_every_call_of_it(tmp_path: Path) -> None:
    """SQLite rolls a whole transaction back on some errors (a full disk): the group's
    calls must not be told their writes were kept, and the next call begins anew."""
    path = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{path}")

    async def main() -> None:
        await _table(engine)
        lost = await _write_in_group(engine, 1)
        assert lost is not None
        await lost.batches.run(["ROLLBACK"], direct_sqlite.rollback)  # as SQLite would
        kept = await _write_in_group(engine, 2)
        assert kept is not None and kept is not lost
        with pytest.raises(OperationalError):
            await lost.wait()
        await kept.wait()
        await engine.dispose()

    asyncio.run(main())
    assert _rows(path) == [2]


def test_a_reader_kept_for_a_call_that_never_came_is_given_back_at_shutdown(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    checked_out: list[int] = []

    async def waits_then_gives_up() -> None:
        async with sqlite_turn(engine, grouped=True):
            pass

    async def main() -> None:
        async with sqlite_turn(engine, grouped=True) as turn:
            await turn.reader()
            waiter = asyncio.create_task(waits_then_gives_up())
            await asyncio.sleep(0)  # queued behind this turn
            await turn.settle()  # another waits: the reader is kept for it
            waiter.cancel()
        checked_out.append(engine.pool.checkedout())
        await turns.give_back_connections(engine)
        checked_out.append(engine.pool.checkedout())
        await engine.dispose()

    asyncio.run(main())
    assert checked_out == [1, 0]


def test_a_commit_stopped_by_anything_fails_its_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only a database error: whatever stops the COMMIT (a cancelled wait for the
    driver's thread), the group's calls are not told their writes were kept."""
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")

    def stopped(db: sqlite3.Connection) -> None:
        raise RuntimeError("stopped")

    async def main() -> None:
        await _table(engine)
        group = await _write_in_group(engine, 1)
        assert group is not None
        monkeypatch.setattr(direct_sqlite, "commit", stopped)
        with pytest.raises(RuntimeError):
            async with sqlite_turn(engine):
                pass  # ends the open group first
        with pytest.raises(OperationalError):
            await group.wait()
        await engine.dispose()

    asyncio.run(main())
