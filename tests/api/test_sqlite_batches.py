"""SQLite: addRedeem and balanceInquiry as batches of statements, run in the event
loop's thread, or one hop each to the driver's thread when a batch would wait there
(store/direct_sqlite.py).

Counted, not timed: hops to aiosqlite's thread and the statements in each are what
the call costs in CPU on SQLite, whatever the machine's load. The database is one of
the test's own, so the counts hold in every pass.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from openpxs.store import direct_sqlite
from openpxs.store.tables import idempotency_keys, journal, transactions
from openpxs.store.uow import StaleRead, unit_of_work
from tests.api.pos import GIFT, add_redeem_body, call, card, header, ok, refused, sqlite_demo, sv


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with sqlite_demo(tmp_path_factory.mktemp("batches") / "batches.db", "150.00") as client:
        yield client


class Hops:
    """Hops to aiosqlite's thread, the statements each batch ran, and the statements
    sent through SQLAlchemy's execution path."""

    def __init__(self) -> None:
        self.hops = 0
        self.batches: list[list[str]] = []
        self.through_sqlalchemy: list[str] = []


def counted(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, operation: str, body: dict[str, Any]
) -> tuple[Hops, dict[str, Any]]:
    hops = Hops()
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    sent = aiosqlite.Connection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.hops += 1
        return await sent(self, fn, *args, **kwargs)

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        hops.through_sqlalchemy.append(statement.split(None, 1)[0])

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counting)
        patch.setattr(direct_sqlite, "LISTENERS", [hops.batches.append])
        event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
        try:
            reply = call(client, operation, body)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", on_statement)
    return hops, reply


def fewest(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    bodies: list[dict[str, Any]],
) -> Hops:
    """The call of these with the fewest hops and statements through SQLAlchemy: a
    process rechecks its program's version at most once a second, which one of them
    may pay for."""
    found = []
    for body in bodies:
        hops, reply = counted(client, monkeypatch, operation, body)
        ok(reply)
        found.append(hops)
    return min(found, key=lambda h: (h.hops, len(h.through_sqlalchemy)))


