"""Voids and reversals: a new transaction that puts back what an earlier one did.

Nothing is deleted or edited except the target's ``undone_by_id`` mark, which a
guarded update sets once, so two concurrent undos of one transaction cannot both
succeed. Added value comes off first from the lot it created (less what of it has
expired, which is gone already), redeemed value goes back into the lot it came from,
and card activations are rolled back. The target's retry keys are released, so its
posTransactionId can be used again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.earning import claw_back
from openpxs.domain.errors import (
    AlreadyVoided,
    CardNotInRequiredState,
    InvalidRequest,
    TransactionNotFound,
)
from openpxs.domain.money import UNITS_PER_ONE
from openpxs.domain.program import Program
from openpxs.services.accounts import (
    CardRef,
    Move,
    Outcome,
    account_view,
    check_moves,
    contents_hash,
    expire_due_many,
    get_card,
)
from openpxs.store import idempotency as retry_keys
from openpxs.store import ledger as ledger_store
from openpxs.store import records
from openpxs.store.records import TransactionRecord, Where

# The Check Service's postings (services.checks.CHECK_KIND); named here so that undoing
# needs nothing from the check service itself.
CHECK_KIND = "check"
# Transactions that activate a card: undoing them discards the account they made.
ACTIVATIONS = frozenset({"activate", "activateAdd", "bulkActivateAdd", "addRedeem"})
# A combine moved cards and closed an account: undoing its ledger moves alone would
# leave them behind, so it is not undone this way.
NOT_UNDOABLE = frozenset({"expire", "combineCards"})


async def void_matching(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    kind: str,
    ref: CardRef,
    program_id: str,
    adds: list[Move],
    redeems: list[Move],
    claim: Callable[[int], Awaitable[None]],
) -> Outcome:
    """Void the transaction of ``kind`` that this request repeats (same store, card,
    posTransactionId and contents).

    ``claim(target_id)`` takes the retry key of "this void of that transaction" before
    anything moves, so a retried void replays its first reply, while a new sale under
    the same posTransactionId is a new target that can be voided in turn.
    """
    if not where.pos_transaction_id:
        raise InvalidRequest("headerInfo.posTransactionId is required to void a transaction")
    card = await get_card(conn, program.merchant_id, ref)
    added = check_moves(
        program, card.template_code, program_id, adds, where.now, past_expiry_ok=True
    )
    redeemed = check_moves(
        program, card.template_code, program_id, redeems, where.now, past_expiry_ok=True
    )
    wanted = contents_hash(added, redeemed)
    candidates = [
        t
        for t in await records.find_original(
            conn,
            program.merchant_id,
            kind,
            where.store_code or "",
            card.number,
            where.pos_transaction_id,
        )
        if t.contents_hash == wanted
    ]
    if not candidates:
        raise TransactionNotFound()
    live = [t for t in candidates if t.undone_by_id is None]
    target = live[0] if live else candidates[0]
    await claim(target.id)
    outcome = await undo(conn, program, where, target, f"void{kind[0].upper()}{kind[1:]}")
    outcome.added, outcome.redeemed = added, redeemed
    return outcome


async def undo_by_id(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    transaction_id: int,
    kind: str,
    *,
    only: str | None = None,
) -> Outcome:
    """Undo the merchant's transaction ``transaction_id`` (of kind ``only``, if given)."""
    target = await records.get_transaction(conn, program.merchant_id, transaction_id)
    if target is None or (only is not None and target.kind != only):
        raise TransactionNotFound()
    return await undo(conn, program, where, target, kind)


async def undo(
    conn: AsyncConnection, program: Program, where: Where, target: TransactionRecord, kind: str
) -> Outcome:
    if target.kind in NOT_UNDOABLE or target.target_id is not None:
        raise InvalidRequest(f"a {target.kind} transaction cannot be voided or reversed")
    if target.undone_by_id is not None:
        raise AlreadyVoided()
    merchant = program.merchant_id
    changes = await records.card_changes(conn, merchant, target.id)
    entries = await ledger_store.journal_of(conn, merchant, target.id)
    cards = await records.cards_by_ids(conn, merchant, [c.card_id for c in changes], lock=True)
    account_ids = sorted({c.account_id for c in changes} | {e[0] for e in entries})
    statuses = await records.lock_accounts(conn, merchant, account_ids)
    if any(status != "active" for status in statuses.values()):
        # The value would go back to an account nobody can reach any more (voided,
        # reversed or merged into another by a combine): refuse rather than lose it.
        raise CardNotInRequiredState("the account has been closed since")

    txn = await records.record_transaction(
        conn,
        where,
        kind,
        account_id=target.account_id,
        card_number=target.card_number,
        target_id=target.id,
    )
    await records.mark_undone(conn, merchant, target.id, txn)
    await retry_keys.release(conn, merchant, target.id)
    await expire_due_many(conn, program, account_ids, where)

    wallets = []
    for code in sorted({e[1] for e in entries}):
        if code not in program.wallets:
            raise InvalidRequest(f"wallet {code} is no longer configured")
        wallets.append(program.wallets[code])
    lot_ids = sorted({e[2] for e in entries if e[2] is not None})
    books = await ledger_store.open_books(conn, merchant, account_ids, wallets, lot_ids)
    if target.kind == CHECK_KIND and len(account_ids) == 1:
        book = books[account_ids[0]]
        available = {code: ledger.balance for code, ledger in book.ledgers.items()}
        entries = claw_back(entries, available, program.loyalty.conversions, UNITS_PER_ONE)
    # Value of an added lot that expired meanwhile is gone already; take back the rest.
    lapsed = await ledger_store.expired_units_of(
        conn, merchant, [e[2] for e in entries if e[2] is not None and e[3] > 0]
    )
    for account_id, wallet_code, lot_id, units in reversed(entries):
        wallet = program.wallets[wallet_code]
        book = books[account_id]
        ledger = await book.wallet(wallet)
        lot = await book.lot(wallet, lot_id) if lot_id is not None else None
        if units > 0:
            still_there = units - min(units, lapsed.get(lot_id or 0, 0))
            if still_there:
                ledger.debit(still_there, where.now, prefer=lot)
        else:
            ledger.credit(-units, into=lot)
    await ledger_store.flush_books(conn, list(books.values()), txn, where.now)
    # Value put back into a lot that has lapsed since is written off at once, not
    # shown as balance until the next call.
    await expire_due_many(conn, program, account_ids, where)

    by_id = {card.id: card for card in cards}
    reverts = []
    for change in reversed(changes):
        card = by_id[change.card_id]
        if card.status != change.to_status:
            raise CardNotInRequiredState(f"card {card.number} has changed since")
        reverts.append((card, change.from_status, change.account_id))
    await records.revert_cards(conn, merchant, txn, reverts)
    activated_accounts = sorted(
        {c.account_id for c in changes if c.from_status == "inactive"}
        if target.kind in ACTIVATIONS
        else set()
    )
    if activated_accounts:
        # An activation can only be taken back while the card has done nothing else.
        later = await records.any_live_transaction_after(
            conn, merchant, activated_accounts, target.id, ("expire",)
        )
        if later:
            raise CardNotInRequiredState("the card has been used since it was activated")
        await records.close_accounts(conn, merchant, activated_accounts)

    view = None
    if target.card_number and len(account_ids) <= 1:
        card_ref = CardRef(target.card_number)
        card = await get_card(conn, merchant, card_ref)
        if card.account_id is not None:
            view = await account_view(
                conn, program, card.number, card.account_id, card.template_code
            )
    return Outcome(view, txn)
