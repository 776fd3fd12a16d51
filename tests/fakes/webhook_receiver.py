"""A local HTTP server receiving OpenPXS webhooks, checking each delivery with the
receiver example of the documentation (docs/operator/webhook_receiver.py).

It records every request (headers, body, whether the documented check accepted it)
and answers the statuses queued in ``answers`` one per request (200 once the queue is
empty). While ``hold`` is clear a request waits (up to 30 s) before it is answered: a
receiver too slow for the sender's timeout.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "operator" / "webhook_receiver.py"


def documented_receiver() -> ModuleType:
    """The documentation's receiver example, loaded as a module."""
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class FakeReceiver:
    secret: str
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.hold.set()


def _handler(state: FakeReceiver, example: ModuleType) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            header = self.headers.get("OpenPXS-Signature", "")
            verified = example.verify(state.secret, header, body, time.time())
            state.deliveries.append(
                Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, verified)
            )
            # Chosen before waiting: a held request does not take a later one's answer.
            status = state.answers.pop(0) if state.answers else (200 if verified else 400)
            state.hold.wait(30)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting

    return Handler


@contextmanager
def webhook_receiver(secret: str) -> Iterator[FakeReceiver]:
    state = FakeReceiver(secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, documented_receiver()))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/openpxs"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.hold.set()
        server.shutdown()
        server.server_close()
        thread.join()
