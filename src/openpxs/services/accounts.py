"""Shared steps of the POS operations: finding cards, applying moves, reading balances."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.errors import (
    CardNotActive,
    CardNotFound,
    InvalidRegistrationCode,
    InvalidRequest,
)
from openpxs.domain.ledger import WalletLedger
from openpxs.domain.money import from_units, parse_quantity, to_units
from openpxs.domain.program import LATEST_EXPIRY, Program, WalletDef
from openpxs.store import ledger as ledger_store
from openpxs.store import records
from openpxs.store.ledger import AccountBook
from openpxs.store.records import Card, Where


@dataclass(frozen=True)
class CardRef:
    """A card as the POS presents it (transaction.yaml CardInfo)."""

    number: str | None
    registration_code: str | None = None
    template_code: int | None = None
    magstripe: str | None = None

    def printed_number(self) -> str:
        if self.number:
            return self.number.strip()
        if self.magstripe:
            return number_from_track(self.magstripe)
        raise InvalidRequest("cardInfo.printedCardNumber is required")


def number_from_track(track: str) -> str:
    """The card number inside raw magnetic-stripe data (track 1 or track 2)."""
    text = track.strip().lstrip("%;")
    if text[:1] in ("B", "b"):
        text = text[1:]
    digits = ""
    for char in text:
        if char.isdigit():
            digits += char
        elif char in "=^?":
            break
    if not digits:
        raise InvalidRequest("cardInfo.magstripe holds no card number")
    return digits


@dataclass(frozen=True)
class Move:
    """One requested wallet movement, not yet checked against the program."""

    wallet_code: int
    quantity: object
    expires_on: date | None = None


@dataclass(frozen=True)
class AppliedMove:
    wallet: WalletDef
    quantity: Decimal
    expires_on: date | None = None

    @property
    def units(self) -> int:
        return to_units(self.quantity)


@dataclass
class AccountView:
    card_number: str
    account_id: int
    template_code: int
    balances: list[tuple[WalletDef, Decimal]]
    sv_balance: Decimal | None


@dataclass
class Outcome:
    view: AccountView | None
    transaction_id: int | None = None
    added: list[AppliedMove] = field(default_factory=list)
    redeemed: list[AppliedMove] = field(default_factory=list)


async def get_card(
    conn: AsyncConnection, merchant_id: int, ref: CardRef, *, lock: bool = False
) -> Card:
    """The merchant's card; another merchant's card is simply not found."""
    card = await records.find_card(conn, merchant_id, ref.printed_number(), lock=lock)
    return verify_card(card, ref)


def verify_card(card: Card | None, ref: CardRef) -> Card:
    """The card the POS named, if it exists and matches what the POS says about it."""
    if card is None or (ref.template_code is not None and ref.template_code != card.template_code):
        raise CardNotFound()
    if ref.registration_code is not None and not hmac.compare_digest(
        card.registration_code or "", ref.registration_code
    ):
        raise InvalidRegistrationCode()
    return card


def require_active(card: Card) -> int:
    if card.status != "active" or card.account_id is None:
        raise CardNotActive()
    return card.account_id


async def lock_active_account(conn: AsyncConnection, merchant_id: int, account_id: int) -> None:
    """Lock the account; refuse it if a concurrent void closed it before we got the lock."""
    statuses = await records.lock_accounts(conn, merchant_id, [account_id])
    if statuses.get(account_id) != "active":
        raise CardNotActive()


def check_moves(
    program: Program,
    template_code: int,
    program_id: str,
    moves: list[Move],
    now: datetime,
    *,
    past_expiry_ok: bool = False,
) -> list[AppliedMove]:
    """``past_expiry_ok``: the moves only identify an earlier call (a void resends its
    body), so an expiration date that has passed since is no reason to refuse."""
    applied = []
    for move in moves:
        wallet = program.wallet_for(move.wallet_code, template_code, program_id)
        quantity = parse_quantity(move.quantity, wallet.scale)
        expires_on = move.expires_on or program.default_expiry(wallet, now)
        if (
            move.expires_on is not None
            and move.expires_on < program.today(now)
            and not past_expiry_ok
        ):
            raise InvalidRequest(f"expiration date {move.expires_on} is in the past")
        if move.expires_on is not None and move.expires_on > LATEST_EXPIRY:
            raise InvalidRequest(f"expiration date {move.expires_on} is too far ahead")
        applied.append(AppliedMove(wallet, quantity, expires_on))
    return applied


def contents_hash(added: list[AppliedMove], redeemed: list[AppliedMove]) -> str:
    """A fingerprint of what moved, so a void can be matched to its original."""
    parts = sorted(f"a{m.wallet.code}:{m.units}" for m in added)
    parts += sorted(f"r{m.wallet.code}:{m.units}" for m in redeemed)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


async def apply_moves(
    book: AccountBook,
    program: Program,
    added: list[AppliedMove],
    redeemed: list[AppliedMove],
    now: datetime,
) -> None:
    """Adds first, then redemptions, so one call can load and spend the same wallet."""
    for move in added:
        ledger = await book.wallet(move.wallet)
        expires_at = program.expiry_instant(move.expires_on) if move.expires_on else None
        ledger.credit(move.units, expires_at=expires_at, expires_on=move.expires_on)
    for move in redeemed:
        ledger = await book.wallet(move.wallet)
        ledger.debit(move.units, now)


async def expire_due_many(
    conn: AsyncConnection, program: Program, account_ids: list[int], where: Where
) -> None:
    """Write off lapsed value on many locked accounts, asking once which need it."""
    due = await ledger_store.accounts_with_due_value(
        conn, program.merchant_id, account_ids, where.now
    )
    for account_id in due:
        await open_settled_book(conn, program, account_id, where)


def _system(where: Where) -> Where:
    """Expiry is the server's doing, not the POS call's: no store or POS ids on it."""
    return Where(where.merchant_id, None, None, None, None, None, None, where.now)


async def open_settled_book(
    conn: AsyncConnection,
    program: Program,
    account_id: int,
    where: Where,
    *,
    new: bool = False,
) -> AccountBook:
    """The (locked) account's wallets read in two queries, lapsed value written off.

    The same book then takes the call's moves and yields the balances the reply
    shows, so a POS call reads the account once. A ``new`` account (made by this
    call) has nothing to read.
    """
    if new:
        book = AccountBook(conn, program.merchant_id, account_id, new=True)
        for wallet in _all_wallets(program):
            book.preload(wallet, None, [])
        return book
    book = await read_book(conn, program, account_id)
    lapsed = [ledger for ledger in book.ledgers.values() if _has_lapsed(ledger, where.now)]
    if lapsed:
        for ledger in lapsed:
            ledger.expire(where.now)
        txn = await records.record_transaction(
            conn, _system(where), "expire", account_id=account_id
        )
        await book.flush(txn, where.now)
    return book


async def read_book(conn: AsyncConnection, program: Program, account_id: int) -> AccountBook:
    """Every configured wallet of the account with its spendable lots, in one query.

    Every wallet, not only the template's: an account moved to a card of another
    template (exchange) keeps the value of its other wallets, which lapses too.
    """
    books = await ledger_store.open_books(
        conn, program.merchant_id, [account_id], _all_wallets(program), []
    )
    return books[account_id]


def _all_wallets(program: Program) -> list[WalletDef]:
    return sorted(program.wallets.values(), key=lambda w: w.code)


def has_lapsed_value(book: AccountBook, now: datetime) -> bool:
    return any(_has_lapsed(ledger, now) for ledger in book.ledgers.values())


def _has_lapsed(ledger: WalletLedger, now: datetime) -> bool:
    return any(
        lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now
        for lot in ledger.lots
    )


def view_of(book: AccountBook, program: Program, card_number: str, template: int) -> AccountView:
    """The reply's balances (the template's wallets), from a book opened on the account."""
    units = {code: ledger.balance for code, ledger in book.ledgers.items()}
    return _view(program, card_number, book.account_id, template, units)


async def account_view(
    conn: AsyncConnection, program: Program, card_number: str, account_id: int, template: int
) -> AccountView:
    units = await ledger_store.balances(conn, program.merchant_id, account_id)
    return _view(program, card_number, account_id, template, units)


def _view(
    program: Program, card_number: str, account_id: int, template: int, units: dict[int, int]
) -> AccountView:
    wallets = program.wallets_of_template(template)
    balances = [(w, from_units(units.get(w.code, 0), w.scale)) for w in wallets]
    sv_wallet = program.stored_value_wallet(template)
    sv_balance = from_units(units.get(sv_wallet.code, 0), sv_wallet.scale) if sv_wallet else None
    return AccountView(card_number, account_id, template, balances, sv_balance)
