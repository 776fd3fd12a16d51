"""Statements sent on the driver's own connection (asyncpg), not through SQLAlchemy.

The busiest POS call, addRedeem, runs on PostgreSQL as two statements and nothing
else: one reads the card, its account and the account's book without a lock, and one
writes the call's transaction, postings and reply if, and only if, the book is still
the one read (``accounts.revision``, counted up by every write of a book). Each
statement is a transaction of its own, so BEGIN and COMMIT cost no round trips; when
the book changed in between, the call runs again (``store.uow.StaleRead``). A card's
sale (activate, activateAdd) is the same two statements, its write guarded by the card
still being inactive.

A statement here is the same SQLAlchemy text the locking path runs, compiled once for
asyncpg, and sent with asyncpg directly: SQLAlchemy's execution machinery around a
statement costs more Python than these statements cost the database.

Inside a transaction SQLAlchemy has open, a statement goes to the driver the same way
once the server has begun it (``fetch_in_transaction``, ``DirectQuery``): the locking
path's write, and the statements a posted check makes after its first.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.selectable import CompoundSelect, Select, TextualSelect

from openpxs.store import direct_sqlite

_DIALECT = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]

# Called with each statement's text before it is sent (the benchmark's round-trip
# count; SQLAlchemy's own events do not see these statements).
LISTENERS: list[Callable[[str], None]] = []

# The driver's failures that mean the connection is gone: reported as SQLAlchemy's,
# so the caller answers "temporarily unavailable" as for any other statement.
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    # The server ending the session (a restart, a crash, an idle timeout, its database
    # dropped), not a statement cancelled (QueryCanceledError, a sibling).
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.DatabaseDroppedError,
    asyncpg.exceptions.IdleSessionTimeoutError,
    OSError,
)


def available(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"


def driver_of(conn: AsyncConnection) -> Any | None:
    """The driver connection under a checked-out connection, read without the greenlet
    hop of get_raw_connection (which exists to reconnect an invalidated one); None when
    it is closed or invalidated."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    return sync.connection.driver_connection


async def _lost(conn: AsyncConnection) -> None:
    """As SQLAlchemy does on a lost connection: this one is discarded, and so are the
    others pooled before it (a restarted database killed them all), so only this call
    fails."""
    await conn.invalidate()
    await conn.engine.dispose(close=False)


async def _fetch_on(
    conn: AsyncConnection, driver: Any, statement: DirectStatement, params: Mapping[str, Any]
) -> list[Any]:
    """``statement`` on ``driver``, the driver under ``conn``; a lost connection is
    handled as SQLAlchemy handles one (``_lost``: a transaction open on it goes too)."""
    try:
        return await statement.fetch(driver, params)
    except OperationalError:
        await _lost(conn)
        raise


class DirectStatement:
    """A statement compiled once for asyncpg, its parameters sent by name."""

    __slots__ = ("names", "sql")

    def __init__(self, clause: ClauseElement):
        compiled = clause.compile(dialect=_DIALECT)
        self.sql = compiled.string
        self.names = tuple(getattr(compiled, "positiontup", None) or ())

    async def fetch(self, driver: asyncpg.Connection, params: Mapping[str, Any]) -> list[Any]:
        for listener in LISTENERS:
            listener(self.sql)
        try:
            rows: list[Any] = await driver.fetch(self.sql, *[params[name] for name in self.names])
            return rows
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(self.sql, None, exc) from exc
        except _CONNECTION_LOST as exc:
            raise OperationalError(self.sql, None, exc, connection_invalidated=True) from exc
        except asyncpg.InterfaceError as exc:
            # The driver's own refusals: a closed connection is lost, but a value it
            # cannot encode (DataError) or a busy connection is not, and keeps its
            # connection, as SQLAlchemy's own path does.
            if driver.is_closed():
                raise OperationalError(self.sql, None, exc, connection_invalidated=True) from exc
            raise InterfaceError(self.sql, None, exc) from exc
        except asyncpg.PostgresError as exc:
            # Any other refusal of the server as SQLAlchemy reports it; a deadlock (its
            # sqlstate on ``orig``) is run again by the locking path (store/uow.py).
            raise DBAPIError(self.sql, None, exc) from exc


class DirectConnection:
    """The driver connection under a pooled SQLAlchemy connection that has no
    transaction open: each statement sent on it commits on its own."""

    __slots__ = ("_conn", "_driver")

    def __init__(self, conn: AsyncConnection):
        self._conn = conn
        self._driver: asyncpg.Connection | None = None

    async def fetch(self, statement: DirectStatement, params: Mapping[str, Any]) -> list[Any]:
        if self._conn.in_transaction():
            # Statements sent outside SQLAlchemy's transaction would not be part of it.
            raise RuntimeError("a direct statement inside an open transaction")
        if self._driver is None:
            self._driver = driver_of(self._conn)
            if self._driver is None:
                self._driver = (await self._conn.get_raw_connection()).driver_connection
        assert self._driver is not None
        return await _fetch_on(self._conn, self._driver, statement, params)


