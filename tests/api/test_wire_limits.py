"""The edge's limits: body sizes read no further than needed, slow or vanished clients.

Some tests drive the ASGI application directly with a ``receive`` that counts what
the server pulled, because a test client reads a streamed body whole before the
application sees it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.wire.limits import BULK_BODY_LIMIT, DEFAULT_BODY_LIMIT
from tests.api.pos import POS, balance, ok, sell

CHUNK = 64 * 1024
TWO_MB = 2 * 1024 * 1024
GUEST_TOKEN = "/rest/24.11/oauth/requestGuestToken.json"
ADD_REDEEM = "/rest/24.11/transaction/addRedeem.json"


@dataclass
class Exchange:
    """One request driven through the ASGI app: what it pulled and what it answered."""

    pulled: int = 0  # body chunks the server asked for
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def reply(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


Receive = Callable[[Exchange], Awaitable[dict[str, Any]]]


def basic(credentials: tuple[str, str]) -> bytes:
    return b"Basic " + base64.b64encode(":".join(credentials).encode())


def drive(
    client: TestClient,
    path: str,
    receive: Receive,
    *,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> Exchange:
    exchange = Exchange()
    raw_headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if auth:
        raw_headers.append((b"authorization", basic(auth)))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def pull() -> dict[str, Any]:
        return await receive(exchange)

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            exchange.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")

    async def run() -> None:
        await client.app(scope, pull, send)

    client.portal.call(run)  # type: ignore[union-attr]
    return exchange


def endless(chunk: bytes = b" " * CHUNK, total: int = TWO_MB) -> Receive:
    """A body of ``total`` bytes offered one chunk per receive."""

    async def receive(exchange: Exchange) -> dict[str, Any]:
        exchange.pulled += 1
        more = exchange.pulled * len(chunk) < total
        return {"type": "http.request", "body": chunk, "more_body": more}

    return receive


def test_a_two_megabyte_body_is_refused_after_its_limit_is_read(client: TestClient) -> None:
    exchange = drive(client, GUEST_TOKEN, endless())
    assert exchange.status == 413
    assert exchange.reply()["errorCode"] == "system.request_too_large"
    assert exchange.headers["connection"] == "close"
    # Reading stopped at the first chunk past the limit: 2 of the 32 offered.
    assert exchange.pulled == DEFAULT_BODY_LIMIT // CHUNK + 1


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient) -> None:
    exchange = drive(client, GUEST_TOKEN, endless(), headers={"content-length": str(TWO_MB)})
    assert exchange.status == 413
    assert exchange.pulled == 0


def test_server_calls_check_credentials_before_reading_the_body(client: TestClient) -> None:
    declared = {"content-length": str(TWO_MB)}
    exchange = drive(client, ADD_REDEEM, endless(), headers=declared)
    assert exchange.status == 401
    assert exchange.pulled == 0
    exchange = drive(client, ADD_REDEEM, endless(), auth=("demo-pos", "wrong"), headers=declared)
    assert exchange.status == 401
    assert exchange.pulled == 0
    # The rest of the body is not read later either: the connection is closed.
    assert exchange.headers["connection"] == "close"


def test_a_reply_after_the_whole_body_keeps_the_connection(client: TestClient) -> None:
    async def whole(exchange: Exchange) -> dict[str, Any]:
        exchange.pulled += 1
        return {"type": "http.request", "body": b"{}", "more_body": False}

    exchange = drive(
        client,
        "/rest/24.11/transaction/status.json",
        whole,
        auth=POS,
        headers={"content-length": "2"},
    )
    assert exchange.status == 200
    assert "connection" not in exchange.headers


def test_through_the_client_a_large_body_gets_a_failure_envelope(client: TestClient) -> None:
    for path in (GUEST_TOKEN, ADD_REDEEM):
        response = client.post(path, content=b" " * TWO_MB, auth=POS)
        assert response.status_code == 413, response.text
        assert response.json()["result"] == "failure"
        assert str(DEFAULT_BODY_LIMIT) in response.json()["errorMessage"].replace(",", "")
    # A bulk sale may be far larger than other calls, and is still bounded.
    response = client.post(
        "/rest/24.11/transaction/bulkActivateAdd.json",
        content=b" " * (BULK_BODY_LIMIT + 1),
        auth=POS,
    )
    assert response.status_code == 413
    response = client.post(
        "/rest/24.11/transaction/bulkActivateAdd.json", content=b" " * TWO_MB, auth=POS
    )
    assert response.json()["errorCode"] == "transaction.invalid_request", response.text


@pytest.fixture
def short_body_timeout(client: TestClient) -> Any:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    before = runtime.body_read_seconds
    runtime.body_read_seconds = 0.2
    yield
    runtime.body_read_seconds = before


def test_a_body_that_stops_arriving_is_timed_out(
    client: TestClient, short_body_timeout: None
) -> None:
    async def stalls(exchange: Exchange) -> dict[str, Any]:
        exchange.pulled += 1
        if exchange.pulled > 1:
            await asyncio.sleep(3600)
        return {"type": "http.request", "body": b'{"merchantId":', "more_body": True}

    exchange = drive(client, ADD_REDEEM, stalls, auth=POS)
    assert exchange.status == 408
    assert exchange.reply()["errorCode"] == "system.request_timeout"
    assert exchange.headers["connection"] == "close"
    # The process goes on serving.
    ok(sell(client))
    ok(balance(client))


def test_a_client_that_goes_away_mid_body_is_no_fault(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def leaves(exchange: Exchange) -> dict[str, Any]:
        exchange.pulled += 1
        if exchange.pulled > 1:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b'{"merchantId":', "more_body": True}

    with caplog.at_level(logging.INFO, logger="openpxs"):
        exchange = drive(client, ADD_REDEEM, leaves, auth=POS)
    assert exchange.status is None  # nobody to answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    statuses = [
        r.fields["status"]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "openpxs.request"
    ]
    assert statuses == [499]
