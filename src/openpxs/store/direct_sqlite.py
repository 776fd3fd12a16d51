"""SQLite: a call's statements run in batches, each batch in one hop to the driver's thread.

aiosqlite runs every operation in a thread of its own. Through SQLAlchemy, one statement
is three or four such hops (a cursor, the statement, its rows, closing the cursor), and
each hop wakes that thread and then the event loop: for addRedeem that was 32 hops,
most of the call's CPU. Here the busiest POS calls send their statements as two
batches, each a function run in the driver's thread on the sqlite3 connection: the
first takes the write lock (BEGIN IMMEDIATE), claims the call's retry keys and reads
the card and its book; the second writes the call's transaction, postings and reply
and commits. The lock is held from the first to the second as on the locking path, so
no other writer can come in between.

A statement here is the same SQLAlchemy clause the locking path runs, compiled once for
SQLite with its parameters' and columns' type conversions, so what is stored and read
back is what SQLAlchemy would store and read. A batch that fails rolls back the whole
transaction before it returns, and its error comes out as SQLAlchemy's exception of
the same kind (IntegrityError for a retry key already held, OperationalError when the
database cannot be written), which the callers already handle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

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


class SqliteStatement:
    """A statement compiled once for SQLite: its text, its parameters in order with the
    conversion SQLAlchemy applies to each, and the conversion of each result column."""

    __slots__ = ("binds", "fixed", "results", "sql")

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
        self.results = tuple(
            entry[3]._cached_result_processor(_DIALECT, None)
            for entry in getattr(compiled, "_result_columns", ())
        )

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


def begin(db: sqlite3.Connection) -> None:
    """Take the write lock now, as every SQLite transaction of the server does
    (store/db.py)."""
    if db.in_transaction:
        # Every transaction here is begun by BEGIN IMMEDIATE; one left open would make
        # this batch part of a transaction it does not know.
        raise RuntimeError("a batch began inside an open transaction")
    db.execute("BEGIN IMMEDIATE")


def rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.rollback()


class BatchConnection:
    """The driver connection under a pooled SQLAlchemy connection with no transaction of
    SQLAlchemy's open: each ``run`` is one hop to its thread."""

    __slots__ = ("_conn", "_driver", "_unsettled")

    def __init__(self, conn: AsyncConnection):
        self._conn = conn
        self._driver: Any = None
        # A batch began a transaction that no batch has yet been seen to end: a call
        # cancelled while its batch runs leaves it so (the thread finishes the batch).
        self._unsettled = False

    async def run(self, labels: list[str], work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` run in the driver's thread on its sqlite3 connection (``labels``:
        the statements it runs, for the listeners). A failure rolls back the
        transaction ``work`` is in before it is raised."""
        for listener in LISTENERS:
            listener(labels)
        if self._driver is None:
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
        driver = self._driver
        db: sqlite3.Connection = driver._conn  # aiosqlite's connection, used in its thread

        def guarded() -> T:
            try:
                return work(db)
            except BaseException:
                rollback(db)
                raise

        if labels[:1] == ["BEGIN"]:
            self._unsettled = True
        try:
            # aiosqlite's own way of running a function in its thread (one queue entry,
            # one wake-up of the event loop when it is done).
            result: T = await driver._execute(guarded)
        except sqlite3.Error as exc:
            self._unsettled = False  # rolled back in the thread
            raise DBAPIError.instance(
                labels[0] if labels else "", None, exc, sqlite3.Error
            ) from exc
        except Exception:
            self._unsettled = False
            raise
        if labels[-1:] in (["COMMIT"], ["ROLLBACK"]):
            self._unsettled = False
        return result

    @property
    def in_transaction(self) -> bool:
        """Whether a batch left a transaction open (read without a hop)."""
        return self._driver is not None and bool(self._driver.in_transaction)

    async def end(self) -> None:
        """Roll back what a batch left open: the call failed, or runs again with locks.
        Queued behind any batch still running in the thread, so it comes after it."""
        if self._unsettled or self.in_transaction:
            await self.run(["ROLLBACK"], rollback)
