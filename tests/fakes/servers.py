"""Starting a local server on a free port and waiting until it answers."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, seconds: float = 20, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, headers=headers, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
