"""SQLite syncs every commit before a call is answered, unless the operator opts out."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from openpxs.app import create_app
from openpxs.settings import Settings

# PRAGMA synchronous answers 1 for NORMAL and 2 for FULL.
LEVELS = {"full": 2, "normal": 1}


@pytest.mark.parametrize("setting", [None, "normal", "full"])
def test_synchronous_is_full_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    if setting is not None:
        monkeypatch.setenv("OPENPXS_SQLITE_SYNCHRONOUS", setting)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}", log_level="WARNING"))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        engine = app.state.runtime.engine

        async def level() -> tuple[int, str]:
            async with engine.connect() as conn:
                synchronous = await conn.scalar(text("PRAGMA synchronous"))
                journal = await conn.scalar(text("PRAGMA journal_mode"))
                return int(synchronous), str(journal)

        assert client.portal is not None
        assert client.portal.call(level) == (LEVELS[setting or "full"], "wal")


def test_an_unknown_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPXS_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        Settings()
