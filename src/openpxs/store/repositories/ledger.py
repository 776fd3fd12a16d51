"""Wallet value: opening account books, writing their postings, reading the journal.

A book is opened on accounts the caller has locked, with every wallet the call may
touch; the domain decides the postings in memory, and ``write`` persists them all -
new lots, lot remainders, journal rows and balances - in the same database transaction
as the transaction record they belong to.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    column,
    func,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect

from openpxs.domain.cards import AccountStatus, Card, CardStatus
from openpxs.domain.ledger import AccountBook, Lot
from openpxs.domain.program import WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.store.direct import (
    DirectConnection,
    DirectQuery,
    DirectStatement,
    fetch_in_transaction,
)
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.repositories.cards import card_row_columns
from openpxs.store.tables import (
    UTCDateTime,
    accounts,
    journal,
    lots,
    transactions,
    wallet_balances,
)

# The statements every POS call runs are built once, here: building a SQLAlchemy
# expression and deriving its cache key costs more than the database spends on
# these small statements.
_LOT_COLUMNS = (
    lots.c.id,
    lots.c.account_id,
    lots.c.wallet_code,
    lots.c.remaining_units,
    lots.c.expires_at,
    lots.c.expires_on,
)


def _book_rows(
    account_match: Callable[[ColumnElement[int]], ColumnElement[bool]],
) -> CompoundSelect[Any]:
    """Balances and spendable lots of the matched accounts in one round trip, every
    wallet (the caller keeps the ones it asked for). The lots come first so the union's
    column types (the expiry instants) are theirs; a balance row has no lot id."""
    return union_all(
        select(
            lots.c.account_id,
            lots.c.wallet_code,
            lots.c.remaining_units.label("units"),
            lots.c.id.label("lot_id"),
            lots.c.expires_at,
            lots.c.expires_on,
        ).where(
            lots.c.merchant_id == bindparam("m"),
            account_match(lots.c.account_id),
            lots.c.remaining_units > 0,
        ),
        select(
            wallet_balances.c.account_id,
            wallet_balances.c.wallet_code,
            wallet_balances.c.units,
            null(),
            null(),
            null(),
        ).where(
            wallet_balances.c.merchant_id == bindparam("m"),
            account_match(wallet_balances.c.account_id),
        ),
    )


_BOOK_ROWS = _book_rows(lambda column: column.in_(bindparam("accounts", expanding=True)))
# The usual case, one account (bound as ``a``), without an IN list to expand.
ONE_BOOK_ROWS = _book_rows(lambda column: column == bindparam("a"))
_ONE_BOOK_ROWS = DirectQuery(ONE_BOOK_ROWS)
_LOTS_BY_ID = select(*_LOT_COLUMNS).where(
    lots.c.merchant_id == bindparam("m"), lots.c.id.in_(bindparam("ids", expanding=True))
)
_INSERT_LOTS = lots.insert().returning(lots.c.id, sort_by_parameter_order=True)
_UPDATE_LOTS = (
    update(lots)
    .where(lots.c.merchant_id == bindparam("m"), lots.c.id == bindparam("lot"))
    .values(remaining_units=bindparam("units"))
)
_INSERT_JOURNAL = journal.insert()
_UPDATE_BALANCES = (
    update(wallet_balances)
    .where(
        wallet_balances.c.merchant_id == bindparam("m"),
        wallet_balances.c.account_id == bindparam("a"),
        wallet_balances.c.wallet_code == bindparam("w"),
    )
    .values(units=bindparam("units"))
)
_INSERT_BALANCES = wallet_balances.insert()
_BUMP_REVISIONS = (
    update(accounts)
    .where(
        accounts.c.merchant_id == bindparam("m"),
        accounts.c.id.in_(bindparam("ids", expanding=True)),
    )
    .values(revision=accounts.c.revision + 1)
)
# Journal rows with the transaction each belongs to (its kind, what it undid).
JOURNAL_WITH_TRANSACTIONS = journal.join(
    transactions,
    and_(
        transactions.c.merchant_id == journal.c.merchant_id,
        transactions.c.id == journal.c.transaction_id,
    ),
)


# PostgreSQL: one call's transaction record and every posting of one account's book in
# one data-modifying statement. New lots get their ids from the sequence first (so the
# journal rows can name them), lot remainders and balances are set to what the domain
# computed, and the journal rows keep the order the domain posted them in.
# With ``_REPLY`` the call's reply is recorded against its retry keys in the same go.
# Every write of an existing account's book counts its revision up (store/direct.py).
_BUMP = """
WITH g AS (
  UPDATE accounts SET revision = revision + 1
  WHERE merchant_id = :m AND id = :a AND NOT CAST(:activate AS BOOLEAN)
)"""
# store/direct.py: the same write, made only if the card is still active on the account
# and the account's book is still the one read (its revision); the card is held (FOR
# SHARE, in the order the locking path takes: card, then account) so that a concurrent
# change of it is waited for and seen.
_GUARD = """
WITH held AS (
  SELECT 1 FROM cards
  WHERE merchant_id = :m AND id = :held_card AND account_id = :a AND status = 'active'
  FOR SHARE
), g AS (
  UPDATE accounts SET revision = revision + 1
  WHERE merchant_id = :m AND id = :a AND revision = :revision AND status = 'active'
    AND EXISTS (SELECT 1 FROM held)
  RETURNING id
)"""
_RECORD = """, t AS (
  INSERT INTO transactions (merchant_id, id, kind, account_id, card_number, store_code,
      terminal_id, operator_id, pos_transaction_id, pos_datetime, created_at,
      contents_hash, integration_id)
  SELECT :m, COALESCE(CAST(:txn AS BIGINT), nextval('transactions_id_seq')), :kind,
      :txn_account, :card, :store, :terminal, :operator, :pos_id, :pos_datetime, :now, :hash,
      :integration
  {source}
  RETURNING id
)"""
# A card sold with value on it (activate, activateAdd): its new account and the record
# of the card's change, written only when ``activate`` is set, and the change itself
# (``_CARD_ON``; a sale without locks makes it its guard, ``_SALE_GUARD``).
_NEW_ACCOUNT = """, new_account AS (
  INSERT INTO accounts (merchant_id, id, template_code, status, created_at)
  SELECT :m, :a, :template, 'active', :now FROM t WHERE CAST(:activate AS BOOLEAN)
), card_change AS (
  INSERT INTO transaction_cards (merchant_id, transaction_id, card_id, account_id,
      from_status, to_status)
  SELECT :m, t.id, :card_id, :a, 'inactive', 'active' FROM t WHERE CAST(:activate AS BOOLEAN)
)"""
_CARD_ON = """, card_on AS (
  UPDATE cards SET status = 'active', account_id = :a, activated_at = :now
  WHERE merchant_id = :m AND id = :card_id AND CAST(:activate AS BOOLEAN)
    AND EXISTS (SELECT 1 FROM t)
)"""
_ACTIVATION = _NEW_ACCOUNT + _CARD_ON
# The postings. The new lots' ids are numbered by the lots themselves (an array, not
# generate_series over a count): PostgreSQL's estimate of a generic plan for the
# statement then stays close to a custom one's, so a prepared statement is planned
# once instead of on every call.
# The first lot the call changes (a call usually changes one) is updated by its id
# alone. Joined with the array, a generic plan counts on ten lots and, until the table
# holds a few thousand (every merchant's), reads all of it instead of probing the index
# ten times; the join is left for the rest, and when the rest is empty it reads nothing.
_POSTINGS = """, new_ids AS MATERIALIZED (
  SELECT k, nextval('lots_id_seq') AS id FROM unnest(:nl_w) WITH ORDINALITY AS n(w, k)
), new_lots AS (
  INSERT INTO lots (merchant_id, id, account_id, wallet_code, remaining_units, expires_on,
      expires_at, transaction_id)
  SELECT :m, new_ids.id, :a, u.w, u.units, u.on_date, u.at, t.id
  FROM unnest(:nl_w, :nl_units, :nl_on, :nl_at) WITH ORDINALITY AS u(w, units, on_date, at, k)
  JOIN new_ids ON new_ids.k = u.k CROSS JOIN t
), old_lot AS (
  UPDATE lots SET remaining_units = (:ol_units)[1]
  WHERE lots.merchant_id = :m AND lots.id = (:ol_id)[1] AND EXISTS (SELECT 1 FROM t)
), old_lots AS (
  UPDATE lots SET remaining_units = u.units
  FROM unnest((:ol_id)[2:], (:ol_units)[2:]) AS u(id, units)
  WHERE lots.merchant_id = :m AND lots.id = u.id AND EXISTS (SELECT 1 FROM t)
), posted AS (
  INSERT INTO journal (merchant_id, transaction_id, account_id, wallet_code, lot_id, units,
      balance_after_units, created_at)
  SELECT :m, t.id, :a, u.w, COALESCE(u.lot, (SELECT id FROM new_ids WHERE new_ids.k = u.new_k)),
      u.units, u.after, :now
  FROM t CROSS JOIN unnest(:j_w, :j_lot, :j_new, :j_units, :j_after)
      WITH ORDINALITY AS u(w, lot, new_k, units, after, n)
  ORDER BY u.n
), balances AS (
  INSERT INTO wallet_balances (merchant_id, account_id, wallet_code, units)
  SELECT :m, :a, u.w, u.units FROM unnest(:b_w, :b_units) AS u(w, units)
  WHERE EXISTS (SELECT 1 FROM t)
  ON CONFLICT (merchant_id, account_id, wallet_code) DO UPDATE SET units = EXCLUDED.units
)"""
_REPLY = """, replied AS (
  UPDATE idempotency_keys SET reply = :reply, transaction_id = :reply_txn
  WHERE merchant_id = :m AND scope = ANY(:scopes)
)"""
_RESULT = """
SELECT t.id, ARRAY(SELECT id FROM new_ids ORDER BY k) FROM t
"""
_WRITE_PARAMS: tuple[BindParameter[Any], ...] = (
    bindparam("now", type_=UTCDateTime()),
    *(bindparam(n, type_=ARRAY(Integer)) for n in ("nl_w", "j_w", "b_w")),
    *(
        bindparam(n, type_=ARRAY(BigInteger))
        for n in (
            "nl_units",
            "ol_id",
            "ol_units",
            "j_lot",
            "j_new",
            "j_units",
            "j_after",
            "b_units",
        )
    ),
    bindparam("nl_on", type_=ARRAY(Date)),
    bindparam("nl_at", type_=ARRAY(DateTime(timezone=True))),
)
_RECORD_AND_WRITE = _RECORD + _ACTIVATION + _POSTINGS
_WRITE = _RECORD_AND_WRITE.format(source="")
_WRITE_ONLY = text(_BUMP + _WRITE + _RESULT).bindparams(*_WRITE_PARAMS)
_WRITE_AND_REPLY = text(_BUMP + _WRITE + _REPLY + _RESULT).bindparams(
    *_WRITE_PARAMS, bindparam("scopes", type_=ARRAY(String))
)
# The retry keys are claimed by the guarded write itself: a key already held fails the
# whole statement (a unique violation), so nothing of the call is written.
_CLAIM_WITH_REPLY = """, claimed AS (
  INSERT INTO idempotency_keys (merchant_id, scope, request_hash, reply, transaction_id,
      created_at)
  SELECT :m, s, :h, :reply, :reply_txn, :now FROM unnest(CAST(:scopes AS VARCHAR[])) AS s
  WHERE EXISTS (SELECT 1 FROM t)
)"""
# The same, sent straight to the driver inside the locking path's transaction.
_WRITE_ONLY_DIRECT = DirectStatement(_WRITE_ONLY)
_WRITE_AND_REPLY_DIRECT = DirectStatement(_WRITE_AND_REPLY)
GUARDED_WRITE = DirectStatement(
    text(
        # Never an activation: the guard holds only a card that is already active.
        _GUARD + _RECORD.format(source="FROM g") + _POSTINGS + _CLAIM_WITH_REPLY + _RESULT
    ).bindparams(*_WRITE_PARAMS, bindparam("scopes", type_=ARRAY(String)))
)
# A sale read without locks (activate, activateAdd): the card is made active on its new
# account only if it is still inactive and on no account, which also locks it; when it
# is not (a concurrent sale, exchange or change came first), nothing at all is written.
_SALE_GUARD = """
WITH g AS (
  UPDATE cards SET status = 'active', account_id = :a, activated_at = :now
  WHERE merchant_id = :m AND id = :card_id AND status = 'inactive' AND account_id IS NULL
  RETURNING id
)"""
GUARDED_SALE = DirectStatement(
    text(
        _SALE_GUARD
        + _RECORD.format(source="FROM g")
        + _NEW_ACCOUNT
        + _POSTINGS
        + _CLAIM_WITH_REPLY
        + _RESULT
    ).bindparams(*_WRITE_PARAMS, bindparam("scopes", type_=ARRAY(String)))
)


@dataclass
class CallWrite:
    """One call's transaction record and postings, written by ``LedgerRepository.
    flush`` together with the call's reply when the reply is known."""

    params: dict[str, Any]
    book: AccountBook
    new_lots: list[Lot]


