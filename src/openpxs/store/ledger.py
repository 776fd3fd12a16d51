"""Persisting wallet moves: lots, balances and the journal, in the caller's transaction.

An ``AccountBook`` is opened on an account the caller has locked; it loads each
wallet's lots on first use, lets the domain ledger decide the postings, and writes
them all at ``flush`` - new lots, lot remainders, journal rows and balances - in the
same database transaction as the transaction record they belong to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.ledger import Lot, WalletLedger
from openpxs.domain.program import WalletDef
from openpxs.store.tables import journal, lots, transactions, wallet_balances


class AccountBook:
    def __init__(self, conn: AsyncConnection, merchant_id: int, account_id: int):
        self.conn = conn
        self.merchant_id = merchant_id
        self.account_id = account_id
        self.ledgers: dict[int, WalletLedger] = {}
        self._has_row: dict[int, bool] = {}
        self._lots_by_id: dict[int, Lot] = {}
        self._lots_dirty: dict[int, int] = {}

    async def wallet(self, wallet: WalletDef) -> WalletLedger:
        ledger = self.ledgers.get(wallet.code)
        if ledger is not None:
            return ledger
        balance = (
            await self.conn.execute(
                select(wallet_balances.c.units).where(
                    wallet_balances.c.merchant_id == self.merchant_id,
                    wallet_balances.c.account_id == self.account_id,
                    wallet_balances.c.wallet_code == wallet.code,
                )
            )
        ).scalar_one_or_none()
        self._has_row[wallet.code] = balance is not None
        rows = await self.conn.execute(
            select(lots.c.id, lots.c.remaining_units, lots.c.expires_at, lots.c.expires_on).where(
                lots.c.merchant_id == self.merchant_id,
                lots.c.account_id == self.account_id,
                lots.c.wallet_code == wallet.code,
                lots.c.remaining_units > 0,
            )
        )
        loaded = [Lot(r.id, r.remaining_units, r.expires_at, r.expires_on) for r in rows]
        for lot in loaded:
            self._lots_by_id[lot.id] = lot  # type: ignore[index]
        ledger = WalletLedger(
            balance=balance or 0, lots=loaded, allow_negative=wallet.allow_negative
        )
        self.ledgers[wallet.code] = ledger
        return ledger

    async def lot(self, wallet: WalletDef, lot_id: int) -> Lot:
        """A lot by id, even an empty one (a reversal puts value back where it came from)."""
        ledger = await self.wallet(wallet)
        found = self._lots_by_id.get(lot_id)
        if found is not None:
            return found
        row = (
            await self.conn.execute(
                select(
                    lots.c.id, lots.c.remaining_units, lots.c.expires_at, lots.c.expires_on
                ).where(lots.c.merchant_id == self.merchant_id, lots.c.id == lot_id)
            )
        ).one()
        found = Lot(row.id, row.remaining_units, row.expires_at, row.expires_on)
        ledger.lots.append(found)
        self._lots_by_id[lot_id] = found
        return found

    def balance_units(self, wallet_code: int) -> int | None:
        ledger = self.ledgers.get(wallet_code)
        return ledger.balance if ledger else None

    @property
    def has_postings(self) -> bool:
        return any(ledger.postings for ledger in self.ledgers.values())

    async def flush(self, transaction_id: int, now: datetime) -> None:
        """Write every posting made since the last flush under ``transaction_id``."""
        journal_rows: list[dict[str, object]] = []
        touched: dict[int, Lot] = {}
        for wallet_code, ledger in self.ledgers.items():
            if not ledger.postings:
                continue
            for posting in ledger.postings:
                lot = posting.lot
                if lot is not None and lot.id is None:
                    lot.id = await self._insert_lot(wallet_code, lot, transaction_id)
                    self._lots_by_id[lot.id] = lot
                elif lot is not None and lot.id is not None:
                    touched[lot.id] = lot
                journal_rows.append(
                    {
                        "merchant_id": self.merchant_id,
                        "transaction_id": transaction_id,
                        "account_id": self.account_id,
                        "wallet_code": wallet_code,
                        "lot_id": lot.id if lot is not None else None,
                        "units": posting.units,
                        "balance_after_units": posting.balance_after,
                        "created_at": now,
                    }
                )
            await self._save_balance(wallet_code, ledger.balance)
            ledger.postings.clear()
        for lot_id, lot in touched.items():
            await self.conn.execute(
                update(lots)
                .where(lots.c.merchant_id == self.merchant_id, lots.c.id == lot_id)
                .values(remaining_units=lot.remaining)
            )
        if journal_rows:
            await self.conn.execute(journal.insert(), journal_rows)

    async def _insert_lot(self, wallet_code: int, lot: Lot, transaction_id: int) -> int:
        result = await self.conn.execute(
            lots.insert()
            .values(
                merchant_id=self.merchant_id,
                account_id=self.account_id,
                wallet_code=wallet_code,
                remaining_units=lot.remaining,
                expires_on=lot.expires_on,
                expires_at=lot.expires_at,
                transaction_id=transaction_id,
            )
            .returning(lots.c.id)
        )
        return int(result.scalar_one())

    async def _save_balance(self, wallet_code: int, units: int) -> None:
        if self._has_row.get(wallet_code):
            await self.conn.execute(
                update(wallet_balances)
                .where(
                    wallet_balances.c.merchant_id == self.merchant_id,
                    wallet_balances.c.account_id == self.account_id,
                    wallet_balances.c.wallet_code == wallet_code,
                )
                .values(units=units)
            )
        else:
            await self.conn.execute(
                wallet_balances.insert().values(
                    merchant_id=self.merchant_id,
                    account_id=self.account_id,
                    wallet_code=wallet_code,
                    units=units,
                )
            )
            self._has_row[wallet_code] = True


async def balances(conn: AsyncConnection, merchant_id: int, account_id: int) -> dict[int, int]:
    rows = await conn.execute(
        select(wallet_balances.c.wallet_code, wallet_balances.c.units).where(
            wallet_balances.c.merchant_id == merchant_id,
            wallet_balances.c.account_id == account_id,
        )
    )
    return {r.wallet_code: r.units for r in rows}


async def wallets_with_due_lots(
    conn: AsyncConnection, merchant_id: int, account_id: int, now: datetime
) -> list[int]:
    rows = await conn.execute(
        select(lots.c.wallet_code)
        .where(
            and_(
                lots.c.merchant_id == merchant_id,
                lots.c.account_id == account_id,
                lots.c.remaining_units > 0,
                lots.c.expires_at <= now,
            )
        )
        .distinct()
    )
    return sorted(r.wallet_code for r in rows)


async def accounts_with_due_lots(
    conn: AsyncConnection, now: datetime, limit: int = 1000
) -> list[tuple[int, int]]:
    rows = await conn.execute(
        select(lots.c.merchant_id, lots.c.account_id)
        .where(lots.c.remaining_units > 0, lots.c.expires_at <= now)
        .distinct()
        .order_by(lots.c.merchant_id, lots.c.account_id)
        .limit(limit)
    )
    return [(r.merchant_id, r.account_id) for r in rows]


async def journal_of(
    conn: AsyncConnection, merchant_id: int, transaction_id: int
) -> list[tuple[int, int, int | None, int]]:
    """(account_id, wallet_code, lot_id, units) of a transaction, in the order written."""
    rows = await conn.execute(
        select(journal.c.account_id, journal.c.wallet_code, journal.c.lot_id, journal.c.units)
        .where(journal.c.merchant_id == merchant_id, journal.c.transaction_id == transaction_id)
        .order_by(journal.c.id)
    )
    return [(r.account_id, r.wallet_code, r.lot_id, r.units) for r in rows]


async def expired_units(conn: AsyncConnection, merchant_id: int, lot_id: int) -> int:
    """How much of a lot has been written off by expiry (a positive number)."""
    total = (
        await conn.execute(
            select(func.coalesce(func.sum(journal.c.units), 0))
            .select_from(
                journal.join(
                    transactions,
                    and_(
                        transactions.c.merchant_id == journal.c.merchant_id,
                        transactions.c.id == journal.c.transaction_id,
                    ),
                )
            )
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.lot_id == lot_id,
                transactions.c.kind == "expire",
            )
        )
    ).scalar_one()
    return -int(total)
