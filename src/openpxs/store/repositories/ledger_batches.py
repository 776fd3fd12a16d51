"""SQLite: a POS call's read and its write, each one batch (store/direct_sqlite.py).

The read begins the call's part of the write group's transaction (the write lock:
store/turns.py), claims the call's retry keys, reads the card with its account's book
and picks the id the call's transaction will have; the write records that
transaction, its lots, journal rows, balances and the reply, and ends the part, to be
committed with the group. What is written is what ``LedgerRepository.prepare_write``
planned from the domain's postings, the plan PostgreSQL writes in one statement.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from openpxs.domain.cards import Card
from openpxs.domain.ledger import AccountBook
from openpxs.domain.program import WalletDef
from openpxs.store.direct_sqlite import BatchConnection, SqliteStatement
from openpxs.store.repositories.ledger import (
    _CARD_WITH_BOOK_TEXT,
    _UPDATE_LOTS,
    CallWrite,
    ReadForWrite,
    _card_and_rows,
)
from openpxs.store.repositories.retry_keys import _RECORD as _RECORD_REPLY
from openpxs.store.tables import idempotency_keys, journal, lots, transactions, wallet_balances

_CLAIM = SqliteStatement(
    idempotency_keys.insert(),
    ["merchant_id", "scope", "request_hash", "reply", "created_at"],
)
_CARD_WITH_BOOK = SqliteStatement(_CARD_WITH_BOOK_TEXT)
# Under the write lock no other call can take an id before this call's record is
# written, so the next id is known here, before the reply that names it is made.
_NEXT_TRANSACTION_ID = SqliteStatement(select(func.coalesce(func.max(transactions.c.id), 0) + 1))
_RECORD = SqliteStatement(
    transactions.insert(),
    [
        "merchant_id",
        "id",
        "kind",
        "account_id",
        "card_number",
        "store_code",
        "terminal_id",
        "operator_id",
        "pos_transaction_id",
        "pos_datetime",
        "created_at",
        "contents_hash",
        "integration_id",
    ],
)
_INSERT_LOT = SqliteStatement(
    lots.insert(),
    [
        "merchant_id",
        "account_id",
        "wallet_code",
        "remaining_units",
        "expires_on",
        "expires_at",
        "transaction_id",
    ],
)
_UPDATE_LOT = SqliteStatement(_UPDATE_LOTS)
_INSERT_JOURNAL = SqliteStatement(
    journal.insert(),
    [
        "merchant_id",
        "transaction_id",
        "account_id",
        "wallet_code",
        "lot_id",
        "units",
        "balance_after_units",
        "created_at",
    ],
)
_upsert = sqlite_insert(wallet_balances)
_SET_BALANCE = SqliteStatement(
    _upsert.on_conflict_do_update(
        index_elements=[
            wallet_balances.c.merchant_id,
            wallet_balances.c.account_id,
            wallet_balances.c.wallet_code,
        ],
        set_={"units": _upsert.excluded.units},
    ),
    ["merchant_id", "account_id", "wallet_code", "units"],
)
_SET_REPLY = SqliteStatement(_RECORD_REPLY)


async def read_for_write(
    batches: BatchConnection,
    merchant_id: int,
    number: str,
    claim: tuple[list[str], str, datetime] | None,
) -> ReadForWrite | None:
    """The call's part begun, the retry keys ``claim``ed (scopes, request hash, time),
    the card with its account's book, and the id the call's transaction will have, in
    one hop; the write lock stays held for ``write_part``. A key already held raises
    IntegrityError and the part is rolled back."""
    scopes, request_hash, now = claim if claim is not None else ([], "", None)

    def work(db: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], int]:
        _CLAIM.execute_many(
            db,
            [
                {
                    "merchant_id": merchant_id,
                    "scope": scope,
                    "request_hash": request_hash,
                    "reply": None,
                    "created_at": now,
                }
                for scope in scopes
            ],
        )
        rows = _CARD_WITH_BOOK.fetch(db, {"m": merchant_id, "n": number})
        next_id = _NEXT_TRANSACTION_ID.execute(db, {}).fetchone()
        return rows, int(next_id[0])

    labels = [*(["INSERT"] if scopes else []), "WITH", "SELECT"]
    rows, transaction_id = await batches.run(labels, work, part="begin")
    card, book_rows = _card_and_rows(rows)
    if card is None:
        return None
    return ReadForWrite(card, book_rows, None, transaction_id)


def _write_plan(
    db: sqlite3.Connection,
    write: CallWrite,
    scopes: list[str],
    reply: tuple[str | None, int | None],
) -> tuple[int, list[int]]:
    """What ``write`` planned, on ``db``: the transaction's id (the planned one, or the
    one SQLite gave its record when none was planned) and the new lots' ids."""
    p = write.params
    m, account_id, now = p["m"], p["a"], p["now"]
    text, named = reply
    recorded = _RECORD.execute(
        db,
        {
            "merchant_id": m,
            "id": p["txn"],
            "kind": p["kind"],
            "account_id": p["txn_account"],
            "card_number": p["card"],
            "store_code": p["store"],
            "terminal_id": p["terminal"],
            "operator_id": p["operator"],
            "pos_transaction_id": p["pos_id"],
            "pos_datetime": p["pos_datetime"],
            "created_at": now,
            "contents_hash": p["hash"],
            "integration_id": p["integration"],
        },
    )
    planned: int | None = p["txn"]
    txn = planned if planned is not None else int(recorded.lastrowid or 0)
    new_ids = [
        int(
            _INSERT_LOT.execute(
                db,
                {
                    "merchant_id": m,
                    "account_id": account_id,
                    "wallet_code": wallet_code,
                    "remaining_units": units,
                    "expires_on": on_date,
                    "expires_at": at,
                    "transaction_id": txn,
                },
            ).lastrowid
            or 0
        )
        for wallet_code, units, on_date, at in zip(
            p["nl_w"], p["nl_units"], p["nl_on"], p["nl_at"], strict=True
        )
    ]
    _UPDATE_LOT.execute_many(
        db,
        [
            {"m": m, "lot": lot_id, "units": units}
            for lot_id, units in zip(p["ol_id"], p["ol_units"], strict=True)
        ],
    )
    _INSERT_JOURNAL.execute_many(
        db,
        [
            {
                "merchant_id": m,
                "transaction_id": txn,
                "account_id": account_id,
                "wallet_code": wallet_code,
                "lot_id": lot_id if lot_id is not None else new_ids[new_k - 1],
                "units": units,
                "balance_after_units": after,
                "created_at": now,
            }
            for wallet_code, lot_id, new_k, units, after in zip(
                p["j_w"], p["j_lot"], p["j_new"], p["j_units"], p["j_after"], strict=True
            )
        ],
    )
    _SET_BALANCE.execute_many(
        db,
        [
            {"merchant_id": m, "account_id": account_id, "wallet_code": w, "units": units}
            for w, units in zip(p["b_w"], p["b_units"], strict=True)
        ],
    )
    if text is not None:
        _SET_REPLY.execute_many(
            db, [{"m": m, "s": scope, "reply": text, "txn": named} for scope in scopes]
        )
    return txn, new_ids


