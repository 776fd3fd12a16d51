"""Transaction records: writing them, finding what a void or reversal targets, and an
account's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import TransactionRecord
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import journal, stores, transaction_cards, transactions

_INSERT = transactions.insert().returning(transactions.c.id)
_COLUMNS = (
    transactions.c.id,
    transactions.c.kind,
    transactions.c.account_id,
    transactions.c.card_number,
    transactions.c.store_code,
    transactions.c.contents_hash,
    transactions.c.target_id,
    transactions.c.undone_by_id,
)


class TransactionRepository(Repository):
    __slots__ = ("recorded",)

    def __init__(self, conn: AsyncConnection):
        super().__init__(conn)
        # The kind and card number of each transaction this unit of work recorded, by id.
        self.recorded: dict[int, tuple[str, str | None]] = {}

    async def record(
        self,
        stamp: CallStamp,
        kind: str,
        *,
        account_id: int | None = None,
        card_number: str | None = None,
        contents_hash: str | None = None,
        target_id: int | None = None,
        comment: str | None = None,
    ) -> int:
        result = await self.conn.execute(
            _INSERT,
            {
                "merchant_id": stamp.merchant_id,
                "kind": kind,
                "account_id": account_id,
                "card_number": card_number,
                "store_code": stamp.store_code,
                "terminal_id": stamp.terminal_id,
                "operator_id": stamp.operator_id,
                "pos_transaction_id": stamp.pos_transaction_id,
                "pos_datetime": stamp.pos_datetime,
                "created_at": stamp.now,
                "contents_hash": contents_hash,
                "target_id": target_id,
                "comment": comment,
                "integration_id": stamp.integration_id,
            },
        )
        transaction_id = int(result.scalar_one())
        self.recorded[transaction_id] = (kind, card_number)
        return transaction_id

    async def set_account(self, merchant_id: int, transaction_id: int, account_id: int) -> None:
        await self.conn.execute(
            update(transactions)
            .where(transactions.c.merchant_id == merchant_id, transactions.c.id == transaction_id)
            .values(account_id=account_id)
        )

    async def get(self, merchant_id: int, transaction_id: int) -> TransactionRecord | None:
        row = (
            await self.conn.execute(
                select(*_COLUMNS).where(
                    transactions.c.merchant_id == merchant_id, transactions.c.id == transaction_id
                )
            )
        ).first()
        return TransactionRecord(*row) if row is not None else None

    async def originals(
        self,
        merchant_id: int,
        kind: str,
        store_code: str,
        card_number: str,
        pos_transaction_id: str,
    ) -> list[TransactionRecord]:
        """Transactions a void may target, newest first."""
        rows = await self.conn.execute(
            select(*_COLUMNS)
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

    async def by_pos_id(
        self,
        merchant_id: int,
        store_code: str,
        integration_id: int,
        pos_transaction_id: str,
        kinds: list[str],
    ) -> list[TransactionRecord]:
        """The integration's transactions of these kinds at the store under a POS id,
        newest first."""
        rows = await self.conn.execute(
            select(*_COLUMNS)
            .where(
                transactions.c.merchant_id == merchant_id,
                transactions.c.store_code == store_code,
                transactions.c.integration_id == integration_id,
                transactions.c.pos_transaction_id == pos_transaction_id,
                transactions.c.kind.in_(kinds),
            )
            .order_by(transactions.c.id.desc())
        )
        return [TransactionRecord(*row) for row in rows]

    async def set_comment(self, merchant_id: int, transaction_id: int, comment: str) -> None:
        await self.conn.execute(
            update(transactions)
            .where(transactions.c.merchant_id == merchant_id, transactions.c.id == transaction_id)
            .values(comment=comment)
        )

    async def mark_undone(self, merchant_id: int, target_id: int, undone_by_id: int) -> bool:
        """Mark a transaction voided or reversed; False when a concurrent undo took it
        first (the guard makes the database, not a read, decide)."""
        result = await self.conn.execute(
            update(transactions)
            .where(
                transactions.c.merchant_id == merchant_id,
                transactions.c.id == target_id,
                transactions.c.undone_by_id.is_(None),
            )
            .values(undone_by_id=undone_by_id)
        )
        return bool(result.rowcount == 1)

    async def any_standing_after(
        self,
        merchant_id: int,
        account_ids: list[int],
        after_id: int,
        ignore_kinds: tuple[str, ...],
    ) -> bool:
        """Whether a later transaction on these accounts still stands (not undone)."""
        for start in range(0, len(account_ids), CHUNK):
            found = await self.conn.execute(
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


@dataclass(frozen=True)
class HistoryRow:
    id: int
    kind: str
    at: datetime
    store_code: str | None
    store_name: str | None
    pos_transaction_id: str | None
    card_number: str | None
    has_comment: bool


@dataclass(frozen=True)
class JournalSum:
    """One wallet's share of one transaction: credited, debited, balance after."""

    transaction_id: int
    wallet_code: int
    accrued_units: int
    redeemed_units: int
    balance_units: int


