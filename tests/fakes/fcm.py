"""A local server that answers like Firebase Cloud Messaging's HTTP v1 API and Google's
OAuth 2.0 token endpoint, over HTTP/2.

``POST /token`` takes a JWT-bearer grant, checks the RS256 assertion with the service
account's public key (issuer, scope, audience) and gives an access token that lasts an
hour. ``POST /v1/projects/<project>/messages:send`` wants one of those tokens and
answers as FCM does: 200 with the message name; 404 ``UNREGISTERED`` for a token listed
as unregistered; 400 ``INVALID_ARGUMENT`` for a token listed as invalid; 503 while
``down``."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.h2server import Pki, answer, lifespan, read_body, serve_h2

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JSON = [(b"content-type", b"application/json; charset=UTF-8")]


@dataclass
class FakeFcm:
    project_id: str
    client_email: str
    public_key: rsa.RSAPublicKey
    base_url: str = ""
    access_tokens: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    http_versions: set[str] = field(default_factory=set)
    unregistered: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)
    down: bool = False

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _grant_ok(state: FakeFcm, form: dict[str, str]) -> bool:
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return False
    try:
        head, claims, signature = form.get("assertion", "").split(".")
        header, payload = json.loads(_b64(head)), json.loads(_b64(claims))
        state.public_key.verify(
            _b64(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (ValueError, InvalidSignature):
        return False
    return bool(
        header.get("alg") == "RS256"
        and payload.get("iss") == state.client_email
        and payload.get("scope") == SCOPE
        and payload.get("aud") == state.token_url
        and payload.get("exp", 0) > payload.get("iat", 0)
    )


def _error(code: int, status: str, fcm_code: str | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": status.lower(), "status": status}
    if fcm_code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}
        ]
    return json.dumps({"error": error}).encode()


def make_app(state: FakeFcm) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        state.http_versions.add(scope["http_version"])
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path: str = scope["path"]
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if not _grant_ok(state, form):
                reply = {"error": "invalid_grant", "error_description": "Invalid JWT"}
                return await answer(send, 400, json.dumps(reply).encode(), JSON)
            token = f"ya29.{secrets.token_urlsafe(16)}"
            state.access_tokens.append(token)
            reply2 = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            return await answer(send, 200, json.dumps(reply2).encode(), JSON)
        if path != f"/v1/projects/{state.project_id}/messages:send":
            return await answer(send, 404, _error(404, "NOT_FOUND"), JSON)
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in state.access_tokens:
            return await answer(send, 401, _error(401, "UNAUTHENTICATED"), JSON)
        message = json.loads(body).get("message", {})
        state.messages.append(message)
        token = message.get("token", "")
        if state.down:
            return await answer(send, 503, _error(503, "UNAVAILABLE"), JSON)
        if token in state.unregistered:
            return await answer(send, 404, _error(404, "NOT_FOUND", "UNREGISTERED"), JSON)
        if token in state.invalid or not token:
            return await answer(
                send, 400, _error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), JSON
            )
        name = f"projects/{state.project_id}/messages/0:{secrets.randbelow(10**12)}"
        return await answer(send, 200, json.dumps({"name": name}).encode(), JSON)

    return app


@contextmanager
def fake_fcm(
    pki: Pki, public_key: rsa.RSAPublicKey, *, project_id: str = "openpxs-demo"
) -> Iterator[FakeFcm]:
    state = FakeFcm(
        project_id=project_id,
        client_email=f"push@{project_id}.iam.gserviceaccount.com",
        public_key=public_key,
    )
    with serve_h2(make_app(state), pki) as url:
        state.base_url = url
        yield state
