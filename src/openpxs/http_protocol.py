"""uvicorn's httptools protocol with a deadline for a request's headers.

uvicorn closes an idle keep-alive connection, but a connection that sends nothing,
or sends its headers a byte at a time, is held for as long as the client likes: a
few hundred such connections tie up a server. Here a request's headers must be
complete within ``header_read_timeout_seconds`` of the connection opening or of the
request's first byte; otherwise the client is answered 408 and the connection
closed. (The body has its own deadline, in ``wire.limits``.)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEADER_READ_SECONDS = 10.0
TIMED_OUT = json.dumps(
    {
        "result": "failure",
        "errorCode": "system.request_timeout",
        "errorMessage": "The request headers did not arrive in time",
    }
).encode()


class HeaderTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_read_seconds: float = getattr(
            config, "header_read_timeout_seconds", DEFAULT_HEADER_READ_SECONDS
        )
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_read_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if not answering:
            # Nothing else is being written on this connection, so the 408 cannot
            # interleave with another reply.
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\n"
                b"content-type: application/json\r\n"
                b"content-length: " + str(len(TIMED_OUT)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + TIMED_OUT
            )
        self.transport.close()
