"""The benchmark's own database: create, fill, scale up, drop."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url

from openpxs.demo import install_demo
from openpxs.store.db import create_engine
from openpxs.store.tables import UTCDateTime

MERCHANT = 1000
TEMPLATE = 2
LOYALTY_TEMPLATE = 1
REGISTRATION_CODE = "1234"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def openpxs_command() -> list[str]:
    """The installed ``openpxs`` next to this interpreter (the project venv)."""
    import sys

    found = Path(sys.executable).parent / "openpxs"
    return [str(found)] if found.exists() else [sys.executable, "-m", "openpxs.cli"]


def kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def database_name(url: str) -> str:
    return make_url(url).database or ""


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def create_postgres(name: str, admin_url: str = ADMIN_URL) -> str:
    _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(admin_url, f'CREATE DATABASE "{name}"')
    return str(make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def drop_postgres(name: str, admin_url: str = ADMIN_URL) -> None:
    _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def maintain(url: str) -> None:
    """Vacuum and analyze a PostgreSQL database, as autovacuum does on a server that
    runs on (the bench's machine may run with it off): plans made from the statistics
    of nearly empty tables, and the dead rows of the runs before, would be measured
    otherwise."""
    if kind(url) == "postgresql":
        _psql(url.replace("+asyncpg", ""), "VACUUM (ANALYZE)")


def install(url: str) -> None:
    asyncio.run(install_demo(url))


def generate_cards(url: str, start: int, count: int, template: int = TEMPLATE) -> float:
    """``openpxs cards generate`` for merchant 1000 (gift cards unless ``template`` says
    otherwise); returns seconds taken."""
    began = time.perf_counter()
    subprocess.run(
        [
            *openpxs_command(),
            "cards",
            "generate",
            "--merchant",
            str(MERCHANT),
            "--template",
            str(template),
            "--start",
            f"{start:016d}",
            "--count",
            str(count),
            "--registration-code",
            REGISTRATION_CODE,
            "--database",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OPENPXS_LOG_LEVEL": "WARNING"},
    )
    return time.perf_counter() - began


def audit(url: str) -> dict[str, Any]:
    began = time.perf_counter()
    done = subprocess.run(
        [*openpxs_command(), "audit", "--database", url],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENPXS_LOG_LEVEL": "WARNING"},
    )
    return {
        "clean": done.returncode == 0,
        "seconds": round(time.perf_counter() - began, 3),
        "output": (done.stdout + done.stderr).strip()[-2000:],
    }


async def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await engine.dispose()


def scalar(url: str, sql: str, **params: Any) -> Any:
    return asyncio.run(_scalar(url, sql, **params))


def account_ids_of(url: str, start: int, count: int) -> tuple[int, int, int]:
    """(min, max, count) of the account ids of active cards in a number range."""
    lo, hi = f"{start:016d}", f"{start + count - 1:016d}"

    async def run() -> tuple[int, int, int]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        text(
                            "SELECT min(account_id), max(account_id), count(account_id) "
                            "FROM cards WHERE merchant_id = :m AND status = 'active' "
                            "AND printed_card_number BETWEEN :lo AND :hi"
                        ),
                        {"m": MERCHANT, "lo": lo, "hi": hi},
                    )
                ).one()
                return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
        finally:
            await engine.dispose()

    return asyncio.run(run())


# The rows one activateAdd of a gift card leaves behind (see services/pos.py and
# store/records.py, store/ledger.py): an active account, the card active on it, one
# activateAdd transaction with the card change it made, one lot, one journal row, one
# wallet balance. Ids are taken above each table's current maximum, in card id order.
_SCALE_STATEMENTS = (
    """INSERT INTO accounts (merchant_id, id, template_code, status, created_at)
       SELECT :m, :a0 + rn, :template, 'active', :now FROM bench_scale""",
    """INSERT INTO transactions (merchant_id, id, kind, account_id, card_number, store_code,
           terminal_id, operator_id, pos_transaction_id, pos_datetime, created_at,
           contents_hash, target_id, undone_by_id, comment, integration_id)
       SELECT :m, :t0 + rn, 'activateAdd', NULL, num, '1001', 'bench-scale', '0', NULL, NULL,
           :now, :hash, NULL, NULL, NULL, :integration FROM bench_scale""",
    """INSERT INTO transaction_cards (merchant_id, id, transaction_id, card_id, account_id,
           from_status, to_status)
       SELECT :m, :tc0 + rn, :t0 + rn, card_id, :a0 + rn, 'inactive', 'active'
       FROM bench_scale""",
    """INSERT INTO lots (merchant_id, id, account_id, wallet_code, remaining_units,
           expires_on, expires_at, transaction_id)
       SELECT :m, :l0 + rn, :a0 + rn, 1, :units, NULL, NULL, :t0 + rn FROM bench_scale""",
    """INSERT INTO journal (merchant_id, id, transaction_id, account_id, wallet_code, lot_id,
           units, balance_after_units, created_at)
       SELECT :m, :j0 + rn, :t0 + rn, :a0 + rn, 1, :l0 + rn, :units, :units, :now
       FROM bench_scale""",
    """INSERT INTO wallet_balances (merchant_id, account_id, wallet_code, units)
       SELECT :m, :a0 + rn, 1, :units FROM bench_scale""",
    """UPDATE cards SET status = 'active', account_id = :a0 + s.rn, activated_at = :now
       FROM bench_scale s WHERE cards.id = s.card_id""",
)
_SEQUENCED = ("accounts", "transactions", "transaction_cards", "lots", "journal")


@dataclass(frozen=True)
class ScaleResult:
    accounts: int
    seconds: float


def activate_by_sql(url: str, start: int, count: int, units: int = 250_000) -> ScaleResult:
    """Activate the inactive cards of a range with set-based SQL, as activateAdd would."""
    lo, hi = f"{start:016d}", f"{start + count - 1:016d}"
    contents = hashlib.sha256(f"a1:{units}".encode()).hexdigest()

    async def run() -> int:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("DROP TABLE IF EXISTS bench_scale"))
                await conn.execute(
                    text(
                        "CREATE TEMPORARY TABLE bench_scale AS "
                        "SELECT id AS card_id, printed_card_number AS num, "
                        "ROW_NUMBER() OVER (ORDER BY id) AS rn FROM cards "
                        "WHERE merchant_id = :m AND status = 'inactive' "
                        "AND printed_card_number BETWEEN :lo AND :hi"
                    ),
                    {"m": MERCHANT, "lo": lo, "hi": hi},
                )
                made = int(await conn.scalar(text("SELECT count(*) FROM bench_scale")) or 0)
                offsets: dict[str, Any] = {}
                for table, key in zip(_SEQUENCED, ("a0", "t0", "tc0", "l0", "j0"), strict=True):
                    offsets[key] = int(
                        await conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0
                    )
                integration = await conn.scalar(
                    text("SELECT id FROM integrations WHERE identifier = 'demo-pos'")
                )
                params = {
                    "m": MERCHANT,
                    "template": TEMPLATE,
                    "units": units,
                    "hash": contents,
                    "integration": integration,
                    **offsets,
                }
                now = datetime.now(UTC)
                for statement in _SCALE_STATEMENTS:
                    query = text(statement)
                    used = {k: v for k, v in params.items() if f":{k}" in statement}
                    if ":now" in statement:
                        query = query.bindparams(bindparam("now", type_=UTCDateTime()))
                        used["now"] = now
                    await conn.execute(query, used)
                if conn.dialect.name == "postgresql":
                    for table in _SEQUENCED:
                        await conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"
                            )
                        )
                await conn.execute(text("DROP TABLE bench_scale"))
            if engine.dialect.name == "postgresql":
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("ANALYZE"))
            return made
        finally:
            await engine.dispose()

    began = time.perf_counter()
    made = asyncio.run(run())
    return ScaleResult(made, time.perf_counter() - began)
