"""A server's cached copy of a program follows `config apply`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.loader import load_config
from openpxs.config.model import MerchantConfig
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine, migrate
from openpxs.store.repositories import programs as catalog
from openpxs.store.repositories.programs import load_program
from openpxs.store.tables import merchants, wallets

NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def _configured(url: str) -> tuple[MerchantConfig, AsyncEngine]:
    """A migrated database with the demo's second merchant applied."""
    config = load_config(DEMO_CONFIG_FILES[1])
    engine = create_engine(url)
    await migrate(engine)
    async with engine.begin() as conn:
        await apply_config(conn, config, NOW)
    return config, engine


async def _names_before_and_after_a_rename(url: str) -> tuple[str, str, str]:
    config, engine = await _configured(url)
    try:
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


async def _version_bumped_elsewhere(url: str, recheck: float) -> tuple[str, str]:
    """Another process applies a change (here: a direct update this process's cache
    knows nothing of); this process sees it once its recheck window has passed."""
    config, engine = await _configured(url)
    try:
        async with engine.begin() as conn:
            await load_program(conn, config.merchant.id)
            await conn.execute(
                update(wallets)
                .where(wallets.c.merchant_id == config.merchant.id, wallets.c.code == 1)
                .values(name="Elsewhere")
            )
            await conn.execute(
                update(merchants)
                .where(merchants.c.merchant_id == config.merchant.id)
                .values(config_version=merchants.c.config_version + 1)
            )
        catalog.RECHECK_SECONDS = recheck
        async with engine.begin() as conn:
            first = (await load_program(conn, config.merchant.id)).wallets[1].name
        catalog.RECHECK_SECONDS = 0.0
        async with engine.begin() as conn:
            later = (await load_program(conn, config.merchant.id)).wallets[1].name
        return first, later
    finally:
        catalog.forget()
        await engine.dispose()


def test_other_processes_changes_are_seen_after_the_recheck_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "RECHECK_SECONDS", catalog.RECHECK_SECONDS)
    first, later = asyncio.run(
        _version_bumped_elsewhere(f"sqlite:///{tmp_path / 'window.db'}", 3600.0)
    )
    assert (first, later) == ("Stored Value", "Elsewhere")
