"""Statements sent on the driver's own connection, outside any transaction.

The busiest POS call, addRedeem, runs on PostgreSQL as two statements and nothing
else: one reads the card, its account and the account's book without a lock, and one
writes the call's transaction, postings and reply if, and only if, the book is still
the one read (``accounts.revision``, counted up by every write of a book). Each
statement is a transaction of its own, so BEGIN and COMMIT cost no round trips; when
the book changed in between, the call runs again (``store.uow.StaleRead``).

A statement here is the same SQLAlchemy text the locking path runs, compiled once for
asyncpg, and sent with asyncpg directly: SQLAlchemy's execution machinery around a
statement costs more Python than these statements cost the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ClauseElement

_DIALECT = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]

# Called with each statement's text before it is sent (the benchmark's round-trip
# count; SQLAlchemy's own events do not see these statements).
LISTENERS: list[Callable[[str], None]] = []

# The driver's failures that mean the connection is gone: reported as SQLAlchemy's,
# so the caller answers "temporarily unavailable" as for any other statement.
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
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
        try:
            return await statement.fetch(self._driver, params)
        except OperationalError:
            await _lost(self._conn)
            raise


async def fetch_in_transaction(
    conn: AsyncConnection, statement: DirectStatement, params: Mapping[str, Any]
) -> list[Any] | None:
    """``statement`` in the transaction SQLAlchemy has open on ``conn``, sent straight
    to the driver (a statement through SQLAlchemy's execution path costs about twice
    the CPU); None when that cannot be: not asyncpg, or no transaction open on the
    server yet (SQLAlchemy sends BEGIN with its first statement), and the caller runs
    it through SQLAlchemy."""
    if not available(conn.engine) or not conn.in_transaction():
        return None
    driver = driver_of(conn)
    if driver is None or not driver.is_in_transaction():
        return None
    try:
        return await statement.fetch(driver, params)
    except OperationalError:
        await _lost(conn)  # the transaction with it
        raise
