"""SQLite's one write lock: this process's transactions take turns at it, in the order
they asked, and the busiest POS calls' writes share commits.

Every SQLite transaction here takes the write lock at BEGIN (store/db.py). Left to
SQLite's busy handler, 32 calls waiting for it poll with growing sleeps and are served
in no order, so a few wait for over a second while the lock sits idle between polls; in
a queue each waits only for the calls before it (``sqlite_turn``).

**Group commit.** With ``synchronous=FULL`` every COMMIT waits for the disk (an fsync
of the WAL), a third of a millisecond or more under load, with the write lock held and
the event loop stopped: a quarter of an addRedeem's time on one process. The calls that
run as batches (store/direct_sqlite.py) therefore write into one transaction that stays
open while further such calls queue for their turn, each call's part of it in a
savepoint of its own, and commit once for all of them:

- a call's part is rolled back to its savepoint when the call is refused or fails, and
  the others' parts stay;
- no call is answered before the COMMIT that holds its write has returned, so an
  acknowledged call is as durable as it was with a COMMIT of its own; when that COMMIT
  fails, every call of the group fails (HTTP 503) and none of their writes is kept; a
  call whose read saw other calls' writes in the group waits for their COMMIT too, so
  that a refusal for want of value another call took stands only if that take does;
- the group is committed by the first transaction that takes a turn without joining it
  (any other call, the background worker, a replay's read), by a task of its own that
  takes its turn behind the calls at hand when the group's first call wrote (below),
  or by the call that fills it (``GROUP_LIMIT``);
- the calls' reads (all of balanceInquiry's) go to a connection beside the group's,
  handed from one call to the next while they queue, and see only committed writes;
- with several processes on one file each call commits on its own
  (``commit_each_call``).

Calls queue for the lock itself only while its holder waits for something (a
program's version checked, a connection opened); the group's task gathers the rest. It
is made when the group's first call ends its part, and its turn comes after the calls
the event loop already had in hand, which join the group first. Committing as soon as
no call waited for the lock (tried) committed nearly every call alone under load:
650-800 calls/s against 1,100.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.store.direct_sqlite import BESIDE_WRITE_GROUP, BatchConnection

# How long a transaction waits for its turn: SQLite's own busy timeout (store/db.py).
TURN_SECONDS = 30.0
# The most calls one commit holds: the first of them waits for all the others' work.
GROUP_LIMIT = 64
# Engines whose calls commit one by one (``commit_each_call``).
_ALONE: weakref.WeakSet[Any] = weakref.WeakSet()


def commit_each_call(engine: AsyncEngine) -> None:
    """Make each call's write commit on its own, under its own turn: for a file that
    several processes write. SQLite serves the write lock to waiting processes in no
    order (each polls with growing sleeps), so a process whose groups hold the lock
    from one to the next keeps the others waiting for up to a second or more."""
    _ALONE.add(engine.sync_engine)


class WriteGroup:
    """Calls' writes in one open transaction, on a connection of the group's own."""

    __slots__ = ("batches", "committed", "conn", "error", "flusher", "members")

    def __init__(self, conn: AsyncConnection, batches: BatchConnection):
        self.conn = conn
        self.batches = batches
        self.members = 0
        self.committed = asyncio.Event()
        self.error: BaseException | None = None
        self.flusher: asyncio.Task[None] | None = None

    @property
    def lost(self) -> bool:
        """Its calls wrote, but the transaction is gone: SQLite rolls a whole
        transaction back on some errors (a full disk, an I/O error), and a failed
        rollback to a call's savepoint rolls it all back."""
        return self.members > 0 and not self.batches.in_transaction

    async def end(self, failure: BaseException | None = None, *, keep: bool = False) -> None:
        """COMMIT what its calls wrote (or roll back an empty transaction), tell them,
        and give the connection back to the pool (``keep``: unless it ended cleanly, for
        the next group). ``failure``: a call's part could not be ended cleanly, so the
        whole transaction is rolled back and its calls fail."""
        try:
            if failure is not None:
                self.error = failure
                await self.batches.end()
            elif self.lost:
                self.error = RuntimeError("the transaction of the group's writes was lost")
            elif self.members:
                await self.batches.commit()
            else:
                await self.batches.end()
        except BaseException as exc:
            # Whatever stopped the COMMIT (a cancelled wait included), its calls are
            # not told their writes were kept: a retry of one replays if they were.
            self.error = exc
            if not isinstance(exc, DBAPIError):
                raise
        finally:
            try:
                if not keep or self.error is not None or self.batches.in_transaction:
                    await self.conn.close()  # else the next group's (``_Turns.spare``)
            finally:
                self.committed.set()

    async def wait(self) -> None:
        """Until the COMMIT holding a member's write has returned; its failure, raised."""
        await self.committed.wait()
        if self.error is not None:
            raise OperationalError(
                "the commit of this call's write failed", None, self.error
            ) from self.error


