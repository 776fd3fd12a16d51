"""Sign in with Apple: checking the identity token Apple posts back to the guest website
or gives an app.

The token is a JWT signed RS256 by one of the keys Apple publishes as a JWKS
(``keys_url``); it is accepted only when the signature holds and it was issued by Apple
(``iss``) for one of this merchant's client ids (``aud``: the website's Services ID, an
app's bundle id), has not expired, and carries the nonce the client sent with the
request (so a token taken from another sign-in cannot be replayed here). The website
sends its nonce to Apple as it is; an iOS app sends SHA-256 of its nonce (hex), as
Apple's native sign-in expects, and proves it by presenting the nonce itself. The keys
are fetched once and again when a token names a key not seen yet (Apple rotates them).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import jwt

# Seconds of clock difference tolerated between Apple and this server.
LEEWAY = 60
# How long fetched keys are used before they are fetched again, and how soon a token
# naming an unknown key may have them fetched again (not for every such token).
KEYS_SECONDS = 3600
REFETCH_SECONDS = 10
# Apple's keys are a small document; anything larger is not theirs.
MAX_KEYS_BYTES = 64 * 1024
TIMEOUT = 10.0


class AppleTokenRefused(Exception):
    """The identity token cannot be trusted (the reason is for the log, never the page)."""


@dataclass(frozen=True)
class AppleIdentity:
    subject: str
    email: str | None


@dataclass(frozen=True)
class AppleVerifier:
    # The audiences accepted: the website's Services ID, or the apps' bundle ids.
    client_ids: tuple[str, ...]
    keys_url: str
    issuer: str


_keys: dict[str, tuple[float, jwt.PyJWKSet]] = {}


async def _fetch_keys(url: str) -> jwt.PyJWKSet:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            reply = await client.get(url)
    except httpx.HTTPError as error:
        raise AppleTokenRefused(f"the keys could not be fetched: {error}") from None
    if reply.status_code != 200 or len(reply.content) > MAX_KEYS_BYTES:
        raise AppleTokenRefused(f"the keys could not be fetched: HTTP {reply.status_code}")
    try:
        found = jwt.PyJWKSet.from_dict(reply.json())
    except (ValueError, TypeError, AttributeError, jwt.PyJWTError) as error:
        # Not JSON, JSON of another shape, or keys of no usable kind.
        raise AppleTokenRefused(f"the keys are not a JWKS: {error}") from None
    _keys[url] = (time.monotonic(), found)
    return found


def _find(keys: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    return next((key for key in keys.keys if key.key_id == kid), None)


async def _key_for(url: str, kid: str) -> jwt.PyJWK:
    cached = _keys.get(url)
    age = time.monotonic() - cached[0] if cached is not None else None
    if cached is None or age is None or age >= KEYS_SECONDS:
        key = _find(await _fetch_keys(url), kid)
    else:
        key = _find(cached[1], kid)
        if key is None and age >= REFETCH_SECONDS:
            key = _find(await _fetch_keys(url), kid)  # a key Apple added since
    if key is None:
        raise AppleTokenRefused(f"no key {kid!r} in the keys")
    return key


async def verify_identity_token(
    verifier: AppleVerifier, token: str, nonce: str | None, now: datetime, *, hashed: bool = False
) -> AppleIdentity:
    """The Apple user the token names, or ``AppleTokenRefused``.

    ``nonce`` is what the client holds: the token's ``nonce`` claim must be that nonce,
    or its SHA-256 in hex when ``hashed`` (an app's native sign-in). Without one, the
    token must carry no nonce: a token that names one was asked for with a nonce, and
    only the client that chose it may use it.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise AppleTokenRefused(f"not a JWT: {error}") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise AppleTokenRefused("the token is not signed RS256 with a named key")
    key = await _key_for(verifier.keys_url, header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=list(verifier.client_ids),
            issuer=verifier.issuer,
            # Expiry is judged by the server's clock below, not the library's.
            options={"verify_exp": False, "require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise AppleTokenRefused(f"the token does not hold: {error}") from None
    exp = claims["exp"]
    if not isinstance(exp, int | float) or exp + LEEWAY < now.timestamp():
        raise AppleTokenRefused("the token has expired")
    _check_nonce(claims.get("nonce"), nonce, hashed)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise AppleTokenRefused("the token names no user")
    email = claims.get("email")
    return AppleIdentity(subject, email if isinstance(email, str) and email else None)


def _check_nonce(claim: object, nonce: str | None, hashed: bool) -> None:
    if nonce is None:
        if claim is not None:
            raise AppleTokenRefused("the token carries a nonce the request does not prove")
        return
    expected = hashlib.sha256(nonce.encode()).hexdigest() if hashed else nonce
    if not isinstance(claim, str) or not _same(claim, expected):
        raise AppleTokenRefused("the nonce is not the one sent")


def _same(one: str, other: str) -> bool:
    return hmac.compare_digest(one.encode(), other.encode())
