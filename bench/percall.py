"""``python -m bench.percall``: the server's own CPU per call, whatever the machine does.

Throughput on a shared 2-core machine moves with everything else running on it; the
CPU time this process spends per call does much less. The app runs in this process and
is called as an ASGI application directly (no HTTP client, no socket), one call at a
time, so ``time.process_time`` per call is the server's Python for that call: request
path, use case, driver and reply. The database's own work is not in it.

    python -m bench.percall --database postgresql://postgres@127.0.0.1:5432/x --calls 2000
    python -m bench.percall --profile addRedeem     # cProfile of the measured calls

The database must be empty or a previous run's: the demo merchants are installed and
the gift cards it uses sold first.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from bench.database import kind as database_kind
from bench.database import maintain
from bench.load import (
    activate_add_body,
    add_redeem_body,
    auth_header,
    balance_inquiry_body,
    check_body,
    path,
)
from bench.wrk import database_cpu_seconds
from openpxs.app import create_app
from openpxs.demo import DEMO_CARD, install_demo
from openpxs.settings import Settings

CARDS = [f"6000000000000{n:03d}" for n in range(800, 864)]
OPERATIONS = ["balanceInquiry", "addRedeem", "postAndAccruePoints"]
# The result of a call that did what it was asked (the transaction service's, the
# check service's).
SUCCESS = ("authorizedSuccess", "success")
ASGI = Callable[..., Awaitable[None]]


class Caller:
    """Sends one request to an ASGI app and returns the status and the body."""

    def __init__(self, app: ASGI):
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1"),
            (b"authorization", auth_header().encode()),
            (b"content-type", b"application/json"),
        ]

    async def post(self, target: str, body: dict[str, Any]) -> tuple[int, bytes]:
        content = orjson.dumps(body)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": target,
            "raw_path": target.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [*self.headers, (b"content-length", str(len(content)).encode())],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8080),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def _lifespan(app: ASGI) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})

    async def run() -> None:
        await app({"type": "lifespan"}, inbox.get, outbox.put)

    task = asyncio.create_task(run())
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    return task, inbox


def _bodies(operation: str, n: int) -> tuple[str, Callable[[int], dict[str, Any]]]:
    card = CARDS[n % len(CARDS)]
    if operation == "balanceInquiry":
        return path(operation), lambda i: balance_inquiry_body("P", CARDS[i % len(CARDS)])
    if operation == "addRedeem":
        return path(operation), lambda i: add_redeem_body(
            "P", f"r{n}-{i}", CARDS[i % len(CARDS)], "1.00"
        )
    if operation == "postAndAccruePoints":
        # The demo guest's loyalty card earns points on every check.
        return path(operation, "check"), lambda i: check_body("P", f"c{n}-{i}", DEMO_CARD)
    raise SystemExit(f"unknown operation {operation} ({card})")


async def measure(url: str, operations: list[str], calls: int, profile: str | None) -> None:
    await install_demo(url)
    app = create_app(Settings(database_url=url, log_level="INFO"))
    task, inbox = await _lifespan(app)
    caller = Caller(app)
    run = time.time_ns()
    for number in CARDS:
        # Sold here, or by an earlier run: the calls below need only that it is.
        await caller.post(
            path("activateAdd"), activate_add_body("P", f"s{run}-{number}", number, "500.00")
        )
    for operation in operations:
        target, make = _bodies(operation, run)
        for i in range(50):  # warm: statements prepared, program loaded, caches filled
            await caller.post(target, make(i))
        # Statistics of the tables as they are now, as the full bench takes them: on a
        # database just made, with autovacuum off, the plans come from empty tables.
        await asyncio.to_thread(maintain, url)
        profiler = cProfile.Profile(time.process_time) if profile == operation else None
        cpu: list[float] = []
        # A SQLite database's work is this process's own, in ``cpu`` already.
        on_postgres = database_kind(url) == "postgresql"
        database_began = database_cpu_seconds() if on_postgres else 0.0
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(50, 50 + calls):
            body = make(i)
            c0 = time.process_time()
            status, reply = await caller.post(target, body)
            cpu.append(time.process_time() - c0)
            if status != 200 or orjson.loads(reply).get("result") not in SUCCESS:
                raise RuntimeError(f"{operation}: {status} {reply[:300]!r}")
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - began
        database = (database_cpu_seconds() - database_began) / calls if on_postgres else 0.0
        print(
            f"{operation}: CPU per call median {statistics.median(cpu) * 1e3:.3f} ms, "
            f"mean {statistics.fmean(cpu) * 1e3:.3f} ms; wall per call {wall / calls * 1e3:.3f} ms"
            + (f"; PostgreSQL's CPU per call {database * 1e3:.3f} ms" if database > 0 else "")
        )
        if profiler:
            stats = pstats.Stats(profiler)
            # Python function calls per call: a count, so it does not move with the
            # machine's load as the times do.
            total_calls: int = getattr(stats, "total_calls", 0)
            print(f"{operation}: {total_calls / calls:.0f} Python function calls per call")
            order = os.environ.get("PERCALL_SORT", "tottime")
            stats.sort_stats(order).print_stats(int(os.environ.get("PERCALL_LINES", "30")))
            # PERCALL_CALLERS=pattern: who calls the functions matching it.
            if os.environ.get("PERCALL_CALLERS"):
                stats.print_callers(os.environ["PERCALL_CALLERS"])
    await inbox.put({"type": "lifespan.shutdown"})
    await task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.percall", description=__doc__)
    parser.add_argument("--database", default="sqlite:///./percall.db")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--only", action="append", choices=OPERATIONS)
    parser.add_argument("--profile", choices=OPERATIONS)
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(
        measure(
            args.database, args.only or ["balanceInquiry", "addRedeem"], args.calls, args.profile
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