class _Turns:
    """SQLite: the process's transactions on one engine, and the open write group."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.lock = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None
        self.group: WriteGroup | None = None
        self.limit = 1 if engine.sync_engine in _ALONE else GROUP_LIMIT
        # Grouped calls waiting for the lock now.
        self.waiting = 0
        # The grouped calls' own connection, handed from one to the next while they
        # queue (a checkout and return of a pooled connection cost each call about
        # 50 microseconds), and its batches for reads.
        self.reader: tuple[AsyncConnection, BatchConnection] | None = None
        # The last group's connection, kept for the next group while grouped calls
        # queue.
        self.spare: tuple[AsyncConnection, BatchConnection] | None = None

    async def end_group(self, failure: BaseException | None = None) -> None:
        """End the open group (under a turn)."""
        group, self.group = self.group, None
        if group is None:
            return
        keep = self.waiting > 0 and self.spare is None
        await group.end(failure, keep=keep)
        if keep and group.error is None and not group.batches.in_transaction:
            self.spare = (group.conn, group.batches)

    async def give_back_connections(self) -> None:
        """The reader and the spare group connection back to the pool."""
        for kept in (self.reader, self.spare):
            if kept is not None:
                await kept[0].close()
        self.reader = self.spare = None


# One queue per engine and event loop (a lock belongs to the loop it was first used on).
_TURNS: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, _Turns]] = (
    weakref.WeakKeyDictionary()
)


class Turn:
    """A held turn (``sqlite_turn``); ``give_back`` ends it before its block does."""

    __slots__ = ("_joined", "_saw_writes", "_turns")

    def __init__(self, turns: _Turns | None):
        self._turns = turns
        # The group whose transaction this turn's call wrote into (``settle``), and
        # whether other calls' writes were in it already when the call joined.
        self._joined: WriteGroup | None = None
        self._saw_writes = False

    def give_back(self) -> None:
        turns, self._turns = self._turns, None
        if turns is not None:
            turns.holder = None
            turns.lock.release()

    async def reader(self) -> tuple[AsyncConnection, BatchConnection]:
        """A connection for the call's own reads beside the group (committed writes
        only; a write on it is refused at once: store/db.py), with its batches."""
        turns = self._turns
        if turns is None:
            raise RuntimeError("a grouped call's reader without a turn of its own")
        if turns.reader is None:
            conn = await turns.engine.connect()
            conn.sync_connection.execution_options(**{BESIDE_WRITE_GROUP: True})  # type: ignore[union-attr]
            turns.reader = (conn, BatchConnection(conn))
        return turns.reader

    async def writer(self) -> BatchConnection:
        """The open group's connection, for a call that is about to write (opened when
        no group is): its batches begin and end the call's part (direct_sqlite)."""
        turns = self._turns
        if turns is None:
            raise RuntimeError("a group's writer without a turn of its own")
        if turns.group is not None and turns.group.lost:
            await turns.end_group()  # its calls fail; this one begins anew
        if turns.group is None:
            spare, turns.spare = turns.spare, None
            if spare is None:
                conn = await turns.engine.connect()
                spare = (conn, BatchConnection(conn))
            turns.group = WriteGroup(*spare)
        self._joined = turns.group
        self._saw_writes = turns.group.members > 0
        return turns.group.batches

    async def settle(self) -> WriteGroup | None:
        """End the call's part: rolled back unless its write ended it; then the turn is
        given back. The group to wait for before the call answers: the one its write is
        in, or whose other writes its read saw (a refusal for want of value another
        call took stands only if that call's write is kept)."""
        turns, group = self._turns, self._joined
        depends: WriteGroup | None = None
        if group is not None and self._saw_writes:
            depends = group
        if turns is not None and group is not None and turns.group is group:
            try:
                if await group.batches.end_part():
                    group.members += 1
                    depends = group
            except BaseException as exc:
                await turns.end_group(exc)
                self.give_back()
                raise
            if group.members == 0 or group.members >= turns.limit or group.lost:
                await turns.end_group()
            elif group.flusher is None:
                group.flusher = asyncio.create_task(
                    _flush(turns, group), name="openpxs-sqlite-group-commit"
                )
        if turns is not None and (turns.reader is not None or turns.spare is not None):
            await _pass_on(turns)
        self.give_back()
        return depends


