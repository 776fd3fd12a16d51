"""The served OpenAPI document, generated from the endpoint registry."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from openpxs.domain.errors import Reason
from openpxs.wire.auth import AUTH_FAILED, STYLE_REFUSED
from openpxs.wire.limits import TOO_LARGE, TOO_SLOW
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


def refusals_of(ep: Endpoint) -> list[dict[str, Any]]:
    """Every refusal the operation can answer: its code, message, result and status."""
    found: dict[tuple[str, int], dict[str, Any]] = {}

    def add(code: str, message: str, result: str = "failure", status: int = 200) -> None:
        found.setdefault(
            (code, status), {"code": code, "message": message, "result": result, "status": status}
        )

    for reason in ep.may_refuse:
        wire = ep.answers[reason]
        add(wire.code, wire.message, wire.result, wire.status)
    add(STYLE_REFUSED, "The authentication style is not allowed here")
    add(ep.service.code(Reason.INVALID_REQUEST), UNREADABLE, status=400)
    add(AUTH_FAILED, "Missing or wrong integration credentials", status=401)
    if "oauth" in ep.styles:
        add("invalid_token", "Invalid or expired access token", status=401)
    if ep.scope is not None:
        add("insufficient_scope", f"The access token lacks the {ep.scope} scope", status=403)
    add("system.system_error", "System error", status=500)
    add("system.unavailable", UNAVAILABLE, status=503)
    return sorted(found.values(), key=lambda r: (r["status"], r["code"]))


def _refusal_schema(ep: Endpoint, refusals: list[dict[str, Any]], status: int) -> dict[str, Any]:
    codes = sorted({r["code"] for r in refusals if r["status"] == status})
    return {"allOf": [FAILURE_REF, {"properties": {"errorCode": {"enum": codes}}}]}


def _transport_failure(code: str) -> dict[str, Any]:
    return {"allOf": [FAILURE_REF, {"properties": {"errorCode": {"enum": [code]}}}]}


def _refusal_text(refusals: list[dict[str, Any]]) -> str:
    lines = [
        f"- `{r['code']}` ({r['result']}): {r['message']}" for r in refusals if r["status"] == 200
    ]
    return "\n\nRefusals (HTTP 200):\n" + "\n".join(lines) if lines else ""


def _operation(ep: Endpoint, schemas: Schemas) -> dict[str, Any]:
    refusals = refusals_of(ep)
    statuses = {r["status"] for r in refusals}
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
        "description": ep.description
        + f"\n\nAuthentication styles: {', '.join(ep.styles)}."
        + _refusal_text(refusals),
        "parameters": [RELEASE_PARAM],
        "responses": {
            "200": _response(
                f"Business outcome: the reply with result {ep.service.success!r}, or a "
                "refusal (every non-success result carries errorCode and errorMessage)",
                {
                    "anyOf": [
                        schemas[(ep.reply, "serialization")],
                        _refusal_schema(ep, refusals, 200),
                    ]
                },
            ),
            "400": _response(UNREADABLE, _refusal_schema(ep, refusals, 400)),
            "401": _response(
                "Missing or wrong integration credentials, or (oauth) an invalid access token",
                _refusal_schema(ep, refusals, 401),
            ),
            "503": _response(UNAVAILABLE, _refusal_schema(ep, refusals, 503)),
        },
        "security": [{"integration": []}],
        # Every refusal with its result and status, for generated clients and docs.
        "x-refusals": refusals,
    }
    if 403 in statuses:
        op["responses"]["403"] = _response(
            "The access token does not carry the scope this operation needs",
            _refusal_schema(ep, refusals, 403),
        )
    if ep.method == "POST":
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[(ep.request, "validation")]}},
        }
        # Read no further than this (wire.limits); docs/security.md.
        op["x-body-limit"] = ep.body_limit
        op["responses"]["413"] = _response(
            f"The body is larger than {ep.body_limit:,} bytes (the connection is closed)",
            _transport_failure(TOO_LARGE),
        )
        op["responses"]["408"] = _response(
            "The body did not arrive within the body read timeout (the connection is closed)",
            _transport_failure(TOO_SLOW),
        )
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
