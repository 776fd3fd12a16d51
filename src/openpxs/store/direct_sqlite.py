"""SQLite: a call's statements run in batches, each a function on the sqlite3 connection.

aiosqlite runs every operation in a thread of its own. Through SQLAlchemy, one statement
is three or four such hops (a cursor, the statement, its rows, closing the cursor), and
each hop wakes that thread and then the event loop: for addRedeem that was 32 hops,
most of the call's CPU. Here the busiest POS calls send their statements as two
batches: the first takes the write lock (BEGIN IMMEDIATE, or a savepoint in the
transaction other calls' writes are already in: store/turns.py), claims the call's
retry keys and reads the card and its book; the second writes the call's transaction,
postings and reply and releases the savepoint, to be committed with the others. The
lock is held from the first to the second as on the locking path, so no other writer
can come in between.

A batch runs in the event loop's thread itself, in well under a millisecond, with no
hop at all; one that would wait for another process's lock runs in the driver's
thread instead (``BatchConnection``).

Inside a transaction SQLAlchemy has begun (the locking path's BEGIN IMMEDIATE), the
statements a unit of work sends as ``store.direct.DirectQuery`` (a posted check's,
about ten) run in the event loop's thread the same way (``in_transaction_here``): the
write lock is held, so none of them can wait for another connection.

A statement here is the same SQLAlchemy clause the locking path runs, compiled once for
SQLite with its parameters' and columns' type conversions, so what is stored and read
back is what SQLAlchemy would store and read. A batch that fails rolls back the call's
part of the transaction before it returns, and its error comes out as SQLAlchemy's exception of
the same kind (IntegrityError for a retry key already held, OperationalError when the
database cannot be written), which the callers already handle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy.dialects.sqlite import aiosqlite as sqlite_aiosqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ClauseElement

_DIALECT = sqlite_aiosqlite.dialect()

# Called with the statements' first words of each batch before it runs (the tests'
# count of hops and statements; SQLAlchemy's events do not see these statements).
LISTENERS: list[Callable[[list[str]], None]] = []

T = TypeVar("T")


def available(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite" and engine.dialect.driver == "aiosqlite"


# The execution option of a connection whose call writes through the write group's
# (store/turns.py); store/db.py begins its transactions.
BESIDE_WRITE_GROUP = "openpxs_beside_write_group"


class SqliteStatement:
    """A statement compiled once for SQLite: its text, its parameters in order with the
    conversion SQLAlchemy applies to each, and the conversion of each result column
    (``columns``: their names, as SQLAlchemy's rows have them)."""

    __slots__ = ("binds", "columns", "fixed", "results", "sql")

    def __init__(self, clause: ClauseElement, column_keys: Sequence[str] | None = None):
        compiled: Any = clause.compile(
            dialect=_DIALECT, column_keys=list(column_keys) if column_keys else None
        )
        self.sql: str = compiled.string
        processors = compiled._bind_processors
        self.binds = tuple((name, processors.get(name)) for name in (compiled.positiontup or ()))
        # Values written into the clause itself (a literal 0 or 1), sent as parameters.
        self.fixed = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        entries = getattr(compiled, "_result_columns", ())
        self.results = tuple(entry[3]._cached_result_processor(_DIALECT, None) for entry in entries)
        self.columns: tuple[str, ...] = tuple(entry[0] for entry in entries)

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.fixed:
            values = {**self.fixed, **values}
        return tuple(
            values[name] if convert is None else convert(values[name])
            for name, convert in self.binds
        )

    def execute(self, db: sqlite3.Connection, values: Mapping[str, Any]) -> sqlite3.Cursor:
        return db.execute(self.sql, self.params(values))

    def execute_many(self, db: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            db.executemany(self.sql, [self.params(values) for values in rows])

    def fetch(self, db: sqlite3.Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        rows = self.execute(db, values).fetchall()
        if not any(self.results):
            return rows
        converters = self.results
        return [
            tuple(
                value if convert is None or value is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            )
            for row in rows
        ]


def in_transaction_here(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The sqlite3 connection under ``conn`` when a statement may run on it in this
    thread, with no hop to the driver's: SQLAlchemy has a transaction open on it that
    holds the write lock (BEGIN IMMEDIATE, so no statement in it waits for another
    connection's lock), and no work is queued for it in the driver's thread. None
    otherwise (and on PostgreSQL)."""
    if not available(conn.engine) or not conn.in_transaction():
        return None
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    pooled = sync.connection
    if pooled.info.get(BESIDE_WRITE_GROUP):
        return None  # a read beside a write group: its BEGIN is a deferred one
    driver: Any = pooled.driver_connection
    if driver is None:
        return None
    db: sqlite3.Connection = driver._conn  # aiosqlite's connection
    if not db.in_transaction or not driver._tx.empty():
        return None
    return db


def fetch_here(
    db: sqlite3.Connection, statement: SqliteStatement, values: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """``statement`` on ``db`` (from ``in_transaction_here``), its error reported as
    SQLAlchemy's of the same kind (IntegrityError for a key already there)."""
    try:
        return statement.fetch(db, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement.sql, None, exc, sqlite3.Error) from exc


class _Busy(Exception):
    """A batch's BEGIN found the write lock held by another connection."""


def rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.rollback()


def commit(db: sqlite3.Connection) -> None:
    try:
        db.commit()
    except BaseException:
        rollback(db)
        raise


# SQLite's result code for a lock another connection holds (sqlite3.OperationalError).
SQLITE_BUSY = 5


def busy(error: BaseException) -> bool:
    """Whether SQLite refused for a lock another connection holds: SQLITE_BUSY or one
    of its extended codes (a snapshot gone stale, a recovery under way)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY


# The busy timeout every connection has (store/db.py), restored after a batch run here.
BUSY_TIMEOUT_MS = 30_000


class BatchConnection:
    """The driver connection under a pooled SQLAlchemy connection with no transaction of
    SQLAlchemy's open.

    A batch runs right here, in the event loop's thread, when it can: its statements
    take well under a millisecond, and a hop to the driver's thread would cost more
    than that in wake-ups, and would leave the write lock held while the call waited
    for the event loop to resume it behind every other call's work. Run here, a call's
    read, its domain work and its write follow each other with nothing in between, so
    the write lock is held only as long as the call works. A batch that would wait
    runs in the driver's thread instead: one whose write lock another process holds
    (tried without waiting, then waited for there, with SQLite's busy timeout), and
    one whose connection still has work queued in that thread.

    A call that writes does so in a part of a transaction that other calls share
    (store/turns.py: group commit): its first batch begins the part (BEGIN IMMEDIATE
    when no transaction is open, then a savepoint) and its last ends it (the
    savepoint released); the transaction's COMMIT is the group's. A failed batch, or a
    call that ends without its write, rolls back to the savepoint and no further."""

    __slots__ = ("_conn", "_driver", "_part", "_unsettled")

    def __init__(self, conn: AsyncConnection):
        self._conn = conn
        self._driver: Any = None
        # A batch began a transaction that no batch has yet been seen to end: a call
        # cancelled while its batch runs leaves it so (the thread finishes the batch).
        self._unsettled = False
        # The current call's part: None, "open" (its savepoint is) or "written".
        self._part: str | None = None

    async def run(
        self,
        labels: list[str],
        work: Callable[[sqlite3.Connection], T],
        *,
        part: Literal["begin", "end"] | None = None,
    ) -> T:
        """``work`` run on the sqlite3 connection (``labels``: the statements it runs,
        for the listeners). ``part``: the batch begins or ends the call's part of the
        transaction. A failure rolls back the call's part before it is raised (the
        whole transaction when it is not in a part)."""
        if self._driver is None:
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
        driver = self._driver
        db: sqlite3.Connection = driver._conn  # aiosqlite's connection
        framed = work
        if part == "begin":
            labels = [*([] if db.in_transaction else ["BEGIN"]), "SAVEPOINT", *labels]
            framed = self._beginning(work)
        elif part == "end":
            labels = [*labels, "RELEASE"]
            framed = self._ending(work)
        for listener in LISTENERS:
            listener(labels)

        def guarded() -> T:
            try:
                return framed(db)
            except BaseException:
                if self._part == "open":
                    self._undo(db)
                else:
                    rollback(db)
                raise

        try:
            if not self._unsettled and driver._tx.empty():
                try:
                    return self._here(db, guarded)
                except _Busy:
                    pass  # another process writes: wait for it in the driver's thread
            if part == "begin":
                self._unsettled = True

            def waiting() -> T:
                # Waits for another process's lock with the busy timeout every
                # connection has, whatever a read beside a write group left set
                # (store/db.py).
                db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                return guarded()

            # aiosqlite's own way of running a function in its thread (one queue entry,
            # one wake-up of the event loop when it is done).
            result: T = await driver._execute(waiting)
        except sqlite3.Error as exc:
            self._unsettled = False  # rolled back
            raise DBAPIError.instance(
                labels[0] if labels else "", None, exc, sqlite3.Error
            ) from exc
        except Exception:
            self._unsettled = False
            raise
        if part == "end" or labels[-1:] in (["COMMIT"], ["ROLLBACK"]):
            self._unsettled = False
        return result

    def _beginning(self, work: Callable[[sqlite3.Connection], T]) -> Callable[..., T]:
        def begin_part(db: sqlite3.Connection) -> T:
            if self._part is not None:
                raise RuntimeError("a call's part began inside another's")
            if not db.in_transaction:
                db.execute("BEGIN IMMEDIATE")
            db.execute("SAVEPOINT call")
            self._part = "open"
            return work(db)

        return begin_part

    def _ending(self, work: Callable[[sqlite3.Connection], T]) -> Callable[..., T]:
        def end_part(db: sqlite3.Connection) -> T:
            if self._part != "open" or not db.in_transaction:
                raise RuntimeError("a call's write without the part its read began")
            result = work(db)
            db.execute("RELEASE call")
            self._part = "written"
            return result

        return end_part

    def _undo(self, db: sqlite3.Connection) -> None:
        """Roll the call's part back to its savepoint; the rest of the transaction
        stays. Should that fail, the whole transaction is rolled back."""
        if self._part != "open":
            return
        self._part = None
        if not db.in_transaction:
            return  # SQLite rolled the whole transaction back itself
        try:
            db.execute("ROLLBACK TO call")
            db.execute("RELEASE call")
        except BaseException:
            rollback(db)
            raise

    @staticmethod
    def _here(db: sqlite3.Connection, guarded: Callable[[], T]) -> T:
        """Run a batch in this thread; _Busy when it would have to wait for a lock."""
        if db.in_transaction:
            return guarded()  # under the write lock a part of this transaction took
        # Without a transaction of its own the batch may meet another process's lock
        # (the write lock at BEGIN, or a reader's rare wait): it is tried without
        # waiting, so that the event loop never waits for another process.
        db.execute("PRAGMA busy_timeout=0")
        try:
            return guarded()
        except sqlite3.OperationalError as exc:
            if busy(exc) and not db.in_transaction:
                raise _Busy() from exc
            raise
        finally:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on the connection (read without a hop)."""
        return self._driver is not None and bool(self._driver.in_transaction)

    async def end_part(self) -> bool:
        """End the current call's part: whether its write ended it; otherwise it is
        rolled back to its savepoint (queued behind any batch still running in the
        driver's thread, so it comes after it)."""
        try:
            if self._part != "written" and (self._unsettled or self._part == "open"):
                await self.run(["ROLLBACK"], self._undo)
        finally:
            # A write still running in the driver's thread when the call was cancelled
            # ends its part itself ("written"): whichever way, the next call's part
            # begins clean.
            written, self._part = self._part == "written", None
            self._unsettled = False
        return written

    async def commit(self) -> None:
        """COMMIT the transaction the calls' parts are in."""
        await self.run(["COMMIT"], commit)

    async def end(self) -> None:
        """Roll back whatever transaction is open on the connection."""
        if self._unsettled or self.in_transaction:
            await self.run(["ROLLBACK"], rollback)
