"""What a posted check reads of the account it has just locked, in one statement.

A posted check reads three things of its account once the account is locked: the book
(balances and spendable lots), whether a check of the account still stands (a first
visit earns differently), and the account's choices about challenges. Each is its
owner's statement (``ledger``, ``standing``, ``challenges``); here they are sent as one
UNION, a kind column telling their rows apart, so a posting waits for the database once
instead of three times. It runs after the lock, in its own statement: a statement that
waited for a lock reads other tables as they were when it began.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, cast, literal_column, null, select, union_all

from openpxs.domain.ledger import AccountBook, Lot
from openpxs.domain.program import WalletDef
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import Repository
from openpxs.store.repositories.challenges import ENTRIES, Entry, entry_of
from openpxs.store.repositories.ledger import ONE_BOOK_ROWS, BookRows
from openpxs.store.repositories.standing import VISITED

_BOOK, _VISIT, _ENTRY = 1, 2, 3
_book = ONE_BOOK_ROWS.subquery("book")
_entries = ENTRIES.subquery("entries")
_BOOK_COLUMNS = ("wallet_code", "units", "lot_id", "expires_at", "expires_on")
_ENTRY_COLUMNS = ("challenge_code", "opted_in", "charity_code", "changed_at")


def _row(kind: int, book: Any = None, entry: Any = None) -> Select[Any]:
    """One branch of the union: its kind, then the book's columns and the entry's, each
    NULL (of its type, for the union's) where the branch has none."""

    def columns(names: tuple[str, ...], source: Any, typed: Any) -> list[Any]:
        if source is not None:
            return [source.c[name] for name in names]
        return [cast(null(), typed.c[name].type).label(name) for name in names]

    return select(
        literal_column(str(kind), Integer).label("kind"),
        *columns(_BOOK_COLUMNS, book, _book),
        *columns(_ENTRY_COLUMNS, entry, _entries),
    )


_AFTER_LOCK = DirectQuery(
    union_all(
        _row(_BOOK, book=_book).select_from(_book),
        _row(_VISIT).where(VISITED),
        _row(_ENTRY, entry=_entries).select_from(_entries),
    )
)


@dataclass(frozen=True)
class LockedAccount:
    """A locked account as a posted check reads it."""

    book: AccountBook
    # Whether a check of the account still stands (not reversed).
    visited: bool
    # The account's choices about challenges, by challenge code.
    entries: dict[str, Entry]


class PostingRepository(Repository):
    __slots__ = ()

    async def locked_account(
        self, merchant_id: int, account_id: int, wallets: list[WalletDef]
    ) -> LockedAccount:
        """The (locked) account's book with ``wallets``, whether it visited before and
        its challenge entries: what ``LedgerRepository.open_books``,
        ``StandingRepository.tier_and_visited`` and ``ChallengeRepository.entries``
        answer, in one round trip."""
        rows = await _AFTER_LOCK.rows(self.conn, {"m": merchant_id, "a": account_id})
        book_rows = BookRows()
        visited = False
        entries: dict[str, Entry] = {}
        for row in rows:
            if row.kind == _BOOK:
                if row.lot_id is None:
                    book_rows.balances[row.wallet_code] = row.units
                else:
                    lot = Lot(row.lot_id, row.units, row.expires_at, row.expires_on)
                    book_rows.lots.setdefault(row.wallet_code, []).append(lot)
            elif row.kind == _VISIT:
                visited = True
            else:
                entries[row.challenge_code] = entry_of(row)
        return LockedAccount(book_rows.book(merchant_id, account_id, wallets), visited, entries)
