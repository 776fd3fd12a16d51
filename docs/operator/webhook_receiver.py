"""A minimal OpenPXS webhook receiver: standard library only.

Run it with the endpoint's secret in the environment:

    WEBHOOK_SECRET=... python webhook_receiver.py 8000

It checks each delivery's OpenPXS-Signature header, refuses deliveries older than five
minutes (a captured delivery cannot be replayed later), drops event ids it has already
handled (delivery is at least once), and answers 2xx only once the event is handled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 300


def verify(
    secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when ``header`` (t=<unix time>,v1=<hex>) signs the raw ``body`` with
    ``secret`` and its time is within ``tolerance`` seconds of ``now``."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    signatures = [value for key, _, value in fields if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        return False
    if abs(now - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, given) for given in signatures)


SEEN: set[str] = set()  # a real receiver keeps these in its database


def handle(event: dict) -> None:
    data = event["data"]
    if event["type"] == "value.moved":
        for wallet in data["wallets"]:
            card, name = data["printedCardNumber"], wallet["walletName"]
            print(f"{card}: {name} {wallet['change']} -> {wallet['balance']}")
    else:
        print(event["type"], json.dumps(data))


class Receiver(BaseHTTPRequestHandler):
    secret = os.environ.get("WEBHOOK_SECRET", "")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        header = self.headers.get("OpenPXS-Signature", "")
        if not verify(self.secret, header, body, time.time()):
            self.send_response(400)  # not from OpenPXS, or too old: never handled
            self.end_headers()
            return
        event = json.loads(body)
        if event["id"] not in SEEN:
            handle(event)
            SEEN.add(event["id"])
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
