"""The served OpenAPI document, generated from the endpoint registry."""

from __future__ import annotations

import inspect
import json
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from openpxs.domain.errors import Reason
from openpxs.wire.auth import AUTH_FAILED, STYLE_REFUSED
from openpxs.wire.examples import Step, examples_of
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
        "result": {
            "type": "string",
            "description": "What kind of refusal: failure, or the service's own value "
            "(userDataError, invalid_status, ...)",
        },
        "errorCode": {
            "type": "string",
            "description": "The refusal's code (the operation's description lists them)",
        },
        "errorMessage": {"type": "string", "description": "The refusal in words"},
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


@cache
def field_notes() -> dict[str, Any]:
    """Descriptions of every model and member, taken from the PXS contract's notes.

    Written by tools/field_notes.py into the package, so the reference needs no copy of
    the contract at run time. Keyed by the model's module and name.
    """
    text = files("openpxs.api").joinpath("field_notes.json").read_text(encoding="utf-8")
    notes: dict[str, Any] = json.loads(text)
    return notes


def _notes_of(model: type[BaseModel]) -> dict[str, Any]:
    notes: dict[str, Any] = field_notes().get(f"{model.__module__}.{model.__qualname__}", {})
    return notes


class _Described(GenerateJsonSchema):
    """Pydantic's schemas, with the contract's description of each model and member
    wherever the model itself gives none (a docstring or a Field description wins)."""

    def model_schema(self, schema: core_schema.ModelSchema) -> dict[str, Any]:
        json_schema = super().model_schema(schema)
        notes = _notes_of(schema["cls"])
        if notes.get("description") and not json_schema.get("description"):
            json_schema["description"] = notes["description"]
        members = notes.get("fields", {})
        for name, member in json_schema.get("properties", {}).items():
            if name in members and not member.get("description"):
                member["description"] = members[name]
        return json_schema


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
    refs, top = models_json_schema(inputs, ref_template=REF, schema_generator=_Described)
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


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _refusal_table(refusals: list[dict[str, Any]]) -> str:
    """Every refusal as a Markdown table, which Swagger UI and ReDoc both render."""
    rows = [
        f"| {r['status']} | `{r['code']}` | {_cell(r['result'])} | {_cell(r['message'])} |"
        for r in refusals
    ]
    return (
        "\n\n**Refusals** (every one carries `result`, `errorCode` and `errorMessage`):\n\n"
        "| HTTP | errorCode | result | errorMessage |\n"
        "| --- | --- | --- | --- |\n" + "\n".join(rows)
    )


def _codes(refusals: list[dict[str, Any]], status: int) -> str:
    codes = sorted({r["code"] for r in refusals if r["status"] == status})
    return ", ".join(f"`{code}`" for code in codes)


# What each HTTP status of a refusal means, before the codes it lists.
STATUS_MEANING = {
    400: UNREADABLE,
    401: "Missing or wrong integration credentials, or (oauth) an invalid access token",
    403: "The access token does not carry the scope this operation needs",
    500: "An unexpected fault (logged by the server)",
    503: UNAVAILABLE,
}


def _reply_examples(examples: list[Step]) -> dict[str, dict[str, Any]]:
    """The recorded replies by HTTP status (tests/api/test_examples.py replays them)."""
    shown: dict[str, dict[str, Any]] = {}
    for step in examples:
        shown.setdefault(str(step.status), {})[step.id] = {
            "summary": step.title,
            "value": step.reply,
        }
    return shown


def _parameter_examples(examples: list[Step], name: str) -> dict[str, Any]:
    values = {
        step.id: {"summary": step.title, "value": step.request[name]}
        for step in examples
        if name in step.request
    }
    return {"examples": values} if values else {}


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
        # cleandoc: a docstring's indented lines would read as a Markdown code block.
        "description": inspect.cleandoc(ep.description)
        + f"\n\nAuthentication styles: {', '.join(ep.styles)}."
        + _refusal_table(refusals),
        "parameters": [RELEASE_PARAM],
        "responses": {
            "200": _response(
                f"Business outcome: the reply with result {ep.service.success!r}, or one of "
                f"these refusals: {_codes(refusals, 200)}",
                {
                    "anyOf": [
                        schemas[(ep.reply, "serialization")],
                        _refusal_schema(ep, refusals, 200),
                    ]
                },
            ),
            **{
                str(status): _response(
                    f"{STATUS_MEANING[status]}: {_codes(refusals, status)}",
                    _refusal_schema(ep, refusals, status),
                )
                for status in sorted(statuses - {200})
            },
        },
        "security": [{"integration": []}],
        # Every refusal with its result and status, for generated clients and docs.
        "x-refusals": refusals,
    }
    examples = examples_of(ep.method, ep.path)
    for status, shown in _reply_examples(examples).items():
        response = op["responses"].setdefault(status, _response("A refusal", FAILURE_REF))
        response["content"]["application/json"]["examples"] = shown
    if ep.method == "POST":
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": schemas[(ep.request, "validation")],
                    "examples": {
                        step.id: {"summary": step.title, "value": step.request} for step in examples
                    },
                }
            },
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
        notes = _notes_of(ep.request).get("fields", {})
        for name, info in ep.request.model_fields.items():
            wire = info.alias or name
            op["parameters"].append(
                {
                    "name": wire,
                    "in": "query",
                    "required": info.is_required(),
                    "description": info.description or notes.get(wire, ""),
                    "schema": {"type": "string"},
                    **_parameter_examples(examples, wire),
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
            "carry `errorCode` and `errorMessage`. Decimals are JSON strings.\n\n"
            "Every operation shows requests and replies recorded against the demo "
            "merchants (`openpxs demo`): they are sequences that build on each other (sell "
            "a card, then spend it; enroll a guest, sign in, use the token), replayed by "
            "the test suite. In them, `{{name}}` stands for a value that differs from one "
            "run to the next (an id, a token, a time), taken from an earlier reply.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"integration": {"type": "http", "scheme": "basic"}},
        },
    }
