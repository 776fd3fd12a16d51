"""``openpxs config ...`` and ``openpxs cards ...``: program setup from the command line."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from openpxs.cli_program import CheckFileError, print_diff, print_simulation, read_check_file
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
from openpxs.services import program_drafts
from openpxs.services.card_ranges import RangeRefused, issue_printed_range
from openpxs.services.program_drafts import DraftRefused, StaleDraft
from openpxs.store.card_issue import CardIssueError, issue_cards
from openpxs.store.config_apply import ApplyReport, ConfigApplyError, apply_config
from openpxs.store.uow import reading, rolled_back, unit_of_work

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
    if_version: int | None = typer.Option(
        None,
        "--if-version",
        metavar="N",
        help="Apply only if the live program is still at version N (as `config diff` "
        "showed it); exit 1 and change nothing if another apply came first.",
        show_default="apply whatever the live version",
    ),
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
        # The file's text is kept with the program (secrets replaced by their hashes).
        text = file.read_text(encoding="utf-8")
        if if_version is None:
            report = run(url, _apply(url, config, total_cards, text))
        else:
            report = run(url, _apply_if_version(url, text, if_version))
    except StaleDraft as exc:
        raise _fail([f"{file}: {exc}"], ExitCode.CHECK_FAILED) from None
    except ConfigApplyError as exc:
        issue = ConfigIssue(str(file), format_loc(exc.loc), line_of(file, exc.loc), exc.reason)
        raise _fail([str(issue)]) from None
    except CardIssueError as exc:
        raise _fail([str(exc)]) from None
    _print_report(file, report)


async def _apply(url: str, config: MerchantConfig, total_cards: int, text: str) -> ApplyReport:
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
                    source=text,
                )
    finally:
        await engine.dispose()


async def _apply_if_version(url: str, text: str, version: int) -> ApplyReport:
    engine = await open_database(url)
    try:
        async with unit_of_work(engine) as uow:
            return await program_drafts.apply_draft(
                uow, text, datetime.now(UTC), taken_version=version
            )
    finally:
        await engine.dispose()


MerchantOption: Any = typer.Option(
    None,
    "--merchant",
    metavar="ID",
    help="Refuse a FILE that is not this merchant's program.",
    show_default="the merchant FILE names",
)


def _draft(file: Path) -> str:
    """The file's text, once it is known to be a valid program (errors as `validate`)."""
    _load(file)
    return file.read_text(encoding="utf-8")


@config_app.command("diff")
def diff(
    file: Path = typer.Argument(..., metavar="FILE", help="A merchant program YAML file."),
    merchant: int | None = MerchantOption,
    database: str | None = DatabaseOption,
) -> None:
    """Show what applying a program file would change.

    Compares FILE with the merchant's live program in the database: each change by
    path (wallets, rules, tiers, templates, stores, challenges...), then a unified diff
    of both programs written out in full. Shows the live version to pass to `config
    apply --if-version`. Writes nothing.
    """
    text = _draft(file)
    url = database or default_database_url()
    try:
        found = run(url, _diff(url, text, merchant))
    except DraftRefused as exc:
        raise _fail([f"{file}: {exc}"]) from None
    print_diff(file, found)


async def _diff(url: str, text: str, merchant: int | None) -> program_drafts.DraftDiff:
    engine = await open_database(url)
    try:
        async with reading(engine) as uow:
            return await program_drafts.diff_draft(uow, text, merchant)
    finally:
        await engine.dispose()


@config_app.command("simulate")
def simulate(
    file: Path = typer.Argument(..., metavar="FILE", help="A merchant program YAML file."),
    check: Path = typer.Option(
        ...,
        "--check",
        metavar="CHECK.json",
        help="The check: {storeCode, check} as in a check/simulateAccrualAndRedemption.json "
        "request.",
    ),
    card: str | None = typer.Option(
        None,
        "--card",
        metavar="NUMBER",
        help="The guest's card: their balances and tier count.",
        show_default="a new guest",
    ),
    account: int | None = typer.Option(
        None,
        "--account",
        metavar="ID",
        help="The guest's account (its lowest active card).",
        show_default="a new guest",
    ),
    template: int | None = typer.Option(
        None,
        "--template",
        metavar="CODE",
        help="Without a card: the new guest's card template.",
        show_default="the program's first",
    ),
    tier: int | None = typer.Option(
        None,
        "--tier",
        metavar="CODE",
        help="Without a card: the tier the new guest is at.",
        show_default="none",
    ),
    merchant: int | None = MerchantOption,
    database: str | None = DatabaseOption,
) -> None:
    """Try a check under the live program and a program file, side by side.

    What each would earn and redeem, per rule and per wallet, with the same evaluation
    the POS calls use. Runs in a transaction that is rolled back: writes nothing.
    """
    text = _draft(file)
    if card is not None and account is not None:
        raise _fail(["give --card or --account, not both"], ExitCode.USAGE)
    try:
        trial = read_check_file(check, card=card, account=account, template=template, tier=tier)
    except CheckFileError as exc:
        raise _fail([str(exc)], ExitCode.USAGE) from None
    url = database or default_database_url()
    try:
        found = run(url, _simulate(url, text, trial, merchant))
    except DraftRefused as exc:
        raise _fail([f"{file}: {exc}"]) from None
    print_simulation(file, check, found)


async def _simulate(
    url: str, text: str, trial: program_drafts.TrialCheck, merchant: int | None
) -> program_drafts.Simulation:
    engine = await open_database(url)
    try:
        async with rolled_back(engine) as uow:
            return await program_drafts.simulate_draft(
                uow, text, trial, datetime.now(UTC), merchant
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
        show_default="none; with --print-file, one of its own per card",
    ),
    print_file: Path | None = typer.Option(
        None,
        "--print-file",
        metavar="FILE",
        help="Write the new cards to this CSV file for the printer: card number, its "
        "registration code in clear, range and template. FILE must not exist yet.",
        show_default="none",
    ),
    database: str | None = DatabaseOption,
) -> None:
    """Issue a range of inactive cards.

    COUNT consecutive numbers from START; numbers that already exist are skipped. The
    database must exist and hold the merchant (`openpxs config apply` first).

    With --print-file every new card gets a random registration code of its own (unless
    --registration-code gives one for all), written in clear only to FILE: the
    database keeps a keyed digest, so the codes cannot be read back later. Keep the file
    as safe as the cards until they are printed.
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
        if print_file is None:
            created = run(url, _generate(url, merchant, card_range))
        else:
            created = _generate_printed(url, merchant, card_range, print_file)
    except (CardIssueError, RangeRefused) as exc:
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


def _generate_printed(url: str, merchant: int, card_range: CardRangeConfig, path: Path) -> int:
    try:
        # Created here, readable by its owner only: it holds every code in clear.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _fail([f"--print-file {path}: {exc.strerror or exc}"]) from None
    done = False
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            created = run(url, _generate_into(url, merchant, card_range, out))
        done = True
    finally:
        if not done:
            # The cards were not issued (rolled back): a file of them would lie.
            path.unlink(missing_ok=True)
    typer.echo(f"wrote {path}", err=True)
    return created


async def _generate_into(url: str, merchant: int, card_range: CardRangeConfig, out: TextIO) -> int:
    engine = await open_database(url)
    try:
        with _progress() as bar:
            task = bar.add_task("cards", total=card_range.count)
            async with unit_of_work(engine) as uow:
                return await issue_printed_range(
                    uow,
                    merchant,
                    card_range,
                    out,
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
