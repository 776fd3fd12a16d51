"""A local server that answers like the Apple Push Notification service's HTTP/2 API.

``POST /3/device/<token>``: it checks the provider token (an ES256 JWT of the expected
team and key, verified with the key's public half) unless it runs with a required
client certificate, then answers as Apple does: 200 with an ``apns-id``; 400
``BadDeviceToken`` for a token that is not 64 hex characters or listed as bad; 410
``Unregistered`` for a token listed as unregistered; 503 while ``down``. It records
every request (HTTP version, token, headers, payload)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.fakes.h2server import Pki, answer, lifespan, read_body, serve_h2

_TOKEN = re.compile(r"[0-9a-f]{64}")


@dataclass
class FakeApns:
    team_id: str
    key_id: str
    public_key: ec.EllipticCurvePublicKey | None
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    bad: set[str] = field(default_factory=set)
    down: bool = False
    # The distinct provider tokens seen.
    provider_tokens: set[str] = field(default_factory=set)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_ok(state: FakeApns, bearer: str) -> str | None:
    """None when the provider token is good, else Apple's reason."""
    try:
        head, claims, signature = bearer.split(".")
        header = json.loads(_b64(head))
        payload = json.loads(_b64(claims))
        raw = _b64(signature)
    except ValueError:
        return "InvalidProviderToken"
    if header.get("alg") != "ES256" or header.get("kid") != state.key_id:
        return "InvalidProviderToken"
    if payload.get("iss") != state.team_id or not isinstance(payload.get("iat"), int):
        return "InvalidProviderToken"
    if len(raw) != 64 or state.public_key is None:
        return "InvalidProviderToken"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        state.public_key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "InvalidProviderToken"
    return None


def make_app(state: FakeApns, *, certificate_auth: bool) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path: str = scope["path"]
        token = path.removeprefix("/3/device/")
        state.requests.append(
            {
                "http_version": scope["http_version"],
                "method": scope["method"],
                "token": token,
                "headers": headers,
                "payload": json.loads(body) if body else None,
            }
        )

        async def fail(status: int, reason: str) -> None:
            data: dict[str, Any] = {"reason": reason}
            if status == 410:
                data["timestamp"] = 1_700_000_000_000
            await answer(send, status, json.dumps(data).encode(), [(b"apns-id", apns_id)])

        apns_id = str(uuid.uuid4()).upper().encode()
        if scope["method"] != "POST" or not path.startswith("/3/device/"):
            return await fail(405 if scope["method"] != "POST" else 404, "BadPath")
        if not certificate_auth:
            bearer = headers.get("authorization", "")
            if not bearer.startswith("bearer "):
                return await fail(403, "MissingProviderToken")
            state.provider_tokens.add(bearer[7:])
            reason = _token_ok(state, bearer[7:])
            if reason is not None:
                return await fail(403, reason)
        if not headers.get("apns-topic"):
            return await fail(400, "MissingTopic")
        if state.down:
            return await fail(503, "ServiceUnavailable")
        if token in state.unregistered:
            return await fail(410, "Unregistered")
        if token in state.bad or not _TOKEN.fullmatch(token):
            return await fail(400, "BadDeviceToken")
        await answer(send, 200, b"", [(b"apns-id", apns_id)])

    return app


@contextmanager
def fake_apns(
    pki: Pki,
    *,
    team_id: str = "TEAM123456",
    key_id: str = "KEY1234567",
    public_key: ec.EllipticCurvePublicKey | None = None,
    certificate_auth: bool = False,
) -> Iterator[FakeApns]:
    state = FakeApns(team_id=team_id, key_id=key_id, public_key=public_key)
    app = make_app(state, certificate_auth=certificate_auth)
    with serve_h2(app, pki, require_client_cert=certificate_auth) as url:
        state.base_url = url
        yield state
