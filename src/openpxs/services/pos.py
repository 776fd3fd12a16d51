"""Point-of-sale operations on cards and their accounts.

Every operation runs inside the caller's database transaction (one unit of work
per request): it locks what it changes - cards first, then accounts, each in id
order - re-reads balances under the lock, and writes the transaction record, the
journal and the balances together, or raises and leaves nothing behind.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.errors import (
    CardAlreadyActive,
    CardNotActive,
    CardNotInRequiredState,
    DomainError,
    InvalidRequest,
)
from openpxs.domain.program import Program
from openpxs.services.accounts import (
    AppliedMove,
    CardRef,
    Move,
    Outcome,
    apply_moves,
    check_moves,
    contents_hash,
    get_card,
    has_lapsed_value,
    lock_active_account,
    open_settled_book,
    read_book,
    require_active,
    verify_card,
    view_of,
)
from openpxs.store import records
from openpxs.store.ledger import AccountBook, flush_books
from openpxs.store.records import Card, Where


async def balance_inquiry(
    conn: AsyncConnection, program: Program, where: Where, ref: CardRef
) -> Outcome:
    card = await get_card(conn, program.merchant_id, ref)
    account_id = require_active(card)
    if card.account_status != "active":  # a void closed it; the card is reverted with it
        raise CardNotActive()
    # A plain read answers the question; the account is locked only when value has
    # lapsed and must be written off before the balance is shown.
    book = await read_book(conn, program, account_id)
    if has_lapsed_value(book, where.now):
        await lock_active_account(conn, program.merchant_id, account_id)
        book = await open_settled_book(conn, program, account_id, where)
    return Outcome(view_of(book, program, card.number, card.template_code))


def require_inactive(card: Card) -> Card:
    """A card that can be sold or activated: not yet active, not retired."""
    if card.status == "active":
        raise CardAlreadyActive()
    if card.status != "inactive":
        raise CardNotInRequiredState(f"the card is {card.status}")
    return card


async def _activate_cards(
    conn: AsyncConnection, program: Program, where: Where, cards: list[Card], txn: int
) -> list[int]:
    """Attach a fresh account to each inactive card (locked by the caller), in order."""
    for card in cards:
        require_inactive(card)
        if card.template_code not in program.templates:
            raise CardNotInRequiredState("the card's template is not configured")
    account_ids = await records.create_accounts(
        conn, program.merchant_id, [card.template_code for card in cards], where.now
    )
    await records.activate_cards(
        conn, program.merchant_id, txn, list(zip(cards, account_ids, strict=True)), where.now
    )
    return account_ids


async def _activate_card(
    conn: AsyncConnection, program: Program, where: Where, card: Card, txn: int
) -> int:
    return (await _activate_cards(conn, program, where, [card], txn))[0]


async def activate(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    ref: CardRef,
    program_id: str,
    adds: list[Move] | None = None,
    kind: str = "activate",
) -> Outcome:
    """Activate an inactive card on a new account, loading ``adds`` in the same call."""
    card = require_inactive(await get_card(conn, program.merchant_id, ref, lock=True))
    added = check_moves(program, card.template_code, program_id, adds or [], where.now)
    txn = await records.record_transaction(
        conn, where, kind, card_number=card.number, contents_hash=contents_hash(added, [])
    )
    account_id = await _activate_card(conn, program, where, card, txn)
    book = await _finish(conn, program, where, txn, account_id, added, [], new=True)
    view = view_of(book, program, card.number, card.template_code)
    return Outcome(view, txn, added)


async def add_redeem(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    ref: CardRef,
    program_id: str,
    adds: list[Move],
    redeems: list[Move],
    auto_activate: bool = False,
) -> Outcome:
    if not adds and not redeems:
        raise InvalidRequest("addWalletContents and redeemWalletContents are both empty")
    # The card's lock orders this call after a concurrent void or exchange of the card.
    card = await get_card(conn, program.merchant_id, ref, lock=True)
    if card.status != "active" and not (auto_activate and card.status == "inactive"):
        raise CardNotActive()
    added = check_moves(program, card.template_code, program_id, adds, where.now)
    redeemed = check_moves(program, card.template_code, program_id, redeems, where.now)
    txn = await records.record_transaction(
        conn,
        where,
        "addRedeem",
        card_number=card.number,
        contents_hash=contents_hash(added, redeemed),
        account_id=card.account_id,
    )
    activating = card.status == "inactive"
    if activating:
        account_id = await _activate_card(conn, program, where, card, txn)
        await records.set_transaction_account(conn, program.merchant_id, txn, account_id)
    else:
        account_id = require_active(card)
        await lock_active_account(conn, program.merchant_id, account_id)
    book = await _finish(
        conn,
        program,
        where,
        txn,
        account_id,
        added,
        redeemed,
        new=activating,
    )
    view = view_of(book, program, card.number, card.template_code)
    return Outcome(view, txn, added, redeemed)


async def _finish(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    txn: int,
    account_id: int,
    added: list[AppliedMove],
    redeemed: list[AppliedMove],
    *,
    new: bool = False,
) -> AccountBook:
    """Expire what is due, apply the moves, write them under ``txn``; the book that
    results holds the balances to show."""
    book = await open_settled_book(conn, program, account_id, where, new=new)
    await apply_moves(book, program, added, redeemed, where.now)
    await book.flush(txn, where.now)
    return book


async def bulk_activate_add(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    refs: list[CardRef],
    program_id: str,
    adds: list[Move],
) -> tuple[int, list[tuple[str, DomainError | None]]]:
    """Sell many cards in one transaction: all of them, or none.

    Returns the batch transaction id and a per-card outcome. When any card is
    refused, every per-card problem is collected first so the reply can name them
    all, then the first one is raised and nothing is written.
    """
    if not refs:
        raise InvalidRequest("cardInfos must name at least one card")
    numbers = [ref.printed_number() for ref in refs]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("cardInfos names the same card more than once")
    found = await records.find_cards(conn, program.merchant_id, numbers, lock=True)
    problems: list[tuple[str, DomainError | None]] = []
    applied: dict[str, list[AppliedMove]] = {}
    for ref, number in zip(refs, numbers, strict=True):
        try:
            card = require_inactive(verify_card(found.get(number), ref))
            applied[number] = check_moves(program, card.template_code, program_id, adds, where.now)
            problems.append((number, None))
        except DomainError as refusal:
            problems.append((number, refusal))
    first = next((p for _, p in problems if p is not None), None)
    if first is not None:
        raise BulkRefused(problems, first)
    some_moves = next(iter(applied.values()))
    txn = await records.record_transaction(
        conn, where, "bulkActivateAdd", contents_hash=contents_hash(some_moves, [])
    )
    sold = [found[number] for number in numbers]
    account_ids = await _activate_cards(conn, program, where, sold, txn)
    books = []
    for card, account_id in zip(sold, account_ids, strict=True):
        book = AccountBook(conn, program.merchant_id, account_id, new=True)
        await apply_moves(book, program, applied[card.number], [], where.now)
        books.append(book)
    await flush_books(conn, books, txn, where.now)
    return txn, problems


class BulkRefused(Exception):
    """Some cards of a bulk sale were refused; ``problems`` names each card's outcome."""

    def __init__(self, problems: list[tuple[str, DomainError | None]], first: DomainError):
        super().__init__(str(first))
        self.problems = problems
        self.first = first


