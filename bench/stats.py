"""Percentiles, min/median/max summaries and the text table."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def latency_summary(seconds: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    values = sorted(seconds)
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 0.50) * 1000, 3),
        "p95_ms": round(percentile(values, 0.95) * 1000, 3),
        "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        "max_ms": round((values[-1] if values else 0.0) * 1000, 3),
    }


def spread(values: Sequence[float]) -> dict[str, Any]:
    """min/median/max of one figure measured over several runs."""
    if not values:
        return {"min": None, "median": None, "max": None, "values": []}
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "values": [round(v, 3) for v in values],
    }


def fmt(figure: dict[str, Any] | None) -> str:
    """``median (min-max)`` of a spread, or ``-``."""
    if not figure or figure.get("median") is None:
        return "-"
    if figure["min"] == figure["max"]:
        return f"{figure['median']:g}"
    return f"{figure['median']:g} ({figure['min']:g}-{figure['max']:g})"


def table(rows: list[tuple[str, str]]) -> str:
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)
