"""The served OpenAPI document, generated from the endpoint registry."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from openpxs.wire.registry import REGISTRY, Endpoint

PREFIX = "/rest/{release}/"
RELEASE_PARAM = {
    "name": "release",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{1,4}\.\d{1,4}$", "example": "24.11"},
    "description": "API release, e.g. 16.3 or 24.11 (also served under /api/rest/...)",
}
ENVELOPE = {
    "type": "object",
    "required": ["result", "errorCode", "errorMessage"],
    "properties": {
        "result": {"type": "string"},
        "errorCode": {"type": "string"},
        "errorMessage": {"type": "string"},
    },
}


def _schema(model: type[BaseModel], mode: str, components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__ + ("" if mode == "validation" else "Reply")] = schema
    return {
        "$ref": f"#/components/schemas/{model.__name__}{'' if mode == 'validation' else 'Reply'}"
    }


def _operation(ep: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{ep.service.name}.{ep.operation}",
        "tags": [ep.service.title],
        "summary": ep.summary,
        "description": ep.description + f"\n\nAuthentication styles: {', '.join(ep.styles)}.",
        "parameters": [RELEASE_PARAM],
        "responses": {
            "200": {
                "description": f"Business outcome; result {ep.service.success!r} on success",
                "content": {
                    "application/json": {"schema": _schema(ep.reply, "serialization", components)}
                },
            },
            "400": {
                "description": "Body is not JSON",
                "content": {"application/json": {"schema": ENVELOPE}},
            },
            "401": {
                "description": "Missing or wrong integration credentials",
                "content": {"application/json": {"schema": ENVELOPE}},
            },
        },
        "security": [{"integration": []}],
    }
    if ep.method == "POST":
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": _schema(ep.request, "validation", components)}
            },
        }
    else:
        for name, info in ep.request.model_fields.items():
            op["parameters"].append(
                {
                    "name": info.alias or name,
                    "in": "query",
                    "required": info.is_required(),
                    "schema": {"type": "string"},
                }
            )
    return op


@cache
def openapi_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for ep in REGISTRY.all():
        paths.setdefault(PREFIX + ep.path, {})[ep.method.lower()] = _operation(ep, components)
    paths["/health"] = {
        "get": {
            "summary": "Liveness",
            "operationId": "health",
            "responses": {"200": {"description": "Up"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenPXS",
            "version": "0.1.0",
            "description": "PXS-compatible REST API. Every reply carries `result`; failures "
            "carry `errorCode` and `errorMessage`. Decimals are JSON strings.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"integration": {"type": "http", "scheme": "basic"}},
        },
    }
