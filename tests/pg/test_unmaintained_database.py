"""A PostgreSQL without autovacuum is named at start: its plans go stale as the tables
grow (docs/operator/postgresql.md, Maintenance)."""

from __future__ import annotations

import asyncio
import logging

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient

from openpxs import app as application
from openpxs.app import create_app
from openpxs.settings import Settings
from openpxs.store.db import create_engine, unmaintained

pytestmark = pytest.mark.postgresql

WARNING = "PostgreSQL runs with autovacuum off"


def test_unmaintained_says_what_the_server_runs_with(database_url: str) -> None:
    async def both() -> tuple[bool, str]:
        engine = create_engine(database_url)
        try:
            found = await unmaintained(engine)
        finally:
            await engine.dispose()
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            setting = str(await conn.fetchval("SHOW autovacuum"))
        finally:
            await conn.close()
        return found, setting

    found, setting = asyncio.run(both())
    assert found is (setting == "off")


@pytest.mark.parametrize("off", [True, False])
def test_the_server_warns_at_start_only_without_autovacuum(
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    off: bool,
) -> None:
    async def setting(_engine: object) -> bool:
        return off

    monkeypatch.setattr(application, "unmaintained", setting)
    server_log = logging.getLogger("openpxs")
    server_log.addHandler(caplog.handler)
    try:
        app = create_app(Settings(database_url=database_url, outbox_worker=False))
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
    finally:
        server_log.removeHandler(caplog.handler)
    warned = [r for r in caplog.records if r.getMessage().startswith(WARNING)]
    assert len(warned) == (1 if off else 0)
    assert all(r.levelno == logging.WARNING for r in warned)