async def exchange(
    conn: AsyncConnection, program: Program, where: Where, old_ref: CardRef, new_ref: CardRef
) -> Outcome:
    """Move an account to a replacement card; the old card can no longer transact."""
    old_number, new_number = old_ref.printed_number(), new_ref.printed_number()
    if old_number == new_number:
        raise InvalidRequest("cardInfo and newCardInfo name the same card")
    locked = await records.find_cards(
        conn, program.merchant_id, [old_number, new_number], lock=True
    )
    old = verify_card(locked.get(old_number), old_ref)
    new = verify_card(locked.get(new_number), new_ref)
    account_id = require_active(old)
    if new.status == "active":
        raise CardAlreadyActive("the replacement card is already active")
    if new.status != "inactive":
        raise CardNotInRequiredState(f"the replacement card is {new.status}")
    await lock_active_account(conn, program.merchant_id, account_id)
    # The account keeps its own template; the new card joins it.
    book = await open_settled_book(conn, program, account_id, where)
    txn = await records.record_transaction(
        conn, where, "exchange", account_id=account_id, card_number=old.number
    )
    await records.record_card_changes(
        conn,
        program.merchant_id,
        txn,
        [(old, account_id, "exchanged"), (new, account_id, "active")],
    )
    await records.set_card_state(conn, program.merchant_id, old.id, "exchanged", account_id, None)
    await records.set_card_state(conn, program.merchant_id, new.id, "active", account_id, where.now)
    view = view_of(book, program, new.number, old.template_code)
    return Outcome(view, txn)


async def admin_adjust(
    conn: AsyncConnection,
    program: Program,
    where: Where,
    ref: CardRef,
    move: Move,
    activity: str,
    comment: str | None,
) -> Outcome:
    card = await get_card(conn, program.merchant_id, ref, lock=True)
    account_id = require_active(card)
    applied = check_moves(program, card.template_code, "PX", [move], where.now)
    added, redeemed = (applied, []) if activity == "ADD" else ([], applied)
    await lock_active_account(conn, program.merchant_id, account_id)
    txn = await records.record_transaction(
        conn,
        where,
        "adminAdjust",
        account_id=account_id,
        card_number=card.number,
        contents_hash=contents_hash(added, redeemed),
        comment=comment,
    )
    book = await _finish(conn, program, where, txn, account_id, added, redeemed)
    view = view_of(book, program, card.number, card.template_code)
    return Outcome(view, txn, added, redeemed)
