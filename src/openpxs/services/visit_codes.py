"""Visit codes: one-time codes (printed on a receipt, handed out by staff) that credit a
wallet when a guest applies them afterwards.

An operator creates the rows of ``visit_codes``; applying one is an ordinary ledger
transaction of kind ``visitCode`` on the guest's account, and the code row keeps which
account and transaction used it, so it can be used once only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from openpxs.domain.cards import require_active
from openpxs.domain.errors import CardNotFound, Reason, Refused
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.store.repositories.visit_codes import VisitCode
from openpxs.store.uow import UnitOfWork


async def usable_code(
    uow: UnitOfWork, merchant_id: int, code: str, now: datetime, *, lock: bool = False
) -> VisitCode:
    """The code if it can still be applied. A used code says so even after it expired:
    the guest learns why it does not work."""
    visit = await uow.visit_codes.find(merchant_id, code.strip(), lock=lock)
    if visit is None:
        raise Refused(Reason.INVALID_VISIT_CODE)
    if visit.used_at is not None:
        raise Refused(Reason.VISIT_CODE_ALREADY_USED)
    if (visit.expires_at is not None and visit.expires_at <= now) or visit.units <= 0:
        raise Refused(Reason.INVALID_VISIT_CODE)
    return visit


async def apply_code(
    uow: UnitOfWork, program: Program, where: CallStamp, card_number: str, code: str
) -> AccountView:
    """Credit the code's wallet on the card's account and mark the code used."""
    m = program.merchant_id
    card = await uow.cards.find(m, card_number, lock=True)
    if card is None:
        raise CardNotFound()
    account_id = require_active(card)
    await lock_active_account(uow, m, account_id)
    visit = await usable_code(uow, m, code, where.now, lock=True)
    wallet = program.wallets.get(visit.wallet_code)
    # A code for a wallet the card's program does not have is not a code for this card.
    if wallet is None or wallet not in program.wallets_of_template(card.template_code):
        raise Refused(Reason.INVALID_VISIT_CODE)
    # The visit happened at the code's store; history shows it there.
    at_store = replace(where, store_code=visit.store_code)
    book = await open_settled_book(uow, program, account_id, at_store)
    txn = await uow.transactions.record(
        at_store, Kind.VISIT_CODE, account_id=account_id, card_number=card.number
    )
    expires_on = program.default_expiry(wallet, where.now)
    book.wallet(wallet.code).credit(
        visit.units,
        expires_at=program.expiry_instant(expires_on) if expires_on else None,
        expires_on=expires_on,
    )
    await uow.ledger.write([book], txn, where.now)
    if not await uow.visit_codes.mark_used(m, visit.code, account_id, txn, where.now):
        # Only without row locks (none are taken on SQLite, where the database lock
        # serialises writers) could a twin get here; refuse rather than credit twice.
        raise Refused(Reason.VISIT_CODE_ALREADY_USED)
    return view_of(book, program, card.number, card.template_code)