class HistoryRepository(Repository):
    """An account's transactions as its history shows them."""

    __slots__ = ()

    async def entries(
        self,
        merchant_id: int,
        account_id: int,
        *,
        since: datetime | None,
        before: datetime | None,
        limit: int,
        only_balance_affecting: bool,
    ) -> list[HistoryRow]:
        """The account's transactions, newest first: those that moved its balances, and
        (unless ``only_balance_affecting``) those that changed its cards or named it."""
        in_journal = select(journal.c.transaction_id).where(
            journal.c.merchant_id == merchant_id, journal.c.account_id == account_id
        )
        # Found by their ids, each list read by the merchant and the account: a
        # condition on the merchant here would let SQLite walk every transaction of the
        # merchant's and test it against the list, instead of looking the ids up.
        conditions = [
            transactions.c.id.in_(in_journal)
            if only_balance_affecting
            else _of_account(merchant_id, account_id)
        ]
        if since is not None:
            conditions.append(transactions.c.created_at >= since)
        if before is not None:
            conditions.append(transactions.c.created_at < before)
        rows = await self.conn.execute(
            select(transactions, stores.c.name.label("store_name"))
            .select_from(
                transactions.outerjoin(
                    stores,
                    and_(
                        stores.c.merchant_id == transactions.c.merchant_id,
                        stores.c.code == transactions.c.store_code,
                    ),
                )
            )
            .where(*conditions)
            .order_by(transactions.c.id.desc())
            .limit(limit)
        )
        return [
            HistoryRow(
                id=r.id,
                kind=r.kind,
                at=r.created_at,
                store_code=r.store_code,
                store_name=r.store_name,
                pos_transaction_id=r.pos_transaction_id,
                card_number=r.card_number,
                has_comment=bool(r.comment),
            )
            for r in rows
        ]

    async def journal_sums(
        self, merchant_id: int, account_id: int, transaction_ids: list[int]
    ) -> list[JournalSum]:
        """Per transaction and wallet of the account: what was credited and debited, and
        the balance after the transaction's last posting."""
        if not transaction_ids:
            return []
        rows = await self.conn.execute(
            select(
                journal.c.transaction_id,
                journal.c.wallet_code,
                journal.c.units,
                journal.c.balance_after_units,
            )
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.account_id == account_id,
                journal.c.transaction_id.in_(transaction_ids),
            )
            .order_by(journal.c.id)
        )
        sums: dict[tuple[int, int], list[int]] = {}
        for r in rows:
            acc = sums.setdefault((r.transaction_id, r.wallet_code), [0, 0, 0])
            if r.units > 0:
                acc[0] += r.units
            else:
                acc[1] -= r.units
            acc[2] = r.balance_after_units
        return [
            JournalSum(txn, code, accrued, redeemed, balance)
            for (txn, code), (accrued, redeemed, balance) in sorted(sums.items())
        ]

    async def comment_of(
        self, merchant_id: int, account_id: int, transaction_id: int
    ) -> str | None:
        """The comment of a transaction of the account's (as its history lists them):
        ``""`` when it has none, None when it is no transaction of the account's."""
        row = (
            await self.conn.execute(
                select(transactions.c.comment).where(
                    transactions.c.merchant_id == merchant_id,
                    transactions.c.id == transaction_id,
                    _of_account(merchant_id, account_id),
                )
            )
        ).first()
        return None if row is None else row.comment or ""


def _of_account(merchant_id: int, account_id: int) -> ColumnElement[bool]:
    """The transactions an account's history lists: those that named it, moved its
    balances or changed its cards (an activation that moved no value does only that).

    One list of ids, each part read by its own index. As three conditions joined by OR,
    no index serves them together, and PostgreSQL walked the merchant's transactions
    newest first, testing each, until it had a page of the account's."""
    named = transactions.alias("named")
    return transactions.c.id.in_(
        union(
            select(named.c.id).where(
                named.c.merchant_id == merchant_id, named.c.account_id == account_id
            ),
            select(journal.c.transaction_id).where(
                journal.c.merchant_id == merchant_id, journal.c.account_id == account_id
            ),
            select(transaction_cards.c.transaction_id).where(
                transaction_cards.c.merchant_id == merchant_id,
                transaction_cards.c.account_id == account_id,
            ),
        )
    )
