"""SQLite: a process's transactions wait for the write lock in a queue, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from openpxs.store import db
from openpxs.store.db import create_engine, sqlite_turn


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
    monkeypatch.setattr(db, "TURN_SECONDS", 0.2)
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
