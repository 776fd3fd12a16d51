"""The server freezes what it built at start, and leaves the collector as it found it."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from openpxs.app import GC_THRESHOLDS, create_app
from openpxs.settings import Settings


def test_startup_freezes_and_shutdown_restores(tmp_path: Path) -> None:
    before = gc.get_threshold()
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'gc.db'}", outbox_worker=False))

    async def run() -> tuple[int, tuple[int, int, int]]:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count(), gc.get_threshold()

    frozen, during = asyncio.run(run())
    assert frozen > 0
    assert during == GC_THRESHOLDS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
