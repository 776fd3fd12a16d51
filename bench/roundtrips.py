"""Round trips per call: each operation run in this process with every database
exchange counted.

The server's own engine gets listeners for BEGIN, each statement and COMMIT/ROLLBACK,
so the counts are what one call costs the database in messages it waits for,
whatever the machine's load. A multi-row statement (executemany) is one exchange: the
driver sends its rows together and waits once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.settings import Settings
from openpxs.store import direct, direct_sqlite


@dataclass
class Counter:
    begins: int = 0
    statements: int = 0
    ends: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.begins + self.statements + self.ends


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Counter]:
    counter = Counter()
    sync = engine.sync_engine

    def on_begin(_conn: Any) -> None:
        counter.begins += 1

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        counter.statements += 1
        counter.texts.append(statement.split(None, 3)[0] if statement else "")

    def on_end(_conn: Any) -> None:
        counter.ends += 1

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("begin", on_begin),
        ("before_cursor_execute", on_statement),
        ("commit", on_end),
        ("rollback", on_end),
    ]

    def on_direct(statement: str) -> None:
        # A statement sent on the driver's connection outside a transaction
        # (store/direct.py): one round trip, no BEGIN or COMMIT around it.
        counter.statements += 1
        counter.texts.append(statement.split(None, 1)[0])

    def on_batch(statements: list[str]) -> None:
        # SQLite: statements run together in one hop to the driver's thread
        # (store/direct_sqlite.py), BEGIN and COMMIT among them; each is counted.
        counter.statements += len(statements)
        counter.texts.extend(statements)

    for name, fn in hooks:
        event.listen(sync, name, fn)
    direct.LISTENERS.append(on_direct)
    direct_sqlite.LISTENERS.append(on_batch)
    try:
        yield counter
    finally:
        direct_sqlite.LISTENERS.remove(on_batch)
        direct.LISTENERS.remove(on_direct)
        for name, fn in hooks:
            event.remove(sync, name, fn)


# A call to make: (operation path, JSON body).
Call = tuple[str, dict[str, Any]]


def per_call(
    database_url: str, auth: str, calls: dict[str, list[Call]], warm: int = 2
) -> dict[str, dict[str, Any]]:
    """For each operation, the round trips of its calls after ``warm`` unmeasured ones
    (the first calls prepare statements and load the program)."""
    # No background worker: its statements would be counted with the calls', and its
    # thread of events would be iterating the listeners this adds and removes.
    app = create_app(Settings(database_url=database_url, log_level="WARNING", outbox_worker=False))
    found: dict[str, dict[str, Any]] = {}
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    with TestClient(app, raise_server_exceptions=True) as client:
        engine: AsyncEngine = app.state.runtime.engine
        for operation, made in calls.items():
            counts = []
            kinds: list[str] = []
            for n, (url, body) in enumerate(made):
                with counting(engine) as counter:
                    reply = client.post(url, content=json.dumps(body), headers=headers)
                data = reply.json()
                if reply.status_code != 200 or data.get("result") not in (
                    "authorizedSuccess",
                    "success",
                ):
                    raise RuntimeError(f"{operation} failed while counting: {reply.text[:300]}")
                if n >= warm:
                    counts.append(counter.total)
                    kinds = counter.texts
            if counts:
                # The median: a process rechecks its program's version at most once a
                # second, which an odd call pays for (max shows it).
                found[operation] = {
                    "calls": len(counts),
                    "round_trips": sorted(counts)[len(counts) // 2],
                    "min": min(counts),
                    "max": max(counts),
                    "statements_of_last": kinds,
                }
    return found
