"""``openpxs config ...`` and ``openpxs cards ...``: program setup from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from openpxs.cli_support import (
    DatabaseOption,
    ExitCode,
    command_group,
    open_database,
    plural,
    reported_failures,
    run,
    settings,
)
from openpxs.config.loader import ConfigError, ConfigIssue, line_of, load_config
from openpxs.config.model import CardRangeConfig, MerchantConfig, format_loc
from openpxs.store.card_issue import CardIssueError, issue_cards
from openpxs.store.config_apply import ApplyReport, ConfigApplyError, apply_config

config_app = command_group("Check and apply merchant configuration files.")
cards_app = command_group("Issue ranges of inactive cards.")


def default_database_url() -> str:
    """The database every command uses unless told otherwise (settings.py)."""
    with reported_failures():
        return settings().database_url
    raise AssertionError("unreachable")  # pragma: no cover (a failure exits)


def _fail(lines: list[str], code: ExitCode = ExitCode.CONFIGURATION) -> typer.Exit:
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(int(code))


def _load(file: Path) -> MerchantConfig:
    try:
        return load_config(file)
    except ConfigError as exc:
        raise _fail([str(issue) for issue in exc.issues]) from None


@config_app.command("validate")
def validate(
    file: Path = typer.Argument(..., metavar="FILE", help="A merchant program YAML file."),
) -> None:
    """Check a program file.

    Lists every problem with its field and line, without touching any database.
    """
    config = _load(file)
    m = config.merchant
    Console(soft_wrap=True).print(
        f"[green]ok[/green] {file}: merchant {m.id} ({m.name}): "
        f"{plural(len(config.programs), 'program')}, "
        f"{plural(len(config.card_templates), 'card template')}, "
        f"{plural(len(config.wallets), 'wallet')}, {plural(len(config.stores), 'store')}, "
        f"{plural(len(config.integrations), 'integration')}, "
        f"{plural(sum(r.count for r in config.card_ranges), 'card')} in "
        f"{plural(len(config.card_ranges), 'range')}",
        highlight=False,
        markup=True,
        soft_wrap=True,
    )


@config_app.command("apply")
def apply(
    file: Path = typer.Argument(..., metavar="FILE", help="A merchant program YAML file."),
    database: str | None = DatabaseOption,
) -> None:
    """Load a program file into the database.

    Creates or updates the merchant described by FILE and issues its card ranges.
    Creates a SQLite database file that does not exist yet and brings the schema to
    this version's, as `openpxs db upgrade` does.
    """
    config = _load(file)
    url = database or default_database_url()
    total_cards = sum(r.count for r in config.card_ranges)
    try:
        report = run(url, _apply(url, config, total_cards))
    except ConfigApplyError as exc:
        issue = ConfigIssue(str(file), format_loc(exc.loc), line_of(file, exc.loc), exc.reason)
        raise _fail([str(issue)]) from None
    except CardIssueError as exc:
        raise _fail([str(exc)]) from None
    _print_report(file, report)


async def _apply(url: str, config: MerchantConfig, total_cards: int) -> ApplyReport:
    engine = await open_database(url, create=True)
    try:
        with _progress() as bar:
            task = bar.add_task("cards", total=total_cards)
            async with engine.begin() as conn:
                return await apply_config(
                    conn,
                    config,
                    datetime.now(UTC),
                    progress=lambda n: bar.update(task, completed=n),
                )
    finally:
        await engine.dispose()


def _print_report(file: Path, report: ApplyReport) -> None:
    console = Console(soft_wrap=True)
    state = "created" if report.merchant_created else "updated"
    if not report.changed:
        state = "unchanged"
    # soft_wrap: a long path must not break the line scripts grep for.
    console.print(
        f"{file}: merchant {report.merchant_id} {state}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    table = Table("section", "created", "updated", "unchanged", "not in file (kept)")
    for name, changes in report.sections.items():
        table.add_row(
            name,
            str(len(changes.created)),
            str(len(changes.updated)),
            str(changes.unchanged),
            ", ".join(changes.not_in_file) or "-",
        )
    console.print(table)
    if report.disabled_integrations:
        console.print(
            "disabled integrations no longer in the file: "
            + ", ".join(report.disabled_integrations),
            highlight=False,
            markup=False,
        )
    console.print(f"new cards: {report.new_cards}", highlight=False, markup=False)


@cards_app.command("generate")
def generate(
    merchant: int = typer.Option(..., "--merchant", metavar="ID", help="Merchant id."),
    template: int = typer.Option(..., "--template", metavar="CODE", help="Card template code."),
    start: str = typer.Option(
        ..., "--start", metavar="NUMBER", help="First printed card number (digits)."
    ),
    count: int = typer.Option(..., "--count", metavar="N", help="How many consecutive numbers."),
    registration_code: str | None = typer.Option(
        None,
        "--registration-code",
        metavar="CODE",
        help="Registration code printed on every card.",
        show_default="none",
    ),
    database: str | None = DatabaseOption,
) -> None:
    """Issue a range of inactive cards.

    COUNT consecutive numbers from START; numbers that already exist are skipped. The
    database must exist and hold the merchant (`openpxs config apply` first).
    """
    try:
        card_range = CardRangeConfig(
            template=template, start=start, count=count, registration_code=registration_code
        )
    except ValidationError as exc:
        raise _fail(
            [_option_error(e["loc"], e["msg"]) for e in exc.errors()], ExitCode.USAGE
        ) from None
    url = database or default_database_url()
    try:
        created = run(url, _generate(url, merchant, card_range))
    except CardIssueError as exc:
        raise _fail([str(exc)]) from None
    Console(soft_wrap=True).print(
        f"merchant {merchant} template {template}: {plural(created, 'new card')}, "
        f"{card_range.count - created} already existed "
        f"({card_range.start} to {card_range.last:0{len(card_range.start)}d})",
        highlight=False,
        markup=False,
    )


def _option_error(loc: tuple[str | int, ...], message: str) -> str:
    reason = message.removeprefix("Value error, ")
    return f"--{str(loc[0]).replace('_', '-')}: {reason}" if loc else reason


async def _generate(url: str, merchant: int, card_range: CardRangeConfig) -> int:
    engine = await open_database(url)
    try:
        with _progress() as bar:
            task = bar.add_task("cards", total=card_range.count)
            async with engine.begin() as conn:
                return await issue_cards(
                    conn,
                    merchant,
                    card_range.template,
                    card_range.start,
                    card_range.count,
                    card_range.registration_code,
                    progress=lambda n: bar.update(task, completed=n),
                )
    finally:
        await engine.dispose()


def _progress() -> Progress:
    # On stderr, and only on a terminal, so that scripts see just the summary and errors.
    console = Console(stderr=True, soft_wrap=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


OutputOption = typer.Option(
    None,
    "--output",
    "-o",
    metavar="FILE",
    help="Write to this file.",
    show_default="standard output",
)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


@config_app.command("schema")
def schema(output: Path | None = OutputOption) -> None:
    """Print the JSON Schema of a program file.

    For editors: with the YAML language server, a program file whose first line is
    `# yaml-language-server: $schema=FILE` gets completion and checking as you type.
    """
    from openpxs.config.reference import json_schema_text

    _write(json_schema_text(), output)


@config_app.command("reference")
def reference(output: Path | None = OutputOption) -> None:
    """Print the program file reference (Markdown).

    Every section and field of a program file with its type, default and meaning,
    generated from the model that checks the files (docs/reference/config.md).
    """
    from openpxs.config.reference import markdown_reference

    _write(markdown_reference(), output)
