"""A card's transaction history, as the Transaction and Guest services show it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from openpxs.domain.cards import CardRef
from openpxs.domain.clock import end_of_day
from openpxs.domain.money import from_units
from openpxs.domain.program import Program, WalletDef
from openpxs.services.books import find_card
from openpxs.store.repositories.transactions import HistoryRow
from openpxs.store.uow import UnitOfWork

MAX_HISTORY = 500


@dataclass
class HistoryDetail:
    wallet: WalletDef
    accrued: Decimal
    redeemed: Decimal
    balance: Decimal


@dataclass
class HistoryEntry:
    """One transaction of the account as its history shows it, with what it did to each
    wallet (the card is the account's own when the transaction names none)."""

    transaction: HistoryRow
    details: list[HistoryDetail]


async def history(
    uow: UnitOfWork,
    program: Program,
    ref: CardRef,
    start: date | None,
    end: date | None,
    limit: int | None,
    only_balance_affecting: bool,
) -> list[HistoryEntry]:
    """The account's transactions, newest first, with per-wallet amounts and balances.
    Dates are the merchant's local days."""
    card = await find_card(uow, program.merchant_id, ref)
    if card.account_id is None:
        return []
    return await account_history(
        uow, program, card.account_id, card.number, start, end, limit, only_balance_affecting
    )


def local_days(
    program: Program, start: date | None, end: date | None
) -> tuple[datetime | None, datetime | None]:
    """The instants that bound the merchant's local days ``start`` to ``end`` (both
    included): after the first, before the second; None where a day is not given."""
    # Days at the very ends of the calendar bound nothing (and have no neighbour day).
    since = (
        end_of_day(start - timedelta(days=1), program.timezone)
        if start is not None and start > date.min
        else None
    )
    before = (
        end_of_day(end, program.timezone)
        if end is not None and end < date.max - timedelta(days=1)
        else None
    )
    return since, before


async def account_history(
    uow: UnitOfWork,
    program: Program,
    account_id: int,
    card_number: str,
    start: date | None,
    end: date | None,
    limit: int | None,
    only_balance_affecting: bool,
) -> list[HistoryEntry]:
    since, before = local_days(program, start, end)
    rows = await uow.history.entries(
        program.merchant_id,
        account_id,
        since=since,
        before=before,
        limit=min(limit or MAX_HISTORY, MAX_HISTORY),
        only_balance_affecting=only_balance_affecting,
    )
    details: dict[int, list[HistoryDetail]] = {}
    for s in await uow.history.journal_sums(program.merchant_id, account_id, [r.id for r in rows]):
        wallet = program.wallets.get(s.wallet_code)
        if wallet is None:
            continue
        details.setdefault(s.transaction_id, []).append(
            HistoryDetail(
                wallet,
                from_units(s.accrued_units, wallet.scale),
                from_units(s.redeemed_units, wallet.scale),
                from_units(s.balance_units, wallet.scale),
            )
        )
    return [
        HistoryEntry(replace(r, card_number=r.card_number or card_number), details.get(r.id, []))
        for r in rows
    ]
