"""A merchant's program configuration as the domain sees it, read from the tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.domain.errors import InvalidMerchant
from openpxs.domain.program import Program
from openpxs.store.program_rows import ProgramRows, Values, program_of
from openpxs.store.repositories import Repository
from openpxs.store.tables import card_templates, integrations, merchants, programs, stores, wallets

# How long a server trusts its copy of a program before asking the database whether
# `config apply` has changed it since. The question is one small read, but on every POS
# call it is a tenth of the statements; a program change instead reaches running
# servers within this window (and at once in the process that applied it).
RECHECK_SECONDS = 1.0


@dataclass
class _Cached:
    version: int
    program: Program
    checked: float  # time.monotonic() of the last version check


_VERSION = select(merchants.c.config_version).where(
    merchants.c.merchant_id == bindparam("merchant_id")
)


# (database, merchant_id) -> the copy of its program this process holds. The database
# is its URL's text, so that every engine of one database shares the copies.
_cache: dict[tuple[str, int], _Cached] = {}


# (database, merchant_id) -> the program version this process wrote last. A call that
# read the program while that write was not yet committed read the version before it:
# what it read is used once but not kept, or the process would hold the old program
# for RECHECK_SECONDS after changing it itself.
_written: dict[tuple[str, int], int] = {}

# Each engine's database, rendered once: a URL renders itself to be hashed, which on
# every POS call showed in the profile.
_databases: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def database_of(engine: AsyncEngine) -> str:
    sync = engine.sync_engine
    found = _databases.get(sync)
    if found is None:
        found = _databases[sync] = sync.url.render_as_string(hide_password=True)
    return found


def forget(merchant_id: int | None = None) -> None:
    """Drop cached programs (one merchant's, or all), so the next call reads them again."""
    if merchant_id is None:
        _cache.clear()
        return
    for key in [k for k in _cache if k[1] == merchant_id]:
        del _cache[key]


def written(engine: AsyncEngine, merchant_id: int, version: int) -> None:
    """This process is writing ``version`` of the merchant's program (config apply): no
    copy older than it is kept from now on, even one read before the write commits."""
    _written[(database_of(engine), merchant_id)] = version
    forget(merchant_id)


class ProgramRepository(Repository):
    """The merchant's program as the rules see it, read once and kept by the process."""

    __slots__ = ()

    async def load(self, merchant_id: int) -> Program:
        return await load_program(self.conn, merchant_id)

    async def merchant_ids(self) -> list[int]:
        """Every configured merchant, lowest id first."""
        rows = await self.conn.execute(
            select(merchants.c.merchant_id).order_by(merchants.c.merchant_id)
        )
        return [int(r) for r in rows.scalars()]


async def load_program(conn: AsyncConnection, merchant_id: int) -> Program:
    key = (database_of(conn.engine), merchant_id)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached.checked < RECHECK_SECONDS:
        return cached.program
    version = (await conn.execute(_VERSION, {"merchant_id": merchant_id})).scalar()
    if version is None:
        raise InvalidMerchant(f"merchant {merchant_id} is not configured")
    if cached is not None and cached.version == version:
        cached.checked = now
        return cached.program
    program = await _read_program(conn, merchant_id)
    if version >= _written.get(key, 0):
        _cache[key] = _Cached(version, program, now)
    return program


async def _read_program(conn: AsyncConnection, merchant_id: int) -> Program:
    # The settings are read only when the cached copy is stale: they are the bulk of it.
    rows = await read_rows(conn, merchant_id)
    if rows is None:
        raise InvalidMerchant(f"merchant {merchant_id} is not configured")
    return program_of(rows)


async def read_rows(conn: AsyncConnection, merchant_id: int) -> ProgramRows | None:
    """The merchant's configuration rows as they are now; None for an unknown merchant."""
    merchant = (
        await conn.execute(select(merchants).where(merchants.c.merchant_id == merchant_id))
    ).one_or_none()
    if merchant is None:
        return None
    return ProgramRows(
        merchant_id=merchant_id,
        merchant={column: merchant._mapping[column] for column in MERCHANT_COLUMNS},
        programs=await _section(conn, programs, merchant_id),
        card_templates=await _section(conn, card_templates, merchant_id),
        wallets=await _section(conn, wallets, merchant_id),
        stores=await _section(conn, stores, merchant_id),
        integrations={
            row.identifier: {"name": row.name, "styles": list(row.styles), "enabled": row.enabled}
            for row in await conn.execute(
                select(integrations).where(integrations.c.merchant_id == merchant_id)
            )
        },
    )


# The merchants row's columns a program file sets (rows_of); the rest are bookkeeping.
MERCHANT_COLUMNS = (
    "name",
    "timezone",
    "guest_config",
    "loyalty_config",
    "payments_config",
    "surveys_config",
    "places_config",
    "challenges_config",
    "social_groups_config",
    "outreach_config",
    "wallet_passes_config",
    "console_config",
)
# Columns of a section's rows that say which row it is, not what it holds.
_KEY_COLUMNS = {"id", "merchant_id", "code"}


async def _section(conn: AsyncConnection, table: Table, merchant_id: int) -> dict[Any, Values]:
    rows = await conn.execute(select(table).where(table.c.merchant_id == merchant_id))
    return {
        row.code: {str(k): v for k, v in row._mapping.items() if k not in _KEY_COLUMNS}
        for row in rows
    }
