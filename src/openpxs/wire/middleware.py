"""The outermost layer of every call: faults become envelopes, every call is logged.

A plain ASGI middleware (no per-call task or body buffering), because it runs on
every POS call.
"""

from __future__ import annotations

import logging
import re
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpxs.wire.dispatch import log_request
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.limits import ClientGone

# Logged and counted for a call whose client went away before its request arrived
# (nginx's "client closed request"): no reply is sent, and it is not a fault.
CLIENT_CLOSED = 499

log = logging.getLogger("openpxs")


def failure_for(exc: Exception) -> ServiceFailure:
    if isinstance(exc, ServiceFailure):
        return exc
    # Unreachable database, a pooled connection found dead (the pool is not pinged
    # before each use), or every pooled connection busy for pool_timeout seconds.
    if isinstance(exc, (OperationalError, InterfaceError, OSError, PoolTimeout)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        log.error("database unavailable: %s", type(exc).__name__)
        return ServiceFailure(
            "system.unavailable", "The service is temporarily unavailable", status=503
        )
    log.exception("unexpected fault", exc_info=exc)
    return ServiceFailure("system.system_error", "System error", status=500)


# On every reply: no MIME sniffing, no framing, no Referer leaking a URL onwards.
EVERY_REPLY = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# On every reply but the API reference pages (which run their own scripts): nothing in
# a reply may be run, framed or kept by a cache (RFC 6749 5.1: token replies must not
# be cached; every other PXS reply is one guest's or one POS's data).
API_REPLY = [
    *EVERY_REPLY,
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]
PAGE_REPLY = [
    *EVERY_REPLY,
    (b"content-security-policy", b"frame-ancestors 'none'"),
]
# The API reference pages (wire/reference_pages.py), the document they read and the
# scripts and styles they load.
PAGES = frozenset({"/docs", "/redoc", "/openapi.json"})
PAGE_ASSETS = "/docs-assets/"
# The guest website and the test processor's checkout page (openpxs.web) set their own
# policy on each reply: their pages load style sheets and post forms, and the sign-in
# may post on to an SSO client.
GUEST_WEBSITE = re.compile(r"^(?:(?:/m/\d+)?/guest(?:/|$)|/test-processor/checkout/)")
CLOSE = (b"connection", b"close")


def _sends_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if (name == b"content-length" and value.strip() != b"0") or name == b"transfer-encoding":
            return True
    return False


class EnvelopeMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []
        path = scope["path"]
        added = PAGE_REPLY if path in PAGES or path.startswith(PAGE_ASSETS) else API_REPLY
        if GUEST_WEBSITE.match(path):
            added = []
        # Whether the request's body has been read to its end. A reply given before
        # that (credentials refused, no such operation) closes the connection: the
        # server would otherwise go on receiving the rest, at whatever pace the
        # client likes, with no read timeout left to stop it.
        unread = [_sends_body(scope)]

        async def listen() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                unread[0] = False
            return message

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = [*message.get("headers", ()), *added]
                if unread[0] and CLOSE not in headers:
                    headers.append(CLOSE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, listen, watch)
        except ClientGone:
            status.append(CLIENT_CLOSED)
        except Exception as exc:
            if status:  # the reply has begun; nothing sensible can be sent any more
                raise
            await failure_for(exc).response()(scope, receive, watch)
        finally:
            log_request(Request(scope), status[0] if status else 500, started)
