"""A local stand-in for Apple's Apple Pay merchant services, over real HTTP from a
thread of the test process: merchant sessions (``POST /paymentSession``, the kind of
address a validationURL is) and web merchant registration
(``POST /paymentservices/registerMerchant`` and ``unregisterMerchant``).

As Apple does, it refuses a domain whose association file it cannot verify (here: any
domain starting with ``unverified``) and a merchant session for an unknown merchant
identifier or an unregistered domain. ``down`` makes every call answer 503.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.fakes.servers import serving

MERCHANT_IDENTIFIER = "merchant.com.example.openpxs"


@dataclass
class FakeApplePay:
    url: str = ""
    domains: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    down: bool = False

    def reset(self) -> None:
        self.domains.clear()
        self.requests.clear()
        self.down = False

    def handle(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, body))
        if self.down:
            return 503, {"statusMessage": "Service unavailable"}
        if path == "/paymentservices/registerMerchant":
            names = body.get("domainNames") or []
            if any(str(n).startswith("unverified") for n in names):
                return 400, {"statusMessage": "Domain verification failed"}
            self.domains.update(names)
            return 200, {}
        if path == "/paymentservices/unregisterMerchant":
            self.domains.difference_update(body.get("domainNames") or [])
            return 200, {}
        if path == "/paymentSession":
            if body.get("merchantIdentifier") != MERCHANT_IDENTIFIER:
                return 400, {"statusMessage": "Invalid merchant identifier"}
            if body.get("initiative") != "web" or body.get("initiativeContext") not in self.domains:
                return 400, {"statusMessage": "Domain not registered"}
            now = int(time.time() * 1000)
            return 200, {
                "epochTimestamp": now,
                "expiresAt": now + 3_600_000,
                "merchantSessionIdentifier": f"SSH{secrets.token_hex(16)}",
                "nonce": secrets.token_hex(4),
                "merchantIdentifier": secrets.token_hex(32).upper(),
                "domainName": body["initiativeContext"],
                "displayName": body.get("displayName"),
                "signature": secrets.token_hex(64),
            }
        return 404, {"statusMessage": "Not found"}


def _handler(fake: FakeApplePay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            status, body = fake.handle(self.path, json.loads(raw or b"{}"))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="session")
def apple_pay_server() -> Iterator[FakeApplePay]:
    fake = FakeApplePay()
    with serving(_handler(fake)) as url:
        fake.url = url
        yield fake


@pytest.fixture
def apple(apple_pay_server: FakeApplePay) -> FakeApplePay:
    apple_pay_server.reset()
    return apple_pay_server
