"""What a card's account holds, as the replies show it, and the balance inquiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpxs.domain.cards import AccountStatus, CardRef, require_active, verify_card
from openpxs.domain.errors import CardNotActive
from openpxs.domain.ledger import AccountBook
from openpxs.domain.money import from_units
from openpxs.domain.moves import AppliedMove
from openpxs.domain.program import Program, WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.services.books import all_wallets, lock_active_account, open_settled_book
from openpxs.store.uow import UnitOfWork


@dataclass
class AccountView:
    card_number: str
    account_id: int
    template_code: int
    balances: list[tuple[WalletDef, Decimal]]
    sv_balance: Decimal | None


@dataclass
class Outcome:
    """What a value-moving use case did: the balances after it, its transaction, and
    the moves as applied."""

    view: AccountView | None
    transaction_id: int | None = None
    added: list[AppliedMove] = field(default_factory=list)
    redeemed: list[AppliedMove] = field(default_factory=list)


def view_of(book: AccountBook, program: Program, card_number: str, template: int) -> AccountView:
    """The reply's balances (the template's wallets), from a book opened on the account."""
    return _view(program, card_number, book.account_id, template, book.balances())


@dataclass(frozen=True)
class Expiring:
    """Value of a wallet that lapses at the end of ``day`` (the program's time zone)."""

    day: date
    quantity: Decimal


def coming_expirations(
    book: AccountBook, program: Program, now: datetime
) -> dict[int, list[Expiring]]:
    """Each wallet's open lots that expire, summed by the day they lapse, soonest first:
    what the account loses if it does not spend it."""
    found: dict[int, list[Expiring]] = {}
    for code, ledger in book.ledgers.items():
        wallet = program.wallets.get(code)
        if wallet is None:
            continue
        by_day: dict[date, int] = {}
        for lot in ledger.lots:
            if not lot.spendable(now) or (lot.expires_on is None and lot.expires_at is None):
                continue
            day = lot.expires_on or program.today(lot.expires_at or now)
            by_day[day] = by_day.get(day, 0) + lot.remaining
        if by_day:
            found[code] = [
                Expiring(day, from_units(units, wallet.scale))
                for day, units in sorted(by_day.items())
            ]
    return found


async def account_view(
    uow: UnitOfWork, program: Program, card_number: str, account_id: int, template: int
) -> AccountView:
    units = await uow.ledger.balances(program.merchant_id, account_id)
    return _view(program, card_number, account_id, template, units)


def _view(
    program: Program, card_number: str, account_id: int, template: int, units: dict[int, int]
) -> AccountView:
    wallets = program.wallets_of_template(template)
    balances = [(w, from_units(units.get(w.code, 0), w.scale)) for w in wallets]
    sv_wallet = program.stored_value_wallet(template)
    sv_balance = from_units(units.get(sv_wallet.code, 0), sv_wallet.scale) if sv_wallet else None
    return AccountView(card_number, account_id, template, balances, sv_balance)


async def balance_inquiry(
    uow: UnitOfWork, program: Program, stamp: CallStamp, ref: CardRef
) -> Outcome:
    """The balances of the card's account (also identifyCustomer)."""
    # One read answers the question: the card and its account's book together. The
    # account is locked only when value has lapsed and must be written off before the
    # balance is shown.
    found, book = await uow.card_with_book(
        program.merchant_id, ref.printed_number(), all_wallets(program)
    )
    card = verify_card(found, ref)
    account_id = require_active(card)
    if card.account_status != AccountStatus.ACTIVE or book is None:
        raise CardNotActive()  # a void closed the account with its card
    if book.has_lapsed_value(stamp.now):
        await lock_active_account(uow, program.merchant_id, account_id)
        book = await open_settled_book(uow, program, account_id, stamp)
    return Outcome(view_of(book, program, card.number, card.template_code))
