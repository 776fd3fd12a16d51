"""Selling and activating cards: one card, a card with value on it, or many at once.

An inactive card is made active on a new account of its own; the change is recorded
under the transaction that made it, so a void or reversal can put the card back.
"""

from __future__ import annotations

from openpxs.domain.cards import Card, CardRef, require_inactive, verify_card
from openpxs.domain.errors import CardNotInRequiredState, DomainError, InvalidRequest, Refused
from openpxs.domain.moves import AppliedMove, Move, apply_moves, check_moves, contents_hash
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services.balances import Outcome, view_of
from openpxs.services.books import all_wallets, open_settled_book
from openpxs.store.repositories.ledger import new_book
from openpxs.store.uow import UnitOfWork


async def activate_cards(
    uow: UnitOfWork, program: Program, stamp: CallStamp, cards: list[Card], txn: int
) -> list[int]:
    """Attach a fresh account to each inactive card (locked by the caller), in order."""
    for card in cards:
        require_inactive(card)
        if card.template_code not in program.templates:
            raise CardNotInRequiredState("the card's template is not configured")
    account_ids = await uow.accounts.create(
        program.merchant_id, [card.template_code for card in cards], stamp.now
    )
    await uow.cards.activate(
        program.merchant_id, txn, list(zip(cards, account_ids, strict=True)), stamp.now
    )
    return account_ids


async def activate_within(
    uow: UnitOfWork, program: Program, stamp: CallStamp, card: Card, txn: int
) -> Card:
    """Activate an inactive card (locked by the caller) as part of transaction ``txn``,
    which is then the new account's: what autoActivateCard does for addRedeem and for a
    posted check."""
    [account_id] = await activate_cards(uow, program, stamp, [card], txn)
    await uow.transactions.set_account(program.merchant_id, txn, account_id)
    return card.activated_on(account_id)


async def activate(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    ref: CardRef,
    program_id: str,
    adds: list[Move] | None = None,
    kind: str = Kind.ACTIVATE,
) -> Outcome:
    """Activate an inactive card on a new account, loading ``adds`` in the same call."""
    # The call's retry keys are claimed as the card is locked; on PostgreSQL the new
    # account's id comes with it, and the sale is then written in one statement (read
    # without locks first, that statement makes the card active only if it still is
    # inactive).
    found = await uow.lock_card_claiming(program.merchant_id, ref.printed_number(), selling=True)
    card = require_inactive(verify_card(found, ref))
    added = check_moves(program, card.template_code, program_id, adds or [], stamp.now)
    if uow.new_account_id is not None:
        if card.template_code not in program.templates:
            raise CardNotInRequiredState("the card's template is not configured")
        book = new_book(program.merchant_id, uow.new_account_id, all_wallets(program))
        apply_moves(book, program, added, [], stamp.now)
        txn = await uow.record_and_write(
            stamp,
            kind,
            book,
            card_number=card.number,
            contents_hash=contents_hash(added, []),
            activating=card,
        )
        return Outcome(view_of(book, program, card.number, card.template_code), txn, added)
    txn = await uow.transactions.record(
        stamp, kind, card_number=card.number, contents_hash=contents_hash(added, [])
    )
    [account_id] = await activate_cards(uow, program, stamp, [card], txn)
    book = await open_settled_book(uow, program, account_id, stamp, new=True)
    apply_moves(book, program, added, [], stamp.now)
    await uow.ledger.write([book], txn, stamp.now)
    return Outcome(view_of(book, program, card.number, card.template_code), txn, added)


class BulkRefused(Refused):
    """Some cards of a bulk sale were refused: the first refusal's reason, with every
    card's own outcome in ``problems`` so the reply can name them all."""

    def __init__(self, problems: list[tuple[str, DomainError | None]], first: DomainError):
        super().__init__(first.reason, first.detail)
        self.problems = problems


async def bulk_activate_add(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    refs: list[CardRef],
    program_id: str,
    adds: list[Move],
) -> tuple[int, list[str]]:
    """Sell many cards in one transaction: all of them, or none.

    Returns the batch transaction id and the card numbers sold. When any card is
    refused, every card's problem is collected first, then nothing is written.
    """
    if not refs:
        raise InvalidRequest("cardInfos must name at least one card")
    numbers = [ref.printed_number() for ref in refs]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("cardInfos names the same card more than once")
    found = await uow.cards.find_many(program.merchant_id, numbers, lock=True)
    problems: list[tuple[str, DomainError | None]] = []
    applied: dict[str, list[AppliedMove]] = {}
    for ref, number in zip(refs, numbers, strict=True):
        try:
            card = require_inactive(verify_card(found.get(number), ref))
            applied[number] = check_moves(program, card.template_code, program_id, adds, stamp.now)
            problems.append((number, None))
        except DomainError as refusal:
            problems.append((number, refusal))
    first = next((p for _, p in problems if p is not None), None)
    if first is not None:
        raise BulkRefused(problems, first)
    some_moves = next(iter(applied.values()))
    txn = await uow.transactions.record(
        stamp, Kind.BULK_ACTIVATE_ADD, contents_hash=contents_hash(some_moves, [])
    )
    sold = [found[number] for number in numbers]
    await load_new_cards(uow, program, stamp, txn, [(card, applied[card.number]) for card in sold])
    return txn, numbers


async def load_new_cards(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    txn: int,
    loads: list[tuple[Card, list[AppliedMove]]],
) -> list[int]:
    """Activate each inactive card (locked by the caller) on a new account and load its
    checked moves, all as transaction ``txn``; the new accounts' ids, in order."""
    account_ids = await activate_cards(uow, program, stamp, [card for card, _ in loads], txn)
    books = []
    for (_card, added), account_id in zip(loads, account_ids, strict=True):
        book = new_book(program.merchant_id, account_id, all_wallets(program))
        apply_moves(book, program, added, [], stamp.now)
        books.append(book)
    await uow.ledger.write(books, txn, stamp.now)
    return account_ids
