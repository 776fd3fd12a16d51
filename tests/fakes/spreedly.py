"""A local Spreedly: the documented REST shapes of the gateway API, served over real HTTP
from a thread of the test process on a free port.

It speaks what the ``spreedly`` processor uses: ``gateways/{gw}/purchase|authorize|
verify.json``, ``transactions/{token}/capture|void|credit.json``,
``payment_methods/{token}/retain|redact.json``, ``gateways/{gw}/transactions.json`` and
``transactions/{token}.json``, with HTTP Basic authentication by environment key and
access secret. Answers are JSON: 200 and ``succeeded: true``, or 422 with the failed
transaction; an unknown payment method is 404 with ``errors``.

Cards are "tokenized" by ``tokenize(number)``, as the iFrame does in the browser: the
number stays in the fake. As Spreedly's test gateway: 4111111111111111 and
5555555555554444 succeed, 4012888888881881 is declined; 4000000000009995 is declined
for insufficient funds. ``lose_next_answer`` makes the next purchase happen and its
answer never arrive (the connection closes), to prove lookup by key.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.fakes.servers import serving

ENVIRONMENT_KEY = "env_openpxs_test"
ACCESS_SECRET = "access_secret_openpxs"
GATEWAY = "gw_openpxs_test"

_CARDS = {
    "4111111111111111": ("visa", "approve"),
    "5555555555554444": ("master", "approve"),
    "4012888888881881": ("visa", "decline"),
    "4000000000009995": ("visa", "insufficient_funds"),
}


@dataclass
class FakeSpreedly:
    url: str = ""
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    lose_next_answer: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tokenize(self, number: str) -> str:
        brand, _ = _CARDS[number]
        token = secrets.token_hex(12)
        self.payment_methods[token] = {
            "token": token,
            "payment_method_type": "credit_card",
            "card_type": brand,
            "last_four_digits": number[-4:],
            "first_six_digits": number[:6],
            "month": 12,
            "year": 2034,
            "storage_state": "cached",
            "_behaviour": _CARDS[number][1],
        }
        return token

    def reset(self) -> None:
        with self.lock:
            self.payment_methods.clear()
            self.transactions.clear()
            self.order.clear()
            self.requests.clear()
            self.lose_next_answer = False

    # -- what the routes do; each answers (status, body) or None for a lost answer

    def handle(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            self.requests.append((method, path, body))
            parts = path.split("?")[0].strip("/").split("/")
            if parts[:1] != ["v1"]:
                return 404, {"errors": [{"key": "errors.not_found", "message": "No route"}]}
            parts = parts[1:]
            fields = (body or {}).get("transaction") or {}
            if method == "POST" and len(parts) == 3 and parts[0] == "gateways":
                if parts[1] != GATEWAY:
                    return 404, _error("errors.gateway_not_found", "Unable to find the gateway")
                action = parts[2].removesuffix(".json")
                if action in ("purchase", "authorize", "verify"):
                    answer = self._pay(action, fields)
                    if action == "purchase" and self.lose_next_answer:
                        self.lose_next_answer = False
                        return None
                    return answer
            if method == "GET" and len(parts) == 3 and parts[2] == "transactions.json":
                return 200, {"transactions": self._listed(path)}
            if method == "GET" and len(parts) == 2 and parts[0] == "transactions":
                found = self.transactions.get(parts[1].removesuffix(".json"))
                if found is None:
                    return 404, _error("errors.transaction_not_found", "Unable to find it")
                return 200, {"transaction": found}
            if method == "POST" and len(parts) == 3 and parts[0] == "transactions":
                return self._follow_up(parts[1], parts[2].removesuffix(".json"), fields)
            if method == "PUT" and len(parts) == 3 and parts[0] == "payment_methods":
                return self._keep(parts[1], parts[2].removesuffix(".json"))
            return 404, _error("errors.not_found", "No route")

    def _pay(self, action: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pm = self.payment_methods.get(str(fields.get("payment_method_token")))
        if pm is None or pm["storage_state"] == "redacted":
            return 404, _error("errors.payment_method_not_found", "Unable to find the card")
        # Like gateways that deduplicate by order id: the same order is the same payment.
        for token in self.order:
            earlier = self.transactions[token]
            same_order = fields.get("order_id") and earlier.get("order_id") == fields["order_id"]
            if same_order and earlier["_action"] == action:
                return (200 if earlier["succeeded"] else 422), {"transaction": earlier}
        behaviour = pm["_behaviour"]
        succeeded = behaviour == "approve" or (action == "verify" and behaviour != "decline")
        amount = int(fields.get("amount") or 0)
        message = {
            "approve": "Succeeded!",
            "decline": "Unable to process the purchase transaction.",
            "insufficient_funds": "Insufficient funds",
        }[behaviour if not succeeded else "approve"]
        transaction = self._record(
            action,
            {
                "transaction_type": action.capitalize(),
                "amount": amount,
                "currency_code": fields.get("currency_code"),
                "order_id": fields.get("order_id"),
                "succeeded": succeeded,
                "state": "succeeded" if succeeded else "gateway_processing_failed_declined",
                "message": message,
                "response": {
                    "success": succeeded,
                    "message": message,
                    "error_code": "" if succeeded else behaviour,
                    "pending": False,
                    "result_unknown": False,
                },
                "payment_method": {k: v for k, v in pm.items() if not k.startswith("_")},
                "_captured": amount if action == "purchase" and succeeded else 0,
                "_authorized": amount if succeeded else 0,
            },
        )
        if action == "verify":
            transaction["state"] = "succeeded" if succeeded else "failed"
        return (200 if succeeded else 422), {"transaction": transaction}

    def _follow_up(
        self, reference: str, action: str, fields: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        parent = self.transactions.get(reference)
        if parent is None:
            return 404, _error("errors.transaction_not_found", "Unable to find the transaction")
        amount = int(fields.get("amount") or parent["amount"])
        if action == "capture":
            ok = (
                parent["_action"] == "authorize"
                and not parent["_captured"]
                and not parent.get("_voided")
            )
            ok = ok and 0 < amount <= parent["_authorized"]
            if ok:
                parent["_captured"] = amount
        elif action == "void":
            ok = parent["succeeded"] and not parent.get("_voided") and not parent.get("_credited")
            if ok:
                parent["_voided"] = True
        elif action == "credit":
            ok = bool(parent["_captured"]) and not parent.get("_voided")
            ok = ok and parent.get("_credited", 0) + amount <= parent["_captured"]
            if ok:
                parent["_credited"] = parent.get("_credited", 0) + amount
        else:
            return 404, _error("errors.not_found", "No route")
        message = "Succeeded!" if ok else f"Unable to {action} the transaction."
        transaction = self._record(
            action,
            {
                "transaction_type": action.capitalize(),
                "reference_token": reference,
                "amount": amount,
                "order_id": fields.get("order_id"),
                "succeeded": ok,
                "state": "succeeded" if ok else "gateway_processing_failed",
                "message": message,
                "response": {"success": ok, "message": message, "error_code": ""},
            },
        )
        return (200 if ok else 422), {"transaction": transaction}

    def _keep(self, token: str, action: str) -> tuple[int, dict[str, Any]]:
        pm = self.payment_methods.get(token)
        if pm is None:
            return 404, _error("errors.payment_method_not_found", "Unable to find the card")
        pm["storage_state"] = {"retain": "retained", "redact": "redacted"}[action]
        transaction = self._record(
            action,
            {
                "transaction_type": f"{action.capitalize()}PaymentMethod",
                "succeeded": True,
                "state": "succeeded",
                "message": "Succeeded!",
                "payment_method": {k: v for k, v in pm.items() if not k.startswith("_")},
            },
        )
        return 200, {"transaction": transaction}

    def _record(self, action: str, transaction: dict[str, Any]) -> dict[str, Any]:
        token = secrets.token_hex(12)
        transaction |= {"token": token, "gateway_token": GATEWAY, "_action": action}
        self.transactions[token] = transaction
        self.order.append(token)
        return transaction

    def _listed(self, path: str) -> list[dict[str, Any]]:
        query = dict(
            item.split("=", 1) for item in path.partition("?")[2].split("&") if "=" in item
        )
        tokens = list(reversed(self.order)) if query.get("order") == "desc" else list(self.order)
        since = query.get("since_token")
        if since in tokens:
            tokens = tokens[tokens.index(since) + 1 :]
        count = int(query.get("count", "20"))
        return [_public(self.transactions[t]) for t in tokens[:count]]


def _error(key: str, message: str) -> dict[str, Any]:
    return {"errors": [{"key": key, "message": message}]}


def _public(transaction: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in transaction.items() if not k.startswith("_")}


def _handler(fake: FakeSpreedly) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{ENVIRONMENT_KEY}:{ACCESS_SECRET}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _serve(self) -> None:
            if self.headers.get("Authorization") != expected:
                self._send(401, _error("errors.invalid_credentials", "Unable to authenticate"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            answer = fake.handle(self.command, self.path, body)
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            self._send(*answer)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(_strip(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

    return Handler


def _strip(body: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body.get("transaction"), dict):
        return {**body, "transaction": _public(body["transaction"])}
    return body


@pytest.fixture(scope="session")
def spreedly_server() -> Iterator[FakeSpreedly]:
    fake = FakeSpreedly()
    with serving(_handler(fake)) as url:
        fake.url = url
        yield fake


@pytest.fixture
def spreedly(spreedly_server: FakeSpreedly) -> FakeSpreedly:
    spreedly_server.reset()
    return spreedly_server
