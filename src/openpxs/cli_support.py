"""What every ``openpxs`` command shares: its exit codes, the database it opens, and one
clear line instead of a traceback for the failures an operator can fix.

Only ``serve``, ``demo``, ``db upgrade`` and ``config apply`` create a database (a
SQLite file) or its schema. Every other command opens an existing database at this
version's schema, or refuses: a mistyped path must never look like an empty, clean
ledger.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pydantic
import typer
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.settings import Settings
from openpxs.store.db import DatabaseUrlError, create_engine, migrate, schema_revision
from openpxs.store.migrations.runner import head_revision, known_revisions

T = TypeVar("T")


def command_group(help: str, **kwargs: Any) -> typer.Typer:
    """A Typer with plain help: every option shows its value's name and its default,
    never a bare type label, and the text is the same in a terminal and in the
    generated docs/reference/cli.md."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, **kwargs)


DatabaseOption: Any = typer.Option(
    None,
    "--database",
    metavar="URL",
    help="Database: sqlite:///FILE or postgresql://USER@HOST:PORT/NAME.",
    show_default="$OPENPXS_DATABASE_URL, else sqlite:///./openpxs.db",
)


class ExitCode(IntEnum):
    """The documented exit codes (docs/reference/cli.md); scripts may rely on them."""

    OK = 0
    # The command ran and found a problem it reports (audit: a discrepancy; config apply
    # --if-version: the program changed since that version).
    CHECK_FAILED = 1
    # The command line itself is wrong (an unknown option, a bad value).
    USAGE = 2
    # A setting, the database URL or a program file is invalid.
    CONFIGURATION = 3
    # The database does not exist, cannot be reached, or has another schema version.
    DATABASE = 4
    # serve/demo: the address to listen on is taken or cannot be used.
    ADDRESS_IN_USE = 5


EXIT_CODE_MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.CHECK_FAILED: "a check failed: `audit` found a discrepancy, or `config apply "
    "--if-version` found the live program changed since that version",
    ExitCode.USAGE: "the command line is wrong: an unknown option, a missing or bad value",
    ExitCode.CONFIGURATION: "invalid configuration: an `OPENPXS_*` setting, the database URL "
    "(only `sqlite:///` and `postgresql://`), a program file, or a merchant or card "
    "template the database does not hold",
    ExitCode.DATABASE: "the database does not exist, cannot be reached, refuses the login, "
    "or is at another schema version",
    ExitCode.ADDRESS_IN_USE: "`serve`/`demo`: the address to listen on is taken or cannot be used",
}


class CommandFailure(Exception):
    """A failure to report as one line and an exit code, never as a traceback."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Debug:
    # Set by `openpxs --debug` (the root callback runs before every command).
    on = False


def set_debug(on: bool) -> None:
    _Debug.on = on


def debug_requested() -> bool:
    """``openpxs --debug ...``: show the full traceback of a failure."""
    return _Debug.on


def fail(code: ExitCode, message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(code))


@contextmanager
def reported_failures(database_url: str | None = None) -> Iterator[None]:
    """Turn the failures an operator can fix into one line and their exit code.

    Anything else is a fault of OpenPXS itself and keeps its traceback; ``--debug``
    keeps the traceback of every failure.
    """
    try:
        yield
    except CommandFailure as exc:
        if debug_requested() and exc.__cause__ is not None:
            raise
        fail(exc.code, exc.message)
    except (DatabaseUrlError, ArgumentError) as exc:
        if debug_requested():
            raise
        fail(ExitCode.CONFIGURATION, _url_problem(exc, database_url))
    except (OSError, TimeoutError, OperationalError, InterfaceError) as exc:
        # Raised while the database was in use: it went away or became unusable.
        if debug_requested():
            raise
        fail(ExitCode.DATABASE, unavailable(exc, database_url))


def _url_problem(exc: Exception, database_url: str | None) -> str:
    if isinstance(exc, DatabaseUrlError):
        return str(exc)
    return f"not a database URL: {database_url!r} (use sqlite:///FILE or postgresql://...)"


def settings(database: str | None = None, **overrides: object) -> Settings:
    """The OPENPXS_* settings with the command line's options over them."""
    try:
        found = Settings()
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"OPENPXS_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise CommandFailure(ExitCode.CONFIGURATION, f"invalid setting: {problems}") from exc
    if database:
        found.database_url = database
    for key, value in overrides.items():
        if value is not None:
            setattr(found, key, value)
    return found


