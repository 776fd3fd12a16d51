"""Adding value to and redeeming value from a card's wallets (addRedeem, adminAdjust)."""

from __future__ import annotations

from openpxs.domain.cards import (
    AccountStatus,
    CardRef,
    CardStatus,
    may_auto_activate,
    require_active,
    verify_card,
)
from openpxs.domain.errors import CardNotActive, InvalidRequest
from openpxs.domain.moves import Move, apply_moves, check_moves, contents_hash
from openpxs.domain.program import PROGRAM_CODES_ALL, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import auto_recharge
from openpxs.services.activation import activate_within
from openpxs.services.balances import Outcome, view_of
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.store.uow import UnitOfWork


async def add_redeem(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    ref: CardRef,
    program_id: str,
    adds: list[Move],
    redeems: list[Move],
    auto_activate: bool = False,
) -> Outcome:
    """Every add, then every redemption, atomically; an inactive card is activated first
    when the POS asks for it."""
    if not adds and not redeems:
        raise InvalidRequest("addWalletContents and redeemWalletContents are both empty")
    # One round trip: the call's retry keys claimed, the card locked (ordering this call
    # after a concurrent void or exchange of it) and its account locked.
    card = verify_card(await uow.lock_card_claiming(program.merchant_id, ref.printed_number()), ref)
    activating = may_auto_activate(card, auto_activate)
    if card.status != CardStatus.ACTIVE and not activating:
        raise CardNotActive()
    added = check_moves(program, card.template_code, program_id, adds, stamp.now)
    redeemed = check_moves(program, card.template_code, program_id, redeems, stamp.now)
    contents = contents_hash(added, redeemed)
    if activating:
        txn = await uow.transactions.record(
            stamp,
            Kind.ADD_REDEEM,
            card_number=card.number,
            contents_hash=contents,
            account_id=card.account_id,
        )
        card = await activate_within(uow, program, stamp, card, txn)
        book = await open_settled_book(uow, program, require_active(card), stamp, new=True)
        apply_moves(book, program, added, redeemed, stamp.now)
        await uow.ledger.write([book], txn, stamp.now)
        return Outcome(
            view_of(book, program, card.number, card.template_code), txn, added, redeemed
        )
    account_id = require_active(card)
    # Read under the account's lock: a concurrent void may have closed it.
    if card.account_status != AccountStatus.ACTIVE:
        raise CardNotActive()
    book = await open_settled_book(uow, program, account_id, stamp)
    apply_moves(book, program, added, redeemed, stamp.now)
    txn = await uow.record_and_write(
        stamp, Kind.ADD_REDEEM, book, card_number=card.number, contents_hash=contents
    )
    if redeemed:
        await auto_recharge.after_redemption(uow, program, book, stamp.now)
    return Outcome(view_of(book, program, card.number, card.template_code), txn, added, redeemed)


async def admin_adjust(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    ref: CardRef,
    move: Move,
    activity: str,
    comment: str | None,
) -> Outcome:
    """ADD or REDEEM one wallet of the card's account, with the operator's comment."""
    card = await find_card(uow, program.merchant_id, ref, lock=True)
    account_id = require_active(card)
    applied = check_moves(program, card.template_code, PROGRAM_CODES_ALL, [move], stamp.now)
    added, redeemed = (applied, []) if activity == "ADD" else ([], applied)
    await lock_active_account(uow, program.merchant_id, account_id)
    txn = await uow.transactions.record(
        stamp,
        Kind.ADMIN_ADJUST,
        account_id=account_id,
        card_number=card.number,
        contents_hash=contents_hash(added, redeemed),
        comment=comment,
    )
    book = await open_settled_book(uow, program, account_id, stamp)
    apply_moves(book, program, added, redeemed, stamp.now)
    await uow.ledger.write([book], txn, stamp.now)
    return Outcome(view_of(book, program, card.number, card.template_code), txn, added, redeemed)
