"""Issuing a range of printed cards with a print file: the card numbers and, for each,
the registration code printed on it, in clear only in that file.

The database keeps only a keyed digest of each code, so the codes exist in clear only
while the range is issued: the print file is written then, or never.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from openpxs.config.model import CardRangeConfig
from openpxs.services.new_accounts import new_registration_code
from openpxs.store.card_issue import CardIssueError
from openpxs.store.uow import UnitOfWork

PRINT_FILE_COLUMNS = ("printed_card_number", "registration_code", "range", "template")


class RangeRefused(Exception):
    """The range cannot be issued (unknown merchant or template, a bad range)."""


def range_label(card_range: CardRangeConfig) -> str:
    """The range as the print file names it: first and last number."""
    return f"{card_range.start}-{card_range.last:0{len(card_range.start)}d}"


async def issue_printed_range(
    uow: UnitOfWork,
    merchant_id: int,
    card_range: CardRangeConfig,
    print_file: TextIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Issue the range's new cards and write one CSV line per new card to
    ``print_file``; return how many are new. Numbers that already exist are skipped and
    left out of the file (their codes cannot be known again). Every new card gets a code
    of its own, unless the range gives one code for all."""
    writer = csv.writer(print_file, lineterminator="\n")
    writer.writerow(PRINT_FILE_COLUMNS)
    label = range_label(card_range)

    def issued(cards: list[tuple[str, str | None]]) -> None:
        writer.writerows((number, code or "", label, card_range.template) for number, code in cards)

    try:
        return await uow.program_files.issue_cards(
            merchant_id,
            card_range.template,
            card_range.start,
            card_range.count,
            registration_code=card_range.registration_code,
            new_code=None if card_range.registration_code else new_registration_code,
            issued=issued,
            progress=progress,
        )
    except CardIssueError as exc:
        raise RangeRefused(str(exc)) from None
