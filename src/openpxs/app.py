"""The ASGI application: one RPC route for every PXS endpoint, plus /health, /metrics
and the API reference (/docs, /redoc)."""

from __future__ import annotations

import gc
import hmac
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs import metrics
from openpxs.api import passkit
from openpxs.api.twilio_inbound import twilio_router
from openpxs.console.routes import ROUTES as CONSOLE
from openpxs.domain.clock import Clock
from openpxs.logs import configure_logging
from openpxs.messaging import OutboxWorker, transport_from_settings
from openpxs.messaging.wallet_push import with_wallet_updates
from openpxs.messaging.webhooks import with_webhooks
from openpxs.security import limit_password_checks, use_server_key
from openpxs.settings import RETIRED, Settings
from openpxs.store import kept, turns
from openpxs.store.db import create_engine, migrate, unmaintained
from openpxs.web.protection import Protection
from openpxs.web.routes import ROUTES as GUEST_WEBSITE
from openpxs.web.test_checkout import ROUTES as TEST_CHECKOUT
from openpxs.wire.auth import CredentialVerifier, bearer_token
from openpxs.wire.dispatch import Runtime, dispatch
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.middleware import EnvelopeMiddleware
from openpxs.wire.openapi import openapi_document
from openpxs.wire.reference_pages import mount_reference_pages
from openpxs.wire.sources import ClientAddresses, proxies_from

log = logging.getLogger("openpxs")


def _settle_garbage_collector() -> None:
    """Keep the collector's pauses out of the calls.

    Everything built at start (modules, models, SQLAlchemy's caches) lives as long as
    the process; frozen, a full collection no longer walks it, which under load took
    up to a hundred milliseconds at a time while every call in flight waited. Young
    objects are collected less often too: a call leaves thousands behind.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# Generation 0 collects after this many net allocations (Python's default is 700).
GC_THRESHOLDS = (20_000, 10, 10)


def _bearer_matches(authorization: str | None, token: str) -> bool:
    given = bearer_token(authorization)
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


# The RPC paths, matched before Starlette's router (which tries each route's pattern in
# turn and wraps the call in its exception handling on every POS call).
RPC_PATH = re.compile(
    r"^(?:/api)?/rest/(?P<release>[^/]+)/(?P<service>[^/]+)/(?P<operation>[^/]+)\.json$"
)


async def _serve_rpc(scope: Scope, receive: Receive, send: Send) -> None:
    response = await dispatch(Request(scope, receive))
    await response(scope, receive, send)


class OpenPXS(FastAPI):
    """The application: every PXS call goes straight to the one route, through the
    envelope middleware; everything else (health, metrics, the reference pages and
    the 404s) through FastAPI's routing."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._rpc = EnvelopeMiddleware(_serve_rpc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match = RPC_PATH.match(scope["path"])
            if match is not None:
                scope["app"] = self
                scope["path_params"] = match.groupdict()
                await self._rpc(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level)
    limit_password_checks(settings.password_checks)
    use_server_key(settings.secret_key)
    if not settings.secret_key:
        # The digests of registration and one-time codes are then keyed by nothing
        # secret: a copy of the database could be searched offline (docs/security.md).
        log.warning("OPENPXS_SECRET_KEY is not set: set it for anything but a demo")
    for name in settings.retired():
        log.warning(f"{name} is no longer read: {RETIRED[name]}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            sqlite_synchronous=settings.sqlite_synchronous,
        )
        if settings.workers > 1:
            # Several processes on one SQLite file: each call commits on its own, so
            # the write lock is free between calls for the other processes.
            turns.commit_each_call(engine)
        await migrate(engine)
        if await unmaintained(engine):
            log.warning(
                "PostgreSQL runs with autovacuum off: its statistics go stale and calls"
                " slow down as tables grow (turn it on, or run VACUUM ANALYZE regularly)"
            )
        app.state.runtime = Runtime(
            engine=engine,
            verifier=CredentialVerifier(engine, ttl_seconds=settings.credential_cache_seconds),
            clock=clock or Clock(),
            body_read_seconds=settings.body_read_timeout_seconds,
            addresses=ClientAddresses(
                settings.trusted_proxy_header.lower(), proxies_from(settings.trusted_proxies)
            ),
        )
        # Kept on app.state so tests and the demo can read a LogTransport's messages.
        app.state.transport = transport_from_settings(settings)
        app.state.transport = with_wallet_updates(app.state.transport, settings, engine)
        # The worker also posts the merchants' webhooks.
        delivery = with_webhooks(app.state.transport, settings, engine)
        app.state.outbox_worker = None
        if settings.outbox_worker:
            app.state.outbox_worker = OutboxWorker(
                engine,
                delivery,
                app.state.runtime.clock,
                poll_seconds=settings.outbox_poll_seconds,
            )
            app.state.outbox_worker.start()
        default_thresholds = gc.get_threshold()
        _settle_garbage_collector()
        yield
        # Back to normal, so an app started and stopped inside another process (the
        # tests) leaves nothing frozen behind.
        gc.unfreeze()
        gc.set_threshold(*default_thresholds)
        if app.state.outbox_worker is not None:
            await app.state.outbox_worker.stop()
        # The push clients keep their HTTP/2 connections open between sends.
        await delivery.aclose()
        await turns.give_back_connections(engine)
        await kept.give_back_connections(engine)
        await engine.dispose()

    app = OpenPXS(
        title="OpenPXS",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"result": "success", "status": "ok"}

    if settings.metrics_enabled:

        @app.get("/metrics", include_in_schema=False)
        async def metrics_page(request: Request) -> Response:
            if settings.metrics_token and not _bearer_matches(
                request.headers.get("authorization"), settings.metrics_token
            ):
                return ServiceFailure(
                    "system.authentication_failed",
                    "A metrics token is required (Authorization: Bearer)",
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                ).response()
            body, content_type = metrics.exposition()
            return Response(body, media_type=content_type)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(openapi_document())

    mount_reference_pages(app)
    app.include_router(passkit.router)
    # The hosted guest website. Its CSRF tokens are keyed by the server key; without one
    # (a demo) by a key of this process, so its forms work on this process only.
    app.state.site_protection = Protection(settings.secret_key.encode() or secrets.token_bytes(32))
    app.router.routes.extend(GUEST_WEBSITE)
    # The operator console (/console/), with the same CSRF key and page defences.
    app.router.routes.extend(CONSOLE)
    # The built-in test processor's hosted checkout page (openpxs.web.test_checkout).
    app.router.routes.extend(TEST_CHECKOUT)
    app.include_router(twilio_router(settings.twilio_auth_token, settings.twilio_webhook_url))

    app.add_middleware(EnvelopeMiddleware)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Any) -> Response:
        return ServiceFailure("system.not_found", "No such resource", status=404).response()

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc: Any) -> Response:
        return ServiceFailure(
            "system.method_not_allowed", "Method not allowed", status=405
        ).response()

    return app
