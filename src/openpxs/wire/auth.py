"""Integration credentials (HTTP Basic) and the per-request authentication style."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.identity import Integration
from openpxs.security import hash_secret, verify_secret
from openpxs.store.uow import reading
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import Endpoint

AUTH_FAILED = "system.authentication_failed"
STYLE_REFUSED = "system.authentication_style_not_allowed"


def unauthorized(message: str = "Authentication failed") -> ServiceFailure:
    return ServiceFailure(
        AUTH_FAILED, message, status=401, headers={"WWW-Authenticate": 'Basic realm="pxs"'}
    )


@cache
def _decoy_hash() -> str:
    return hash_secret(os.urandom(16).hex())


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``identifier:secret`` from an ``Authorization: Basic`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    identifier, sep, secret = decoded.partition(":")
    if not sep or not identifier:
        return None
    return identifier, secret


@dataclass
class CredentialVerifier:
    """Checks integration secrets against their argon2 hashes.

    Argon2 is deliberately slow, far too slow to run on every POS call, so a
    successful check is remembered for a short while under a keyed digest of the
    credential (the secret itself is never kept).
    """

    engine: AsyncEngine
    ttl_seconds: float = 60.0
    _key: bytes = field(default_factory=lambda: os.urandom(32))
    _cache: dict[bytes, tuple[float, Integration]] = field(default_factory=dict)
    _pending: dict[bytes, asyncio.Future[Integration]] = field(default_factory=dict)

    def _digest(self, identifier: str, secret: str) -> bytes:
        return hmac.new(self._key, f"{identifier}\0{secret}".encode(), hashlib.sha256).digest()

    async def verify(self, identifier: str, secret: str) -> Integration:
        digest = self._digest(identifier, secret)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        # Calls that arrive together with the same credential (every terminal of a
        # store after a restart) share one check instead of each running argon2. The
        # check is a task of its own, so a caller that goes away does not cancel it
        # for the others.
        check = self._pending.get(digest)
        if check is None:
            check = asyncio.ensure_future(self._check_and_remember(digest, identifier, secret))
            self._pending[digest] = check
            check.add_done_callback(lambda done: self._settled(digest, done))
        return await asyncio.shield(check)

    def _settled(self, digest: bytes, done: asyncio.Future[Integration]) -> None:
        del self._pending[digest]
        if not done.cancelled():
            done.exception()  # marks a failure seen even when every caller has gone

    async def _check_and_remember(self, digest: bytes, identifier: str, secret: str) -> Integration:
        return self._remember(digest, await self._check(identifier, secret))

    async def _check(self, identifier: str, secret: str) -> Integration:
        async with reading(self.engine) as uow:
            stored = await uow.integrations.by_identifier(identifier)
        # argon2 takes tens of milliseconds of CPU: off the event loop, so the other
        # calls of this process go on meanwhile.
        if stored is None:
            # Spend the same time as a wrong secret, so timing does not reveal which
            # integration identifiers exist.
            await asyncio.to_thread(verify_secret, _decoy_hash(), secret)
            raise unauthorized()
        valid = await asyncio.to_thread(verify_secret, stored.secret_hash, secret)
        if not valid or not stored.enabled:
            raise unauthorized()
        return stored.integration

    def _remember(self, digest: bytes, integration: Integration) -> Integration:
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self.ttl_seconds, integration)
        return integration

    async def by_token(self, client_id: object, access_token: object) -> Integration:
        """The integration an access token was issued to (oauth calls without a secret).

        A client_id, when given, must name that same integration.
        """
        if not isinstance(access_token, str) or (
            client_id is not None and not isinstance(client_id, str)
        ):
            raise unauthorized()
        async with reading(self.engine) as uow:
            stored = await uow.integrations.by_access_token(access_token)
        if stored is None:
            raise ServiceFailure(
                "invalid_token",
                "Invalid or expired access token",
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if not stored.enabled or (
            client_id is not None and client_id != stored.integration.identifier
        ):
            raise unauthorized()
        return stored.integration


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def guest_facing(ep: Endpoint) -> bool:
    """Apps and websites call these; server-only (b2b) endpoints never read the body for
    credentials."""
    return ep.styles != ("b2b",)


def body_credentials(ep: Endpoint, params: dict[str, Any]) -> tuple[str, str] | None:
    """client_id/client_secret in the body, as mobile apps send them (auth.yaml)."""
    if not guest_facing(ep):
        return None
    client_id, client_secret = params.get("client_id"), params.get("client_secret")
    if isinstance(client_id, str) and isinstance(client_secret, str) and client_id:
        return client_id, client_secret
    return None


def choose_style(ep: Endpoint, integration: Integration, requested: Any) -> str:
    """The authentication style of this call, checked against endpoint and integration."""
    if requested is None or requested == "":
        if len(ep.styles) == 1:
            style = ep.styles[0]
        elif "anonymous" in ep.styles:
            style = "anonymous"
        else:
            raise ServiceFailure(
                STYLE_REFUSED, "The authentication member is required for this call"
            )
    elif not isinstance(requested, str):
        raise ServiceFailure(STYLE_REFUSED, "authentication must be a string")
    else:
        style = requested
    if style not in ep.styles:
        raise ServiceFailure(
            STYLE_REFUSED, f"Authentication style {style!r} is not allowed for {ep.path}"
        )
    if style not in integration.styles:
        raise ServiceFailure(
            STYLE_REFUSED, f"This integration may not use the {style!r} authentication style"
        )
    return style