# A card with its account's status, and that account's balances and spendable lots, in
# one round trip (balanceInquiry reads nothing else). Kind 0 is the card, 1 a lot, 2 a
# balance. CROSS JOIN keeps the card the outer loop on SQLite, whose planner otherwise
# walked every lot and balance of the merchant to find the card's (PostgreSQL plans
# it the same either way).
_CARD_WITH_BOOK_TEXT = text(
    """
WITH card AS (
  SELECT c.id, c.printed_card_number, c.registration_code, c.template_code, c.status,
         c.account_id, a.status AS account_status
  FROM cards c LEFT JOIN accounts a ON a.merchant_id = c.merchant_id AND a.id = c.account_id
  WHERE c.merchant_id = :m AND c.printed_card_number = :n
)
SELECT 0 AS kind, id, printed_card_number, registration_code, template_code, status,
       account_id, account_status, NULL AS wallet_code, NULL AS units,
       NULL AS expires_at, NULL AS expires_on
FROM card
UNION ALL
SELECT 1, l.id, NULL, NULL, NULL, NULL, l.account_id, NULL, l.wallet_code,
       l.remaining_units, l.expires_at, l.expires_on
FROM card CROSS JOIN lots l
WHERE l.merchant_id = :m AND l.account_id = card.account_id AND l.remaining_units > 0
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, b.account_id, NULL, b.wallet_code, b.units,
       NULL, NULL
FROM card CROSS JOIN wallet_balances b
WHERE b.merchant_id = :m AND b.account_id = card.account_id
"""
).columns(
    column("kind", Integer),
    *card_row_columns(),
    column("wallet_code", Integer),
    column("units", BigInteger),
    column("expires_at", UTCDateTime()),
    column("expires_on", Date),
)
_CARD_WITH_BOOK = _CARD_WITH_BOOK_TEXT
CARD_WITH_BOOK = DirectStatement(_CARD_WITH_BOOK_TEXT)