def shown(url: str) -> str:
    """A database URL fit for a message: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# PostgreSQL's SQLSTATEs for the mistakes of a first setup, and what to do about them.
_HINTS = {
    "3D000": "create it first: docs/operator/postgresql.md",
    "28000": "create the role first: docs/operator/postgresql.md",
    "28P01": "check the password in the URL",
}


def unavailable(exc: BaseException, url: str | None) -> str:
    """One line saying why the database could not be used."""
    where = shown(url) if url else "the database"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        reason = str(exc.orig).strip().splitlines()[0]
        hint = _HINTS.get(getattr(exc.orig, "sqlstate", None) or "")
        if hint:
            reason = f"{reason} ({hint})"
    elif isinstance(exc, socket.gaierror):
        reason = f"unknown host ({exc.strerror})"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror.lower()
        if isinstance(exc, ConnectionRefusedError):
            reason = "connection refused (is the server running, on this host and port?)"
    elif isinstance(exc, TimeoutError):
        reason = "timed out connecting"
    else:
        reason = str(exc) or type(exc).__name__
    return f"cannot use database {where}: {reason}"


def run(database_url: str, work: Coroutine[Any, Any, T]) -> T:
    """Run one command's asynchronous work, reporting database failures as one line."""
    with reported_failures(database_url):
        return asyncio.run(work)
    raise AssertionError("unreachable")  # pragma: no cover (fail() always raises)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another backend or an in-memory database)."""
    parsed: URL = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


async def open_database(url: str, *, create: bool = False, pool_size: int = 20) -> AsyncEngine:
    """An engine on ``url``, connected once so a missing or unreachable database is
    reported now.

    ``create``: make the SQLite file if absent and bring the schema to this version.
    Otherwise the database must exist and already be at this version's schema.
    """
    file = sqlite_file(url)
    if not create and file is not None and not file.is_file():
        raise CommandFailure(
            ExitCode.DATABASE,
            f"database file {file.absolute()} does not exist: pass --database (or set "
            "OPENPXS_DATABASE_URL) to use another, or create it with `openpxs demo`, "
            "`openpxs db upgrade` or `openpxs config apply`",
        )
    engine = create_engine(url, pool_size=pool_size)
    try:
        try:
            async with engine.connect() as conn:
                revision = await schema_revision(conn)
        except (DBAPIError, OSError, TimeoutError) as exc:
            raise CommandFailure(ExitCode.DATABASE, unavailable(exc, url)) from exc
        if revision is not None and revision not in known_revisions():
            raise CommandFailure(ExitCode.DATABASE, _schema_problem(url, revision))
        if create:
            await migrate(engine)
        elif revision != head_revision():
            raise CommandFailure(ExitCode.DATABASE, _schema_problem(url, revision))
    except BaseException:
        await engine.dispose()
        raise
    return engine


def _schema_problem(url: str, revision: str | None) -> str:
    if revision is None:
        return (
            f"database {shown(url)} has no OpenPXS schema: "
            "run `openpxs db upgrade` (or `openpxs serve`) to create it"
        )
    if revision not in known_revisions():
        return (
            f"database {shown(url)} is at schema revision {revision}, which this version of "
            f"OpenPXS (schema {head_revision()}) does not know: it was upgraded by a newer "
            "version; run that version, or restore the backup taken before the upgrade"
        )
    return (
        f"database {shown(url)} is at schema revision {revision}, this version of OpenPXS "
        f"needs {head_revision()}: run `openpxs db upgrade`"
    )


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 program``, ``2 programs``, ``0 programs``."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"
