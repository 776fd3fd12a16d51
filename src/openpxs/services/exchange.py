"""Exchanging a card: the account moves to a replacement, the old card is retired."""

from __future__ import annotations

from openpxs.domain.cards import CardRef, CardStatus, require_active, require_inactive, verify_card
from openpxs.domain.errors import InvalidRequest
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services.balances import Outcome, view_of
from openpxs.services.books import lock_active_account, move_cards, open_settled_book
from openpxs.store.uow import UnitOfWork


async def exchange(
    uow: UnitOfWork, program: Program, stamp: CallStamp, old_ref: CardRef, new_ref: CardRef
) -> Outcome:
    """Move an account to a replacement card; the old card can no longer transact.
    Balances, registration and history stay with the account, which keeps its own
    template."""
    old_number, new_number = old_ref.printed_number(), new_ref.printed_number()
    if old_number == new_number:
        raise InvalidRequest("cardInfo and newCardInfo name the same card")
    locked = await uow.cards.find_many(program.merchant_id, [old_number, new_number], lock=True)
    old = verify_card(locked.get(old_number), old_ref)
    new = verify_card(locked.get(new_number), new_ref)
    account_id = require_active(old)
    require_inactive(new, which="the replacement card")
    await lock_active_account(uow, program.merchant_id, account_id)
    book = await open_settled_book(uow, program, account_id, stamp)
    txn = await uow.transactions.record(
        stamp, Kind.EXCHANGE, account_id=account_id, card_number=old.number
    )
    await move_cards(
        uow,
        program.merchant_id,
        txn,
        [(old, account_id, CardStatus.EXCHANGED), (new, account_id, CardStatus.ACTIVE)],
        stamp.now,
    )
    return Outcome(view_of(book, program, new.number, old.template_code), txn)
