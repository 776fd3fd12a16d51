"""The Paytronix reply envelope: ``result`` always, ``errorCode``/``errorMessage`` on failure."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

from openpxs.domain.errors import DomainError
from openpxs.wire.registry import Service

JSON = "application/json"


AfterRollback = Callable[[AsyncEngine], Awaitable[None]]


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
        after_rollback: AfterRollback | None = None,
    ):
        super().__init__(f"{code}: {message}")
        # Work that must outlive the refused call's rollback, such as counting a failed
        # sign-in; run by the dispatcher in a transaction of its own.
        self.after_rollback = after_rollback
        self.code = code
        self.message = message
        self.result = result
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "errorCode": self.code,
            "errorMessage": self.message,
            **self.extra,
        }

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


def failure_from_domain(service: Service, error: DomainError) -> ServiceFailure:
    message = service.message(error.reason)
    if error.detail and error.detail != error.reason:
        message = f"{message}: {error.detail}"
    reply_extra = error.extra.get("reply")
    return ServiceFailure(
        service.code(error.reason),
        message,
        result=service.user_data_result if error.about_user_data else "failure",
        extra=reply_extra if isinstance(reply_extra, dict) else None,
    )


def invalid_request(service: Service, message: str) -> ServiceFailure:
    return ServiceFailure(service.code("invalid_request"), message)


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dump(body), status_code=status, media_type=JSON, headers=headers)


def dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def reply_bytes(reply: BaseModel) -> bytes:
    return reply.model_dump_json(exclude_none=True, by_alias=True).encode()
