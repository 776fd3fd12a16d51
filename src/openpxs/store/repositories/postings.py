"""What a posted check reads of the account it has just locked, in one statement.

A posted check reads these of its account once the account is locked: the book
(balances and spendable lots), whether a check of the account still stands (a first
visit earns differently), the account's choices about challenges, and its guest's name
(for the reply) and social groups (for group challenges). Each is its owner's statement
(``ledger``, ``standing``, ``challenges``, ``users``, ``social_groups``); here they are
sent as one UNION, a kind column telling their rows apart, so a posting waits for the
database once instead of once each. It runs after the lock, in its own statement: a
statement that waited for a lock reads other tables as they were when it began.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, cast, literal_column, null, select, union_all

from openpxs.domain.ledger import AccountBook, Lot
from openpxs.domain.program import WalletDef
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import Repository
from openpxs.store.repositories.challenges import ENTRIES, Entry, entry_of
from openpxs.store.repositories.ledger import ONE_BOOK_ROWS, BookRows
from openpxs.store.repositories.social_groups import GROUPS_OF_ONE
from openpxs.store.repositories.standing import VISITED
from openpxs.store.repositories.users import GUEST_NAME

_BOOK, _VISIT, _ENTRY, _GUEST, _GROUP = 1, 2, 3, 4, 5
# Each kind's source and the columns its rows fill; the others are NULL.
_SOURCES = {
    _BOOK: ONE_BOOK_ROWS.subquery("book"),
    _ENTRY: ENTRIES.subquery("entries"),
    _GUEST: GUEST_NAME.subquery("guest"),
    _GROUP: GROUPS_OF_ONE.subquery("groups"),
}
_COLUMNS = {
    _BOOK: ("wallet_code", "units", "lot_id", "expires_at", "expires_on"),
    _ENTRY: ("challenge_code", "opted_in", "charity_code", "changed_at"),
    _GUEST: ("first_name", "last_name"),
    _GROUP: ("group_id",),
}


def _row(kind: int) -> Select[Any]:
    """One branch of the union: its kind, then every kind's columns, each NULL (of its
    type, for the union's) but the branch's own."""
    columns: list[Any] = [literal_column(str(kind), Integer).label("kind")]
    for other, names in _COLUMNS.items():
        source = _SOURCES[other]
        for name in names:
            column = source.c[name]
            columns.append(column if other == kind else cast(null(), column.type).label(name))
    branch = select(*columns)
    return branch.select_from(_SOURCES[kind]) if kind in _SOURCES else branch


_AFTER_LOCK = DirectQuery(
    union_all(
        _row(_BOOK),
        _row(_VISIT).where(VISITED),
        _row(_ENTRY),
        _row(_GUEST),
        _row(_GROUP),
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
    # The guest's first and last name, and the social groups the guest is a member of
    # in no particular order (none without a guest).
    first_name: str | None = None
    last_name: str | None = None
    groups: list[int] = field(default_factory=list)


class PostingRepository(Repository):
    __slots__ = ()

    async def locked_account(
        self, merchant_id: int, account_id: int, user_id: int | None, wallets: list[WalletDef]
    ) -> LockedAccount:
        """The (locked) account's book with ``wallets``, whether it visited before, its
        challenge entries, and its guest's (``user_id``, None without one) name and
        groups: what ``LedgerRepository.open_books``, ``StandingRepository.
        tier_and_visited``, ``ChallengeRepository.entries``, ``UserRepository.
        of_account`` (the name) and ``SocialGroupRepository.groups_of`` (in no particular
        order) answer, in one round trip."""
        rows = await _AFTER_LOCK.rows(
            self.conn, {"m": merchant_id, "a": account_id, "user": user_id}
        )
        book_rows = BookRows()
        visited = False
        entries: dict[str, Entry] = {}
        first_name = last_name = None
        groups: list[int] = []
        for row in rows:
            kind = row.kind
            if kind == _BOOK:
                if row.lot_id is None:
                    book_rows.balances[row.wallet_code] = row.units
                else:
                    lot = Lot(row.lot_id, row.units, row.expires_at, row.expires_on)
                    book_rows.lots.setdefault(row.wallet_code, []).append(lot)
            elif kind == _VISIT:
                visited = True
            elif kind == _ENTRY:
                entries[row.challenge_code] = entry_of(row)
            elif kind == _GUEST:
                first_name, last_name = row.first_name, row.last_name
            else:
                groups.append(row.group_id)
        return LockedAccount(
            book_rows.book(merchant_id, account_id, wallets),
            visited,
            entries,
            first_name,
            last_name,
            groups,
        )
