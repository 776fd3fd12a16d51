"""Timing the operator console's guest search at a large population.

``python -m bench.console_search`` makes its own database (PostgreSQL by default,
``--database URL`` for yours or SQLite), installs the demo, issues ``--scale`` cards
with ``openpxs cards generate``, activates them and registers a guest on each account
with set-based SQL (a name, an e-mail, a phone), starts ``openpxs serve``, signs in to
the console as the demo owner and times ``--searches`` searches of each kind (card
number, account id, e-mail, phone, name) through ``GET /console/guests?q=``, each
checked to list the account it looked for. It prints p50 / p99 / max per kind with the
load average and writes the report as JSON (``--output``, or
``bench/results/console-search-<UTC time>.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, text

from bench import database
from bench.server import Server
from bench.stats import latency_summary
from openpxs.demo import DEMO_OPERATORS
from openpxs.store.db import create_engine
from openpxs.store.tables import UTCDateTime

START = 6100001000000001  # the searched population's card numbers
KINDS = ("card", "account", "email", "phone", "name")
# Ten guests share each last name, as families and common names do.
NAMESAKES = 10
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Options:
    database: str | None
    scale: int
    searches: int
    output: Path | None
    keep: bool
    quiet: bool


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench.console_search", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--database", help="use this database (default: a fresh PostgreSQL one)")
    p.add_argument("--scale", type=int, default=1_000_000, help="accounts with guests")
    p.add_argument("--searches", type=int, default=200, help="searches of each kind")
    p.add_argument("--output", type=Path, help="the JSON report's path")
    p.add_argument("--keep", action="store_true", help="keep the database made for the run")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = p.parse_args(argv)
    return Options(a.database, a.scale, a.searches, a.output, a.keep, a.quiet)


# One registered guest on each account of the activated range (bench_guests: the
# accounts in card order, rn from 1). Columns and indexes as enrollment leaves them.
_GUESTS = """INSERT INTO users (merchant_id, id, account_id, first_name, last_name, email,
        phone, username, email_verified, sms_opt_in_verified, created_at, updated_at)
    SELECT :m, :u0 + rn, account_id, 'Guest',
        'Family' || CAST((rn - 1) / :namesakes AS VARCHAR(20)),
        'guest' || CAST(rn AS VARCHAR(20)) || '@bench.example',
        CAST(:phone0 + rn AS VARCHAR(20)),
        'guest' || CAST(rn AS VARCHAR(20)) || '@bench.example', :f, :f, :now, :now
    FROM bench_guests"""


def register_guests(url: str, start: int, count: int) -> float:
    """A guest on each active account of the card range; returns seconds taken."""
    lo, hi = f"{start:016d}", f"{start + count - 1:016d}"

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("DROP TABLE IF EXISTS bench_guests"))
                await conn.execute(
                    text(
                        "CREATE TEMPORARY TABLE bench_guests AS "
                        "SELECT account_id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM cards "
                        "WHERE merchant_id = :m AND status = 'active' "
                        "AND printed_card_number BETWEEN :lo AND :hi"
                    ),
                    {"m": database.MERCHANT, "lo": lo, "hi": hi},
                )
                u0 = int(await conn.scalar(text("SELECT coalesce(max(id), 0) FROM users")) or 0)
                query = text(_GUESTS).bindparams(bindparam("now", type_=UTCDateTime()))
                await conn.execute(
                    query,
                    {
                        "m": database.MERCHANT,
                        "u0": u0,
                        "namesakes": NAMESAKES,
                        "phone0": 6170000000,
                        "f": False,
                        "now": datetime.now(UTC),
                    },
                )
                await conn.execute(text("DROP TABLE bench_guests"))
                if conn.dialect.name == "postgresql":
                    await conn.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence('users', 'id'), "
                            "(SELECT max(id) FROM users))"
                        )
                    )
            if engine.dialect.name == "postgresql":
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("ANALYZE"))
        finally:
            await engine.dispose()

    began = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - began


@dataclass(frozen=True)
class Guest:
    account_id: int
    card: str
    email: str
    phone: str
    name: str


def sample(url: str, count: int) -> list[Guest]:
    """``count`` guests of the range, chosen at random by the database."""

    async def run() -> list[Guest]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        text(
                            "SELECT u.account_id, c.printed_card_number, u.email, u.phone, "
                            "u.first_name, u.last_name FROM users u JOIN cards c "
                            "ON c.merchant_id = u.merchant_id AND c.account_id = u.account_id "
                            "WHERE u.merchant_id = :m AND u.email LIKE '%@bench.example' "
                            "ORDER BY random() LIMIT :n"
                        ),
                        {"m": database.MERCHANT, "n": count},
                    )
                ).all()
        finally:
            await engine.dispose()
        return [Guest(r[0], r[1], r[2], r[3], f"{r[4]} {r[5]}") for r in rows]

    return asyncio.run(run())


def signed_in_client(base_url: str) -> httpx.Client:
    email, password, _role = DEMO_OPERATORS[0]
    client = httpx.Client(base_url=base_url, timeout=30.0)
    token = _CSRF.search(client.get("/console/signin").text)
    assert token, "no CSRF token on the sign-in page"
    form = {"csrf_token": token.group(1), "merchant": "1000", "email": email}
    reply = client.post("/console/signin", data={**form, "password": password, "code": ""})
    if reply.status_code != 303:
        raise RuntimeError(f"signing in answered {reply.status_code}")
    return client


def query_of(guest: Guest, kind: str) -> str:
    return {
        "card": guest.card,
        "account": str(guest.account_id),
        "email": guest.email.upper(),  # the search ignores case
        "phone": f"({guest.phone[:3]}) {guest.phone[3:6]}-{guest.phone[6:]}",
        "name": guest.name,
    }[kind]


def time_searches(client: httpx.Client, guests: list[Guest]) -> dict[str, Any]:
    """Each kind in turn over the same guests; a search must list its guest."""
    results: dict[str, Any] = {}
    for kind in KINDS:
        seconds: list[float] = []
        wrong = 0
        for guest in guests:
            began = time.perf_counter()
            reply = client.get("/console/guests", params={"q": query_of(guest, kind)})
            seconds.append(time.perf_counter() - began)
            if reply.status_code != 200 or f'/console/guests/{guest.account_id}"' not in reply.text:
                wrong += 1
        results[kind] = {**latency_summary(seconds), "searches": len(seconds), "wrong": wrong}
    return results


def text_report(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"console search, {meta['accounts']:,} accounts with guests on {meta['database']}, "
        f"load average {meta['load_before']} before, {meta['load_after']} after",
        f"{'kind':<8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'wrong':>6}",
    ]
    for kind, figures in report["searches"].items():
        lines.append(
            f"{kind:<8} {figures['p50_ms']:>8} {figures['p99_ms']:>8} "
            f"{figures['max_ms']:>8} {figures['wrong']:>6}"
        )
    return "\n".join(lines)


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def run(o: Options) -> dict[str, Any]:
    def say(message: str) -> None:
        if not o.quiet:
            print(f"[console_search] {message}", file=sys.stderr, flush=True)

    made = None
    url = o.database
    if url is None:
        made = f"openpxs_bench_console_{os.getpid()}"
        url = database.create_postgres(made)
    setup: dict[str, float] = {}
    try:
        say("installing the demo")
        database.install(url)
        say(f"openpxs cards generate {o.scale}")
        setup["generate_s"] = round(database.generate_cards(url, START, o.scale), 1)
        say("activating and registering guests with set-based SQL")
        activated = database.activate_by_sql(url, START, o.scale)
        setup["activate_s"] = round(activated.seconds, 1)
        setup["register_s"] = round(register_guests(url, START, o.scale), 1)
        guests = sample(url, o.searches)
        with tempfile.TemporaryDirectory() as logs:
            server = Server(url, Path(logs) / "server.log", workers=1)
            server.start()
            try:
                load_before = _load()
                client = signed_in_client(server.base_url)
                try:
                    say(f"timing {o.searches} searches of each kind")
                    searches = time_searches(client, guests)
                finally:
                    client.close()
                load_after = _load()
            finally:
                server.stop()
        return {
            "meta": {
                "database": database.kind(url),
                "accounts": activated.accounts,
                "searches_per_kind": len(guests),
                "load_before": load_before,
                "load_after": load_after,
                "cores": os.cpu_count(),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            "setup": setup,
            "searches": searches,
        }
    finally:
        if made is not None and not o.keep:
            database.drop_postgres(made)


def main(argv: list[str] | None = None) -> int:
    o = parse(argv)
    report = run(o)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = o.output or Path("bench/results") / f"console-search-{stamp}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(text_report(report))
    wrong = sum(figures["wrong"] for figures in report["searches"].values())
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
