"""A process that changes a program sees the change at its next call.

Another call of the same process may read the program while the change is written but
not yet committed: it reads the version before it, and must not keep that copy, or the
process would answer with the old program after its own change (for as long as it
trusts a cached copy).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.config import load_config
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine
from openpxs.store.repositories.programs import load_program
from tests.program_config import DEMO_1000, edited_config

# On SQLite a read waits for the write to commit: only PostgreSQL reads alongside it.
pytestmark = pytest.mark.postgresql


def _rename(data: dict[str, Any]) -> None:
    data["merchant"]["name"] = "Renamed while a call was reading"


def test_a_copy_read_before_the_change_committed_is_not_kept(
    client: TestClient, database_url: str
) -> None:
    async def scenario() -> tuple[str, str, str]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                before = (await load_program(conn, 1000)).name
            async with engine.begin() as writer:
                await apply_config(writer, edited_config(_rename), datetime.now(UTC))
                async with engine.connect() as reader:
                    during = (await load_program(reader, 1000)).name
            async with engine.connect() as conn:
                after = (await load_program(conn, 1000)).name
            return before, during, after
        finally:
            async with engine.begin() as conn:
                await apply_config(conn, load_config(DEMO_1000), datetime.now(UTC))
            await engine.dispose()

    before, during, after = asyncio.run(scenario())
    assert during == before  # the change was not committed yet
    assert after == "Renamed while a call was reading"
