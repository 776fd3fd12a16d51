"""A server's cached copy of a program follows `config apply`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.loader import load_config
from openpxs.store.catalog import load_program
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine, migrate

NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def _names_before_and_after_a_rename(url: str) -> tuple[str, str, str]:
    config = load_config(DEMO_CONFIG_FILES[1])
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with engine.begin() as conn:
            await apply_config(conn, config, NOW)
        async with engine.begin() as conn:
            before = (await load_program(conn, config.merchant.id)).wallets[1].name
        renamed = config.model_copy(
            update={"wallets": [config.wallets[0].model_copy(update={"name": "Gift Money"})]}
        )
        async with engine.begin() as conn:
            cached = (await load_program(conn, config.merchant.id)).wallets[1].name
            # The same instant as the first apply: a version, not a clock, marks the change.
            await apply_config(conn, renamed, NOW)
        async with engine.begin() as conn:
            after = (await load_program(conn, config.merchant.id)).wallets[1].name
        return before, cached, after
    finally:
        await engine.dispose()


def test_program_cache_reloads_after_a_change(tmp_path: Path) -> None:
    before, cached, after = asyncio.run(
        _names_before_and_after_a_rename(f"sqlite:///{tmp_path / 'cache.db'}")
    )
    assert (before, cached, after) == ("Stored Value", "Stored Value", "Gift Money")
