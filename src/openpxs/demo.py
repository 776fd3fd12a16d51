"""The demo merchants (1000 and 2000) that client developers script against."""

from __future__ import annotations

from datetime import UTC, datetime

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.loader import load_config
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine, migrate


async def install_demo(database_url: str) -> int:
    """Apply the demo configuration (idempotent); returns how many cards were new."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        created = 0
        for path in DEMO_CONFIG_FILES:
            async with engine.begin() as conn:
                report = await apply_config(conn, load_config(path), datetime.now(UTC))
                created += report.new_cards
        return created
    finally:
        await engine.dispose()