# store/direct.py: the card, its account's status and revision, the account's book, the
# id the call's transaction will have, whether a call already holds one of this
# call's retry keys and, for a sale of an inactive card, the id its new account will
# have, in one statement without a lock. Kind 0 is the card, 1 a lot, 2 a balance.
CARD_BOOK_REVISION = DirectStatement(
    text(
        """
WITH card AS (
  SELECT c.id, c.printed_card_number, c.registration_code, c.template_code, c.status,
         c.account_id, a.status AS account_status, a.revision
  FROM cards c LEFT JOIN accounts a ON a.merchant_id = c.merchant_id AND a.id = c.account_id
  WHERE c.merchant_id = :m AND c.printed_card_number = :n
)
SELECT 0 AS kind, id, printed_card_number, registration_code, template_code, status,
       account_id, account_status, NULL::INTEGER AS wallet_code, NULL::BIGINT AS units,
       NULL::TIMESTAMPTZ AS expires_at, NULL::DATE AS expires_on, revision,
       nextval('transactions_id_seq') AS txn,
       EXISTS (SELECT 1 FROM idempotency_keys
               WHERE merchant_id = :m AND scope = ANY(CAST(:scopes AS VARCHAR[]))) AS held,
       CASE WHEN CAST(:selling AS BOOLEAN) AND status = 'inactive'
            THEN nextval('accounts_id_seq') END AS new_account
FROM card
UNION ALL
SELECT 1, l.id, NULL, NULL, NULL, NULL, l.account_id, NULL, l.wallet_code,
       l.remaining_units, l.expires_at, l.expires_on, NULL, NULL, NULL, NULL
FROM lots l JOIN card ON l.account_id = card.account_id
WHERE l.merchant_id = :m AND l.remaining_units > 0
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, b.account_id, NULL, b.wallet_code, b.units,
       NULL, NULL, NULL, NULL, NULL, NULL
FROM wallet_balances b JOIN card ON b.account_id = card.account_id
WHERE b.merchant_id = :m
"""
    )
)


