"""Database engines from plain URLs, and schema migration on first start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from openpxs.store.direct_sqlite import BESIDE_WRITE_GROUP, BUSY_TIMEOUT_MS


class DatabaseUrlError(ValueError):
    """The database URL names a backend OpenPXS does not run on."""


def async_url(plain: str) -> URL:
    """Map ``sqlite:///file.db`` / ``postgresql://user@host/db`` to their async drivers."""
    url = make_url(plain)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise DatabaseUrlError(f"unsupported database URL {plain!r}: use sqlite:/// or postgresql://")


def create_engine(
    plain_url: str, *, pool_size: int = 20, sqlite_synchronous: str = "full"
) -> AsyncEngine:
    url = async_url(plain_url)
    # Parameters are card numbers and guest data: keep them out of error messages and logs.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Writers wait for each other instead of failing at once. The busiest calls'
        # batches run in the event loop's thread, on the connection aiosqlite opened in
        # its own (store/direct_sqlite.py): never both at once.
        kwargs["connect_args"] = {
            "timeout": BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
        }
    else:
        # Connections beyond pool_size are opened for a burst (after it, up to
        # pool_size + max_overflow may stay open while kept ones are out: store/kept.py);
        # a new PostgreSQL connection costs milliseconds, so the pool itself should cover
        # the calls a process normally has in flight.
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max(2, pool_size // 4)
        # No ping before each use: it costs three round trips per call. A connection
        # found dead instead fails its call (HTTP 503), and SQLAlchemy then discards
        # every pooled connection opened before it, so the calls after it reconnect.
        kwargs["pool_pre_ping"] = False
        # While the database is unreachable, calls fail within seconds (HTTP 503)
        # instead of queueing until a client gives up.
        kwargs["pool_timeout"] = 10
        kwargs["connect_args"] = {"timeout": 5}
    if url.get_backend_name() == "sqlite":
        # The rollback on return is made by the "reset" listener, only when needed.
        kwargs["pool_reset_on_return"] = None
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _serialize_sqlite_writers(engine, sqlite_synchronous)
    return engine


SQLITE_SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}


def _serialize_sqlite_writers(engine: AsyncEngine, synchronous: str) -> None:
    """Make every SQLite transaction take the write lock at BEGIN.

    pysqlite's own transaction handling starts transactions lazily, which lets two
    read-then-write transactions interleave; BEGIN IMMEDIATE gives the same
    no-lost-update guarantee as row locks on PostgreSQL. ``synchronous`` FULL (the
    default) makes every commit durable before the call is answered.
    """
    pragma = f"PRAGMA synchronous={SQLITE_SYNCHRONOUS[synchronous]}"

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(pragma)
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        driver = conn.connection.driver_connection
        if getattr(driver, "in_transaction", False):
            # A transaction begun on the driver connection outside SQLAlchemy: its
            # statements join it. (The batches of store/direct_sqlite.py no longer
            # begin one on a connection SQLAlchemy uses: their writes go to a write
            # group's own, store/turns.py.)
            return
        if conn.get_execution_options().get(BESIDE_WRITE_GROUP):
            # The call's own write goes to the write group's connection, which may hold
            # the write lock (store/turns.py): this one reads beside it, and a write on
            # it is refused at once instead of waiting for a lock its own call holds.
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.connection.info[BESIDE_WRITE_GROUP] = True
            conn.exec_driver_sql("BEGIN")
            return
        if conn.connection.info.pop(BESIDE_WRITE_GROUP, False):
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "reset")
    def _reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        # A connection going back to the pool is rolled back only when a transaction is
        # open on it: the rollback is a hop to the driver's thread, and after a commit
        # (every successful call) there is nothing to roll back.
        if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
            return
        if getattr(dbapi_connection.driver_connection, "in_transaction", True):
            dbapi_connection.rollback()


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (creates it on first start)."""
    from openpxs.store.migrations.runner import upgrade_head

    async with engine.connect() as conn:
        await conn.run_sync(upgrade_head)
        await conn.commit()


async def unmaintained(engine: AsyncEngine) -> bool:
    """Whether the database is PostgreSQL running without autovacuum. Its statistics
    then stay those of the day the tables were nearly empty, and the plans made from
    them read every row of a merchant where an index would find one (the operator
    guide: PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return False
    async with engine.connect() as conn:
        setting = (await conn.exec_driver_sql("SHOW autovacuum")).scalar()
    return str(setting).lower() == "off"


async def schema_revision(conn: AsyncConnection) -> str | None:
    from openpxs.store.migrations.runner import current_revision

    return await conn.run_sync(current_revision)
