"""A local stand-in for Sign in with Apple, over real HTTP from a thread of the test
process: its public keys (``GET /auth/keys``, a JWKS) and its authorization page
(``GET /auth/authorize``), which shows a "Continue" button that posts the identity
token back to the ``redirect_uri`` as Apple's ``response_mode=form_post`` does.

Tokens are signed RS256 with a key made for the test session; ``token()`` mints one
with any claim changed, or signed with another key, to test what must be refused.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.servers import serving

CLIENT_ID = "com.example.demo.web"
# An app's bundle id: the aud of the tokens Apple gives the app (guest.apple).
APP_ID = "com.example.demo.app"
TEAM_ID = "TEAM123456"
ISSUER = "https://appleid.apple.com"


def hashed(nonce: str) -> str:
    """What an iOS app gives Apple for its nonce, and Apple puts in the token."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeAppleId:
    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(5))
    # Who signs in at the authorization page.
    subject: str = "001234.apple-user.0001"
    email: str | None = "apple-guest@privaterelay.appleid.com"
    name: dict[str, str] | None = None
    authorized: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.subject = f"001234.{secrets.token_hex(8)}.0001"
        self.email = f"{secrets.token_hex(4)}@privaterelay.appleid.com"
        self.name = {"firstName": "Apple", "lastName": "Guest"}
        self.authorized.clear()

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/auth/authorize"

    @property
    def keys_url(self) -> str:
        return f"{self.url}/auth/keys"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(
        self,
        nonce: str | None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "exp": now + 600,
            "iat": now,
            "sub": self.subject,
            "nonce": nonce,
            "email": self.email,
            "email_verified": True,
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def authorize_page(self, query: dict[str, str]) -> str:
        """Apple's consent page, reduced to a button that posts the answer back."""
        self.authorized.append(query)
        fields = {
            "state": query.get("state", ""),
            "code": secrets.token_hex(8),
            "id_token": self.token(query.get("nonce", ""), aud=query.get("client_id")),
        }
        if self.name is not None:
            fields["user"] = json.dumps({"name": self.name, "email": self.email})
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        action = html.escape(query.get("redirect_uri", ""))
        return (
            '<!doctype html><html lang="en"><head><title>Fake Apple</title></head><body>'
            f'<main><h1>Fake Apple</h1><form method="post" action="{action}">{inputs}'
            '<button type="submit">Continue</button></form></main></body></html>'
        )


def _handler(fake: FakeAppleId) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/auth/keys":
                self._send(200, "application/json", json.dumps(fake.jwks()))
            elif parts.path == "/auth/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self._send(200, "text/html", fake.authorize_page(query))
            else:
                self._send(404, "text/plain", "not found")

        def _send(self, status: int, media_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="session")
def apple_id_server() -> Iterator[FakeAppleId]:
    fake = FakeAppleId()
    with serving(_handler(fake)) as url:
        fake.url = url
        yield fake


@pytest.fixture
def apple_id(apple_id_server: FakeAppleId) -> FakeAppleId:
    apple_id_server.reset()
    return apple_id_server
