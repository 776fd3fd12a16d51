"""Issuing ranges of inactive cards, as printed and shipped to the stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.cards import CardStatus
from openpxs.security import seal_registration_code
from openpxs.store.tables import card_templates, cards, merchants

MAX_CARD_NUMBER_LENGTH = 64


class CardIssueError(ValueError):
    """The cards cannot be issued: unknown merchant or template, or a bad range."""


async def issue_cards(
    conn: AsyncConnection,
    merchant_id: int,
    template_code: int,
    start: str,
    count: int,
    registration_code: str | None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
    *,
    new_code: Callable[[], str] | None = None,
    issued: Callable[[list[tuple[str, str | None]]], None] | None = None,
) -> int:
    """Create ``count`` inactive cards numbered from ``start``; return how many are new.

    Numbers keep the width of ``start`` (``"0001"`` is followed by ``"0002"``). Numbers
    that already exist for the merchant are left untouched, so re-running a range, or
    resuming one that was interrupted, only fills the gaps. ``progress`` receives the
    count of numbers handled so far (new or skipped) after each batch. Runs inside the
    caller's transaction.

    ``new_code``: each new card gets a code of its own from it, instead of
    ``registration_code``. ``issued`` receives each batch's new cards with their code
    in clear (the one moment it exists: only its digest is stored), for a print file.
    """
    if not start.isascii() or not start.isdigit() or len(start) > MAX_CARD_NUMBER_LENGTH:
        raise CardIssueError(f"start {start!r} must be 1 to {MAX_CARD_NUMBER_LENGTH} digits")
    if count < 1:
        raise CardIssueError("count must be at least 1")
    if batch_size < 1:
        raise CardIssueError("batch_size must be at least 1")
    width = len(start)
    first = int(start)
    if len(str(first + count - 1)) > width:
        raise CardIssueError(f"the range runs past {'9' * width}: card numbers would grow longer")
    await _check_template(conn, merchant_id, template_code)

    insert = _insert_ignoring_existing(conn)
    created = 0
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        numbers = [f"{n:0{width}d}" for n in range(first + done, first + done + size)]
        existing = await _existing(conn, merchant_id, numbers[0], numbers[-1])
        codes = {
            number: new_code() if new_code is not None else registration_code
            for number in numbers
            if number not in existing
        }
        rows: list[dict[str, Any]] = [
            {
                "merchant_id": merchant_id,
                "printed_card_number": number,
                # Only a keyed digest of the code is kept (openpxs.security).
                "registration_code": seal_registration_code(number, code) if code else None,
                "template_code": template_code,
                "status": CardStatus.INACTIVE.value,
            }
            for number, code in codes.items()
        ]
        if rows and issued is not None:
            # Only the numbers this statement inserted: a concurrent issuer's cards
            # carry its codes, not these.
            result = await conn.execute(insert.returning(cards.c.printed_card_number), rows)
            inserted = set(result.scalars().all())
            issued([(number, code) for number, code in codes.items() if number in inserted])
            created += len(inserted)
        elif rows:
            # ON CONFLICT still guards against a concurrent issuer of the same numbers.
            await conn.execute(insert, rows)
            created += len(rows)
        done += size
        if progress is not None:
            progress(done)
    return created


async def _check_template(conn: AsyncConnection, merchant_id: int, template_code: int) -> None:
    found = await conn.scalar(
        select(func.count()).select_from(merchants).where(merchants.c.merchant_id == merchant_id)
    )
    if not found:
        raise CardIssueError(f"merchant {merchant_id} does not exist: apply its configuration")
    found = await conn.scalar(
        select(func.count())
        .select_from(card_templates)
        .where(
            card_templates.c.merchant_id == merchant_id,
            card_templates.c.code == template_code,
        )
    )
    if not found:
        raise CardIssueError(f"merchant {merchant_id} has no card template {template_code}")


def _insert_ignoring_existing(conn: AsyncConnection) -> Any:
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(cards).on_conflict_do_nothing(
            index_elements=["merchant_id", "printed_card_number"]
        )
    if name == "sqlite":
        return sqlite.insert(cards).on_conflict_do_nothing(
            index_elements=["merchant_id", "printed_card_number"]
        )
    raise CardIssueError(f"unsupported database dialect {name!r}")


async def _existing(conn: AsyncConnection, merchant_id: int, low: str, high: str) -> set[str]:
    # Equal-width digit strings sort like the numbers they spell, so one index range scan
    # finds the batch's numbers that already exist (plus, harmlessly, longer numbers
    # that sort in between, which the caller's membership test ignores).
    result = await conn.scalars(
        select(cards.c.printed_card_number).where(
            and_(
                cards.c.merchant_id == merchant_id,
                cards.c.printed_card_number >= low,
                cards.c.printed_card_number <= high,
            )
        )
    )
    return set(result.all())
