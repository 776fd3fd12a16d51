"""The ``openpxs`` command."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import tempfile

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.engine import make_url
from uvicorn.supervisors import Multiprocess

from openpxs.http_protocol import DEFAULT_HEADER_READ_SECONDS, HeaderTimeoutProtocol
from openpxs.settings import Settings

app = typer.Typer(
    help="OpenPXS: loyalty, gift card and guest engagement server.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DatabaseOption = typer.Option(None, "--database", help="sqlite:///file.db or postgresql://...")


def _settings(database: str | None, **overrides: object) -> Settings:
    settings = Settings()
    if database:
        settings.database_url = database
    for key, value in overrides.items():
        if value is not None:
            setattr(settings, key, value)
    return settings


def _run_server(settings: Settings) -> None:
    """Serve with ``settings.workers`` processes, each building the app from OPENPXS_*.

    Worker processes start afresh, so the settings travel as environment variables;
    with several workers, metrics are shared through a directory of their own.
    """
    from openpxs.store.db import create_engine, migrate

    async def prepare() -> None:
        # Migrate once here, not in several workers at the same moment.
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    os.environ.update(settings.to_environment())
    metrics_dir = None
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        metrics_dir = tempfile.mkdtemp(prefix="openpxs-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    config = _TcpConfig(
        "openpxs.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        log_level="warning",
        access_log=False,
        http=HeaderTimeoutProtocol,
    )
    config.header_read_timeout_seconds = settings.header_read_timeout_seconds
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


class _TcpConfig(uvicorn.Config):
    # Read by HeaderTimeoutProtocol: how long a request's headers may take to arrive.
    header_read_timeout_seconds: float = DEFAULT_HEADER_READ_SECONDS

    def bind_socket(self) -> socket.socket:
        # uvicorn opens the shared listening socket with protocol 0, and asyncio only
        # turns off Nagle's algorithm on connections whose socket says TCP: without
        # this, every keep-alive reply from a worker waits about 40 ms.
        sock = super().bind_socket()
        return socket.socket(fileno=sock.detach())


@app.command()
def serve(
    host: str = typer.Option(None),
    port: int = typer.Option(None),
    database: str | None = DatabaseOption,
    workers: int = typer.Option(None, min=1, help="server processes (default 1)"),
) -> None:
    """Serve the PXS API (production: several workers, graceful shutdown on SIGTERM)."""
    _run_server(_settings(database, host=host, port=port, workers=workers))


@app.command()
def demo(
    host: str = typer.Option(None),
    port: int = typer.Option(None),
    database: str | None = DatabaseOption,
) -> None:
    """Create the demo merchants (if absent) and serve them."""
    from openpxs.demo import install_demo

    settings = _settings(database, host=host, port=port)
    created = asyncio.run(install_demo(settings.database_url))
    console.print(
        f"[bold]OpenPXS demo[/] on {make_url(settings.database_url).render_as_string()}: "
        f"{created} new cards; serving http://{settings.host}:{settings.port}/docs"
    )
    console.print("POS credentials demo-pos / demo-pos-secret (merchant 1000)")
    _run_server(settings)


@db_app.command("upgrade")
def db_upgrade(database: str | None = DatabaseOption) -> None:
    """Create or migrate the schema to the newest revision."""
    from openpxs.store.db import create_engine, migrate

    async def run() -> None:
        engine = create_engine(_settings(database).database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    console.print("schema is up to date")


@app.command()
def audit(database: str | None = DatabaseOption) -> None:
    """Prove every balance equals the sum of its journal; exit 1 if one does not."""
    from openpxs.store.audit import audit as run_audit
    from openpxs.store.db import create_engine, migrate

    async def run() -> tuple[int, list[object]]:
        engine = create_engine(_settings(database).database_url)
        try:
            await migrate(engine)
            async with engine.connect() as conn:
                checked, problems = await run_audit(conn)
                return checked, list(problems)
        finally:
            await engine.dispose()

    checked, problems = asyncio.run(run())
    for problem in problems:
        err.print(f"[red]discrepancy[/] {problem}")
    if problems:
        err.print(f"audit failed: {len(problems)} discrepancies in {checked} balances")
        sys.exit(1)
    console.print(f"audit clean: {checked} balances match their journal")


@app.command()
def expire(database: str | None = DatabaseOption) -> None:
    """Write off every lot whose expiry has passed (each as a journaled transaction)."""
    from openpxs.domain.clock import Clock
    from openpxs.services.expiry import expire_everything
    from openpxs.store.db import create_engine, migrate
    from openpxs.store.uow import unit_of_work

    async def run() -> int:
        engine = create_engine(_settings(database).database_url)
        try:
            await migrate(engine)
            return await expire_everything(lambda: unit_of_work(engine), Clock().now())
        finally:
            await engine.dispose()

    count = asyncio.run(run())
    console.print(f"expired value on {count} accounts")


outbox_app = typer.Typer(help="Outbound guest messages.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("deliver")
def outbox_deliver(database: str | None = DatabaseOption) -> None:
    """Send every message that is due now, once, through OPENPXS_MAIL_TRANSPORT."""
    from openpxs.domain.clock import Clock
    from openpxs.logs import configure_logging
    from openpxs.messaging import deliver_everything_due, transport_from_settings
    from openpxs.store.db import create_engine, migrate

    settings = _settings(database)
    # The log transport's lines (and failed sends) go to stderr as the server's do.
    configure_logging(settings.log_level)
    transport = transport_from_settings(settings)

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            return await deliver_everything_due(engine, transport, Clock().now())
        finally:
            await engine.dispose()

    console.print(f"delivered {asyncio.run(run())} messages")


@outbox_app.command("pending")
def outbox_pending(database: str | None = DatabaseOption) -> None:
    """Count the outbox: due now, waiting for a retry, given up, sent."""
    from openpxs.domain.clock import Clock
    from openpxs.messaging.outbox import OutboxCounts
    from openpxs.store.db import create_engine, migrate
    from openpxs.store.uow import reading

    async def run() -> OutboxCounts:
        engine = create_engine(_settings(database).database_url)
        try:
            await migrate(engine)
            async with reading(engine) as uow:
                return await uow.outbox.counts(now=Clock().now())
        finally:
            await engine.dispose()

    found = asyncio.run(run())
    console.print(
        f"due {found.due}\nwaiting {found.waiting}\nfailed {found.failed}\nsent {found.sent}"
    )


@app.command()
def openapi(
    output: str | None = typer.Option(None, "--output", "-o", help="Write to this file"),
) -> None:
    """The API reference as OpenAPI JSON (what /openapi.json serves), sorted and indented so
    a committed copy shows every change of the wire contract in a diff."""
    import json

    import openpxs.api  # noqa: F401  (registers every service's endpoints)
    from openpxs.wire.openapi import openapi_document

    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)
    err.print(f"wrote {output}")


def _add_config_commands() -> None:
    from openpxs.cli_config import cards_app, config_app

    app.add_typer(config_app, name="config")
    app.add_typer(cards_app, name="cards")


_add_config_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