@dataclass
class BookRows:
    """An account's stored balances and spendable lots by wallet, as read (lot
    expiries as stored: PostgreSQL gives them with their zone)."""

    balances: dict[int, int] = field(default_factory=dict)
    lots: dict[int, list[Lot]] = field(default_factory=dict)

    def book(self, merchant_id: int, account_id: int, wallets: list[WalletDef]) -> AccountBook:
        book = AccountBook(merchant_id, account_id)
        for wallet in wallets:
            book.add_wallet(
                wallet.code,
                self.balances.get(wallet.code),
                self.lots.get(wallet.code, []),
                allow_negative=wallet.allow_negative,
            )
        return book


@dataclass(frozen=True)
class ReadForWrite:
    """What a call read without a lock (``LedgerRepository.read_for_write``): its write
    is made only while the card and the book are still so."""

    card: Card
    rows: BookRows | None
    revision: int | None
    transaction_id: int
    # A call holding one of this call's retry keys had committed when the book was read:
    # the book shows what that call did, and this one must replay it, not act on it.
    keys_held: bool = False
    # A sale's inactive card: the id its new account will have (PostgreSQL).
    new_account_id: int | None = None


# Books of accounts opened by the call that writes them: no call can have read them
# before, so their writes count no revision (a bulk sale opens thousands).
_OPENED: weakref.WeakValueDictionary[int, AccountBook] = weakref.WeakValueDictionary()


def new_book(merchant_id: int, account_id: int, wallets: list[WalletDef]) -> AccountBook:
    """The book of an account made by this very call: every wallet empty."""
    book = AccountBook(merchant_id, account_id)
    _OPENED[id(book)] = book
    for wallet in wallets:
        book.add_wallet(wallet.code, None, [], allow_negative=wallet.allow_negative)
    return book


