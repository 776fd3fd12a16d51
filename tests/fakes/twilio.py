"""A local HTTP server that answers like Twilio's Messages API.

``POST /2010-04-01/Accounts/<sid>/Messages.json`` with HTTP basic auth (the account
SID and auth token) and a form body: 201 with the message (``sid``, ``status``
queued); 401 (code 20003) for wrong credentials; 400 code 21211 for an invalid ``To``;
400 code 21610 for a number that replied STOP; 503 while ``down``. It records every
request's form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.servers import serving


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-auth-token"
    base_url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    stopped: set[str] = field(default_factory=set)
    down: bool = False


def _handler(state: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path != f"/2010-04-01/Accounts/{state.account_sid}/Messages.json":
                return self._send(404, {"code": 20404, "message": "Not found", "status": 404})
            expected = base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            state.messages.append(form)
            if state.down:
                return self._send(503, {"code": 20500, "message": "Unavailable", "status": 503})
            to = form.get("To", "")
            if not to.startswith("+") or not to[1:].isdigit():
                return self._send(400, {"code": 21211, "message": "Invalid 'To'", "status": 400})
            if to in state.stopped:
                message = "Attempt to send to unsubscribed recipient"
                return self._send(400, {"code": 21610, "message": message, "status": 400})
            if not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
                return self._send(400, {"code": 21602, "message": "Body required", "status": 400})
            sid = "SM" + secrets.token_hex(16)
            return self._send(201, {"sid": sid, "status": "queued", "to": to})

        def _send(self, status: int, data: dict[str, Any]) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    state = FakeTwilio()
    with serving(_handler(state)) as url:
        state.base_url = url
        yield state


def signed_inbound(auth_token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    """The X-Twilio-Signature header Twilio sends with an inbound message POSTed to
    ``url``, as its security documentation describes it: HMAC-SHA1 of the URL followed
    by each form parameter's name and value in name order, base64."""
    data = url + "".join(f"{name}{form[name]}" for name in sorted(form))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return {"X-Twilio-Signature": base64.b64encode(digest).decode()}


def inbound_form(from_number: str, body: str, to: str = "+16175550100") -> dict[str, str]:
    """The form of an inbound SMS as Twilio POSTs it to the messaging webhook."""
    return {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "OptOutType": body.strip().upper(),
    }
