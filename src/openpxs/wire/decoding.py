"""Request bodies and query strings into plain parameter dicts."""

from __future__ import annotations

import json
import typing
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import QueryParams

from openpxs.wire.envelope import ServiceFailure


class UnparseableBody(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object of a POST body; numbers with a fraction become exact Decimals."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise UnparseableBody("The request body is not valid JSON") from exc
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


def bad_body(message: str, code: str) -> ServiceFailure:
    return ServiceFailure(code, message, status=400)