async def _pass_on(turns: _Turns) -> None:
    """The reader left clean for the next grouped call; it and the spare group
    connection given back to the pool when no grouped call waits."""
    if turns.reader is not None:
        conn, batches = turns.reader
        try:
            if conn.in_transaction():
                await conn.rollback()  # what the call read through it holds nothing
        except BaseException:
            turns.reader = None
            await conn.invalidate()
            raise
        if batches.in_transaction:
            turns.reader = None
            await conn.close()
    if not turns.waiting:
        await turns.give_back_connections()


async def _flush(turns: _Turns, group: WriteGroup) -> None:
    """Take a turn behind the calls queued now, and commit the group unless a
    transaction before it has."""
    while turns.group is group:
        try:
            async with _turn(turns, grouped=False):
                pass  # a turn that joins no group ends the open one first
        except OperationalError:
            continue  # the lock was busy for a whole turn's wait: ask again


def _turns_of(engine: AsyncEngine) -> _Turns:
    loop = asyncio.get_running_loop()
    per_loop = _TURNS.setdefault(engine.sync_engine, weakref.WeakKeyDictionary())
    turns = per_loop.get(loop)
    if turns is None:
        turns = per_loop[loop] = _Turns(engine)
    return turns


@asynccontextmanager
async def sqlite_turn(engine: AsyncEngine, *, grouped: bool = False) -> AsyncIterator[Turn]:
    """Wait for this process's turn to hold SQLite's one write lock (a no-op on
    PostgreSQL).

    ``grouped``: the call's write joins the open write group (``Turn.writer``);
    otherwise the group is committed before the turn is held. A task that already holds
    the turn is not queued behind itself (SQLite's busy handler decides, as before).

    The turn is taken before a connection and given back after it, always in that
    order, so that no two calls can wait for each other's."""
    if engine.dialect.name != "sqlite":
        yield Turn(None)
        return
    turns = _turns_of(engine)
    if turns.holder is not None and turns.holder is asyncio.current_task():
        yield Turn(None)
        return
    async with _turn(turns, grouped=grouped) as held:
        yield held


@asynccontextmanager
async def _turn(turns: _Turns, *, grouped: bool) -> AsyncIterator[Turn]:
    if grouped:
        turns.waiting += 1
    try:
        # asyncio.timeout, not wait_for: no task is made per transaction.
        async with asyncio.timeout(TURN_SECONDS):
            await turns.lock.acquire()
    except TimeoutError as exc:
        # As SQLite's own busy timeout would: the call fails as "unavailable" (503).
        raise OperationalError("waiting for the SQLite write lock", None, exc) from None
    finally:
        if grouped:
            turns.waiting -= 1
    turns.holder = asyncio.current_task()
    held = Turn(turns)
    try:
        if not grouped:
            await turns.end_group()
        yield held
    finally:
        held.give_back()


async def give_back_connections(engine: AsyncEngine) -> None:
    """At shutdown: the connections the grouped calls kept between them (when the last
    one saw another waiting that never came), back to the pool, so that the engine's
    disposal closes them."""
    per_loop = _TURNS.get(engine.sync_engine)
    turns = per_loop.get(asyncio.get_running_loop()) if per_loop is not None else None
    if turns is not None:
        await turns.give_back_connections()
