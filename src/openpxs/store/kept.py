"""PostgreSQL connections kept checked out between units of work.

Taking a connection from SQLAlchemy's pool and giving it back costs an addRedeem more
Python than any one of its statements: each is a hop into a greenlet and through the
pool's events and bookkeeping (about 60 µs a call on the development machine, the
server's whole CPU per call being about 1 ms). The units of work of ``store.uow`` take
their PostgreSQL connections here instead: a connection given back stays checked out,
no transaction open on it, and the next unit of work takes it as it is.

At most the pool's size are kept, so the pool's other connections (its overflow) stay
for everything else. A connection comes back to be kept only when its block ended
cleanly or with an error that did not come from the connection; one that was lost,
cancelled mid-statement or could not be rolled back goes back to the pool, which
deals with it as it always has. When a statement finds its connection lost, or the pool
is replaced (``engine.dispose()``, which ``DirectConnection`` calls then), every kept
connection is closed, as the pool would replace its own: the calls after it reconnect.
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


def available(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


class _Kept:
    """The idle connections of one engine in one event loop, and the pool they are from."""

    __slots__ = ("idle", "pool")

    def __init__(self, pool: Any):
        self.idle: list[AsyncConnection] = []
        self.pool = pool


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
        event.listen(sync_engine, "handle_error", _closed_on_disconnect)
    loop = asyncio.get_running_loop()
    kept = per_loop.get(loop)
    if kept is None or kept.pool is not sync_engine.pool:
        if kept is not None:
            _terminate(kept)
        kept = per_loop[loop] = _Kept(sync_engine.pool)
    return kept


def _closed_on_dispose(sync_engine: Any) -> None:
    """The engine's pool was replaced: its kept connections are closed with it (at
    once, without the event loop: the listener is called synchronously)."""
    for kept in list((_KEPT.get(sync_engine) or {}).values()):
        _terminate(kept)


def _closed_on_disconnect(context: Any) -> None:
    """A statement found its connection lost (the database restarted): the pool then
    replaces every connection opened before it at its next checkout, which the kept
    ones never go through, so they are closed now."""
    if context.is_disconnect and context.engine is not None:
        _closed_on_dispose(context.engine)


def _terminate(kept: _Kept) -> None:
    idle, kept.idle = kept.idle, []
    for conn in idle:
        sync = conn.sync_connection
        if sync is not None and not sync.closed:
            # Outside a greenlet SQLAlchemy terminates the driver's connection (closes
            # its socket) rather than awaiting a polite close, and checks it in.
            sync.invalidate()


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection with no transaction open, kept for the next unit of work afterwards."""
    kept = _kept(engine)
    conn = kept.idle.pop() if kept.idle else await engine.connect()
    clean = False
    try:
        yield conn
        clean = True
    except (TimeoutError, DBAPIError):
        # A timeout may have cut a statement short, and a database error may have been
        # the connection's own: such a connection goes back to the pool.
        raise
    except Exception:
        # A refusal, a stale read or a key already held leaves it as good as it was.
        clean = True
        raise
    finally:
        await _give_back(engine, kept, conn, clean)


async def _give_back(engine: AsyncEngine, kept: _Kept, conn: AsyncConnection, clean: bool) -> None:
    sync = conn.sync_connection
    if not clean or sync is None or sync.closed or sync.invalidated:
        await conn.close()
        return
    if conn.in_transaction():
        try:
            await conn.rollback()
        except Exception:
            # As the pool's own reset does: the connection is not used again.
            await conn.invalidate()
            await conn.close()
            return
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    if kept.pool is pool and size is not None and len(kept.idle) < size():
        kept.idle.append(conn)
    else:
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