def _card_and_rows(rows: Any) -> tuple[Card | None, BookRows | None]:
    """The card row (kind 0) and the book rows (1: a lot, 2: a balance) of a card read
    with its book."""
    card: Card | None = None
    book_rows = BookRows()
    for row in rows:
        kind = row[0]
        if kind == 0:
            card = Card(
                row[1],
                row[2],
                row[3],
                row[4],
                CardStatus(row[5]),
                row[6],
                AccountStatus(row[7]) if row[7] is not None else None,
            )
        elif kind == 1:
            lot = Lot(row[1], row[9], row[10], row[11])
            book_rows.lots.setdefault(row[8], []).append(lot)
        else:
            book_rows.balances[row[8]] = row[9]
    if card is None:
        return None, None
    return card, book_rows


@dataclass(frozen=True)
class WrittenMove:
    """What one transaction did to one account's wallets, noted as it was written, so
    the call can announce it (``services.webhooks``) in the same database transaction."""

    merchant_id: int
    account_id: int
    transaction_id: int
    # Wallet code -> (units moved, signed; the balance after), for wallets it changed.
    changes: dict[int, tuple[int, int]]
    # The transaction's kind and card, when the write knew them (else the record's,
    # see UnitOfWork.value_moves).
    kind: str | None = None
    card_number: str | None = None


def changes_of(book: AccountBook) -> dict[int, tuple[int, int]]:
    """The book's pending postings summed per wallet, with the balance they leave."""
    return {
        code: (sum(p.units for p in ledger.postings), ledger.balance)
        for code, ledger in book.ledgers.items()
        if ledger.postings
    }