def _driver_in_transaction(conn: AsyncConnection) -> Any | None:
    """The driver under ``conn`` when SQLAlchemy has a transaction open on it and the
    server has begun it (SQLAlchemy sends BEGIN with its first statement); None when
    that is not so or the driver is not asyncpg."""
    if not available(conn.engine) or not conn.in_transaction():
        return None
    driver = driver_of(conn)
    if driver is None or not driver.is_in_transaction():
        return None
    return driver


async def fetch_in_transaction(
    conn: AsyncConnection, statement: DirectStatement, params: Mapping[str, Any]
) -> list[Any] | None:
    """``statement`` in the transaction SQLAlchemy has open on ``conn``, sent straight
    to the driver (a statement through SQLAlchemy's execution path costs about twice
    the CPU); None when that cannot be: not asyncpg, or no transaction open on the
    server yet, and the caller runs it through SQLAlchemy."""
    driver = _driver_in_transaction(conn)
    if driver is None:
        return None
    return await _fetch_on(conn, driver, statement, params)


def bound_by_name(names: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """An INSERT's values for a DirectQuery, each bound by name as ``v_<column>`` (a
    bound name may not be a column's); ``by_name`` gives them."""
    return {name: bindparam(f"v_{name}") for name in names}


def by_name(row: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of an INSERT made with ``bound_by_name``."""
    return {f"v_{name}": value for name, value in row.items()}


_REQUIRED = object()  # a parameter the caller must give (it has no value of its own)


class DirectQuery:
    """A SELECT, or an INSERT or UPDATE with every value bound by name, built once: a
    unit of work sends it straight to the driver inside its open transaction (on
    SQLite, runs it on the sqlite3 connection in the event loop's thread:
    ``direct_sqlite.in_transaction_here``), and through SQLAlchemy where that cannot
    be (the transaction's first statement on PostgreSQL, which SQLAlchemy sends with
    BEGIN).

    Either way the rows hold what SQLAlchemy's would: each parameter and each column
    goes through its type's processing (an aware UTC datetime, for one), literals bound
    in the statement are sent with it, and a row's values are read by position or by
    column name. A posted check reads about ten such statements; each costs half the
    CPU this way."""

    __slots__ = ("_binds", "_here", "_results", "_row", "_statement", "clause")

    def __init__(self, clause: Select[Any] | CompoundSelect[Any] | TextualSelect | Insert | Update):
        self.clause = clause
        compiled = clause.compile(dialect=_DIALECT)
        if "POSTCOMPILE" in compiled.string:
            # An expanding list (IN) or a literal rendered per call: its SQL is not one.
            raise ValueError("a direct query's SQL must not change from call to call")
        self._statement = DirectStatement(clause)
        # By the names the statement was compiled with (a literal's is made up).
        binds = [(name, compiled.binds[name]) for name in self._statement.names]
        self._binds = tuple(
            (
                name,
                _REQUIRED if bind.required else bind.effective_value,
                bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT),
            )
            for name, bind in binds
        )
        columns = list(clause.exported_columns)  # an INSERT's: what it returns
        if compiled.effective_returning and not columns:
            # The dialect would fetch the new row's key: rows here, none through
            # SQLAlchemy's path. Asked for with returning(), or not at all (inline()).
            raise ValueError("an INSERT sent straight to the driver returns what it says")
        # Named as the server names the columns, as SQLAlchemy's rows are (an unlabeled
        # expression is anon_1): known from the first row read.
        self._row: Any = None
        processors = [
            c.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None) for c in columns
        ]
        self._results = (
            tuple(enumerate(processors)) if any(p is not None for p in processors) else ()
        )
        # SQLite's: compiled on first use, with the row type of its columns' names.
        self._here: tuple[direct_sqlite.SqliteStatement, Any] | None = None

    def _params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        sent: dict[str, Any] = {}
        for name, literal, process in self._binds:
            value = params.get(name, literal)
            if value is _REQUIRED:
                raise KeyError(f"no value for the parameter {name!r}")
            sent[name] = value if process is None else process(value)
        return sent

    async def rows(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Sequence[Any]:
        driver = _driver_in_transaction(conn)
        if driver is None:
            db = direct_sqlite.in_transaction_here(conn)
            if db is not None:
                return self._rows_here(db, params)
            result = await conn.execute(self.clause, dict(params))
            return result.all() if result.returns_rows else []
        records = await _fetch_on(conn, driver, self._statement, self._params(params))
        if not records:
            return []
        if self._row is None:
            self._row = namedtuple("DirectRow", records[0].keys(), rename=True)  # type: ignore[misc]
        make = self._row._make
        if not self._results:
            return [make(record) for record in records]
        rows = []
        for record in records:
            values = list(record)
            for i, process in self._results:
                if process is not None:
                    values[i] = process(values[i])
            rows.append(make(values))
        return rows

    def _rows_here(self, db: Any, params: Mapping[str, Any]) -> list[Any]:
        if self._here is None:
            statement = direct_sqlite.SqliteStatement(self.clause)
            row = namedtuple("SqliteRow", statement.columns, rename=True)  # type: ignore[misc]
            self._here = (statement, row._make)
        statement, make = self._here
        return [make(values) for values in direct_sqlite.fetch_here(db, statement, params)]

    async def first(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Any | None:
        rows = await self.rows(conn, params)
        return rows[0] if rows else None
