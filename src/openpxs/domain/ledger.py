"""How value moves inside one wallet of one account, with no I/O.

A wallet holds a balance and the lots it is made of. A credit joins the open lot with
the same expiry (or none), or opens a lot of its own; each debit spends the spendable
lots, soonest expiry first and never-expiring value last. A wallet that may go negative records the
shortfall as a posting with no lot (a deficit), and the next credit repays it before
it makes a new lot. So at every moment:

    balance == sum(lot.remaining) + sum(deficit postings)
    sum(lot.remaining) == max(balance, 0)

The store applies the postings this module returns and writes each one to the
journal; ``openpxs audit`` checks the same equations against the database. An
``AccountBook`` holds the wallets of one account while a call moves value in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from openpxs.domain.errors import AmountOutOfRange, InsufficientBalance
from openpxs.domain.money import MAX_BALANCE, max_balance_units

MAX_BALANCE_UNITS = max_balance_units()


class ShortOfValue(InsufficientBalance):
    """A debit beyond what the wallet can spend; the numbers are for logs and tests."""

    def __init__(self, available_units: int, requested_units: int):
        super().__init__()
        self.available_units = available_units
        self.requested_units = requested_units


@dataclass(eq=False)
class Lot:
    """Value added at one time with one expiry; ``id`` is None until the store saves it."""

    id: int | None
    remaining: int
    expires_at: datetime | None
    expires_on: date | None = None

    def spendable(self, now: datetime) -> bool:
        return self.remaining > 0 and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Posting:
    """One signed change of one wallet; ``lot`` is None for a deficit posting."""

    units: int
    lot: Lot | None
    balance_after: int


@dataclass
class WalletLedger:
    balance: int
    lots: list[Lot]
    allow_negative: bool
    postings: list[Posting] = field(default_factory=list)

    def _post(self, units: int, lot: Lot | None) -> None:
        self.balance += units
        self.postings.append(Posting(units, lot, self.balance))

    def credit(
        self,
        units: int,
        *,
        expires_at: datetime | None = None,
        expires_on: date | None = None,
        into: Lot | None = None,
    ) -> None:
        """Add value: repay any deficit, then fill ``into`` or a new lot."""
        if units <= 0:
            raise ValueError("credit needs a positive amount")
        self._check_range(self.balance + units)
        if self.balance < 0:
            repay = min(units, -self.balance)
            self._post(repay, None)
            units -= repay
        if units == 0:
            return
        into = into or self._open_lot_expiring(expires_at, expires_on)
        if into is not None:
            into.remaining += units
            self._post(units, into)
        else:
            lot = Lot(None, units, expires_at, expires_on)
            self.lots.append(lot)
            self._post(units, lot)

    def _open_lot_expiring(
        self, expires_at: datetime | None, expires_on: date | None
    ) -> Lot | None:
        """The open lot a credit with this expiry joins: value that expires together is
        spent together, so one lot holds it all, and an account's open lots are bounded
        by the distinct expiries its program gives, not by how often it was loaded. The
        journal still keeps each credit as a posting of its own."""
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires_at == expires_at and lot.expires_on == expires_on:
                return lot
        return None

    def debit(self, units: int, now: datetime, *, prefer: Lot | None = None) -> None:
        """Take value out, from ``prefer`` first, then soonest-expiring spendable lots.

        Refused as a whole, with nothing changed, when the spendable value falls short
        and the wallet may not go negative.
        """
        if units <= 0:
            raise ValueError("debit needs a positive amount")
        self._check_range(self.balance - units)
        order = self.spending_order(now)
        if prefer is not None and prefer in order:
            order.remove(prefer)
            order.insert(0, prefer)
        available = sum(lot.remaining for lot in order)
        if available < units and not self.allow_negative:
            raise ShortOfValue(available, units)
        if available < units:
            # Going into deficit: lapsed value still in a lot must be written off first,
            # or the lots would hold more than a balance that is below zero.
            self.expire(now)
        for lot in order:
            if units == 0:
                break
            take = min(lot.remaining, units)
            lot.remaining -= take
            units -= take
            self._post(-take, lot)
        if units:
            self._post(-units, None)

    @staticmethod
    def _check_range(balance_after: int) -> None:
        """Refuse, before anything changes, a move that would take the balance past
        MAX_BALANCE either way (a deficit too): the columns are signed 64-bit."""
        if abs(balance_after) > MAX_BALANCE_UNITS:
            raise AmountOutOfRange(f"a wallet balance may not pass {MAX_BALANCE:,}")

    def expire(self, now: datetime) -> None:
        """Write off every lot whose expiry has passed."""
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now:
                units = lot.remaining
                lot.remaining = 0
                self._post(-units, lot)

    def spending_order(self, now: datetime) -> list[Lot]:
        spendable = [lot for lot in self.lots if lot.spendable(now)]
        return sorted(
            spendable,
            # Unsaved lots were added by this very call, so they sort after saved ones.
            key=lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.id or 1 << 62),
        )

    def spendable_units(self, now: datetime) -> int:
        return sum(lot.remaining for lot in self.lots if lot.spendable(now))

    def has_lapsed_value(self, now: datetime) -> bool:
        return any(
            lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now
            for lot in self.lots
        )


@dataclass
class AccountBook:
    """The wallets of one account, loaded whole before any move is applied.

    The store opens a book with every wallet the call may touch (balances, spendable
    lots, and any lot a reversal refills by id), the domain moves value between lots in
    memory, and the store writes the postings in one go. Nothing here reads or writes
    the database: a wallet or lot that was not loaded is a programming error.
    """

    merchant_id: int
    account_id: int
    ledgers: dict[int, WalletLedger] = field(default_factory=dict)
    # Wallets whose balance is already stored (the write is an update, not an insert).
    stored_balances: set[int] = field(default_factory=set)

    def add_wallet(
        self, wallet_code: int, balance: int | None, lots: list[Lot], *, allow_negative: bool
    ) -> None:
        """Give the book a wallet as loaded (``balance`` None: nothing stored yet)."""
        if balance is not None:
            self.stored_balances.add(wallet_code)
        self.ledgers[wallet_code] = WalletLedger(
            balance=balance or 0, lots=lots, allow_negative=allow_negative
        )

    def wallet(self, wallet_code: int) -> WalletLedger:
        ledger = self.ledgers.get(wallet_code)
        if ledger is None:
            raise LookupError(f"wallet {wallet_code} was not loaded into the book")
        return ledger

    def lot(self, wallet_code: int, lot_id: int) -> Lot:
        """A lot by id, even an empty one (a reversal puts value back where it came from)."""
        for lot in self.wallet(wallet_code).lots:
            if lot.id == lot_id:
                return lot
        raise LookupError(f"lot {lot_id} was not loaded into the book")

    def balances(self) -> dict[int, int]:
        return {code: ledger.balance for code, ledger in self.ledgers.items()}

    def has_lapsed_value(self, now: datetime) -> bool:
        return any(ledger.has_lapsed_value(now) for ledger in self.ledgers.values())

    def expire(self, now: datetime) -> bool:
        """Write off every lapsed lot; whether anything lapsed."""
        lapsed = [ledger for ledger in self.ledgers.values() if ledger.has_lapsed_value(now)]
        for ledger in lapsed:
            ledger.expire(now)
        return bool(lapsed)

    @property
    def has_postings(self) -> bool:
        return any(ledger.postings for ledger in self.ledgers.values())
