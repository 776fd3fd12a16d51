"""The Paytronix reply envelope: ``result`` always, ``errorCode``/``errorMessage`` on failure."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.responses import Response

from openpxs.domain.errors import Reason

if TYPE_CHECKING:
    from openpxs.wire.registry import Service

JSON = "application/json"


class ServiceFailure(Exception):
    """A refusal to send back as a failure envelope (HTTP 200 unless ``status`` says)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        result: str = "failure",
        status: int = 200,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        bare: bool = False,
        plain_names: bool = False,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.result = result
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}
        # The reply carries its result alone (guestauthentication's noMatchingGuests).
        self.bare = bare
        # Also sent as "code" and "message" (see WireError.plain_names).
        self.plain_names = plain_names

    def body(self) -> dict[str, Any]:
        if self.bare:
            return {"result": self.result}
        body: dict[str, Any] = {
            "result": self.result,
            "errorCode": self.code,
            "errorMessage": self.message,
        }
        if self.plain_names:
            body.update(code=self.code, message=self.message)
        return {**body, **self.extra}

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


def invalid_request(service: Service, message: str) -> ServiceFailure:
    # The service's own answer to an unreadable request: its code, and its result where
    # the service has one of its own (geolocation's inputFailure).
    wire = service.refusals[Reason.INVALID_REQUEST]
    return ServiceFailure(wire.code, message, result=wire.result, plain_names=wire.plain_names)


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dump(body), status_code=status, media_type=JSON, headers=headers)


def dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def reply_bytes(reply: BaseModel) -> bytes:
    return reply.model_dump_json(exclude_none=True, by_alias=True).encode()
