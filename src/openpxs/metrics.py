"""Prometheus metrics: calls by endpoint and result, and their latency.

With several worker processes (PROMETHEUS_MULTIPROC_DIR set before they start),
each process writes its samples to that directory and /metrics adds them up.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "openpxs_requests_total",
    "Calls served, by endpoint, result value and HTTP status",
    ["endpoint", "result", "status"],
)
LATENCY = Histogram(
    "openpxs_request_seconds",
    "Time to serve a call, by endpoint",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


# The labelled series already made: ``labels()`` validates and looks them up anew on
# every call, which costs more than the count itself.
_COUNTS: dict[tuple[str, str, int], Any] = {}
_LATENCIES: dict[str, Any] = {}


def observe(endpoint: str | None, result: str | None, status: int, seconds: float) -> None:
    # Only registered endpoints get their own label, so probing random paths cannot
    # grow the number of series without bound.
    name = endpoint or "unrouted"
    key = (name, result or "none", status)
    count = _COUNTS.get(key)
    if count is None:
        count = _COUNTS[key] = REQUESTS.labels(name, key[1], str(status))
    count.inc()
    latency = _LATENCIES.get(name)
    if latency is None:
        latency = _LATENCIES[name] = LATENCY.labels(name)
    latency.observe(seconds)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
