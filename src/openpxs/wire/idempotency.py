"""Retry safety: a repeated call replays its first reply and moves nothing.

A call is keyed by its natural retry key (posTransactionId at a store, terminal and
card) and by an ``Idempotency-Key`` header if it sends one; the unit of work claims the
keys in the call's own transaction (``store.repositories.retry_keys``). Here: what
makes two calls "the same".
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import BaseModel

# Members that may differ between a call and its retry without changing its meaning.
VOLATILE_MEMBERS = frozenset({"authentication", "datetime"})


def _strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_volatile(v) for k, v in value.items() if k not in VOLATILE_MEMBERS}
    if isinstance(value, list):
        return [_strip_volatile(v) for v in value]
    return value


def fingerprint(path: str, request: BaseModel) -> str:
    canonical = orjson.dumps(
        [path, _strip_volatile(request.model_dump(mode="json", by_alias=True))],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(canonical).hexdigest()
