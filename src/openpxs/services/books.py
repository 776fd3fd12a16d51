"""The steps every value-moving use case shares: finding and locking the card and its
account, and opening the account's book with lapsed value written off.

Every use case runs inside the call's unit of work: it locks what it changes - cards
first, then accounts, each in id order - reads balances under the lock, and writes the
transaction record, the journal and the balances together, or raises and leaves
nothing behind.
"""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.cards import (
    AccountStatus,
    Card,
    CardRef,
    CardStatus,
    require_active,
    require_move,
    verify_card,
)
from openpxs.domain.challenges import AudienceFacts
from openpxs.domain.errors import CardNotActive
from openpxs.domain.ledger import AccountBook
from openpxs.domain.program import Program, WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.store.repositories.ledger import new_book
from openpxs.store.uow import UnitOfWork


async def find_card(uow: UnitOfWork, merchant_id: int, ref: CardRef, *, lock: bool = False) -> Card:
    """The merchant's card as the caller named it; another merchant's card is simply
    not found."""
    card = await uow.cards.find(merchant_id, ref.printed_number(), lock=lock)
    return verify_card(card, ref)


async def find_card_locking_account(
    uow: UnitOfWork, merchant_id: int, ref: CardRef
) -> tuple[Card, AudienceFacts | None]:
    """``find_card`` with the card locked and, if it has one, its account locked with it
    in the same statement: ``Card.account_status`` is then the status under the lock,
    and ``lock_active_account`` has nothing left to do for that account. With it, what
    a challenge's audience looks at on the account as locked (None without one)."""
    card, facts = await uow.cards.find_locking_account(merchant_id, ref.printed_number())
    return verify_card(card, ref), facts


def require_active_account(card: Card) -> int:
    """The account of a card found by ``find_card_locking_account``, refused if a
    concurrent void closed it before the lock was taken."""
    account_id = require_active(card)
    if card.account_status != AccountStatus.ACTIVE:
        raise CardNotActive()
    return account_id


async def move_cards(
    uow: UnitOfWork,
    merchant_id: int,
    transaction_id: int,
    moves: list[tuple[Card, int, CardStatus]],
    now: datetime,
) -> None:
    """Give each (locked) card a new state on an account, as ``transaction_id`` does:
    every move must be one the card states allow (``domain.cards.CARD_MOVES``)."""
    for card, _, to_status in moves:
        require_move(card, to_status)
    await uow.cards.change(merchant_id, transaction_id, moves, now)


async def lock_active_account(uow: UnitOfWork, merchant_id: int, account_id: int) -> None:
    """Lock the account; refuse it if a concurrent void closed it before we got the lock."""
    statuses = await uow.accounts.lock(merchant_id, [account_id])
    if statuses.get(account_id) != AccountStatus.ACTIVE:
        raise CardNotActive()


def all_wallets(program: Program) -> list[WalletDef]:
    """Every configured wallet, not only a template's: an account moved to a card of
    another template (exchange) keeps the value of its other wallets, which lapses too."""
    return sorted(program.wallets.values(), key=lambda w: w.code)


async def read_book(uow: UnitOfWork, program: Program, account_id: int) -> AccountBook:
    """Every wallet of the account with its spendable lots, in one query."""
    return await uow.open_book(program.merchant_id, account_id, all_wallets(program))


async def open_settled_book(
    uow: UnitOfWork,
    program: Program,
    account_id: int,
    stamp: CallStamp,
    *,
    new: bool = False,
) -> AccountBook:
    """The (locked) account's book, with lapsed value written off as an ``expire``
    transaction of its own.

    The same book then takes the call's moves and yields the balances the reply
    shows, so a call reads the account once. A ``new`` account (made by this call) has
    nothing to read.
    """
    if new:
        return new_book(program.merchant_id, account_id, all_wallets(program))
    return await settle_book(uow, stamp, await read_book(uow, program, account_id))


async def settle_book(uow: UnitOfWork, stamp: CallStamp, book: AccountBook) -> AccountBook:
    """A (locked) account's book just read, with lapsed value written off as an
    ``expire`` transaction of its own."""
    if book.expire(stamp.now):
        txn = await uow.transactions.record(
            stamp.by_the_server(), Kind.EXPIRE, account_id=book.account_id
        )
        await uow.ledger.write([book], txn, stamp.now)
    return book


async def expire_due_many(
    uow: UnitOfWork, program: Program, account_ids: list[int], stamp: CallStamp
) -> None:
    """Write off lapsed value on many locked accounts, asking once which need it."""
    due = await uow.ledger.accounts_with_due_value(program.merchant_id, account_ids, stamp.now)
    for account_id in due:
        await open_settled_book(uow, program, account_id, stamp)
