"""A minimal HTTP/1.1 keep-alive client for the load generator.

The load generator shares the machine's two cores with the server and PostgreSQL, so
every millisecond it spends building and parsing requests is taken from the system it
measures. A general client (httpx) costs about 2.5 ms of CPU per call here; this one,
which only speaks what the benchmark needs (POST of a JSON body, GET, Content-Length
replies on one persistent connection), costs a small fraction of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    """The connection failed or the server broke the protocol."""


class Connection:
    """One keep-alive connection; one request at a time (a POS terminal's link)."""

    def __init__(self, base_url: str, authorization: str, timeout: float = 60.0):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._head = (
            f"Host: {self.host}:{self.port}\r\n"
            f"Authorization: {authorization}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """Send one request and read its reply: (status, body). Reconnects once if the
        server closed an idle connection."""
        for attempt in (1, 2):
            if self._writer is None:
                await self.open()
            try:
                return await asyncio.wait_for(self._exchange(method, path, body), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if attempt == 2:
                    raise HttpError(type(exc).__name__) from exc
            except (TimeoutError, OSError, ValueError) as exc:
                await self.close()
                raise HttpError(type(exc).__name__) from exc
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        self._writer.write(
            b"%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (method.encode(), path.encode(), self._head, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep_alive = False
            elif name == b"transfer-encoding":
                raise ValueError("chunked replies are not expected from the server")
        content = await self._reader.readexactly(length) if length else b""
        if not keep_alive:
            await self.close()
        return status, content

    async def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        status, content = await self.request("POST", path, json.dumps(payload).encode())
        try:
            return status, json.loads(content)
        except ValueError:
            return status, None
