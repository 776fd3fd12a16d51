"""The physical limit: pgbench running the SQL of one addRedeem on the same database."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.database import MERCHANT

# A marker no server transaction has: the journal rows pgbench writes are removed after.
MARKER_TRANSACTION = 0

SCRIPT = f"""\\set a random(:lo, :hi)
\\set delta 100 * random(-100, 100)
BEGIN;
UPDATE wallet_balances SET units = units + :delta WHERE merchant_id = {MERCHANT} AND account_id = :a AND wallet_code = 1 AND units + :delta >= 0;
INSERT INTO journal (merchant_id, transaction_id, account_id, wallet_code, lot_id, units, balance_after_units, created_at) VALUES ({MERCHANT}, {MARKER_TRANSACTION}, :a, 1, NULL, :delta, 0, now());
SELECT units FROM wallet_balances WHERE merchant_id = {MERCHANT} AND account_id = :a AND wallet_code = 1;
END;
"""  # noqa: E501


# balanceInquiry's physical limit: a one-row indexed SELECT of a balance.
SELECT_SCRIPT = f"""\\set a random(:lo, :hi)
SELECT units FROM wallet_balances WHERE merchant_id = {MERCHANT} AND account_id = :a AND wallet_code = 1;
"""  # noqa: E501


def script_for(operation: str | None) -> str:
    """The SQL an operation is compared with: a read for balanceInquiry, the SQL of
    one addRedeem for everything that moves value."""
    return SELECT_SCRIPT if operation == "balanceInquiry" else SCRIPT


def available() -> bool:
    return shutil.which("pgbench") is not None


def _connection_args(url: str) -> list[str]:
    u = make_url(url)
    # A Unix socket is named by the URL's host query parameter (libpq's convention).
    socket = u.query.get("host")
    host = socket if isinstance(socket, str) else u.host
    args = ["-h", host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return [*args, u.database or "postgres"]


def _psql(url: str, sql: str) -> str:
    done = subprocess.run(
        [
            "psql",
            str(make_url(url).render_as_string(hide_password=False)),
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def snapshot(url: str, lo: int, hi: int) -> None:
    """Keep the balances pgbench will move, so ``restore`` leaves the ledger as it was."""
    _psql(
        url,
        "DROP TABLE IF EXISTS bench_pgbench_snapshot; "
        "CREATE TABLE bench_pgbench_snapshot AS SELECT account_id, units FROM wallet_balances "
        f"WHERE merchant_id = {MERCHANT} AND wallet_code = 1 AND account_id BETWEEN {lo} AND {hi}",
    )


def restore(url: str) -> None:
    _psql(
        url,
        "BEGIN; UPDATE wallet_balances w SET units = s.units FROM bench_pgbench_snapshot s "
        f"WHERE w.merchant_id = {MERCHANT} AND w.wallet_code = 1 AND w.account_id = s.account_id; "
        f"DELETE FROM journal WHERE merchant_id = {MERCHANT} "
        f"AND transaction_id = {MARKER_TRANSACTION}; "
        "DROP TABLE bench_pgbench_snapshot; COMMIT",
    )
    # pgbench updated each balance row tens of times and inserted (now deleted) journal
    # rows by the ten thousand: without a vacuum the next load run reads through their
    # dead versions, and each run came out slower than the one before.
    _psql(url, "VACUUM (ANALYZE) wallet_balances, journal")


def run(
    url: str, clients: int, seconds: int, lo: int, hi: int, sql: str = SCRIPT
) -> dict[str, Any]:
    """One pgbench run of ``sql``; returns its TPS and mean latency."""
    with tempfile.TemporaryDirectory(prefix="openpxs-pgbench-") as tmp:
        script = Path(tmp) / "script.sql"
        script.write_text(sql)
        command = [
            "pgbench",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-n",
            "-M",
            "prepared",
            "-D",
            f"lo={lo}",
            "-D",
            f"hi={hi}",
            "-f",
            str(script),
            *_connection_args(url),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()}")
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench output:\n{done.stdout}")
    return {
        "tps": float(tps.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "failed": int(failed.group(1)) if failed else 0,
        "command": " ".join(command),
    }


def version() -> str:
    done = subprocess.run(["pgbench", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()
