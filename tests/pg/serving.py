"""A PostgreSQL that the tests can take away and bring back, and the app served
in-process against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from openpxs.app import create_app
from openpxs.settings import Settings
from tests.api.pos import POS

Call = Callable[[str, dict[str, Any]], Awaitable[httpx.Response]]


class Relay:
    """Forwards TCP connections to PostgreSQL until cut."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.links):
            writer.close()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@asynccontextmanager
async def served(url: str, **settings: Any) -> AsyncIterator[tuple[Any, Call]]:
    """The app on ``url``, started, and a caller of its transaction service."""
    app = create_app(Settings(database_url=url, log_level="CRITICAL", **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def call(operation: str, body: dict[str, Any]) -> httpx.Response:
                return await http.post(
                    f"/rest/24.11/transaction/{operation}.json", json=body, auth=POS
                )

            yield app, call