class LedgerRepository(Repository):
    __slots__ = ("written",)

    def __init__(self, conn: AsyncConnection):
        super().__init__(conn)
        # Every book this unit of work has written, in order.
        self.written: list[WrittenMove] = []

    def note(
        self,
        book: AccountBook,
        transaction_id: int,
        kind: str | None = None,
        card_number: str | None = None,
        changes: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        moved = changes_of(book) if changes is None else changes
        if moved:
            self.written.append(
                WrittenMove(
                    book.merchant_id, book.account_id, transaction_id, moved, kind, card_number
                )
            )

    async def open_books(
        self,
        merchant_id: int,
        account_ids: list[int],
        wallets: list[WalletDef],
        lot_ids: list[int] | None = None,
    ) -> dict[int, AccountBook]:
        """Books for (locked) accounts, read in a few queries whatever their number.

        Each book holds ``wallets`` with their balances and spendable lots, plus the lots
        named in ``lot_ids`` even when empty (a reversal refills the lot it took from).
        """
        balances_found: dict[tuple[int, int], int] = {}
        lots_found: dict[tuple[int, int], list[Lot]] = {}
        seen_lots: set[int | None] = set()

        def keep(account_id: int, wallet_code: int, lot: Lot) -> None:
            if lot.id not in seen_lots:
                seen_lots.add(lot.id)
                lots_found.setdefault((account_id, wallet_code), []).append(lot)

        wanted = {w.code for w in wallets}
        for start in range(0, len(account_ids), CHUNK):
            chunk = account_ids[start : start + CHUNK]
            rows: Sequence[Any]
            if len(chunk) == 1:
                rows = await _ONE_BOOK_ROWS.rows(self.conn, {"m": merchant_id, "a": chunk[0]})
            else:
                params = {"m": merchant_id, "accounts": chunk}
                rows = (await self.conn.execute(_BOOK_ROWS, params)).all()
            for row in rows:
                if row.wallet_code not in wanted:
                    continue
                if row.lot_id is None:
                    balances_found[(row.account_id, row.wallet_code)] = row.units
                else:
                    lot = Lot(row.lot_id, row.units, row.expires_at, row.expires_on)
                    keep(row.account_id, row.wallet_code, lot)
        ids = lot_ids or []
        for start in range(0, len(ids), CHUNK):
            named = await self.conn.execute(
                _LOTS_BY_ID, {"m": merchant_id, "ids": ids[start : start + CHUNK]}
            )
            for row in named:
                lot = Lot(row.id, row.remaining_units, row.expires_at, row.expires_on)
                keep(row.account_id, row.wallet_code, lot)
        books: dict[int, AccountBook] = {}
        for account_id in account_ids:
            book = AccountBook(merchant_id, account_id)
            for wallet in wallets:
                book.add_wallet(
                    wallet.code,
                    balances_found.get((account_id, wallet.code)),
                    lots_found.get((account_id, wallet.code), []),
                    allow_negative=wallet.allow_negative,
                )
            books[account_id] = book
        return books

    async def write(self, books: list[AccountBook], transaction_id: int, now: datetime) -> None:
        """Write the postings of several accounts in a handful of statements.

        New lots first (their ids go into the journal), then lot remainders, the journal
        rows and the balances; each kind is one multi-row statement whatever the number
        of accounts, which is what makes a bulk sale of thousands of cards quick.
        """
        for book in books:
            self.note(book, transaction_id)
        new_lots: list[tuple[AccountBook, int, Lot]] = []
        seen_new: set[int] = set()  # id() of lots already listed: one lot, several postings
        touched: dict[int, Lot] = {}
        for book in books:
            for wallet_code, ledger in book.ledgers.items():
                for posting in ledger.postings:
                    lot = posting.lot
                    if lot is None:
                        continue
                    if lot.id is None:
                        if id(lot) not in seen_new:
                            seen_new.add(id(lot))
                            new_lots.append((book, wallet_code, lot))
                    else:
                        touched[lot.id] = lot
        if new_lots:
            ids = await self.conn.execute(
                _INSERT_LOTS,
                [
                    {
                        "merchant_id": book.merchant_id,
                        "account_id": book.account_id,
                        "wallet_code": wallet_code,
                        "remaining_units": lot.remaining,
                        "expires_on": lot.expires_on,
                        "expires_at": lot.expires_at,
                        "transaction_id": transaction_id,
                    }
                    for book, wallet_code, lot in new_lots
                ],
            )
            for (_, _, lot), lot_id in zip(new_lots, ids.scalars(), strict=True):
                lot.id = lot_id
        if touched:
            await self.conn.execute(
                _UPDATE_LOTS,
                [
                    {"m": books[0].merchant_id, "lot": lot_id, "units": lot.remaining}
                    for lot_id, lot in touched.items()
                ],
            )
        journal_rows: list[dict[str, object]] = []
        balance_updates: list[dict[str, int]] = []
        balance_inserts: list[dict[str, int]] = []
        for book in books:
            for wallet_code, ledger in book.ledgers.items():
                if not ledger.postings:
                    continue
                journal_rows.extend(
                    {
                        "merchant_id": book.merchant_id,
                        "transaction_id": transaction_id,
                        "account_id": book.account_id,
                        "wallet_code": wallet_code,
                        "lot_id": posting.lot.id if posting.lot is not None else None,
                        "units": posting.units,
                        "balance_after_units": posting.balance_after,
                        "created_at": now,
                    }
                    for posting in ledger.postings
                )
                row = {
                    "m": book.merchant_id,
                    "a": book.account_id,
                    "w": wallet_code,
                    "units": ledger.balance,
                }
                if wallet_code in book.stored_balances:
                    balance_updates.append(row)
                else:
                    balance_inserts.append(row)
                    book.stored_balances.add(wallet_code)
                ledger.postings.clear()
        if journal_rows:
            await self.conn.execute(_INSERT_JOURNAL, journal_rows)
        if self.postgres:
            read_before = [b.account_id for b in books if _OPENED.get(id(b)) is not b]
            for start in range(0, len(read_before), CHUNK):
                await self.conn.execute(
                    _BUMP_REVISIONS,
                    {"m": books[0].merchant_id, "ids": read_before[start : start + CHUNK]},
                )
        if balance_updates:
            await self.conn.execute(_UPDATE_BALANCES, balance_updates)
        if balance_inserts:
            await self.conn.execute(
                _INSERT_BALANCES,
                [
                    {
                        "merchant_id": r["m"],
                        "account_id": r["a"],
                        "wallet_code": r["w"],
                        "units": r["units"],
                    }
                    for r in balance_inserts
                ],
            )

    def prepare_write(
        self,
        stamp: CallStamp,
        kind: str,
        book: AccountBook,
        *,
        card_number: str | None,
        contents_hash: str | None,
        transaction_id: int | None,
        activating: Card | None = None,
        planned: bool = False,
    ) -> CallWrite | None:
        """PostgreSQL: the transaction record and the book's postings as one statement
        to run (``flush``); None elsewhere (the caller records and writes in separate
        statements), unless ``planned``: then the same plan, for a batch that writes it
        (``ledger_batches.write_part``). ``transaction_id``: an id already taken.
        ``activating``: an inactive card made active on the book's account, a new one
        (its id taken from the sequence), in the same statement."""
        if not self.postgres and not planned:
            return None
        new_lots: list[tuple[int, Lot]] = []
        new_index: dict[int, int] = {}  # id() of a new lot -> its 1-based position
        touched: dict[int, Lot] = {}
        j_w: list[int] = []
        j_lot: list[int | None] = []
        j_new: list[int | None] = []
        j_units: list[int] = []
        j_after: list[int] = []
        b_w: list[int] = []
        b_units: list[int] = []
        for wallet_code, ledger in book.ledgers.items():
            if not ledger.postings:
                continue
            for posting in ledger.postings:
                lot = posting.lot
                j_w.append(wallet_code)
                j_units.append(posting.units)
                j_after.append(posting.balance_after)
                if lot is None:
                    j_lot.append(None)
                    j_new.append(None)
                elif lot.id is None:
                    if id(lot) not in new_index:
                        new_lots.append((wallet_code, lot))
                        new_index[id(lot)] = len(new_lots)
                    j_lot.append(None)
                    j_new.append(new_index[id(lot)])
                else:
                    touched[lot.id] = lot
                    j_lot.append(lot.id)
                    j_new.append(None)
            b_w.append(wallet_code)
            b_units.append(ledger.balance)
            ledger.postings.clear()
        for wallet_code in b_w:
            book.stored_balances.add(wallet_code)
        params = {
            "m": stamp.merchant_id,
            "txn": transaction_id,
            "kind": kind,
            "a": book.account_id,
            "txn_account": None if activating is not None else book.account_id,
            "activate": activating is not None,
            "card_id": activating.id if activating is not None else None,
            "template": activating.template_code if activating is not None else None,
            "card": card_number,
            "store": stamp.store_code,
            "terminal": stamp.terminal_id,
            "operator": stamp.operator_id,
            "pos_id": stamp.pos_transaction_id,
            "pos_datetime": stamp.pos_datetime,
            "now": stamp.now,
            "hash": contents_hash,
            "integration": stamp.integration_id,
            "nl_w": [w for w, _ in new_lots],
            "nl_units": [lot.remaining for _, lot in new_lots],
            "nl_on": [lot.expires_on for _, lot in new_lots],
            "nl_at": [lot.expires_at for _, lot in new_lots],
            "ol_id": list(touched),
            "ol_units": [lot.remaining for lot in touched.values()],
            "j_w": j_w,
            "j_lot": j_lot,
            "j_new": j_new,
            "j_units": j_units,
            "j_after": j_after,
            "b_w": b_w,
            "b_units": b_units,
        }
        return CallWrite(params, book, [lot for _, lot in new_lots])

    async def flush(
        self,
        write: CallWrite,
        reply: tuple[str, list[str], int | None] | None = None,
    ) -> int:
        """Run a prepared write, with ``reply`` (text, retry-key scopes, transaction id
        it names) recorded in the same statement; the transaction's id."""
        if reply is None:
            statement, direct, params = _WRITE_ONLY, _WRITE_ONLY_DIRECT, write.params
        else:
            text_, scopes, named = reply
            statement, direct = _WRITE_AND_REPLY, _WRITE_AND_REPLY_DIRECT
            params = {**write.params, "reply": text_, "scopes": scopes, "reply_txn": named}
        rows = await fetch_in_transaction(self.conn, direct, params)
        if rows is None:
            row = (await self.conn.execute(statement, params)).one()
        elif len(rows) == 1:
            row = rows[0]
        else:
            raise RuntimeError(f"a write answered {len(rows)} rows instead of one")
        for lot, lot_id in zip(write.new_lots, row[1], strict=True):
            lot.id = lot_id
        return int(row[0])

    async def card_with_book(
        self, merchant_id: int, number: str, wallets: list[WalletDef]
    ) -> tuple[Card | None, AccountBook | None]:
        """The merchant's card (with its account's status) and, when it has an
        account, that account's book with ``wallets``, read together without locks."""
        rows = (await self.conn.execute(_CARD_WITH_BOOK, {"m": merchant_id, "n": number})).all()
        card, book_rows = _card_and_rows(rows)
        if card is None or book_rows is None or card.account_id is None:
            return card, None
        return card, book_rows.book(merchant_id, card.account_id, wallets)

    async def card_with_book_direct(
        self, direct: DirectConnection, merchant_id: int, number: str, wallets: list[WalletDef]
    ) -> tuple[Card | None, AccountBook | None]:
        """``card_with_book`` in one statement that commits on its own
        (store/direct.py)."""
        rows = await direct.fetch(CARD_WITH_BOOK, {"m": merchant_id, "n": number})
        card, book_rows = _card_and_rows(rows)
        if card is None or book_rows is None or card.account_id is None:
            return card, None
        return card, book_rows.book(merchant_id, card.account_id, wallets)

    async def read_for_write(
        self,
        direct: DirectConnection,
        merchant_id: int,
        number: str,
        scopes: list[str],
        *,
        selling: bool = False,
    ) -> ReadForWrite | None:
        """The card, its account's book and revision, a transaction id and whether any
        of ``scopes`` (the call's retry keys) is held, read without a lock in one
        statement that commits on its own (store/direct.py). ``selling``: an inactive
        card's new account id too."""
        rows = await direct.fetch(
            CARD_BOOK_REVISION,
            {"m": merchant_id, "n": number, "scopes": scopes, "selling": selling},
        )
        card, book_rows = _card_and_rows(rows)
        if card is None:
            return None
        head = next(row for row in rows if row[0] == 0)
        return ReadForWrite(
            card, book_rows, head[12], int(head[13]), bool(head[14]), new_account_id=head[15]
        )

    async def flush_guarded(
        self,
        direct: DirectConnection,
        write: CallWrite,
        read: ReadForWrite,
        claim: tuple[list[str], str],
        reply: tuple[str | None, int | None],
    ) -> bool:
        """Make a prepared write, with the call's retry keys ``claim``ed (scopes and
        request hash) and its ``reply`` (text, transaction id it names), in one
        statement that commits on its own, if the card is still active on the account
        and the book still the one ``read`` (a sale: if the card is still inactive);
        whether it was made. A key already held raises IntegrityError and nothing is
        written."""
        selling = bool(write.params["activate"])
        if selling and write.params["card_id"] != read.card.id:
            raise ValueError("a sale without locks sells the card it read")
        scopes, request_hash = claim
        params = {
            **write.params,
            "held_card": read.card.id,
            "revision": read.revision,
            "scopes": scopes,
            "h": request_hash,
            "reply": reply[0],
            "reply_txn": reply[1],
        }
        rows = await direct.fetch(GUARDED_SALE if selling else GUARDED_WRITE, params)
        if not rows:
            return False
        for lot, lot_id in zip(write.new_lots, rows[0][1], strict=True):
            lot.id = lot_id
        return True

    async def balances(self, merchant_id: int, account_id: int) -> dict[int, int]:
        rows = await self.conn.execute(
            select(wallet_balances.c.wallet_code, wallet_balances.c.units).where(
                wallet_balances.c.merchant_id == merchant_id,
                wallet_balances.c.account_id == account_id,
            )
        )
        return {r.wallet_code: r.units for r in rows}

    async def accounts_with_due_lots(
        self, now: datetime, limit: int = 1000
    ) -> list[tuple[int, int]]:
        """(merchant_id, account_id) of accounts holding lapsed value, on the whole server."""
        rows = await self.conn.execute(
            select(lots.c.merchant_id, lots.c.account_id)
            .where(lots.c.remaining_units > 0, lots.c.expires_at <= now)
            .distinct()
            .order_by(lots.c.merchant_id, lots.c.account_id)
            .limit(limit)
        )
        return [(r.merchant_id, r.account_id) for r in rows]

    async def journal_of(
        self, merchant_id: int, transaction_id: int
    ) -> list[tuple[int, int, int | None, int]]:
        """(account_id, wallet_code, lot_id, units) of a transaction, in the order written."""
        rows = await self.conn.execute(
            select(journal.c.account_id, journal.c.wallet_code, journal.c.lot_id, journal.c.units)
            .where(journal.c.merchant_id == merchant_id, journal.c.transaction_id == transaction_id)
            .order_by(journal.c.id)
        )
        return [(r.account_id, r.wallet_code, r.lot_id, r.units) for r in rows]

    async def accounts_with_due_value(
        self, merchant_id: int, account_ids: list[int], now: datetime
    ) -> list[int]:
        """Which of these accounts hold value whose expiry has passed."""
        due: set[int] = set()
        for start in range(0, len(account_ids), CHUNK):
            rows = await self.conn.execute(
                select(lots.c.account_id)
                .where(
                    lots.c.merchant_id == merchant_id,
                    lots.c.account_id.in_(account_ids[start : start + CHUNK]),
                    lots.c.remaining_units > 0,
                    lots.c.expires_at <= now,
                )
                .distinct()
            )
            due.update(row.account_id for row in rows)
        return sorted(due)

    async def expired_units_of(self, merchant_id: int, lot_ids: list[int]) -> dict[int, int]:
        """How much of each lot has been written off by expiry (positive numbers)."""
        found: dict[int, int] = {}
        for start in range(0, len(lot_ids), CHUNK):
            rows = await self.conn.execute(
                select(journal.c.lot_id, func.sum(journal.c.units).label("total"))
                .select_from(JOURNAL_WITH_TRANSACTIONS)
                .where(
                    journal.c.merchant_id == merchant_id,
                    journal.c.lot_id.in_(lot_ids[start : start + CHUNK]),
                    transactions.c.kind == Kind.EXPIRE,
                )
                .group_by(journal.c.lot_id)
            )
            found.update({row.lot_id: -int(row.total) for row in rows})
        return found
