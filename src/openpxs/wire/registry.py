"""The endpoint registry: every PXS operation is declared here exactly once.

A service module declares its endpoints with ``@endpoint``; the single route in
``wire.dispatch`` looks the operation up here, and ``wire.openapi`` documents what
is registered, so the reference a client developer reads is the code that runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from openpxs.domain.errors import Reason
from openpxs.wire.limits import DEFAULT_BODY_LIMIT
from openpxs.wire.refusals import Refusals

if TYPE_CHECKING:
    from openpxs.wire.context import CallContext

log = logging.getLogger("openpxs.refusals")

Method = Literal["GET", "POST", "DELETE"]
Handler = Callable[["CallContext", Any], Awaitable[BaseModel]]
STYLES = ("anonymous", "card", "guest", "email", "b2b", "oauth")
# Any operation may refuse a request it cannot read, a merchant the credential is not
# for, or fail; the rest it must declare.
ANY_OPERATION = (Reason.INVALID_REQUEST, Reason.INVALID_MERCHANT, Reason.SYSTEM_ERROR)
# What proving each authentication style may refuse, before the handler runs.
STYLE_REFUSALS: dict[str, tuple[Reason, ...]] = {
    "card": (Reason.INVALID_CARD_CREDENTIALS, Reason.TOO_MANY_ATTEMPTS),
    "guest": (Reason.COULD_NOT_AUTHENTICATE, Reason.ACCOUNT_LOCKED),
    "email": (Reason.INVALID_GUEST_CREDENTIALS,),
    "oauth": (Reason.INVALID_TOKEN,),
}


@dataclass(frozen=True)
class Service:
    """A PXS service: its URL segment, success value and refusal table (errors.py)."""

    name: str
    title: str
    success: str
    refusals: Refusals

    def code(self, reason: Reason) -> str:
        return self.refusals[reason].code

    def message(self, reason: Reason) -> str:
        return self.refusals[reason].message


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
    # Every reason the operation may refuse with beyond the ones any operation may
    # (invalid request, merchant, system error) and its styles' sign-in refusals.
    errors: tuple[Reason, ...] = ()
    # The OAuth scope an access token needs for this endpoint (oauth.yaml Scopes).
    scope: str | None = None
    # Card authentication may prove an inactive card here (the activation endpoints).
    activates_card: bool = False
    # The table refusals are answered from, when not the service's own.
    refusals: Refusals | None = None
    # The largest body read (wire.limits), in bytes.
    body_limit: int = DEFAULT_BODY_LIMIT
    # The handler commits its own steps (ctx.units) instead of running in the call's
    # unit of work: card payments, whose charge must fall between two commits.
    own_transactions: bool = False
    # The use case's first statement claims the retry keys as it locks the card
    # (UnitOfWork.lock_card_claiming): one round trip instead of one more per key.
    claims_with_card: bool = False
    # PostgreSQL: the call first reads its card and book without locks and writes with
    # one guarded statement (store/direct.py), taking the locking path only when that
    # does not fit; implies claims_with_card. Only for a handler that writes nothing or
    # writes only through UnitOfWork.record_and_write.
    optimistic: bool = False
    # An optimistic call that sells an inactive card (activate, activateAdd): its
    # guarded write makes the card active on PostgreSQL; SQLite's batches do not sell a
    # card, so there the call takes the locking path from the start.
    sells_card: bool = False

    @property
    def path(self) -> str:
        return f"{self.service.name}/{self.operation}.json"

    @property
    def answers(self) -> Refusals:
        return self.refusals or self.service.refusals

    @property
    def may_refuse(self) -> tuple[Reason, ...]:
        """Every reason this operation may answer a refusal with, declared or implied."""
        found: list[Reason] = [*ANY_OPERATION]
        if self.moves_value:
            # A retry key used before by a different request (wire.dispatch), and a
            # balance the move would carry past domain.money.MAX_BALANCE.
            found += [Reason.DUPLICATE_TRANSACTION, Reason.AMOUNT_OUT_OF_RANGE]
        for style in self.styles:
            found.extend(STYLE_REFUSALS.get(style, ()))
        found.extend(self.errors)
        return tuple(dict.fromkeys(found))


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
        unanswered = [reason for reason in ep.errors if reason not in ep.answers.entries]
        if unanswered:
            raise ValueError(f"{ep.path}: errors.py does not answer {unanswered}")
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
# (operation path, reason) of refusals an operation answered without declaring them:
# logged as they happen, and the test suite fails when any is left here.
UNDECLARED: set[tuple[str, Reason]] = set()


def note_refusal(ep: Endpoint, reason: Reason) -> None:
    if reason not in ep.may_refuse and (ep.path, reason) not in UNDECLARED:
        UNDECLARED.add((ep.path, reason))
        log.warning("undeclared refusal", extra={"fields": {"endpoint": ep.path, "reason": reason}})


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
    errors: tuple[Reason, ...] = (),
    scope: str | None = None,
    activates_card: bool = False,
    refusals: Refusals | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    own_transactions: bool = False,
    claims_with_card: bool = False,
    optimistic: bool = False,
    sells_card: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a handler as the implementation of ``service/operation.json``."""

    # Retry keys are recorded with the call's unit of work, which such a handler has not.
    assert not (own_transactions and (moves_value or natural_key)), operation
    assert optimistic or not sells_card, operation

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
                refusals=refusals,
                body_limit=body_limit,
                own_transactions=own_transactions,
                claims_with_card=claims_with_card or optimistic,
                optimistic=optimistic,
                sells_card=sells_card,
            )
        )
        return handler

    return register