def _assign(write: CallWrite, new_ids: list[int]) -> None:
    for lot, lot_id in zip(write.new_lots, new_ids, strict=True):
        lot.id = lot_id


async def write_part(
    batches: BatchConnection,
    write: CallWrite,
    scopes: list[str],
    reply: tuple[str | None, int | None],
) -> None:
    """The call's transaction record, new lots, lot remainders, journal rows, balances
    and its ``reply`` (text, transaction id it names) recorded against its retry keys
    ``scopes``, in one hop, ending the call's part that ``read_for_write`` began."""
    p = write.params
    labels = ["INSERT", *(["INSERT"] * len(p["nl_w"]))]
    labels += ["UPDATE"] if p["ol_id"] else []
    labels += ["INSERT"] if p["j_w"] else []
    labels += ["INSERT"] if p["b_w"] else []
    labels += ["UPDATE"] if reply[0] is not None and scopes else []
    _, new_ids = await batches.run(
        labels, lambda db: _write_plan(db, write, scopes, reply), part="end"
    )
    _assign(write, new_ids)


def write_here(db: sqlite3.Connection, write: CallWrite) -> int:
    """The locking path's write (``write`` planned without a transaction id), on the
    sqlite3 connection of a transaction that holds the write lock, in this thread
    (``direct_sqlite.in_transaction_here``); the transaction's id."""
    try:
        txn, new_ids = _write_plan(db, write, [], (None, None))
    except sqlite3.Error as exc:
        raise DBAPIError.instance("INSERT INTO transactions", None, exc, sqlite3.Error) from exc
    _assign(write, new_ids)
    return txn


async def card_with_book(
    batches: BatchConnection, merchant_id: int, number: str, wallets: list[WalletDef]
) -> tuple[Card | None, AccountBook | None]:
    """The card (with its account's status) and its account's book, one statement in
    one hop, outside any transaction (SQLite reads one consistent snapshot per
    statement)."""
    rows = await batches.run(
        ["WITH"], lambda db: _CARD_WITH_BOOK.fetch(db, {"m": merchant_id, "n": number})
    )
    card, book_rows = _card_and_rows(rows)
    if card is None or book_rows is None or card.account_id is None:
        return card, None
    return card, book_rows.book(merchant_id, card.account_id, wallets)
