"""The redirect flow's authorization request (RFC 6749 4.1, PKCE RFC 7636): what a
request to /guest/accountlogin must carry, and the code verifier check of its exchange.

A request whose client or redirect URI is not allow-listed is refused on the site itself
and never redirected (no open redirect); any other fault goes back to the client's
redirect URI as ``error`` with its ``state``, as RFC 6749 4.1.2.1 says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpxs.config.website import WebsiteConfig

# RFC 7636 4.1/4.2: 43 to 128 characters of the unreserved set.
_PKCE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
MAX_STATE = 500


class AuthorizationRefused(Exception):
    """A refused authorization request: ``error`` is the RFC 6749 code; ``redirect`` is
    False when the client or redirect URI cannot be trusted with the answer."""

    def __init__(self, error: str, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None


def _one(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value if value else None


def check_request(site: WebsiteConfig, params: Mapping[str, str]) -> AuthorizationRequest:
    """The request as the site will honour it, or ``AuthorizationRefused``."""
    client_id = _one(params, "client_id")
    client = site.client(client_id) if client_id else None
    if client is None or client_id is None:
        raise AuthorizationRefused(
            "unauthorized_client", "the application is not known", redirect=False
        )
    redirect_uri = _one(params, "redirect_uri")
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise AuthorizationRefused(
            "invalid_request", "the return address is not registered", redirect=False
        )
    state = _one(params, "state")
    if state is not None and len(state) > MAX_STATE:
        raise AuthorizationRefused("invalid_request", "state is too long", redirect=False)
    if params.get("response_type") != "code":
        raise AuthorizationRefused(
            "unsupported_response_type", "response_type must be code", redirect=True
        )
    asked = (params.get("scope") or "").split()
    if not asked:
        asked = list(client.scopes)
    beyond = sorted(set(asked) - set(client.scopes))
    if beyond:
        raise AuthorizationRefused(
            "invalid_scope", f"scope not allowed: {' '.join(beyond)}", redirect=True
        )
    challenge = _one(params, "code_challenge")
    method = _one(params, "code_challenge_method")
    if challenge is None and method is not None:
        raise AuthorizationRefused(
            "invalid_request", "code_challenge_method without code_challenge", redirect=True
        )
    if challenge is not None:
        if method != "S256":
            raise AuthorizationRefused(
                "invalid_request", "code_challenge_method must be S256", redirect=True
            )
        if not _PKCE.match(challenge):
            raise AuthorizationRefused(
                "invalid_request", "code_challenge is not a base64url S256 digest", redirect=True
            )
    return AuthorizationRequest(
        client_id, redirect_uri, " ".join(dict.fromkeys(asked)), state, challenge
    )


def s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str | None, challenge: str) -> bool:
    if verifier is None or not _PKCE.match(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)
