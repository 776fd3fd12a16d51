"""The ``openpxs`` command."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import sys
import tempfile

import typer
import uvicorn
from rich.console import Console
from uvicorn.supervisors import Multiprocess

from openpxs.cli_support import (
    CommandFailure,
    DatabaseOption,
    ExitCode,
    command_group,
    open_database,
    plural,
    reported_failures,
    run,
    set_debug,
    shown,
    sqlite_file,
)
from openpxs.cli_support import settings as cli_settings
from openpxs.http_protocol import DEFAULT_HEADER_READ_SECONDS, HeaderTimeoutProtocol
from openpxs.settings import Settings

app = command_group(
    """OpenPXS: loyalty, gift card and guest engagement server.

    Every command uses the same database: --database, else $OPENPXS_DATABASE_URL, else
    ./openpxs.db. Only serve, demo, db upgrade and config apply create one.

    Exit codes: 0 done; 1 a check failed (audit); 2 bad command line; 3 invalid
    configuration (settings, database URL, program file); 4 database missing,
    unreachable or at another schema version; 5 the address to listen on is taken.
    """,
    # A traceback with every frame's variables runs to hundreds of lines and may show
    # secrets; the failures an operator can fix are one line (cli_support).
    pretty_exceptions_show_locals=False,
    # Shell completion is left to the shell's packaging; its two options only crowd
    # the help.
    add_completion=False,
)
db_app = command_group("Database schema.")
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def main(
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of a failure, not just its one line."
    ),
) -> None:
    set_debug(debug)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed, so that a taken port
    is one line and exit code 5 instead of a banner followed by a failure."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only turns off Nagle's algorithm on connections whose
    # socket says TCP; without it every keep-alive reply from a worker waits ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        if exc.errno == errno.EADDRINUSE:
            reason = "the port is in use (another server, or an earlier openpxs still running?)"
        message = f"cannot listen on {host}:{port}: {reason}"
        raise CommandFailure(ExitCode.ADDRESS_IN_USE, message) from exc
    sock.set_inheritable(True)
    return sock


def _check_mail(settings: Settings) -> None:
    """The mail settings, checked before anything starts: each server process would
    otherwise fail at start-up with a traceback."""
    from openpxs.messaging import transport_from_settings

    try:
        transport_from_settings(settings)
    except ValueError as exc:
        raise CommandFailure(ExitCode.CONFIGURATION, f"invalid setting: {exc}") from exc


def _prepare_database(settings: Settings) -> None:
    """Create (SQLite) and migrate the database once here, not in several workers at
    the same moment; a database that is missing or down is one line and exit code 4."""

    async def prepare() -> None:
        engine = await open_database(settings.database_url, create=True)
        await engine.dispose()

    run(settings.database_url, prepare())


class _ServerConfig(uvicorn.Config):
    # Read by HeaderTimeoutProtocol: how long a request's headers may take to arrive.
    header_read_timeout_seconds: float = DEFAULT_HEADER_READ_SECONDS


def _run_server(settings: Settings, sock: socket.socket) -> None:
    """Serve with ``settings.workers`` processes, each building the app from OPENPXS_*.

    Worker processes start afresh, so the settings travel as environment variables;
    with several workers, metrics are shared through a directory of their own.
    """
    os.environ.update(settings.to_environment())
    metrics_dir = None
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        metrics_dir = tempfile.mkdtemp(prefix="openpxs-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    config = _ServerConfig(
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
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


HostOption = typer.Option(
    None,
    "--host",
    metavar="ADDRESS",
    help="Address to listen on.",
    show_default="$OPENPXS_HOST, else 127.0.0.1",
)
PortOption = typer.Option(
    None,
    "--port",
    metavar="PORT",
    help="Port to listen on.",
    show_default="$OPENPXS_PORT, else 8080",
)


@app.command()
def serve(
    host: str | None = HostOption,
    port: int | None = PortOption,
    database: str | None = DatabaseOption,
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        metavar="N",
        help="Server processes, each with its own database pool.",
        show_default="$OPENPXS_WORKERS, else 1",
    ),
) -> None:
    """Serve the PXS API.

    For production: several workers, graceful shutdown on SIGTERM. Creates a SQLite
    database file that does not exist yet, and brings the schema of any database to
    this version's before serving.
    """
    with reported_failures(database):
        settings = cli_settings(database, host=host, port=port, workers=workers)
        _check_mail(settings)
        sock = _listen(settings.host, settings.port)
        settings.port = sock.getsockname()[1]  # the one chosen, for --port 0
    try:
        _prepare_database(settings)
    except BaseException:
        sock.close()
        raise
    console.print(
        f"OpenPXS on {shown(settings.database_url)}: "
        f"serving http://{settings.host}:{settings.port}/docs",
        highlight=False,
        markup=False,
    )
    _run_server(settings, sock)


@app.command()
def demo(
    host: str | None = HostOption,
    port: int | None = PortOption,
    database: str | None = DatabaseOption,
) -> None:
    """Create the demo merchants (if absent) and serve them.

    Uses the same database as every other command (./openpxs.db unless --database or
    $OPENPXS_DATABASE_URL says otherwise); delete that file to start the demo afresh.
    """
    from openpxs.demo import install_demo

    with reported_failures(database):
        settings = cli_settings(database, host=host, port=port)
        _check_mail(settings)
        sock = _listen(settings.host, settings.port)
        settings.port = sock.getsockname()[1]  # the one chosen, for --port 0
    try:
        _prepare_database(settings)
        public_url = f"http://{settings.host}:{settings.port}"
        created = run(settings.database_url, install_demo(settings.database_url, public_url))
    except BaseException:
        sock.close()
        raise
    console.print(demo_banner(settings, created), highlight=False, markup=False)
    _run_server(settings, sock)


def demo_banner(settings: Settings, created: int) -> str:
    """What a newcomer needs to start: where to look, and every demo login."""
    from openpxs.demo import DEMO_CARD, DEMO_OPERATORS, DEMO_PASSWORD, DEMO_USERNAME

    base = f"http://{settings.host}:{settings.port}"
    file = sqlite_file(settings.database_url)
    reset = f"delete {file} to start afresh" if file else "drop the database to start afresh"
    return "\n".join(
        [
            f"OpenPXS demo on {shown(settings.database_url)} "
            f"({plural(created, 'new card')}; {reset})",
            f"  API reference  {base}/docs",
            f"  API base       {base}/rest/24.11",
            "  POS (b2b)      demo-pos / demo-pos-secret (merchant 1000), "
            "demo2-pos / demo2-pos-secret (merchant 2000)",
            "  app            demo-app / demo-app-secret (merchant 1000)",
            f"  demo guest     {DEMO_USERNAME} / {DEMO_PASSWORD} "
            f"(merchant 1000, loyalty card {DEMO_CARD})",
            f"  console        {base}/console/ (merchant 1000): "
            + ", ".join(f"{email} / {password}" for email, password, _ in DEMO_OPERATORS),
        ]
    )


@db_app.command("upgrade")
def db_upgrade(database: str | None = DatabaseOption) -> None:
    """Create or migrate the schema.

    Brings the schema to this version's newest revision.
    Creates a SQLite database file that does not exist yet; a PostgreSQL database
    must have been created first (docs/operator/postgresql.md).
    """

    async def upgrade(url: str) -> None:
        engine = await open_database(url, create=True)
        await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    run(url, upgrade(url))
    console.print("schema is up to date")


@app.command()
def audit(database: str | None = DatabaseOption) -> None:
    """Check every balance against its journal.

    Proves every balance equals the sum of its journal and exits 1 if one does not. The
    database must exist and be at this version's schema (exit 4 otherwise).
    """
    from openpxs.store.audit import audit as run_audit

    async def check(url: str) -> tuple[int, list[object]]:
        engine = await open_database(url)
        try:
            async with engine.connect() as conn:
                checked, problems = await run_audit(conn)
                return checked, list(problems)
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    checked, problems = run(url, check(url))
    for problem in problems:
        err.print(f"[red]discrepancy[/] {problem}")
    if problems:
        err.print(
            f"audit failed: {plural(len(problems), 'discrepancy', 'discrepancies')} "
            f"in {plural(checked, 'balance')}"
        )
        sys.exit(ExitCode.CHECK_FAILED)
    verb = "matches its" if checked == 1 else "match their"
    console.print(f"audit clean: {plural(checked, 'balance')} {verb} journal")


@app.command()
def expire(database: str | None = DatabaseOption) -> None:
    """Write off lapsed value now.

    Every lot whose expiry has passed is written off, each as a journaled transaction
    (calls also do it lazily, account by account).
    """
    from openpxs.domain.clock import Clock
    from openpxs.services.expiry import expire_everything
    from openpxs.store.uow import unit_of_work

    async def write_off(url: str) -> int:
        engine = await open_database(url)
        try:
            return await expire_everything(lambda: unit_of_work(engine), Clock().now())
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    count = run(url, write_off(url))
    console.print(f"expired value on {plural(count, 'account')}")


outbox_app = command_group("Outbound guest messages.")
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("deliver")
def outbox_deliver(database: str | None = DatabaseOption) -> None:
    """Send every message that is due now.

    Once, through OPENPXS_MAIL_TRANSPORT: for a setup whose servers run with
    OPENPXS_OUTBOX_WORKER=false. Wallet pass updates of balances changed since the
    last delivery are queued first (sent with OPENPXS_WALLET_UPDATES=send).
    """
    from openpxs.domain.clock import Clock
    from openpxs.logs import configure_logging
    from openpxs.messaging import deliver_everything_due, transport_from_settings

    with reported_failures(database):
        settings = cli_settings(database)
        _check_mail(settings)
    # The log transport's lines (and failed sends) go to stderr as the server's do.
    configure_logging(settings.log_level)

    async def deliver(url: str) -> int:
        from openpxs.messaging.wallet_push import with_wallet_updates
        from openpxs.messaging.webhooks import with_webhooks
        from openpxs.services.wallet_passes import sweep
        from openpxs.store.uow import unit_of_work

        engine = await open_database(url)
        try:
            # Wallet pass updates of balances changed since the last sweep, first.
            async with unit_of_work(engine) as uow:
                await sweep(uow, Clock().now())
            transport = with_wallet_updates(transport_from_settings(settings), settings, engine)
            transport = with_webhooks(transport, settings, engine)
            try:
                return await deliver_everything_due(engine, transport, Clock().now())
            finally:
                await transport.aclose()
        finally:
            await engine.dispose()

    sent = run(settings.database_url, deliver(settings.database_url))
    console.print(f"delivered {plural(sent, 'message')}")


@outbox_app.command("pending")
def outbox_pending(database: str | None = DatabaseOption) -> None:
    """Count the outbox.

    Messages due now, waiting for a retry, given up (failed) and sent.
    """
    from openpxs.domain.clock import Clock
    from openpxs.messaging.outbox import OutboxCounts
    from openpxs.store.uow import reading

    async def count(url: str) -> OutboxCounts:
        engine = await open_database(url)
        try:
            async with reading(engine) as uow:
                return await uow.outbox.counts(now=Clock().now())
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    found = run(url, count(url))
    console.print(
        f"due {found.due}\nwaiting {found.waiting}\nfailed {found.failed}\nsent {found.sent}"
    )


@app.command()
def openapi(
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write to this file.",
        show_default="standard output",
    ),
) -> None:
    """Print the API reference as OpenAPI JSON.

    What /openapi.json serves, sorted and indented so that a committed copy shows every
    change of the wire contract in a diff.
    """
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
    from openpxs.cli_commerce import gifts_app, subscriptions_app
    from openpxs.cli_config import cards_app, config_app
    from openpxs.cli_operators import operators_app
    from openpxs.cli_payments import payments_app
    from openpxs.cli_reports import reports_app
    from openpxs.cli_surveys import surveys_app
    from openpxs.cli_webhooks import webhooks_app

    app.add_typer(config_app, name="config")
    app.add_typer(cards_app, name="cards")
    app.add_typer(payments_app, name="payments")
    app.add_typer(surveys_app, name="surveys")
    app.add_typer(reports_app, name="reports")
    app.add_typer(gifts_app, name="gifts")
    app.add_typer(subscriptions_app, name="subscriptions")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(operators_app, name="operators")


_add_config_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
