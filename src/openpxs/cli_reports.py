"""``openpxs reports ...``: the program's reports from the ledger, as a table on the
terminal, CSV or an SVG chart."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table as RichTable

from openpxs.cli_support import (
    CommandFailure,
    DatabaseOption,
    ExitCode,
    command_group,
    fail,
    open_database,
    reported_failures,
    run,
)
from openpxs.cli_support import settings as cli_settings

if TYPE_CHECKING:
    from openpxs.services.reports import Report
    from openpxs.store.uow import UnitOfWork

reports_app = command_group("Reports from the ledger: liability, activity, enrollments.")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

MerchantOption = typer.Option(..., "--merchant", metavar="ID", help="Merchant id.")
FromOption = typer.Option(
    ..., "--from", metavar="YYYY-MM-DD", help="First day (the merchant's calendar)."
)
ToOption = typer.Option(
    ..., "--to", metavar="YYYY-MM-DD", help="Last day, included (at most 400 days)."
)
StoreOption = typer.Option(
    None, "--store", metavar="CODE", help="Only what this store's transactions did."
)
CsvOption = typer.Option(
    None, "--csv", metavar="FILE", help="Write the report as CSV to this file (- for stdout)."
)
SvgOption = typer.Option(None, "--svg", metavar="FILE", help="Write the report's chart here.")
DormantOption = typer.Option(
    365, "--dormant-days", metavar="N", help="Accounts idle this long hold dormant value."
)


def _produce(
    merchant: int,
    first: str,
    last: str,
    database: str | None,
    read: Callable[[UnitOfWork, int, date, date], Awaitable[Report]],
) -> Report:
    from openpxs.domain.errors import DomainError
    from openpxs.domain.reports import parse_day
    from openpxs.store.uow import reading

    try:
        days = parse_day(first), parse_day(last)
    except DomainError as refusal:
        fail(ExitCode.USAGE, str(refusal))

    async def produce(url: str) -> Report:
        engine = await open_database(url)
        try:
            async with reading(engine) as uow:
                try:
                    return await read(uow, merchant, *days)
                except DomainError as refusal:
                    raise CommandFailure(ExitCode.USAGE, str(refusal)) from None
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    return run(url, produce(url))


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        fail(ExitCode.USAGE, f"cannot write {path}: {exc.strerror or exc}")
    err.print(f"wrote {what} to {path}")


def _show(
    report: Report, csv_file: str | None, svg_file: Path | None, wallet: int | None = None
) -> None:
    """The chart and the CSV where asked; the table on the terminal when neither was."""
    import io

    from openpxs.console.report_charts import chart_of
    from openpxs.services.reports import write_csv

    table = report.table()
    if svg_file is not None:
        _write(svg_file, chart_of(report, wallet), "the chart")
    if csv_file == "-":
        write_csv(table, sys.stdout)
    elif csv_file is not None:
        text = io.StringIO()
        write_csv(table, text)
        _write(Path(csv_file), text.getvalue(), f"{len(table.rows)} rows")
    if csv_file is None and svg_file is None:
        _print(report)


def _print(report: Report) -> None:
    from openpxs.services.reports import LiabilityReport

    scope = report.scope
    store = f", store {scope.store_code}" if scope.store_code else ""
    shown = RichTable(
        *report.table().header,
        title=f"{report.title}: {scope.merchant_name} ({scope.merchant_id}), "
        f"{scope.period.first} to {scope.period.last}{store}",
    )
    for row in report.table().rows:
        shown.add_row(*row)
    console.print(shown)
    if isinstance(report, LiabilityReport):
        for wallet in report.wallets:
            console.print(
                f"{wallet.name} (wallet {wallet.code}): {report.closing(wallet.code)} "
                f"outstanding at the end, {report.expired(wallet.code)} expired, "
                f"{report.dormant[wallet.code]} dormant "
                f"(idle {report.dormant_days} days)"
            )


@reports_app.command("liability")
def liability(
    merchant: int = MerchantOption,
    first: str = FromOption,
    last: str = ToOption,
    store: str | None = StoreOption,
    dormant_days: int = DormantOption,
    csv_file: str | None = CsvOption,
    svg_file: Path | None = SvgOption,
    database: str | None = DatabaseOption,
) -> None:
    """Stored value outstanding at the end of each day, and its breakage.

    One row per day and currency wallet: the value outstanding when the day ended, what
    was added, spent and written off by expiry that day; on the last day, the value on
    accounts with no activity (expiry aside) for --dormant-days.
    """
    _outstanding(
        "liability", merchant, first, last, store, dormant_days, database, csv_file, svg_file
    )


@reports_app.command("points")
def points(
    merchant: int = MerchantOption,
    first: str = FromOption,
    last: str = ToOption,
    store: str | None = StoreOption,
    dormant_days: int = DormantOption,
    csv_file: str | None = CsvOption,
    svg_file: Path | None = SvgOption,
    database: str | None = DatabaseOption,
) -> None:
    """Points and rewards outstanding at the end of each day.

    The same columns as the liability report, over the points and reward wallets.
    """
    _outstanding("points", merchant, first, last, store, dormant_days, database, csv_file, svg_file)


def _outstanding(
    which: str,
    merchant: int,
    first: str,
    last: str,
    store: str | None,
    dormant_days: int,
    database: str | None,
    csv_file: str | None,
    svg_file: Path | None,
) -> None:
    """The liability or points report (``which``): the two take the same options."""
    from openpxs.services import reports

    produce = reports.liability if which == "liability" else reports.points

    async def read(uow: UnitOfWork, merchant_id: int, first: date, last: date) -> Report:
        return await produce(
            uow, merchant_id, first, last, store_code=store, dormant_days=dormant_days
        )

    _show(_produce(merchant, first, last, database, read), csv_file, svg_file)


@reports_app.command("activity")
def activity(
    merchant: int = MerchantOption,
    first: str = FromOption,
    last: str = ToOption,
    store: str | None = StoreOption,
    wallet: int | None = typer.Option(
        None, "--wallet", metavar="CODE", help="The wallet the chart shows (default: the first)."
    ),
    csv_file: str | None = CsvOption,
    svg_file: Path | None = SvgOption,
    database: str | None = DatabaseOption,
) -> None:
    """Accrual and redemption by day, store and wallet.

    One row per day, store and wallet that moved: value accrued (every credit), redeemed
    (every debit but expiry), expired, and the net change. Transactions recorded without
    a store (expiry) have an empty store.
    """
    from openpxs.services import reports

    async def read(uow: UnitOfWork, merchant_id: int, first: date, last: date) -> Report:
        return await reports.activity(uow, merchant_id, first, last, store_code=store)

    _show(_produce(merchant, first, last, database, read), csv_file, svg_file, wallet)


@reports_app.command("enrollments")
def enrollments(
    merchant: int = MerchantOption,
    first: str = FromOption,
    last: str = ToOption,
    store: str | None = StoreOption,
    csv_file: str | None = CsvOption,
    svg_file: Path | None = SvgOption,
    database: str | None = DatabaseOption,
) -> None:
    """Accounts opened per day and channel.

    The channel is the name of the integration that recorded the account's activation
    (the POS, the guest app, ...), or server for the server's own tools.
    """
    from openpxs.services import reports

    async def read(uow: UnitOfWork, merchant_id: int, first: date, last: date) -> Report:
        return await reports.enrollments(uow, merchant_id, first, last, store_code=store)

    _show(_produce(merchant, first, last, database, read), csv_file, svg_file)


@reports_app.command("challenges")
def challenges(
    merchant: int = MerchantOption,
    first: str = FromOption,
    last: str = ToOption,
    store: str | None = StoreOption,
    csv_file: str | None = CsvOption,
    svg_file: Path | None = SvgOption,
    database: str | None = DatabaseOption,
) -> None:
    """Challenge occurrences completed per day and challenge.

    Completions by accounts and by social groups; with --store, the accounts' completions
    whose reward was paid at that store.
    """
    from openpxs.services import reports

    async def read(uow: UnitOfWork, merchant_id: int, first: date, last: date) -> Report:
        return await reports.challenges(uow, merchant_id, first, last, store_code=store)

    _show(_produce(merchant, first, last, database, read), csv_file, svg_file)
