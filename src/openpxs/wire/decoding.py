"""Request bodies and query strings into plain parameter dicts."""

from __future__ import annotations

import json
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


def member_with_nul(value: Any, path: str = "") -> str | None:
    """The first member whose text holds a NUL character, which no database stores."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return where
            found = member_with_nul(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = member_with_nul(item, f"{path}[{index}]")
            if found:
                return found
    return None
