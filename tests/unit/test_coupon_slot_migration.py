"""Revision 0004 numbers the coupon uses recorded before it, so they keep counting
against the coupons' limits: standing uses get slots in the order they were recorded;
voided uses and uses of reversed checks get none."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from openpxs.store.db import create_engine, migrate
from openpxs.store.migrations.runner import alembic_config

AT = datetime(2026, 11, 26, 12, tzinfo=UTC)
# (id, merchant, coupon, account, transaction, voided) of the uses before the upgrade.
USES = [
    (1, 1000, 1, 10, None, False),
    (2, 1000, 1, 10, None, True),  # voided
    (3, 1000, 1, 11, 2, False),  # its check was reversed
    (4, 1000, 1, 10, 1, False),
    (5, 1000, 1, None, None, False),  # no card
    (6, 1000, 2, 10, None, False),  # another coupon
    (7, 2000, 1, 10, None, False),  # another merchant's coupon 1
]
# id -> (coupon_slot, account_slot) after it.
SLOTS = {
    1: (1, 1),
    2: (None, None),
    3: (None, None),
    4: (2, 2),
    5: (3, None),
    6: (1, 1),
    7: (1, 1),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet: a new file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    server = make_url(os.environ["OPENPXS_TEST_DATABASE_URL"])
    scratch = f"{server.database}_upgrade"

    async def admin(statement: str) -> None:
        engine = create_engine(server.set(database="postgres").render_as_string(False))
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{scratch}"'))
    asyncio.run(admin(f'CREATE DATABASE "{scratch}"'))
    try:
        yield server.set(database=scratch).render_as_string(False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{scratch}"'))


def _at_0003_with_uses(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "0003")
    connection.execute(
        text(
            "INSERT INTO transactions (merchant_id, id, kind, created_at, undone_by_id)"
            " VALUES (1000, 1, 'check', :at, NULL), (1000, 2, 'check', :at, 3),"
            " (1000, 3, 'reverse', :at, NULL)"
        ),
        {"at": AT},
    )
    for use_id, merchant, coupon, account, txn, voided in USES:
        connection.execute(
            text(
                "INSERT INTO coupon_uses (id, merchant_id, coupon_id, account_id, store_code,"
                " transaction_id, created_at, voided_at)"
                " VALUES (:id, :m, :c, :a, '1001', :t, :at, :voided)"
            ),
            {
                "id": use_id,
                "m": merchant,
                "c": coupon,
                "a": account,
                "t": txn,
                "at": AT,
                "voided": AT if voided else None,
            },
        )


def test_the_upgrade_numbers_the_standing_uses(empty_url: str) -> None:
    async def run() -> dict[int, tuple[Any, Any]]:
        engine = create_engine(empty_url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_at_0003_with_uses)
                await conn.commit()
            await migrate(engine)
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT id, coupon_slot, account_slot FROM coupon_uses ORDER BY id")
                )
                return {row.id: (row.coupon_slot, row.account_slot) for row in rows}
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == SLOTS
