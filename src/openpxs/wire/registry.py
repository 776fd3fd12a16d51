"""The endpoint registry: every PXS operation is declared here exactly once.

A service module declares its endpoints with ``@endpoint``; the single route in
``wire.dispatch`` looks the operation up here, and ``wire.openapi`` documents what
is registered, so the reference a client developer reads is the code that runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from openpxs.wire.context import CallContext

Method = Literal["GET", "POST", "DELETE"]
Handler = Callable[["CallContext", Any], Awaitable[BaseModel]]
STYLES = ("anonymous", "card", "guest", "email", "b2b", "oauth")


@dataclass(frozen=True)
class Service:
    """A PXS service: its URL segment, success value and error vocabulary."""

    name: str
    title: str
    success: str
    error_prefix: str
    messages: dict[str, str]
    # reason -> result value for refusals about the caller's card/account data
    user_data_result: str = "failure"

    def code(self, reason: str) -> str:
        return f"{self.error_prefix}.{reason}"

    def message(self, reason: str) -> str:
        return self.messages.get(reason, reason.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Endpoint:
    service: Service
    operation: str
    method: Method
    request: type[BaseModel]
    reply: type[BaseModel]
    handler: Handler
    styles: tuple[str, ...]
    summary: str
    description: str = ""
    # Value-moving calls: run under the Idempotency-Key header guarantee.
    moves_value: bool = False
    # The natural retry key of a request (e.g. posTransactionId at a store and card).
    natural_key: Callable[[Any], str | None] | None = None
    errors: tuple[str, ...] = ()
    # The OAuth scope an access token needs for this endpoint (oauth.yaml Scopes).
    scope: str | None = None
    # Card authentication may prove an inactive card here (the activation endpoints).
    activates_card: bool = False

    @property
    def path(self) -> str:
        return f"{self.service.name}/{self.operation}.json"


@dataclass
class Registry:
    # (service, operation) -> method -> endpoint: one path may serve several methods
    # (check/priceMatchDiscounts.json is both a GET and a POST).
    paths: dict[tuple[str, str], dict[str, Endpoint]] = field(default_factory=dict)

    def add(self, ep: Endpoint) -> None:
        served = self.paths.setdefault((ep.service.name, ep.operation), {})
        if ep.method in served:
            raise ValueError(f"{ep.method} {ep.path} is declared twice")
        unknown = set(ep.styles) - set(STYLES)
        if unknown:
            raise ValueError(f"{ep.path}: unknown authentication styles {sorted(unknown)}")
        served[ep.method] = ep

    def methods(self, service: str, operation: str) -> dict[str, Endpoint]:
        return self.paths.get((service, operation), {})

    def find(self, service: str, operation: str, method: str | None = None) -> Endpoint | None:
        """The endpoint of this method, or (no method given) of the path's first method."""
        served = self.methods(service, operation)
        if method is not None:
            return served.get(method)
        return next(iter(served.values()), None)

    def all(self) -> list[Endpoint]:
        return sorted(
            (ep for served in self.paths.values() for ep in served.values()),
            key=lambda e: (e.path, e.method),
        )


REGISTRY = Registry()


def endpoint(
    service: Service,
    operation: str,
    *,
    method: Method = "POST",
    request: type[BaseModel],
    reply: type[BaseModel],
    styles: tuple[str, ...],
    summary: str,
    moves_value: bool = False,
    natural_key: Callable[[Any], str | None] | None = None,
    errors: tuple[str, ...] = (),
    scope: str | None = None,
    activates_card: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a handler as the implementation of ``service/operation.json``."""

    def register(handler: Handler) -> Handler:
        REGISTRY.add(
            Endpoint(
                service=service,
                operation=operation,
                method=method,
                request=request,
                reply=reply,
                handler=handler,
                styles=styles,
                summary=summary,
                description=(handler.__doc__ or "").strip(),
                moves_value=moves_value,
                natural_key=natural_key,
                errors=errors,
                scope=scope,
                activates_card=activates_card,
            )
        )
        return handler

    return register
