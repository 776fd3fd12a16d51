"""Request bodies and query strings into plain parameter dicts."""

from __future__ import annotations

import json
import re
import typing
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import QueryParams


class UnparseableBody(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# Every number a JSON library prints from a double fits these (at most 24 characters,
# exponents within +-324); numbers beyond them are refused at parse time, so a tiny
# body cannot cost seconds of arithmetic later, wherever the number sits.
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 400


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    value = Decimal(text)
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError("number out of range")
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    return int(text)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object of a POST body; numbers with a fraction become exact Decimals."""
    if not body.strip():
        return {}
    try:
        value = json.loads(
            body, parse_float=_decimal, parse_int=_int, parse_constant=_refuse_constant
        )
    except (ValueError, RecursionError) as exc:
        raise UnparseableBody(
            "The request body is not valid JSON (or holds a number out of range)"
        ) from exc
    if not isinstance(value, dict):
        raise UnparseableBody("The request body must be a JSON object")
    return value


@cache
def list_fields(model: type[BaseModel]) -> frozenset[str]:
    """Members of a request model that are lists, i.e. repeated query parameters."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        origins = {typing.get_origin(annotation)} | {
            typing.get_origin(arg) for arg in typing.get_args(annotation)
        }
        if list in origins:
            names.add(info.alias or name)
    return frozenset(names)


def query_parameters(query: QueryParams, model: type[BaseModel]) -> dict[str, Any]:
    repeated = list_fields(model)
    params: dict[str, Any] = {}
    for key in query:
        params[key] = query.getlist(key) if key in repeated else query[key]
    return params


# How deep objects and lists may nest, and how many members one object may hold. No
# PXS request comes near either (headerInfo is two levels deep); free-form members
# such as receiptSettings or rewardSelectionMode are kept and fingerprinted, so
# without a bound a small body nested a few hundred deep ran out of stack there.
MAX_DEPTH = 32
MAX_OBJECT_MEMBERS = 256
# A UTF-16 surrogate on its own: JSON can spell one ("\ud800") but no UTF-8 text holds
# it, so the database driver would fail on it long after validation.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def surely_fit(body: bytes) -> bool:
    """True when a JSON body cannot hold anything ``unfit_member`` refuses, which byte
    scans in C tell faster than walking the parsed value (the hot POS calls' case).

    A UTF-8 body (no zero byte, which UTF-16 and UTF-32 bodies have) with no escape
    (``\\u``) and no byte that starts an encoded surrogate (0xED) holds no NUL and no
    lone surrogate (the parser refuses raw control characters); fewer
    brackets than the depth limit means no deeper nesting, and fewer colons than the
    member limit no larger object. Any of them in strings only over-counts, which
    sends the body to the exact walk."""
    return (
        b"\x00" not in body
        and b"\\u" not in body
        and b"\xed" not in body
        and body.count(b"{") + body.count(b"[") < MAX_DEPTH
        and body.count(b":") <= MAX_OBJECT_MEMBERS
    )


def unfit_member(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Why the parameters cannot be taken, naming the member as the client spelled it:
    text no database stores (NUL, a lone surrogate) in a value or a name, nesting
    deeper than MAX_DEPTH, or an object of more than MAX_OBJECT_MEMBERS members."""
    if isinstance(value, str):
        return _unfit_text(value, path or "body")
    if not isinstance(value, (dict, list)):
        return None
    where = path or "body"
    if depth >= MAX_DEPTH:
        return f"{where} is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, dict):
        if len(value) > MAX_OBJECT_MEMBERS:
            return f"{where} has more than {MAX_OBJECT_MEMBERS} members"
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found = _unfit_text(str(key), f"a member name in {where}") or unfit_member(
                item, inner, depth + 1
            )
            if found:
                return found
        return None
    for index, item in enumerate(value):
        found = unfit_member(item, f"{path}[{index}]", depth + 1)
        if found:
            return found
    return None


def _unfit_text(text: str, where: str) -> str | None:
    if "\x00" in text:
        return f"{where} contains a NUL character"
    if LONE_SURROGATE.search(text):
        return f"{where} contains an unpaired UTF-16 surrogate"
    return None
