"""Voids and reversals: a new transaction that puts back what an earlier one did.

Nothing is deleted or edited except the target's ``undone_by_id`` mark, which a
guarded update sets once, so two concurrent undos of one transaction cannot both
succeed (and, for a check, the coupon slots its uses held, which are freed). Added
value comes off first from the lot it created (less what of it has expired, which is
gone already), redeemed value goes back into the lot it came from, and card activations
are rolled back. The target's retry keys are released, so its posTransactionId can be
used again.
"""

from __future__ import annotations

from openpxs.domain.cards import AccountStatus, CardRef, CardStatus, may_put_back
from openpxs.domain.earning import claw_back
from openpxs.domain.errors import (
    AlreadyVoided,
    CardNotInRequiredState,
    InvalidRequest,
    TransactionNotFound,
)
from openpxs.domain.money import UNITS_PER_ONE
from openpxs.domain.moves import Move, check_moves, contents_hash
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import ACTIVATIONS, Kind, TransactionRecord, void_kind
from openpxs.services import challenge_progress
from openpxs.services.balances import Outcome, account_view
from openpxs.services.books import expire_due_many, find_card
from openpxs.store.uow import UnitOfWork


async def void_matching(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    kind: str,
    ref: CardRef,
    program_id: str,
    adds: list[Move],
    redeems: list[Move],
    retry_key: str,
) -> Outcome:
    """Void the transaction of ``kind`` that this request repeats (same store, card,
    posTransactionId and contents).

    ``retry_key`` + ``:<target id>`` is claimed before anything moves, so a retried void
    replays its first reply, while a new sale under the same posTransactionId is a new
    target that can be voided in turn.
    """
    if not stamp.pos_transaction_id:
        raise InvalidRequest("headerInfo.posTransactionId is required to void a transaction")
    card = await find_card(uow, program.merchant_id, ref)
    added = check_moves(
        program, card.template_code, program_id, adds, stamp.now, past_expiry_ok=True
    )
    redeemed = check_moves(
        program, card.template_code, program_id, redeems, stamp.now, past_expiry_ok=True
    )
    wanted = contents_hash(added, redeemed)
    candidates = [
        t
        for t in await uow.transactions.originals(
            program.merchant_id,
            kind,
            stamp.store_code or "",
            card.number,
            stamp.pos_transaction_id,
        )
        if t.contents_hash == wanted
    ]
    if not candidates:
        raise TransactionNotFound()
    live = [t for t in candidates if t.undone_by_id is None]
    target = live[0] if live else candidates[0]
    assert uow.retry is not None, "voids run under the dispatcher's retry keys"
    await uow.retry.claim(f"{retry_key}:{target.id}")
    outcome = await undo(uow, program, stamp, target, void_kind(kind))
    outcome.added, outcome.redeemed = added, redeemed
    return outcome


async def undo_by_id(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    transaction_id: int,
    kind: str,
    *,
    only: str | None = None,
) -> Outcome:
    """Undo the merchant's transaction ``transaction_id`` (of kind ``only``, if given)."""
    target = await uow.transactions.get(program.merchant_id, transaction_id)
    if target is None or (only is not None and target.kind != only):
        raise TransactionNotFound()
    return await undo(uow, program, stamp, target, kind)


