"""The served OpenAPI document, generated from the endpoint registry."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from openpxs.wire.registry import REGISTRY, Endpoint

PREFIX = "/rest/{release}/"
RELEASE_PARAM = {
    "name": "release",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{1,4}\.\d{1,4}$", "example": "24.11"},
    "description": "API release, e.g. 16.3 or 24.11 (also served under /api/rest/...)",
}
REF = "#/components/schemas/{model}"
# Every refusal, at any HTTP status: the envelope, plus whatever members the refusal adds.
FAILURE = {
    "type": "object",
    "description": "A refusal: result is not the service's success value",
    "required": ["result", "errorCode", "errorMessage"],
    "properties": {
        "result": {"type": "string"},
        "errorCode": {"type": "string"},
        "errorMessage": {"type": "string"},
    },
}
FAILURE_REF = {"$ref": REF.format(model="Refusal")}
UNREADABLE = (
    "The body is not a JSON object, or holds a number longer than 40 characters or with a "
    "decimal exponent beyond +/-40 (anywhere in the body, even in a member the endpoint "
    "ignores)"
)
UNAVAILABLE = "The database cannot be reached (errorCode system.unavailable)"
Schemas = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]


def _schemas(endpoints: list[Endpoint], components: dict[str, Any]) -> Schemas:
    """Request (validation) and reply (serialization) schemas of every endpoint at once.

    Generating them together lets pydantic name a model that differs between the two
    modes apart (``Expiration-Input`` / ``Expiration-Output``) instead of one silently
    replacing the other.
    """
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for ep in endpoints:
        for item in ((ep.request, "validation"), (ep.reply, "serialization")):
            if item not in inputs:
                inputs.append(item)
    refs, top = models_json_schema(inputs, ref_template=REF)
    components.update(top.get("$defs", {}))
    return dict(refs)  # type: ignore[arg-type]


def _response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(ep: Endpoint, schemas: Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        # A path served by two methods needs two operation ids; POST keeps the plain one.
        "operationId": f"{ep.service.name}.{ep.operation}"
        + (
            ""
            if ep.method == "POST" or len(REGISTRY.methods(ep.service.name, ep.operation)) == 1
            else f".{ep.method.lower()}"
        ),
        "tags": [ep.service.title],
        "summary": ep.summary,
        "description": ep.description + f"\n\nAuthentication styles: {', '.join(ep.styles)}.",
        "parameters": [RELEASE_PARAM],
        "responses": {
            "200": _response(
                f"Business outcome: the reply with result {ep.service.success!r}, or a "
                "refusal (every non-success result carries errorCode and errorMessage)",
                {"anyOf": [schemas[(ep.reply, "serialization")], FAILURE_REF]},
            ),
            "400": _response(UNREADABLE, FAILURE_REF),
            "401": _response("Missing or wrong integration credentials", FAILURE_REF),
            "503": _response(UNAVAILABLE, FAILURE_REF),
        },
        "security": [{"integration": []}],
    }
    if ep.method == "POST":
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[(ep.request, "validation")]}},
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
    endpoints = REGISTRY.all()
    schemas = _schemas(endpoints, components)
    components["Refusal"] = FAILURE
    paths: dict[str, Any] = {}
    for ep in endpoints:
        paths.setdefault(PREFIX + ep.path, {})[ep.method.lower()] = _operation(ep, schemas)
    paths["/health"] = {
        "get": {
            "summary": "Liveness",
            "operationId": "health",
            "responses": {
                "200": _response(
                    "Up",
                    {
                        "type": "object",
                        "required": ["result", "status"],
                        "properties": {
                            "result": {"const": "success"},
                            "status": {"const": "ok"},
                        },
                    },
                ),
            },
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
