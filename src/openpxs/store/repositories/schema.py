"""What the database is and which schema revision it holds, for the console's health
page (the CLI's ``openpxs db`` commands read the same through ``store.db``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text

from openpxs.store.migrations.runner import current_revision, head_revision
from openpxs.store.repositories import Repository


@dataclass(frozen=True)
class SchemaState:
    # "postgresql" or "sqlite".
    kind: str
    # The revision the database holds, and the newest this code knows.
    revision: str | None
    head: str | None
    # A trivial statement's round trip, in milliseconds.
    round_trip_ms: float

    @property
    def current(self) -> bool:
        return self.revision == self.head


class SchemaRepository(Repository):
    __slots__ = ()

    async def state(self) -> SchemaState:
        started = time.perf_counter()
        await self.conn.execute(text("SELECT 1"))
        round_trip = (time.perf_counter() - started) * 1000
        revision = await self.conn.run_sync(current_revision)
        return SchemaState(self.conn.dialect.name, revision, head_revision(), round_trip)
