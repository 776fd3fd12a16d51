"""A local HTTP server that answers like a Nominatim server's /search (format=jsonv2).

It knows a few places, answers structured queries about them as Nominatim does (a list,
best first; ``lat``/``lon`` as strings; ``place_rank`` 30 for a house, 26 for a street)
and records every request so tests can check what was asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.servers import serving

PLACES: list[dict[str, Any]] = [
    {
        "street": "1 federal street",
        "city": "boston",
        "result": {
            "place_id": 1001,
            "lat": "42.3554986",
            "lon": "-71.0568407",
            "category": "building",
            "type": "yes",
            "place_rank": 30,
            "addresstype": "building",
            "display_name": "1, Federal Street, Financial District, Boston, Massachusetts, 02110",
        },
    },
    {
        "street": "main street",
        "city": "concord",
        "result": {
            "place_id": 1002,
            "lat": "42.4604",
            "lon": "-71.3489",
            "category": "highway",
            "type": "residential",
            "place_rank": 26,
            "addresstype": "road",
            "display_name": "Main Street, Concord, Massachusetts, 01742",
        },
    },
]


@dataclass
class FakeNominatim:
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    # What the next requests get instead of a search result: ("status", 503) or
    # ("body", b"...") ; None: answer normally.
    trouble: tuple[str, Any] | None = None


def _handler(state: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.requests.append(
                {"path": url.path, "query": query, "agent": self.headers.get("User-Agent")}
            )
            if url.path != "/search":
                return self._send(404, b"not found")
            if state.trouble is not None:
                kind, value = state.trouble
                if kind == "status":
                    return self._send(int(value), b"{}")
                return self._send(200, value)
            street = query.get("street", "").casefold()
            city = query.get("city", "").casefold()
            found = [p["result"] for p in PLACES if p["street"] in street and p["city"] == city]
            return self._send(200, json.dumps(found).encode())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def fake_nominatim() -> Iterator[FakeNominatim]:
    state = FakeNominatim()
    with serving(_handler(state)) as url:
        state.base_url = url
        yield state
