"""Repositories: every SQL statement of the server, one module per aggregate.

A repository works inside the unit of work that made it (``store.uow``): it never
commits, and it speaks in domain objects, not rows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

# Rows per IN (...) list: well inside every driver's limit on bound parameters.
CHUNK = 500


class Repository:
    """A view of one database transaction (the unit of work's connection)."""

    __slots__ = ("conn",)

    def __init__(self, conn: AsyncConnection):
        self.conn = conn

    @property
    def postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"
