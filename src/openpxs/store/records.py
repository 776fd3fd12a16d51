"""Cards, accounts and transaction records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.errors import AlreadyVoided
from openpxs.store.tables import accounts, cards, transaction_cards, transactions


@dataclass(frozen=True)
class Card:
    id: int
    number: str
    registration_code: str | None
    template_code: int
    status: str
    account_id: int | None
    # The account's status as read with the card (find_card only): a read-only call
    # can refuse a closed account without taking its lock.
    account_status: str | None = None


def _card(row: Any) -> Card:
    return Card(row[0], row[1], row[2], row[3], row[4], row[5])


# Rows per IN (...) list: well inside every driver's limit on bound parameters.
CHUNK = 500

_CARD_COLUMNS = (
    cards.c.id,
    cards.c.printed_card_number,
    cards.c.registration_code,
    cards.c.template_code,
    cards.c.status,
    cards.c.account_id,
)


# Built once: the card lookup, the account lock and the transaction record run on
# every POS call (see store.ledger).
_FIND_CARD = (
    select(*_CARD_COLUMNS, accounts.c.status)
    .select_from(
        cards.outerjoin(
            accounts,
            (accounts.c.merchant_id == cards.c.merchant_id) & (accounts.c.id == cards.c.account_id),
        )
    )
    .where(cards.c.merchant_id == bindparam("m"), cards.c.printed_card_number == bindparam("n"))
)
_FIND_CARD_LOCKED = _FIND_CARD.with_for_update(of=cards)
_LOCK_ACCOUNTS = (
    select(accounts.c.id, accounts.c.status)
    .where(
        accounts.c.merchant_id == bindparam("m"),
        accounts.c.id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(accounts.c.id)
    .with_for_update()
)
_LOCK_ACCOUNT = (
    select(accounts.c.id, accounts.c.status)
    .where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("id"))
    .with_for_update()
)
_INSERT_TRANSACTION = transactions.insert().returning(transactions.c.id)
_INSERT_ACCOUNTS = accounts.insert().returning(accounts.c.id, sort_by_parameter_order=True)
_ACTIVATE_CARDS = (
    update(cards)
    .where(cards.c.merchant_id == bindparam("m"), cards.c.id == bindparam("card"))
    .values(status="active", account_id=bindparam("account"), activated_at=bindparam("at"))
)
_INSERT_CARD_CHANGES = transaction_cards.insert()


async def find_card(
    conn: AsyncConnection, merchant_id: int, number: str, *, lock: bool = False
) -> Card | None:
    query = _FIND_CARD_LOCKED if lock else _FIND_CARD
    row = (await conn.execute(query, {"m": merchant_id, "n": number})).first()
    if row is None:
        return None
    return Card(*row[:6], account_status=row[6])


async def find_cards(
    conn: AsyncConnection, merchant_id: int, numbers: list[str], *, lock: bool = False
) -> dict[str, Card]:
    """Cards by number; with ``lock``, their row locks are taken in id order."""
    found: dict[str, Card] = {}
    for start in range(0, len(numbers), CHUNK):
        query = select(*_CARD_COLUMNS).where(
            cards.c.merchant_id == merchant_id,
            cards.c.printed_card_number.in_(numbers[start : start + CHUNK]),
        )
        for row in await conn.execute(query):
            card = _card(row)
            found[card.number] = card
    if lock and found:
        # Read first, then lock by id across all chunks: two overlapping bulk sales
        # listing cards in different orders still lock them in the same order.
        locked = await cards_by_ids(conn, merchant_id, [c.id for c in found.values()], lock=True)
        found = {card.number: card for card in locked}
    return found


async def cards_by_ids(
    conn: AsyncConnection, merchant_id: int, ids: list[int], *, lock: bool = False
) -> list[Card]:
    ordered = sorted(set(ids))
    result: list[Card] = []
    for start in range(0, len(ordered), CHUNK):
        query = (
            select(*_CARD_COLUMNS)
            .where(
                cards.c.merchant_id == merchant_id, cards.c.id.in_(ordered[start : start + CHUNK])
            )
            .order_by(cards.c.id)
        )
        if lock:
            query = query.with_for_update()
        result.extend(_card(row) for row in await conn.execute(query))
    return result


async def set_card_state(
    conn: AsyncConnection,
    merchant_id: int,
    card_id: int,
    status: str,
    account_id: int | None,
    activated_at: datetime | None,
) -> None:
    await conn.execute(
        update(cards)
        .where(cards.c.merchant_id == merchant_id, cards.c.id == card_id)
        .values(status=status, account_id=account_id, activated_at=activated_at)
    )


async def revert_cards(
    conn: AsyncConnection,
    merchant_id: int,
    transaction_id: int,
    reverts: list[tuple[Card, str, int]],
) -> None:
    """Put cards back as an undone transaction found them: (card, status, account_id).

    Each change is recorded under ``transaction_id``; a card back to inactive leaves
    its account.
    """
    if not reverts:
        return
    await record_card_changes(
        conn,
        merchant_id,
        transaction_id,
        [(card, account_id, status) for card, status, account_id in reverts],
    )
    to_inactive = [card.id for card, status, _ in reverts if status == "inactive"]
    to_other = [
        {"m": merchant_id, "card": card.id, "st": status, "account": account_id}
        for card, status, account_id in reverts
        if status != "inactive"
    ]
    for start in range(0, len(to_inactive), CHUNK):
        await conn.execute(
            update(cards)
            .where(
                cards.c.merchant_id == merchant_id,
                cards.c.id.in_(to_inactive[start : start + CHUNK]),
            )
            .values(status="inactive", account_id=None, activated_at=None)
        )
    if to_other:
        await conn.execute(
            update(cards)
            .where(cards.c.merchant_id == bindparam("m"), cards.c.id == bindparam("card"))
            .values(status=bindparam("st"), account_id=bindparam("account")),
            to_other,
        )


async def create_accounts(
    conn: AsyncConnection, merchant_id: int, template_codes: list[int], now: datetime
) -> list[int]:
    """New active accounts, one per template code given, ids in the same order."""
    result = await conn.execute(
        _INSERT_ACCOUNTS,
        [
            {
                "merchant_id": merchant_id,
                "template_code": code,
                "status": "active",
                "created_at": now,
            }
            for code in template_codes
        ],
    )
    return [int(account_id) for account_id in result.scalars()]


async def activate_cards(
    conn: AsyncConnection,
    merchant_id: int,
    transaction_id: int,
    activations: list[tuple[Card, int]],
    now: datetime,
) -> None:
    """Make each inactive card active on its new account, recording each change."""
    await record_card_changes(
        conn,
        merchant_id,
        transaction_id,
        [(card, account_id, "active") for card, account_id in activations],
    )
    await conn.execute(
        _ACTIVATE_CARDS,
        [
            {"m": merchant_id, "card": card.id, "account": account_id, "at": now}
            for card, account_id in activations
        ],
    )


async def lock_accounts(
    conn: AsyncConnection, merchant_id: int, account_ids: list[int]
) -> dict[int, str]:
    """Take the row locks of these accounts, always in id order so two calls never deadlock.

    Every change to an account's wallets happens under its lock, so balances are
    re-read and written by one call at a time (SQLite: the whole database is held by
    BEGIN IMMEDIATE, which gives the same guarantee). Returns each account's status
    as read under the lock.
    """
    statuses: dict[int, str] = {}
    ordered = sorted(set(account_ids))
    if len(ordered) == 1:  # the usual case, without an IN list to expand
        rows = await conn.execute(_LOCK_ACCOUNT, {"m": merchant_id, "id": ordered[0]})
        return {row.id: row.status for row in rows}
    for start in range(0, len(ordered), CHUNK):
        rows = await conn.execute(
            _LOCK_ACCOUNTS, {"m": merchant_id, "ids": ordered[start : start + CHUNK]}
        )
        statuses.update({row.id: row.status for row in rows})
    return statuses


async def close_accounts(conn: AsyncConnection, merchant_id: int, account_ids: list[int]) -> None:
    for start in range(0, len(account_ids), CHUNK):
        await conn.execute(
            update(accounts)
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.id.in_(account_ids[start : start + CHUNK]),
            )
            .values(status="closed")
        )


@dataclass(frozen=True)
class Where:
    """Where, when and by whom a transaction happened (from headerInfo)."""

    merchant_id: int
    store_code: str | None
    terminal_id: str | None
    operator_id: str | None
    pos_transaction_id: str | None
    pos_datetime: str | None
    integration_id: int | None
    now: datetime


async def record_transaction(
    conn: AsyncConnection,
    where: Where,
    kind: str,
    *,
    account_id: int | None = None,
    card_number: str | None = None,
    contents_hash: str | None = None,
    target_id: int | None = None,
    comment: str | None = None,
) -> int:
    result = await conn.execute(
        _INSERT_TRANSACTION,
        {
            "merchant_id": where.merchant_id,
            "kind": kind,
            "account_id": account_id,
            "card_number": card_number,
            "store_code": where.store_code,
            "terminal_id": where.terminal_id,
            "operator_id": where.operator_id,
            "pos_transaction_id": where.pos_transaction_id,
            "pos_datetime": where.pos_datetime,
            "created_at": where.now,
            "contents_hash": contents_hash,
            "target_id": target_id,
            "comment": comment,
            "integration_id": where.integration_id,
        },
    )
    return int(result.scalar_one())


async def set_transaction_account(
    conn: AsyncConnection, merchant_id: int, transaction_id: int, account_id: int
) -> None:
    await conn.execute(
        update(transactions)
        .where(transactions.c.merchant_id == merchant_id, transactions.c.id == transaction_id)
        .values(account_id=account_id)
    )


async def record_card_changes(
    conn: AsyncConnection,
    merchant_id: int,
    transaction_id: int,
    changes: list[tuple[Card, int, str]],
) -> None:
    """Note (card, account_id, new status) changes made by a transaction, so they can be
    put back by a void or reverse."""
    await conn.execute(
        _INSERT_CARD_CHANGES,
        [
            {
                "merchant_id": merchant_id,
                "transaction_id": transaction_id,
                "card_id": card.id,
                "account_id": account_id,
                "from_status": card.status,
                "to_status": to_status,
            }
            for card, account_id, to_status in changes
        ],
    )


@dataclass(frozen=True)
class CardChange:
    card_id: int
    account_id: int
    from_status: str
    to_status: str


async def card_changes(
    conn: AsyncConnection, merchant_id: int, transaction_id: int
) -> list[CardChange]:
    rows = await conn.execute(
        select(
            transaction_cards.c.card_id,
            transaction_cards.c.account_id,
            transaction_cards.c.from_status,
            transaction_cards.c.to_status,
        )
        .where(
            transaction_cards.c.merchant_id == merchant_id,
            transaction_cards.c.transaction_id == transaction_id,
        )
        .order_by(transaction_cards.c.id)
    )
    return [CardChange(*row) for row in rows]


@dataclass(frozen=True)
class TransactionRecord:
    id: int
    kind: str
    account_id: int | None
    card_number: str | None
    store_code: str | None
    contents_hash: str | None
    target_id: int | None
    undone_by_id: int | None


_TXN_COLUMNS = (
    transactions.c.id,
    transactions.c.kind,
    transactions.c.account_id,
    transactions.c.card_number,
    transactions.c.store_code,
    transactions.c.contents_hash,
    transactions.c.target_id,
    transactions.c.undone_by_id,
)


async def get_transaction(
    conn: AsyncConnection, merchant_id: int, transaction_id: int
) -> TransactionRecord | None:
    row = (
        await conn.execute(
            select(*_TXN_COLUMNS).where(
                transactions.c.merchant_id == merchant_id, transactions.c.id == transaction_id
            )
        )
    ).first()
    return TransactionRecord(*row) if row is not None else None


async def find_original(
    conn: AsyncConnection,
    merchant_id: int,
    kind: str,
    store_code: str,
    card_number: str,
    pos_transaction_id: str,
) -> list[TransactionRecord]:
    """Transactions a void may target, newest first."""
    rows = await conn.execute(
        select(*_TXN_COLUMNS)
        .where(
            transactions.c.merchant_id == merchant_id,
            transactions.c.kind == kind,
            transactions.c.store_code == store_code,
            transactions.c.card_number == card_number,
            transactions.c.pos_transaction_id == pos_transaction_id,
        )
        .order_by(transactions.c.id.desc())
    )
    return [TransactionRecord(*row) for row in rows]


async def mark_undone(
    conn: AsyncConnection, merchant_id: int, target_id: int, undone_by_id: int
) -> None:
    """Mark a transaction voided/reversed; a concurrent second undo finds it taken."""
    result = await conn.execute(
        update(transactions)
        .where(
            transactions.c.merchant_id == merchant_id,
            transactions.c.id == target_id,
            transactions.c.undone_by_id.is_(None),
        )
        .values(undone_by_id=undone_by_id)
    )
    if result.rowcount != 1:
        raise AlreadyVoided()


async def any_live_transaction_after(
    conn: AsyncConnection,
    merchant_id: int,
    account_ids: list[int],
    after_id: int,
    ignore_kinds: tuple[str, ...],
) -> bool:
    """Whether a later transaction on these accounts still stands (not undone)."""
    for start in range(0, len(account_ids), CHUNK):
        found = await conn.execute(
            select(transactions.c.id)
            .where(
                transactions.c.merchant_id == merchant_id,
                transactions.c.account_id.in_(account_ids[start : start + CHUNK]),
                transactions.c.id > after_id,
                transactions.c.undone_by_id.is_(None),
                transactions.c.target_id.is_(None),
                transactions.c.kind.not_in(ignore_kinds),
            )
            .limit(1)
        )
        if found.first() is not None:
            return True
    return False