def test_add_redeem_is_two_batches_without_a_hop_to_the_driver_thread(
    sqlite_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(2):  # the first calls load the program
        ok(
            call(
                sqlite_client, "addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"w{n}")
            )
        )
    bodies = [
        add_redeem_body(GIFT, add=sv("2.00"), redeem=sv("1.00"), pos_id=f"two-hops-{n}")
        for n in range(3)
    ]
    hops = fewest(sqlite_client, monkeypatch, "addRedeem", bodies)
    # The write lock and the call's savepoint, the retry key's claim, the card with its
    # book and the next transaction id; then the transaction, the lot's remainder (the
    # credit joins the open lot it is spent from), the journal, the balance, the reply
    # and the savepoint released; then the group's COMMIT (one call alone: a group of
    # one). Through SQLAlchemy the same call was 32 hops (a cursor, the statement, its
    # rows and closing the cursor, each a hop, and a rollback when the connection went
    # back); as batches in the driver's thread, 2.
    assert hops.batches == [
        ["BEGIN", "SAVEPOINT", "INSERT", "WITH", "SELECT"],
        ["INSERT", "UPDATE", "INSERT", "INSERT", "UPDATE", "RELEASE"],
        ["COMMIT"],
    ], hops.batches
    assert hops.through_sqlalchemy == []
    assert hops.hops == 0


def test_balance_inquiry_is_one_batch_without_a_transaction_or_a_hop(
    sqlite_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"authentication": "b2b", "headerInfo": header(), "cardInfo": card(GIFT)}
    ok(call(sqlite_client, "balanceInquiry", body))
    hops = fewest(sqlite_client, monkeypatch, "balanceInquiry", [body] * 3)
    assert hops.batches == [["WITH"]]
    assert hops.through_sqlalchemy == []
    assert hops.hops == 0


def test_a_write_lock_another_process_holds_is_waited_for_in_the_driver_thread(
    sqlite_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that would wait for the write lock does not stop the event loop: it
    waits in the driver's thread with SQLite's busy timeout, and the call succeeds
    once the other writer is done."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]
    other = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.3, other.rollback)
    released.start()
    try:
        body = add_redeem_body(GIFT, add=sv("1.00"), redeem=sv("1.00"), pos_id="waits-for-lock")
        hops, reply = counted(sqlite_client, monkeypatch, "addRedeem", body)
    finally:
        released.join()
        other.close()
    ok(reply)
    assert hops.batches[0][0] == "BEGIN"
    assert hops.hops >= 1  # the BEGIN waited in the driver's thread
    assert (
        _count(sqlite_client, transactions, transactions.c.pos_transaction_id == "waits-for-lock")
        == 1
    )


def _count(client: TestClient, table: Any, *where: Any) -> int:
    async def count(engine: Any) -> int:
        async with engine.connect() as conn:
            found = await conn.execute(select(func.count()).select_from(table).where(*where))
            return int(found.scalar_one())

    assert client.portal is not None
    return int(client.portal.call(count, client.app.state.runtime.engine))  # type: ignore[attr-defined]


def test_a_refused_redemption_leaves_nothing_and_no_lock(sqlite_client: TestClient) -> None:
    before = _count(sqlite_client, transactions)
    body = add_redeem_body(GIFT, redeem=sv("100000.00"), pos_id="too-much")
    reply = call(sqlite_client, "addRedeem", body)
    assert reply["result"] != "authorizedSuccess", reply
    assert _count(sqlite_client, transactions) == before
    assert _count(sqlite_client, idempotency_keys, idempotency_keys.c.scope.like("%too-much")) == 0
    # The batch's write lock went with the refusal: the next call writes.
    ok(call(sqlite_client, "addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="next")))
    assert _count(sqlite_client, transactions) == before + 1


def test_a_retry_replays_and_a_changed_body_is_refused(sqlite_client: TestClient) -> None:
    body = add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="retried")
    first = ok(call(sqlite_client, "addRedeem", body))
    again = ok(call(sqlite_client, "addRedeem", body))
    assert again == first
    written = transactions.c.id == first["pxTransactionId"]
    assert _count(sqlite_client, transactions, written) == 1
    assert _count(sqlite_client, journal, journal.c.transaction_id == first["pxTransactionId"]) == 1
    changed = add_redeem_body(GIFT, redeem=sv("2.00"), pos_id="retried")
    refused(call(sqlite_client, "addRedeem", changed), "transaction.duplicate_transaction")


def test_the_write_lock_is_held_from_the_read_to_the_write(sqlite_client: TestClient) -> None:
    """Between the call's two batches no other connection can begin a write: no update
    of the book read can be lost."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]
    path = engine.url.database

    async def read_then_try_another_writer() -> str:
        async with unit_of_work(engine, optimistic=True) as uow:
            found = await uow.lock_card_claiming(1000, GIFT)
            assert found is not None
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                return str(exc)
            finally:
                other.close()
        return "another writer began"

    assert sqlite_client.portal is not None
    assert sqlite_client.portal.call(read_then_try_another_writer) == "database is locked"


def test_a_failing_batch_rolls_back_its_calls_part_only_and_raises_sqlalchemys_error(
    sqlite_client: TestClient,
) -> None:
    """A call's part of a shared transaction (store/turns.py) is rolled back to its
    savepoint when one of its batches fails; the part written before it stays, and is
    committed."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]
    claim = idempotency_keys.insert()
    claimed = direct_sqlite.SqliteStatement(
        claim, ["merchant_id", "scope", "request_hash", "reply", "created_at"]
    )
    row = {
        "merchant_id": 1000,
        "scope": "twice",
        "request_hash": "h",
        "reply": None,
        "created_at": datetime.now(UTC),
    }

    def claim_twice(db: sqlite3.Connection) -> None:
        claimed.execute(db, {**row, "scope": "once"})
        claimed.execute_many(db, [row, row])  # the same key twice: a unique violation

    async def run() -> tuple[bool, bool]:
        async with engine.connect() as conn:
            batches = direct_sqlite.BatchConnection(conn)
            await batches.run(
                [], lambda db: claimed.execute(db, {**row, "scope": "kept"}), part="begin"
            )
            await batches.run([], lambda db: None, part="end")
            assert await batches.end_part()  # written
            with pytest.raises(IntegrityError):
                await batches.run(["INSERT", "INSERT"], claim_twice, part="begin")
            written = await batches.end_part()
            still_open = batches.in_transaction
            await batches.commit()
            return written, still_open

    assert sqlite_client.portal is not None
    assert sqlite_client.portal.call(run) == (False, True)
    assert _count(sqlite_client, idempotency_keys, idempotency_keys.c.scope == "once") == 0
    assert _count(sqlite_client, idempotency_keys, idempotency_keys.c.scope == "kept") == 1


def test_a_call_beyond_its_read_and_write_runs_again_with_locks(
    sqlite_client: TestClient,
) -> None:
    """Anything sent through SQLAlchemy after the read joins the read's transaction, and
    the call runs again on the locking path; nothing of the first try stays."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def read_then_more() -> None:
        async with unit_of_work(engine, optimistic=True) as uow:
            uow.hold_retry_keys(1000, "h", datetime.now(UTC), defer=True)
            assert uow.retry is not None
            await uow.retry.claim("pos:beyond")
            assert await uow.lock_card_claiming(1000, GIFT) is not None
            await uow.ledger.balances(1000, 1)

    assert sqlite_client.portal is not None
    with pytest.raises(StaleRead) as raised:
        sqlite_client.portal.call(read_then_more)
    assert raised.value.lock
    assert _count(sqlite_client, idempotency_keys, idempotency_keys.c.scope == "pos:beyond") == 0


def test_a_call_cancelled_while_its_batch_waits_leaves_no_transaction_open(
    sqlite_client: TestClient,
) -> None:
    """The batch that takes the write lock is still queued for the driver's thread when
    its call is cancelled: ending the call's part, then its group of none
    (store/turns.py), queues the rollbacks behind it, so the lock is not left held by
    a connection back in the pool."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def cancel_then_end() -> bool:
        async with engine.connect() as conn:
            batches = direct_sqlite.BatchConnection(conn)
            driver = (await conn.get_raw_connection()).driver_connection
            busy = threading.Event()
            blocker = asyncio.ensure_future(driver._execute(busy.wait))
            batch = asyncio.ensure_future(batches.run([], lambda db: None, part="begin"))
            await asyncio.sleep(0.01)  # both queued; the thread is held by the first
            batch.cancel()

            async def settle() -> None:
                assert not await batches.end_part()  # no write ended the part
                await batches.end()

            ending = asyncio.ensure_future(settle())
            await asyncio.sleep(0.01)
            busy.set()
            await blocker
            await ending
            await driver._execute(lambda: None)  # after everything queued before it
            return bool(driver.in_transaction)

    assert sqlite_client.portal is not None
    assert sqlite_client.portal.call(cancel_then_end) is False


@asynccontextmanager
async def driver_thread_busy(driver: Any) -> AsyncIterator[threading.Event]:
    """aiosqlite's thread held, and work queued behind it, until the event is set: a
    batch sent meanwhile goes to the thread, behind them, instead of running here."""
    busy = threading.Event()
    blocker = asyncio.ensure_future(driver._execute(busy.wait))
    filler = asyncio.ensure_future(driver._execute(lambda: None))
    await asyncio.sleep(0.01)
    try:
        yield busy
    finally:
        busy.set()
        await blocker
        await filler


def test_a_batch_queued_for_the_driver_thread_waits_with_the_busy_timeout(
    sqlite_client: TestClient,
) -> None:
    """A connection a read beside a write group used is left with no busy timeout
    (store/db.py); a batch that goes to the driver's thread behind other work waits for
    another process's lock all the same."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]
    other = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)

    async def begin_behind_other_work() -> bool:
        async with engine.connect() as conn:
            batches = direct_sqlite.BatchConnection(conn)
            driver = (await conn.get_raw_connection()).driver_connection
            await driver._execute(lambda: driver._conn.execute("PRAGMA busy_timeout=0"))
            other.execute("BEGIN IMMEDIATE")
            released = threading.Timer(0.3, other.rollback)
            released.start()
            async with driver_thread_busy(driver) as busy:
                batch = asyncio.ensure_future(batches.run([], lambda db: None, part="begin"))
                await asyncio.sleep(0.01)
                busy.set()
                try:
                    await batch
                finally:
                    released.join()
            began = batches.in_transaction
            await batches.end_part()
            await batches.end()
            return began

    assert sqlite_client.portal is not None
    try:
        assert sqlite_client.portal.call(begin_behind_other_work) is True
    finally:
        other.close()


def test_a_write_cancelled_while_queued_for_the_driver_thread_leaves_the_next_part_clean(
    sqlite_client: TestClient,
) -> None:
    """The call is cancelled while its write waits behind other work in the driver's
    thread; the write still runs there and ends the part. Ending the call then counts
    the part as written, and the connection's next call begins a part of its own."""
    engine = sqlite_client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def cancel_the_write() -> tuple[bool, bool]:
        async with engine.connect() as conn:
            batches = direct_sqlite.BatchConnection(conn)
            driver = (await conn.get_raw_connection()).driver_connection
            await batches.run([], lambda db: None, part="begin")
            async with driver_thread_busy(driver) as busy:
                write = asyncio.ensure_future(batches.run([], lambda db: None, part="end"))
                await asyncio.sleep(0.01)
                write.cancel()
                ending = asyncio.ensure_future(batches.end_part())
                await asyncio.sleep(0.01)
                busy.set()
                written = await ending
            await batches.run([], lambda db: None, part="begin")  # the next call's part
            began_again = await batches.end_part() is False
            await batches.end()
            return written, began_again

    assert sqlite_client.portal is not None
    assert sqlite_client.portal.call(cancel_the_write) == (True, True)


def test_a_lock_refusal_is_known_by_its_extended_codes_too() -> None:
    def refusal(code: int) -> sqlite3.OperationalError:
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
        return error

    # SQLITE_BUSY, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT; SQLITE_LOCKED is not one.
    assert [direct_sqlite.busy(refusal(code)) for code in (5, 261, 517, 6)] == [
        True,
        True,
        True,
        False,
    ]
    assert not direct_sqlite.busy(RuntimeError("no code"))
