"""The one route: every PXS endpoint is served through ``dispatch``.

Decoding, credentials, the authentication style, validation, the unit of work,
retry safety and error mapping happen here once; handlers only turn a request
model into a service call and a reply model.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from openpxs import metrics, security
from openpxs.domain.clock import Clock
from openpxs.domain.errors import DomainError, DuplicateTransaction, Reason
from openpxs.domain.intents import Intent
from openpxs.services import after_refusal, oauth, webhooks
from openpxs.store import direct, direct_sqlite
from openpxs.store.repositories.retry_keys import RetryKeys
from openpxs.store.uow import StaleRead, reading, unit_of_work
from openpxs.wire import idempotency, principals
from openpxs.wire.auth import (
    CredentialVerifier,
    basic_credentials,
    bearer_token,
    body_credentials,
    choose_style,
    guest_facing,
    unauthorized,
)
from openpxs.wire.context import CallContext, Integration, Principal
from openpxs.wire.decoding import (
    UnparseableBody,
    parse_json_object,
    query_parameters,
    surely_fit,
    unfit_member,
)
from openpxs.wire.envelope import JSON, ServiceFailure, invalid_request, reply_bytes
from openpxs.wire.limits import read_body
from openpxs.wire.registry import REGISTRY, Endpoint, note_refusal
from openpxs.wire.sources import ClientAddresses

log = logging.getLogger("openpxs.request")

# How many times a call that reads without locks (Endpoint.optimistic) is tried so
# before it takes the locking path.
OPTIMISTIC_TRIES = 3
RELEASE = re.compile(r"^\d{1,4}\.\d{1,4}$")
MERCHANT_HOST = re.compile(r"^m(\d+)\.")


@dataclass
class Runtime:
    """What the route needs from the application: database, credentials, time."""

    engine: AsyncEngine
    verifier: CredentialVerifier
    clock: Clock
    # How long a request body may take to arrive (settings.body_read_timeout_seconds).
    body_read_seconds: float = 15.0
    addresses: ClientAddresses = field(default_factory=ClientAddresses)


def not_found(message: str) -> Response:
    return ServiceFailure("system.not_found", message, status=404).response()


async def dispatch(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    path = request.path_params
    served = REGISTRY.methods(path["service"], path["operation"])
    if not served or not RELEASE.match(path["release"]):
        return not_found(f"No endpoint {path['service']}/{path['operation']}.json")
    ep = served.get(request.method)
    if ep is None:
        allowed = ", ".join(sorted(served))
        return ServiceFailure(
            "system.method_not_allowed",
            f"{path['service']}/{path['operation']}.json accepts {allowed} only",
            status=405,
            headers={"Allow": allowed},
        ).response()
    request.state.endpoint = ep.path
    try:
        body = await _serve(runtime, ep, request)
    except ServiceFailure as failure:
        request.state.result = (failure.result, failure.code)
        return failure.response()
    request.state.result = (body.result, None)
    return Response(body.content, media_type=JSON)


@dataclass
class Reply:
    content: bytes
    result: str  # the reply's result value, or "replayed" for a replay


async def _serve(runtime: Runtime, ep: Endpoint, request: Request) -> Reply:
    service = ep.service
    # Credentials before the body (auth.yaml): a caller without them learns nothing
    # about how its body would be read. Only oauth endpoints take them from the body.
    authorization = request.headers.get("authorization")
    credentials = basic_credentials(authorization)
    if credentials is None and not guest_facing(ep):
        raise unauthorized("Integration credentials are required (HTTP Basic)")
    integration = await runtime.verifier.verify(*credentials) if credentials else None

    fit = False
    if ep.method == "POST":
        # Read within the operation's limit before anything parses it, so even an
        # unauthenticated caller (whose client_id is in the body) costs a bounded read.
        body = await read_body(request, ep.body_limit, runtime.body_read_seconds)
        try:
            params = parse_json_object(body)
            fit = surely_fit(body)
        except UnparseableBody as exc:
            raise ServiceFailure(
                service.code(Reason.INVALID_REQUEST), str(exc), status=400
            ) from None
    else:
        params = query_parameters(request.query_params, ep.request)

    unfit = None if fit else unfit_member(params)
    if unfit:
        raise invalid_request(service, f"Invalid request: {unfit}")

    bearer = bearer_token(authorization)
    if bearer is not None:
        params.setdefault("access_token", bearer)
    token_only = False
    if integration is None:
        credentials = body_credentials(ep, params)
        if credentials is not None:
            integration = await runtime.verifier.verify(*credentials)
        elif "oauth" in ep.styles and params.get("access_token"):
            # The oauth style needs only the client_id beside the guest's token; the
            # token itself must have been issued to that integration.
            integration = await runtime.verifier.by_token(
                params.get("client_id"), params["access_token"]
            )
            token_only = True
        else:
            raise unauthorized("Integration credentials are required (HTTP Basic)")
    request.state.integration = integration.identifier

    style = choose_style(ep, integration, params.get("authentication"))
    if token_only and style != "oauth":
        raise unauthorized("Integration credentials are required (HTTP Basic)")
    try:
        req = ep.request.model_validate(params)
    except ValidationError as exc:
        raise invalid_request(service, describe(exc)) from None
    _check_merchant(ep, integration, req, request.headers.get("host", ""))

    source = runtime.addresses.of(request)
    await _check_password_ahead(runtime, ep, integration, style, params, source)
    keys = _retry_keys(ep, integration, req, request.headers.get("idempotency-key"))
    request_hash = idempotency.fingerprint(ep.path, req) if ep.moves_value else ""
    now = runtime.clock.now()
    retry: RetryKeys | None = None
    # Without locks first where the endpoint allows it (on SQLite: as two batches under
    # the write lock); again after a concurrent write of the same book, and with locks
    # when the call needs them (store/uow.StaleRead).
    batched = direct.available(runtime.engine) or (
        direct_sqlite.available(runtime.engine) and not ep.sells_card
    )
    tries = OPTIMISTIC_TRIES if ep.optimistic and batched else 0
    try:
        while True:
            try:
                async with unit_of_work(runtime.engine, optimistic=tries > 0) as uow:
                    retry = uow.hold_retry_keys(
                        integration.merchant_id, request_hash, now, defer=ep.claims_with_card
                    )
                    for key in keys:
                        await retry.claim(key)
                    program = await uow.programs.load(integration.merchant_id)
                    principal = await principals.resolve(
                        style, uow, program, integration, params, now, ep, source
                    )
                    _check_scope(ep, principal)
                    ctx = CallContext(uow, program, integration, principal, now, ep, source=source)
                    if not ep.own_transactions:
                        reply = await ep.handler(ctx, req)
                        # Value the call moved, announced to the merchant's webhooks
                        # in its own transaction (nothing when it is refused).
                        await webhooks.announce_value_moves(uow, program, now)
                        content = reply_bytes(reply)
                        await retry.claim_pending()
                        await retry.record(content, getattr(reply, "pxTransactionId", None))
                break
            except StaleRead as stale:
                tries = 0 if stale.lock else tries - 1
        if ep.own_transactions:
            # Checked and signed in above; the handler commits each of its steps itself.
            ctx.units = lambda: unit_of_work(runtime.engine)
            ctx.idempotency_key = request.headers.get("idempotency-key")
            reply = await ep.handler(ctx, req)
            content = reply_bytes(reply)
        return Reply(content, str(getattr(reply, "result", ep.service.success)))
    except DomainError as error:
        # The call has rolled back; what the refusal asks to keep is done now.
        if error.intents:
            await _carry_out(runtime, error.intents)
        note_refusal(ep, error.reason)
        raise ep.answers.failure(error) from None
    except IntegrityError:
        scopes = retry.scopes if retry is not None else []
        replay = await _replay(runtime, ep, integration, scopes, request_hash) if scopes else None
        if replay is None:
            raise
        return replay


# The operations whose username and password members are a password sign-in, beside
# the guest authentication style.
PASSWORD_SIGN_INS = frozenset(
    {
        "guestauthentication/authenticateGuestPassword.json",
        "guestauthentication/authenticateGuest.json",
    }
)


def _signs_in_by_password(ep: Endpoint, style: str, params: dict[str, object]) -> bool:
    if style == "guest" or ep.path in PASSWORD_SIGN_INS:
        return True
    return ep.path == "oauth/requestGuestToken.json" and params.get("grant_type") == "password"


async def _check_password_ahead(
    runtime: Runtime,
    ep: Endpoint,
    integration: Integration,
    style: str,
    params: dict[str, object],
    source: str,
) -> None:
    """Run the argon2 check of a sign-in's username and password before the call's
    transaction, so that the transaction (on SQLite, the one write lock) is not held
    while it runs; the check inside the transaction then finds its answer."""
    username, password = params.get("username"), params.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return
    if not _signs_in_by_password(ep, style, params):
        return  # members of that name elsewhere are no sign-in: no argon2 for them
    async with reading(runtime.engine) as uow:
        program = await uow.programs.load(integration.merchant_id)
        guesser = None if style == "b2b" else source
        stored = await oauth.password_to_check(uow, program, username, runtime.clock.now(), guesser)
    if stored is not None:
        await security.check_ahead(stored, password)


async def _carry_out(runtime: Runtime, intents: tuple[Intent, ...]) -> None:
    async with unit_of_work(runtime.engine) as uow:
        delay = await after_refusal.carry_out(uow, intents)
    if delay:
        await asyncio.sleep(delay)


async def _replay(
    runtime: Runtime, ep: Endpoint, integration: Integration, scopes: list[str], request_hash: str
) -> Reply | None:
    """A call with the same key committed first: replay its reply or refuse a changed body."""
    async with reading(runtime.engine) as uow:
        earlier = await uow.retry_keys.earlier_calls(integration.merchant_id, scopes)
    if not earlier:
        return None
    if any(earlier_hash != request_hash for earlier_hash, _ in earlier):
        raise ep.answers.failure(
            DuplicateTransaction("this id was already used for a different request")
        )
    replies = [r for _, r in earlier if r is not None]
    if not replies:
        raise ServiceFailure(
            ep.service.code(Reason.SYSTEM_ERROR), "The first attempt is unfinished"
        )
    return Reply(replies[0].encode(), "replayed")


def _retry_keys(
    ep: Endpoint, integration: Integration, req: BaseModel, idempotency_key: str | None
) -> list[str]:
    keys: list[str] = []
    natural = ep.natural_key(req) if ep.natural_key else None
    if natural:
        keys.append(f"pos:{natural}")
    if idempotency_key and ep.moves_value:
        keys.append(f"key:{integration.id}:{idempotency_key}")
    return keys


def _check_scope(ep: Endpoint, principal: Principal) -> None:
    if principal.scopes is not None and ep.scope is not None and ep.scope not in principal.scopes:
        raise ServiceFailure(
            "insufficient_scope",
            f"The access token does not carry the {ep.scope} scope that {ep.path} needs",
            status=403,
        )


def _check_merchant(ep: Endpoint, integration: Integration, req: BaseModel, host: str) -> None:
    """A credential acts for its own merchant only, whatever the body or host claims."""
    claimed = getattr(req, "claimed_merchant_id", None)
    host_match = MERCHANT_HOST.match(host)
    for merchant in (
        claimed() if callable(claimed) else None,
        int(host_match.group(1)) if host_match else None,
    ):
        if merchant is not None and merchant != integration.merchant_id:
            raise ServiceFailure(
                ep.service.code(Reason.INVALID_MERCHANT),
                f"{ep.service.message(Reason.INVALID_MERCHANT)}: these credentials do not "
                f"belong to merchant {merchant}",
            )


# At most this many validation problems are named in one reply.
MAX_PROBLEMS = 10


def describe(exc: ValidationError) -> str:
    """Every validation problem (the first MAX_PROBLEMS), naming each member as the
    client spelled it, so a client fixes a request in one round."""
    problems = exc.errors(include_url=False)
    described = []
    for problem in problems[:MAX_PROBLEMS]:
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        reason = "is required" if problem["type"] == "missing" else problem["msg"]
        described.append(f"{where} {reason}")
    more = len(problems) - len(described)
    suffix = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"Invalid request: {'; '.join(described)}{suffix}"


def log_request(request: Request, status: int, started: float) -> None:
    """One structured line per call (never the body, the query or any credential) and
    its count and latency in the metrics."""
    result = getattr(request.state, "result", (None, None))
    seconds = time.perf_counter() - started
    metrics.observe(getattr(request.state, "endpoint", None), result[0], status, seconds)
    log.info(
        "request",
        extra={
            "fields": {
                "method": request.method,
                "path": request.scope["path"],  # not request.url: that parses the URL again
                "status": status,
                "ms": round(seconds * 1000, 2),
                "endpoint": getattr(request.state, "endpoint", None),
                "integration": getattr(request.state, "integration", None),
                "result": result[0],
                "errorCode": result[1],
            }
        },
    )


__all__ = ["Runtime", "dispatch", "log_request"]
