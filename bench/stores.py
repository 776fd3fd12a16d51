"""``python -m bench.stores``: the store locator at 10,000 stores.

Merchant 1000's program is applied with ``--stores`` stores (10,000 by default) spread
evenly at random (fixed seed) over the continental United States, half of them in a
store group; then ``--calls`` nearbyLocations searches around random points (10 miles,
15 stores; every fourth limited to the group) are timed one at a time, in this process
(the app under a test client, so the figures are the server's own work plus a
constant). Prints the median and the 95th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench import database
from openpxs.app import create_app
from openpxs.config import DEMO_CONFIG_FILES, load_config
from openpxs.config.model import MerchantConfig, StoreConfig
from openpxs.config.places import StoreGroupConfig
from openpxs.demo import install_demo
from openpxs.settings import Settings
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine

# The continental United States, roughly.
SOUTH, NORTH, WEST, EAST = 25.0, 49.0, -124.0, -67.0
APP = ("demo-app", "demo-app-secret")
PATH = "/rest/24.11/store/nearbyLocations.json"


def with_stores(count: int, seed: int) -> MerchantConfig:
    base = load_config(DEMO_CONFIG_FILES[0])
    rng = random.Random(seed)
    stores = [
        StoreConfig(
            code=f"S{n:05d}",
            name=f"Store {n}",
            latitude=round(rng.uniform(SOUTH, NORTH), 6),
            longitude=round(rng.uniform(WEST, EAST), 6),
            groups=["even" if n % 2 == 0 else "odd"],
        )
        for n in range(count)
    ]
    places = base.places.model_copy(
        update={"store_groups": [StoreGroupConfig(code=1, name="even")]}
    )
    return base.model_copy(update={"stores": [*base.stores, *stores], "places": places})


async def _apply(url: str, config: MerchantConfig) -> float:
    engine = create_engine(url)
    began = time.perf_counter()
    try:
        async with engine.begin() as conn:
            await apply_config(conn, config, datetime.now(UTC))
    finally:
        await engine.dispose()
    return time.perf_counter() - began


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


def measure(url: str, count: int, calls: int, say: Any) -> dict[str, Any]:
    asyncio.run(install_demo(url))
    say(f"applying {count} stores")
    figures: dict[str, Any] = {"stores": count, "calls": calls}
    figures["apply_s"] = round(asyncio.run(_apply(url, with_stores(count, seed=15))), 2)
    rng = random.Random(7)
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    times: list[float] = []
    found: list[int] = []
    with TestClient(app) as client:
        for n in range(calls + 20):
            params: dict[str, Any] = {
                "authentication": "anonymous",
                "merchantId": 1000,
                "latitude": f"{rng.uniform(SOUTH, NORTH):.6f}",
                "longitude": f"{rng.uniform(WEST, EAST):.6f}",
                "maxDistance": "10",
                "maxLocations": "15",
            }
            if n % 4 == 0:
                params["storeGroupCode"] = "1"
            began = time.perf_counter()
            reply = client.get(PATH, params=params, auth=APP)
            took = time.perf_counter() - began
            data = reply.json()
            if data.get("result") != "success":
                raise RuntimeError(reply.text[:300])
            if n >= 20:  # the first calls warm the caches and prepare statements
                times.append(took)
                found.append(len(data["locations"]))
    figures["nearbyLocations"] = _percentiles(times)
    figures["mean_found"] = round(statistics.mean(found), 2)
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__)
    p.add_argument("--database", help="postgresql://... or sqlite:///... (default: a new one)")
    p.add_argument("--sqlite", action="store_true", help="a new SQLite file instead")
    p.add_argument("--stores", type=int, default=10_000)
    p.add_argument("--calls", type=int, default=200)
    a = p.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    created = None
    url = a.database
    if url is None and a.sqlite:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='openpxs-stores-')) / 's.db'}"
    elif url is None:
        created = f"openpxs_bench_{os.getpid()}"
        url = database.create_postgres(created)
    try:
        figures = measure(url, a.stores, a.calls, say)
    finally:
        if created is not None:
            database.drop_postgres(created)
    figures["database"] = database.kind(url)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
