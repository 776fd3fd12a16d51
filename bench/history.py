"""``python -m bench.history``: does a call cost more on a card with a long history?

One card is loaded ``--credits`` times (3,000 by default, each an addRedeem credit of
$0.01), another once; then balanceInquiry and addRedeem (a $0.01 redemption) are timed
on each, in turns, ``--calls`` times, one call at a time, in this process (the app under
a test client, so the figures are the server's own work plus a constant). Prints the
medians and the ratio history/fresh for each operation.

``--checks N``: the same for a posted check (postAndAccruePoints) on a loyalty card
that earned on N checks before, against one that earned on none; all N fall in the
demo program's tier window and in the running challenges' occurrences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench import database
from bench.load import (
    activate_add_body,
    add_redeem_body,
    auth_header,
    balance_inquiry_body,
    check_body,
    path,
)
from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.settings import Settings

LONG = "6000000000000901"  # demo gift cards, sold here
FRESH = "6000000000000902"
LONG_LOYAL = "7000000000000901"  # demo loyalty cards, activated here
FRESH_LOYAL = "7000000000000902"


def _post(client: TestClient, operation: str, body: dict[str, Any]) -> float:
    began = time.perf_counter()
    service = "check" if operation == "postAndAccruePoints" else "transaction"
    reply = client.post(
        path(operation, service),
        content=json.dumps(body),
        headers={"Authorization": auth_header(), "Content-Type": "application/json"},
    )
    took = time.perf_counter() - began
    data = reply.json()
    if reply.status_code != 200 or data.get("result") not in ("authorizedSuccess", "success"):
        raise RuntimeError(f"{operation} failed: {reply.text[:300]}")
    return took


def _in_turns(
    client: TestClient, operation: str, calls: int, long: str, fresh: str, body: Any
) -> dict[str, float]:
    """p50 of ``calls`` calls on each card, in turns; ``body(n, number)`` makes a call."""
    times: dict[str, list[float]] = {long: [], fresh: []}
    for n in range(calls):
        # Each card goes first every other time: neither gains from the other's warm
        # caches.
        for number in (long, fresh) if n % 2 == 0 else (fresh, long):
            times[number].append(_post(client, operation, body(n, number)))
    long_ms = statistics.median(times[long]) * 1000
    fresh_ms = statistics.median(times[fresh]) * 1000
    return {
        "history_p50_ms": round(long_ms, 3),
        "fresh_p50_ms": round(fresh_ms, 3),
        "ratio": round(long_ms / fresh_ms, 3),
    }


def _gift_call(operation: str) -> Any:
    def body(n: int, number: str) -> dict[str, Any]:
        if operation == "balanceInquiry":
            return balance_inquiry_body("H", number)
        made = add_redeem_body("H", f"spend-{n}-{number}", number, "0.01")
        made["addWalletContents"] = []
        return made

    return body


def measure_checks(
    url: str, client: TestClient, checks: int, calls: int, say: Any
) -> dict[str, float]:
    """A posted check on a loyalty card with ``checks`` checks behind it, and on a new one."""
    run = time.time_ns()
    for number in (LONG_LOYAL, FRESH_LOYAL):
        _post(client, "activateAdd", activate_add_body("H", f"sell-{run}-{number}", number, "1.00"))
    say(f"{checks} checks on {LONG_LOYAL}")
    for n in range(checks):
        _post(client, "postAndAccruePoints", check_body("H", f"past-{run}-{n}", LONG_LOYAL))
    # As autovacuum would have by now on a server that runs on.
    database.maintain(url)
    return _in_turns(
        client,
        "postAndAccruePoints",
        calls,
        LONG_LOYAL,
        FRESH_LOYAL,
        lambda n, number: check_body("H", f"timed-{run}-{n}-{number}", number),
    )


def measure(url: str, credits: int, calls: int, say: Any, checks: int = 0) -> dict[str, Any]:
    asyncio.run(install_demo(url))
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    figures: dict[str, Any] = {"credits": credits, "calls": calls}
    with TestClient(app) as client:
        for number in (LONG, FRESH):
            _post(client, "activateAdd", activate_add_body("H", f"sell-{number}", number, "50.00"))
        say(f"{credits} credits on {LONG}")
        began = time.perf_counter()
        for n in range(credits):
            body = add_redeem_body("H", f"credit-{n}", LONG, "0.01")
            body["redeemWalletContents"] = []
            _post(client, "addRedeem", body)
        figures["credits_s"] = round(time.perf_counter() - began, 2)
        for operation in ("balanceInquiry", "addRedeem"):
            figures[operation] = _in_turns(
                client, operation, calls, LONG, FRESH, _gift_call(operation)
            )
            say(f"{operation}: {figures[operation]}")
        if checks:
            figures["checks"] = checks
            figures["postAndAccruePoints"] = measure_checks(url, client, checks, calls, say)
            say(f"postAndAccruePoints: {figures['postAndAccruePoints']}")
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    p.add_argument("--database", help="postgresql://... or sqlite:///... (default: a new one)")
    p.add_argument("--sqlite", action="store_true", help="a new SQLite file instead")
    p.add_argument("--credits", type=int, default=3000)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--checks", type=int, default=0, help="checks behind the loyalty card")
    a = p.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    created = None
    url = a.database
    if url is None and a.sqlite:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='openpxs-history-')) / 'h.db'}"
    elif url is None:
        created = f"openpxs_bench_{os.getpid()}"
        url = database.create_postgres(created)
    try:
        figures = measure(url, a.credits, a.calls, say, a.checks)
    finally:
        if created is not None:
            database.drop_postgres(created)
    figures["database"] = database.kind(url)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
