"""Gift cards at the till (gift/*): sell, reload, balance, redeem and reverse, addressed
by store and card.

The money moves are the Transaction Service's (``activation.activate`` for a sale,
``wallet_moves.add_redeem`` for a reload or a redemption, ``undo.undo`` for a
reversal), on the card template's stored value wallet; this module adds the Gift
Service's own rules: its field limits, the merchant's largest card balance, and finding
the transaction a reversal names by its externalTransactionId. That id is the call's
POS transaction id, so a retried call replays its first reply (the wire layer's retry
keys) and never loads a card twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openpxs.domain.cards import CardRef
from openpxs.domain.errors import (
    CardNotFound,
    InvalidQuantity,
    Reason,
    Refused,
    TransactionNotFound,
)
from openpxs.domain.money import parse_quantity
from openpxs.domain.moves import Move
from openpxs.domain.program import PROGRAM_CODES_ALL, WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import activation, balances, undo, wallet_moves
from openpxs.services.balances import AccountView
from openpxs.services.context import Call

# The documented limits (gift.yaml); longer values are refused, not cut.
LIMITS = {"checkNumber": 255, "cashier": 100, "terminalId": 100, "externalTransactionId": 128}
# What the transaction record's own columns hold; longer values live in its comment.
COLUMN_LIMIT = 64
# The kinds a Gift Service call records, which a reversal may undo.
REVERSIBLE = [Kind.ACTIVATE_ADD, Kind.ADD_REDEEM]


@dataclass(frozen=True)
class TillDetails:
    """What the POS tells of the call besides the card and the amount."""

    check_number: str | None = None
    cashier: str | None = None
    terminal_id: str | None = None
    external_id: str | None = None

    def check_lengths(self) -> None:
        for name, value in (
            ("checkNumber", self.check_number),
            ("cashier", self.cashier),
            ("terminalId", self.terminal_id),
            ("externalTransactionId", self.external_id),
        ):
            if value is not None and len(value) > LIMITS[name]:
                raise Refused(
                    Reason.FIELD_TOO_LONG, f"{name} is longer than {LIMITS[name]} characters"
                )

    def comment(self) -> str | None:
        parts = [
            f"{name} {value}"
            for name, value in (
                ("check", self.check_number),
                ("cashier", self.cashier),
                ("terminal", self.terminal_id),
            )
            if value
        ]
        return "; ".join(parts) or None


@dataclass(frozen=True)
class GiftOutcome:
    transaction_id: int | None
    card_number: str | None
    balance: Decimal | None


def _fits(value: str | None) -> str | None:
    return value if value is not None and len(value) <= COLUMN_LIMIT else None


def stamp_of(call: Call, store_code: str | None, till: TillDetails) -> CallStamp:
    """The call's store (one of the merchant's) and the POS's ids."""
    till.check_lengths()
    call.program.store(store_code or "")
    return CallStamp(
        merchant_id=call.merchant_id,
        store_code=store_code,
        terminal_id=_fits(till.terminal_id),
        operator_id=_fits(till.cashier),
        pos_transaction_id=till.external_id,
        pos_datetime=None,
        integration_id=call.integration.id,
        now=call.now,
    )


def _amount(raw: object) -> Decimal:
    if raw is None:
        raise InvalidQuantity("amount is required")
    return parse_quantity(raw, 2)


async def _wallet(call: Call, ref: CardRef) -> WalletDef:
    """The stored value wallet of the card's template: a card without one is no gift card."""
    card = await call.uow.cards.find(call.merchant_id, ref.printed_number())
    wallet = call.program.stored_value_wallet(card.template_code) if card is not None else None
    if wallet is None:
        raise CardNotFound("not a gift card of this merchant")
    return wallet


def _within_limit(call: Call, view: AccountView | None) -> None:
    most = call.program.payments.max_card_balance
    if most is not None and view is not None and (view.sv_balance or 0) > most:
        raise Refused(Reason.MAX_BALANCE_EXCEEDED, f"a card may hold at most {most}")


def _outcome(txn: int | None, view: AccountView | None) -> GiftOutcome:
    return GiftOutcome(txn, view.card_number if view else None, view.sv_balance if view else None)


async def _note(call: Call, txn: int | None, till: TillDetails) -> None:
    comment = till.comment()
    if txn is not None and comment:
        await call.uow.transactions.set_comment(call.merchant_id, txn, comment)


async def sell(
    call: Call, store_code: str | None, ref: CardRef, raw_amount: object, till: TillDetails
) -> GiftOutcome:
    """Activate an inactive gift card and load ``amount`` onto it, as one transaction."""
    stamp = stamp_of(call, store_code, till)
    amount = _amount(raw_amount)
    wallet = await _wallet(call, ref)
    done = await activation.activate(
        call.uow,
        call.program,
        stamp,
        ref,
        PROGRAM_CODES_ALL,
        [Move(wallet.code, amount)],
        kind=Kind.ACTIVATE_ADD,
    )
    _within_limit(call, done.view)
    await _note(call, done.transaction_id, till)
    return _outcome(done.transaction_id, done.view)


async def load_or_spend(
    call: Call,
    store_code: str | None,
    ref: CardRef,
    till: TillDetails,
    *,
    add: object = None,
    spend: object = None,
    tip: object = None,
) -> GiftOutcome:
    """Reload (``add``) or redeem (``spend`` plus ``tip``) an active gift card."""
    stamp = stamp_of(call, store_code, till)
    wallet = await _wallet(call, ref)
    adds, redeems = [], []
    if spend is None:
        adds.append(Move(wallet.code, _amount(add)))
    else:
        total = _amount(spend)
        if tip is not None and str(tip).strip() not in ("", "0", "0.0", "0.00"):
            total += parse_quantity(tip, 2)
        redeems.append(Move(wallet.code, total))
    done = await wallet_moves.add_redeem(
        call.uow, call.program, stamp, ref, PROGRAM_CODES_ALL, adds, redeems
    )
    if adds:
        _within_limit(call, done.view)
    await _note(call, done.transaction_id, till)
    return _outcome(done.transaction_id, done.view)


async def balance(call: Call, store_code: str | None, ref: CardRef) -> GiftOutcome:
    stamp = stamp_of(call, store_code, TillDetails())
    await _wallet(call, ref)
    done = await balances.balance_inquiry(call.uow, call.program, stamp, ref)
    return _outcome(None, done.view)


async def reverse(call: Call, store_code: str | None, external_id: str | None) -> GiftOutcome:
    """Undo the newest sale, reload or redemption this integration made at the store
    under ``external_id``; once."""
    till = TillDetails(external_id=external_id)
    stamp = stamp_of(call, store_code, till)
    if not external_id:
        raise TransactionNotFound("externalTransactionId is required")
    found = await call.uow.transactions.by_pos_id(
        call.merchant_id, store_code or "", call.integration.id, external_id, REVERSIBLE
    )
    if not found:
        raise TransactionNotFound()
    live = [t for t in found if t.undone_by_id is None]
    target = live[0] if live else found[0]
    done = await undo.undo(call.uow, call.program, stamp, target, Kind.REVERSE)
    view = done.view
    return GiftOutcome(
        done.transaction_id,
        target.card_number,
        view.sv_balance if view is not None else None,
    )
