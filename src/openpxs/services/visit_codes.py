"""Visit codes: one-time codes (printed on a receipt, handed out by staff) that credit a
wallet when a guest applies them afterwards.

An operator creates the rows of ``visit_codes``; applying one is an ordinary ledger
transaction of kind ``visitCode`` on the guest's account, and the code row keeps which
account and transaction used it, so it can be used once only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update

from openpxs.domain.cards import require_active
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.store.tables import visit_codes
from openpxs.store.uow import UnitOfWork
from openpxs.wire.envelope import ServiceFailure

INVALID_VISIT_CODE = "guest.invalid_visit_code"
ALREADY_USED = "guest.visit_code_already_used"


@dataclass(frozen=True)
class VisitCode:
    code: str
    store_code: str | None
    wallet_code: int
    units: int


def _invalid() -> ServiceFailure:
    return ServiceFailure(INVALID_VISIT_CODE, "Invalid visit code")


async def usable_code(
    uow: UnitOfWork, merchant_id: int, code: str, now: datetime, *, lock: bool = False
) -> VisitCode:
    """The code if it can still be applied. A used code says so even after it expired:
    the guest learns why it does not work."""
    query = select(visit_codes).where(
        visit_codes.c.merchant_id == merchant_id, visit_codes.c.code == code.strip()
    )
    if lock:
        query = query.with_for_update()
    row = (await uow.conn.execute(query)).first()
    if row is None:
        raise _invalid()
    if row.used_at is not None:
        raise ServiceFailure(ALREADY_USED, "Visit code has already been used")
    if (row.expires_at is not None and row.expires_at <= now) or row.units <= 0:
        raise _invalid()
    return VisitCode(row.code, row.store_code, row.wallet_code, row.units)


async def apply_code(
    uow: UnitOfWork, program: Program, where: CallStamp, card_number: str, code: str
) -> AccountView:
    """Credit the code's wallet on the card's account and mark the code used."""
    m = program.merchant_id
    card = await uow.cards.find(m, card_number, lock=True)
    if card is None:
        raise ServiceFailure("guest.card_not_found", "Card not found")
    account_id = require_active(card)
    await lock_active_account(uow, m, account_id)
    visit = await usable_code(uow, m, code, where.now, lock=True)
    wallet = program.wallets.get(visit.wallet_code)
    # A code for a wallet the card's program does not have is not a code for this card.
    if wallet is None or wallet not in program.wallets_of_template(card.template_code):
        raise _invalid()
    # The visit happened at the code's store; history shows it there.
    at_store = replace(where, store_code=visit.store_code)
    book = await open_settled_book(uow, program, account_id, at_store)
    txn = await uow.transactions.record(
        at_store, "visitCode", account_id=account_id, card_number=card.number
    )
    expires_on = program.default_expiry(wallet, where.now)
    book.wallet(wallet.code).credit(
        visit.units,
        expires_at=program.expiry_instant(expires_on) if expires_on else None,
        expires_on=expires_on,
    )
    await uow.ledger.write([book], txn, where.now)
    marked = await uow.conn.execute(
        update(visit_codes)
        .where(
            visit_codes.c.merchant_id == m,
            visit_codes.c.code == visit.code,
            visit_codes.c.used_at.is_(None),
        )
        .values(used_at=where.now, used_by_account_id=account_id, transaction_id=txn)
    )
    if marked.rowcount != 1:
        # Only without row locks (none are taken on SQLite, where the database lock
        # serialises writers) could a twin get here; refuse rather than credit twice.
        raise ServiceFailure(ALREADY_USED, "Visit code has already been used")
    return view_of(book, program, card.number, card.template_code)
