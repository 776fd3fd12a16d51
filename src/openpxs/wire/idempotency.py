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


_CONTAINERS = (dict, list)


def _strip_volatile(value: Any) -> Any:
    # A dump in JSON mode holds only plain dicts, lists and scalars: exact type tests,
    # and no call for a scalar, keep this cheap on every value-moving call.
    if type(value) is dict:
        return {
            k: _strip_volatile(v) if type(v) in _CONTAINERS else v
            for k, v in value.items()
            if k not in VOLATILE_MEMBERS
        }
    return [_strip_volatile(v) if type(v) in _CONTAINERS else v for v in value]


def fingerprint(path: str, request: BaseModel) -> str:
    canonical = orjson.dumps(
        [path, _strip_volatile(request.model_dump(mode="json", by_alias=True))],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(canonical).hexdigest()
