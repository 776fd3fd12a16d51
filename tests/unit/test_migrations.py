"""The migrations build exactly the schema the code declares, on either database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from openpxs.store.db import create_engine, migrate, schema_revision
from openpxs.store.tables import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


async def _check(url: str) -> tuple[list[Any], str | None]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        await migrate(engine)  # a second start finds nothing to do
        async with engine.connect() as conn:
            return await conn.run_sync(_differences), await schema_revision(conn)
    finally:
        await engine.dispose()


def test_fresh_sqlite_schema_matches_the_tables(tmp_path: Path) -> None:
    differences, revision = asyncio.run(_check(f"sqlite:///{tmp_path / 'fresh.db'}"))
    assert differences == []
    assert revision is not None


def test_session_database_schema_matches_the_tables(demo_database: str) -> None:
    differences, revision = asyncio.run(_check(demo_database))
    assert differences == []
    assert revision is not None
