"""A local stand-in for Google's OAuth token endpoint and the Google Wallet REST API:
the token endpoint checks the service account's signed assertion (RFC 7523) with its
public key; PATCH loyaltyObject/{id} needs the token it issued, and answers 404 for an
object nobody saved."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from google.auth import jwt

OBJECT_PATH = "/walletobjects/v1/loyaltyObject/"


@dataclass
class FakeGoogleWallet:
    public_key_pem: bytes
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tokens_issued: int = 0
    assertions: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self
        self._tokens: set[str] = set()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_POST(self) -> None:
                if self.path != "/token":
                    return self._reply(404)
                form = parse_qs(self._body().decode())
                try:
                    claims = jwt.decode(  # type: ignore[no-untyped-call]
                        form["assertion"][0],
                        certs=fake.public_key_pem,
                        audience=fake.url + "/token",
                    )
                except (KeyError, ValueError):
                    return self._reply(400, {"error": "invalid_grant"})
                fake.assertions.append(claims)
                token = secrets.token_hex(8)
                fake._tokens.add(token)
                fake.tokens_issued += 1
                return self._reply(200, {"access_token": token, "expires_in": 3600})

            def do_PATCH(self) -> None:
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if bearer not in fake._tokens:
                    return self._reply(401, {"error": {"code": 401}})
                if not self.path.startswith(OBJECT_PATH):
                    return self._reply(404)
                object_id = self.path[len(OBJECT_PATH) :]
                changes = json.loads(self._body())
                fake.patches.append((object_id, changes))
                if object_id not in fake.saved:
                    return self._reply(404, {"error": {"code": 404}})
                fake.saved[object_id].update(changes)
                return self._reply(200, fake.saved[object_id])

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
