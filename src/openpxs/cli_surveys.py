"""``openpxs surveys ...``: the answers guests gave to a merchant's surveys."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console

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

surveys_app = command_group("Guest surveys.")
err = Console(stderr=True, soft_wrap=True)


@surveys_app.command("export")
def surveys_export(
    merchant: int = typer.Option(..., "--merchant", metavar="ID", help="Merchant id."),
    survey: str = typer.Option(..., "--survey", metavar="CODE", help="The survey's code."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write the CSV to this file.",
        show_default="standard output",
    ),
    database: str | None = DatabaseOption,
) -> None:
    """Write a survey's responses as CSV.

    One row per response, oldest first: its id, when it was sent (UTC), the occurrence
    it answered, the card and username of the account, the store it named and the
    ledger transaction that paid its reward; then one column per question, named by
    its code, holding the choice codes (separated by ;) or the text. A cell a
    spreadsheet would run as a formula starts with an apostrophe. The survey must be in
    the merchant's applied program file.
    """
    from openpxs.domain.errors import DomainError
    from openpxs.services.survey_export import AnswerTable, answer_table
    from openpxs.store.uow import reading

    async def read(url: str) -> AnswerTable:
        engine = await open_database(url)
        try:
            async with reading(engine) as uow:
                try:
                    return await answer_table(uow, merchant, survey)
                except DomainError as refusal:
                    raise CommandFailure(ExitCode.CONFIGURATION, str(refusal)) from None
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    table = run(url, read(url))
    if output is None:
        _write(sys.stdout, table.header, table.rows)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as file:
            _write(file, table.header, table.rows)
    except OSError as exc:
        fail(ExitCode.USAGE, f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"wrote {len(table.rows)} responses to {output}")


def _write(out: TextIO, header: list[str], rows: list[list[str]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
