"""PostgreSQL connections kept checked out between units of work.

Taking a connection from SQLAlchemy's pool and giving it back costs an addRedeem more
Python than any one of its statements: each is a hop into a greenlet and through the
pool's events and bookkeeping (about 60 µs a call on the development machine, the
server's whole CPU per call being about 1 ms). The units of work of ``store.uow`` take
their PostgreSQL connections here instead: a connection given back stays checked out,
no transaction open on it, and the next unit of work takes it as it is.

- **The pool still serves everyone.** A connection is kept only while the connections
  checked out, kept ones included, are within the pool's size. Beyond it, it is checked
  in, so the overflow is there for other users of the engine, and a caller waiting for
  the pool is woken by the next connection given back, as before.
- **Only a clean connection is kept.** One whose block failed with a database error or
  a timeout, was cancelled, or could not be rolled back goes back to the pool, which
  deals with it as it always has.
- **A restart replaces them all.** When a statement finds its connection lost, the pool
  replaces every connection opened before it at its next checkout; the kept ones never
  go through that, so they are dropped too: those idle at once (closed by the next call
  here, outside the failing statement), those in use when given back. A disposal of the
  engine closes the idle ones at once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.store.direct import driver_of


def available(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


class _Kept:
    """The idle connections of one engine in one event loop.

    ``generation`` counts the restarts seen (and disposals): a connection taken before
    the last one is not kept again. ``dropped`` are idle ones to close, outside the
    statement whose error dropped them."""

    __slots__ = ("dropped", "generation", "idle")

    def __init__(self) -> None:
        self.idle: list[AsyncConnection] = []
        self.dropped: list[AsyncConnection] = []
        self.generation = 0

    def drop_idle(self) -> None:
        self.generation += 1
        self.dropped.extend(self.idle)
        self.idle = []


# One store per engine and event loop: a connection belongs to the loop it was opened on.
_KEPT: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, _Kept]] = (
    weakref.WeakKeyDictionary()
)


def _kept(engine: AsyncEngine) -> _Kept:
    sync_engine = engine.sync_engine
    per_loop = _KEPT.get(sync_engine)
    if per_loop is None:
        per_loop = _KEPT[sync_engine] = weakref.WeakKeyDictionary()
        event.listen(sync_engine, "engine_disposed", _closed_on_dispose)
        event.listen(sync_engine, "handle_error", _dropped_on_disconnect)
    loop = asyncio.get_running_loop()
    kept = per_loop.get(loop)
    if kept is None:
        kept = per_loop[loop] = _Kept()
    return kept


def _dropped_on_disconnect(context: Any) -> None:
    """A statement found its connection lost. Not for a statement cancelled or timed
    out, which SQLAlchemy also counts as a disconnect but not of the pool. No I/O here:
    this runs inside the failing statement."""
    if context.is_disconnect and context.invalidate_pool_on_disconnect:
        for kept in (_KEPT.get(context.engine) or {}).values():
            kept.drop_idle()


def _closed_on_dispose(sync_engine: Any) -> None:
    """The engine's pool was replaced: its kept connections are closed with it."""
    for kept in (_KEPT.get(sync_engine) or {}).values():
        kept.drop_idle()
        dropped, kept.dropped = kept.dropped, []
        _close_now(dropped)


def _close_now(conns: list[AsyncConnection]) -> None:
    """Close kept connections from synchronous code: SQLAlchemy closes the driver's
    connection (at once outside a greenlet, politely inside one) and checks it in.
    A cancellation meanwhile is raised once all are closed."""
    interrupted: BaseException | None = None
    for conn in conns:
        sync = conn.sync_connection
        if sync is None or sync.closed:
            continue
        try:
            sync.invalidate()
        except Exception:
            continue
        except BaseException as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def _usable(conn: AsyncConnection) -> bool:
    driver = driver_of(conn)
    # The driver sees the server's end of the socket even while the connection is idle.
    return driver is not None and not driver.is_closed()


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection with no transaction open, kept for the next unit of work afterwards."""
    kept = _kept(engine)
    if kept.dropped:
        dropped, kept.dropped = kept.dropped, []
        _close_now(dropped)
    conn = None
    while kept.idle and conn is None:
        candidate = kept.idle.pop()
        if _usable(candidate):
            conn = candidate
        else:
            _close_now([candidate])
    if conn is None:
        conn = await engine.connect()
    generation = kept.generation
    clean = False
    try:
        yield conn
        clean = True
    except BaseException as error:
        # A refusal or a stale read leaves it as good as it was; a timeout may have cut
        # a statement short, a database error may have been the connection's own (a key
        # already held, too: rare, and the pool's), and a cancellation either.
        clean = isinstance(error, Exception) and not isinstance(error, TimeoutError | DBAPIError)
        raise
    finally:
        clean = clean and kept.generation == generation
        if not (clean and _kept_as_it_is(engine, kept, conn)):
            # To its end even if the call is cancelled meanwhile: a connection left half
            # given back would hold a place in the pool.
            await asyncio.shield(_give_back(engine, kept, conn, clean))


def _kept_as_it_is(engine: AsyncEngine, kept: _Kept, conn: AsyncConnection) -> bool:
    """Keep a usable connection with no transaction open while the pool has room
    besides it (no await: the common case costs no task)."""
    driver = driver_of(conn)
    if driver is None or driver.is_closed() or driver.is_in_transaction():
        return False
    pool: Any = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    if conn.get_transaction() is not None or size is None or pool.checkedout() > size():
        return False
    kept.idle.append(conn)
    return True


async def _give_back(engine: AsyncEngine, kept: _Kept, conn: AsyncConnection, clean: bool) -> None:
    if clean and _usable(conn) and conn.get_transaction() is not None:
        # Rolled back as the pool's reset would, an inactive transaction (a failed
        # COMMIT) too; then kept if it may be.
        try:
            await conn.rollback()
        except Exception:
            await conn.invalidate()
            await conn.close()
            return
        if _kept_as_it_is(engine, kept, conn):
            return
    await conn.close()


async def give_back_connections(engine: AsyncEngine) -> None:
    """At shutdown: the kept connections back to the pool, so that the engine's disposal
    closes them."""
    per_loop = _KEPT.get(engine.sync_engine)
    kept = per_loop.get(asyncio.get_running_loop()) if per_loop is not None else None
    if kept is not None:
        idle, kept.idle = kept.idle, []
        for conn in idle:
            await conn.close()