async def undo(
    uow: UnitOfWork, program: Program, stamp: CallStamp, target: TransactionRecord, kind: str
) -> Outcome:
    if not target.undoable:
        raise InvalidRequest(f"a {target.kind} transaction cannot be voided or reversed")
    if target.undone_by_id is not None:
        raise AlreadyVoided()
    merchant = program.merchant_id
    changes = await uow.cards.changes_of(merchant, target.id)
    entries = await uow.ledger.journal_of(merchant, target.id)
    cards = await uow.cards.by_ids(merchant, [c.card_id for c in changes], lock=True)
    account_ids = sorted({c.account_id for c in changes} | {e[0] for e in entries})
    statuses = await uow.accounts.lock(merchant, account_ids)
    if any(status != AccountStatus.ACTIVE for status in statuses.values()):
        # The value would go back to an account nobody can reach any more (voided,
        # reversed or merged into another by a combine): refuse rather than lose it.
        raise CardNotInRequiredState("the account has been closed since")

    txn = await uow.transactions.record(
        stamp,
        kind,
        account_id=target.account_id,
        card_number=target.card_number,
        target_id=target.id,
    )
    if not await uow.transactions.mark_undone(merchant, target.id, txn):
        raise AlreadyVoided()
    await uow.retry_keys.release(merchant, target.id)
    if target.kind == Kind.CHECK:
        # The check's coupon uses no longer count against the coupons' limits.
        await uow.coupons.give_back(merchant, target.id)
    await expire_due_many(uow, program, account_ids, stamp)

    wallets = []
    for code in sorted({e[1] for e in entries}):
        if code not in program.wallets:
            raise InvalidRequest(f"wallet {code} is no longer configured")
        wallets.append(program.wallets[code])
    lot_ids = sorted({e[2] for e in entries if e[2] is not None})
    books = await uow.ledger.open_books(merchant, account_ids, wallets, lot_ids)
    if target.kind == Kind.CHECK and len(account_ids) == 1:
        book = books[account_ids[0]]
        entries = claw_back(entries, book.balances(), program.loyalty.conversions, UNITS_PER_ONE)
    # Value of an added lot that expired meanwhile is gone already; take back the rest.
    lapsed = await uow.ledger.expired_units_of(
        merchant, [e[2] for e in entries if e[2] is not None and e[3] > 0]
    )
    for account_id, wallet_code, lot_id, units in reversed(entries):
        book = books[account_id]
        ledger = book.wallet(wallet_code)
        lot = book.lot(wallet_code, lot_id) if lot_id is not None else None
        if units > 0:
            still_there = units - min(units, lapsed.get(lot_id or 0, 0))
            if still_there:
                ledger.debit(still_there, stamp.now, prefer=lot)
        else:
            ledger.credit(-units, into=lot)
    await uow.ledger.write(list(books.values()), txn, stamp.now)
    # Value put back into a lot that has lapsed since is written off at once, not
    # shown as balance until the next call.
    await expire_due_many(uow, program, account_ids, stamp)

    by_id = {card.id: card for card in cards}
    reverts = []
    for change in reversed(changes):
        card = by_id[change.card_id]
        if card.status != change.to_status or not may_put_back(
            change.from_status, change.to_status
        ):
            raise CardNotInRequiredState(f"card {card.number} has changed since")
        reverts.append((card, change.from_status, change.account_id))
    await uow.cards.put_back(merchant, txn, reverts)
    if target.kind == Kind.CHECK:
        # Challenge progress the check made no longer counts; a completion it no longer
        # reaches is undone, and its reward reversed like any transaction.
        for reward in await challenge_progress.take_back(uow, program, stamp, target.id):
            await undo(uow, program, stamp, reward, Kind.REVERSE)
    activated_accounts = sorted(
        {c.account_id for c in changes if c.from_status == CardStatus.INACTIVE}
        if target.kind in ACTIVATIONS
        else set()
    )
    if activated_accounts:
        # An activation can only be taken back while the card has done nothing else.
        later = await uow.transactions.any_standing_after(
            merchant, activated_accounts, target.id, (Kind.EXPIRE,)
        )
        if later:
            raise CardNotInRequiredState("the card has been used since it was activated")
        await uow.accounts.close(merchant, activated_accounts)

    view = None
    if target.card_number and len(account_ids) <= 1:
        card = await find_card(uow, merchant, CardRef(target.card_number))
        if card.account_id is not None:
            view = await account_view(
                uow, program, card.number, card.account_id, card.template_code
            )
    return Outcome(view, txn)
