"""A served process times out clients that send their request too slowly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Iterator

import pytest

from openpxs.demo import install_demo
from tests.e2e.server import free_port, start


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp_path = tmp_path_factory.mktemp("slow")
    url = f"sqlite:///{tmp_path / 'slow.db'}"
    asyncio.run(install_demo(url))
    port = free_port()
    os.environ["OPENPXS_HEADER_READ_TIMEOUT_SECONDS"] = "0.5"
    os.environ["OPENPXS_BODY_READ_TIMEOUT_SECONDS"] = "0.5"
    try:
        server = start(["serve", "--database", url], tmp_path / "log", port)
    finally:
        del os.environ["OPENPXS_HEADER_READ_TIMEOUT_SECONDS"]
        del os.environ["OPENPXS_BODY_READ_TIMEOUT_SECONDS"]
    yield port
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)


def answer_to(port: int, sent: bytes) -> bytes:
    """Everything the server writes back until it closes the connection (a generous
    socket timeout stands in for "it never does")."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_partial_headers_are_answered_408_and_closed(served: int) -> None:
    reply = answer_to(served, b"POST /rest/24.11/transaction/status.json HTTP/1.1\r\nHost: x\r\n")
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert b"system.request_timeout" in reply


def test_a_silent_connection_is_closed(served: int) -> None:
    assert answer_to(served, b"").startswith(b"HTTP/1.1 408")


def test_an_incomplete_body_is_answered_408_and_closed(served: int) -> None:
    request = (
        b"POST /rest/24.11/oauth/requestGuestToken.json HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"client_id":'
    )
    reply = answer_to(served, request)
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert b"system.request_timeout" in reply


def test_a_whole_request_is_served_on_the_same_server(served: int) -> None:
    request = (
        b"POST /rest/24.11/transaction/status.json HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Basic ZGVtby1wb3M6ZGVtby1wb3Mtc2VjcmV0\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    reply = answer_to(served, request)
    assert reply.startswith(b"HTTP/1.1 200"), reply


def test_a_refusal_before_the_body_closes_the_connection(served: int) -> None:
    request = (
        b"POST /rest/24.11/transaction/status.json HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    reply = answer_to(served, request)  # returns once the server closes
    assert reply.startswith(b"HTTP/1.1 401"), reply
    assert b"connection: close" in reply.lower()
