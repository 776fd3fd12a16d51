"""A guest's cards: attaching one to a user, combining balances, enabling and disabling.

Attaching only records ownership (``accounts.user_id``); no value moves. Combining is an
ordinary ledger transaction: every lot of the source account leaves it and a lot with the
same expiry arrives in the target account, so the journal of both accounts still adds up
and ``openpxs audit`` stays clean. Locks follow the house order: cards first, then
accounts, each in id order.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import select, update

from openpxs.domain.cards import AccountStatus, Card, CardStatus
from openpxs.domain.errors import Refused
from openpxs.domain.ledger import AccountBook
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import oauth
from openpxs.services.books import open_settled_book
from openpxs.store.repositories.users import User
from openpxs.store.tables import accounts, cards, pending_event_rewards, users
from openpxs.store.uow import UnitOfWork
from openpxs.wire.envelope import ServiceFailure

CARD_NOT_FOUND = "guest.card_not_found"
CARD_ALREADY_REGISTERED = "guest.card_already_registered"
INVALID_REGISTRATION_CODE = "guest.invalid_registration_code"
CANNOT_COMBINE = "guest.cards_cannot_be_combined"
INVALID_STATUS_CHANGE = "guest.invalid_status_change"

# Wire status -> stored card status; the replies map them back (replies.CARD_STATUS).
SETTABLE_STATUS = {"ACTIVE": CardStatus.ACTIVE, "DISABLED": CardStatus.DISABLED}


def _not_found() -> ServiceFailure:
    return ServiceFailure(CARD_NOT_FOUND, "Card not found")


def _cannot(why: str) -> ServiceFailure:
    return ServiceFailure(CANNOT_COMBINE, f"Cards cannot be combined: {why}")


@dataclass(frozen=True)
class AccountRow:
    id: int
    template_code: int
    status: str
    user_id: int | None


async def _account_rows(uow: UnitOfWork, merchant_id: int, ids: list[int]) -> dict[int, AccountRow]:
    rows = await uow.conn.execute(
        select(
            accounts.c.id, accounts.c.template_code, accounts.c.status, accounts.c.user_id
        ).where(accounts.c.merchant_id == merchant_id, accounts.c.id.in_(sorted(set(ids))))
    )
    return {r.id: AccountRow(r.id, r.template_code, r.status, r.user_id) for r in rows}


async def home_account(uow: UnitOfWork, merchant_id: int, user: User) -> AccountRow | None:
    """The account attached cards are folded into: the user's primary account (the one
    registered first) while it is active, else their oldest active account."""
    rows = await uow.conn.execute(
        select(accounts.c.id, accounts.c.template_code, accounts.c.status, accounts.c.user_id)
        .where(
            accounts.c.merchant_id == merchant_id,
            accounts.c.user_id == user.id,
            accounts.c.status == "active",
        )
        .order_by(accounts.c.id)
    )
    found = [AccountRow(r.id, r.template_code, r.status, r.user_id) for r in rows]
    preferred = [a for a in found if a.id == user.account_id]
    ranked = preferred or found
    return ranked[0] if ranked else None


async def attach_card(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    user: User,
    number: str,
    registration_code: str | None,
    *,
    for_guest: bool,
) -> Card:
    """Put the account of an active, unregistered card under ``user``.

    A guest must prove possession with the registration code when the card's batch has
    one (wrong guesses are counted like card sign-ins); a b2b caller is trusted but a
    code it does send must match. A card already attached to this user is accepted again,
    so a retried call succeeds. A card registered to someone else is "not found" for a
    guest (nothing about another guest's card is revealed) and "already registered" for
    a b2b caller.
    """
    subjects = [f"card:{number[:64]}", f"client:{where.integration_id}"]
    try:
        await oauth.refuse_if_locked(uow, program, subjects, where.now)
    except Refused as locked:
        raise ServiceFailure(
            INVALID_REGISTRATION_CODE, f"Too many failed attempts; {locked.detail}"
        ) from None
    card = await uow.cards.find(program.merchant_id, number, lock=True)
    if card is None:
        # Trying card numbers is guessing too: it counts against the integration.
        raise ServiceFailure(
            CARD_NOT_FOUND,
            "Card not found",
            intents=(oauth.count_failure(program, subjects[1:], where.now, slow=False),),
        )
    account = None
    if card.account_id is not None:
        await uow.accounts.lock(program.merchant_id, [card.account_id])
        account = (await _account_rows(uow, program.merchant_id, [card.account_id]))[
            card.account_id
        ]
        if for_guest and account.user_id not in (None, user.id):
            # Someone else's card is answered like a card that does not exist, before
            # the code is looked at, so its existence is not revealed either.
            raise ServiceFailure(
                CARD_NOT_FOUND,
                "Card not found",
                intents=(oauth.count_failure(program, subjects[1:], where.now, slow=False),),
            )
    must_match = registration_code is not None or (for_guest and bool(card.registration_code))
    if must_match and not hmac.compare_digest(
        (card.registration_code or "").encode(), (registration_code or "").encode()
    ):
        raise ServiceFailure(
            INVALID_REGISTRATION_CODE,
            "Invalid registration code",
            intents=(oauth.count_failure(program, subjects, where.now, slow=False),),
        )
    if card.status != "active" or account is None or account.status != "active":
        raise ServiceFailure(CARD_NOT_FOUND, "Card not found: the card is not active")
    if account.user_id == user.id:
        return card
    if account.user_id is not None:
        raise ServiceFailure(CARD_ALREADY_REGISTERED, "Card is already registered")
    await uow.users.attach_account(program.merchant_id, account.id, user.id, where.now)
    return card


def combine_refusal(
    target_card: Card, target: AccountRow, source_card: Card, source: AccountRow
) -> str | None:
    """Why ``source_card`` cannot be folded into ``target``'s account, or None."""
    if source_card.id == target_card.id:
        return "the card cannot be combined with itself"
    if target_card.status != "active" or source_card.status != "active":
        return "both cards must be active"
    if target.status != "active" or source.status != "active":
        return "both accounts must be active"
    if target.template_code != source.template_code:
        return "the cards belong to different programs"
    if target.user_id is None or source.user_id != target.user_id:
        return "both cards must be attached to the same user"
    return None


async def combine(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    target_number: str,
    source_numbers: list[str],
) -> int | None:
    """Fold the accounts of ``source_numbers`` into the account of ``target_number``.

    Returns the combine transaction's id, or None when every source card already
    belongs to the target account (a retried call: nothing left to move).
    """
    m = program.merchant_id
    named = await uow.cards.find_many(m, [target_number, *source_numbers])
    target_card = named.get(target_number)
    if target_card is None or target_card.account_id is None:
        raise _not_found()
    sources = []
    for number in source_numbers:
        card = named.get(number)
        if card is None or card.account_id is None:
            raise _not_found()
        if card.id != target_card.id and card.account_id == target_card.account_id:
            continue  # already combined by an earlier call
        sources.append(card)
    if not sources:
        return None
    source_ids = sorted({c.account_id for c in sources if c.account_id is not None})
    # Every card of a source account moves with it (exchanged ones too, so that looking
    # up an old number still finds the surviving account); lock them all, cards first.
    card_ids = [target_card.id] + [
        r.id
        for r in await uow.conn.execute(
            select(cards.c.id).where(cards.c.merchant_id == m, cards.c.account_id.in_(source_ids))
        )
    ]
    locked = {c.id: c for c in await uow.cards.by_ids(m, card_ids, lock=True)}
    target_card = locked[target_card.id]
    target_id = target_card.account_id
    if target_id is None:
        raise _not_found()
    await uow.accounts.lock(m, [target_id, *source_ids])
    rows = await _account_rows(uow, m, [target_id, *source_ids])
    for card in sources:
        current = locked.get(card.id, card)
        if current.account_id is None or current.account_id not in rows:
            raise _not_found()
        why = combine_refusal(target_card, rows[target_id], current, rows[current.account_id])
        if why is not None:
            raise _cannot(why)

    target_book = await open_settled_book(uow, program, target_id, where)
    books: list[AccountBook] = [target_book]
    for source_id in source_ids:
        book = await open_settled_book(uow, program, source_id, where)
        _move_everything(book, target_book, where)
        books.append(book)
    txn = await uow.transactions.record(
        where, "combineCards", account_id=target_id, card_number=target_card.number
    )
    await uow.ledger.write(books, txn, where.now)

    moved = [c for c in locked.values() if c.account_id in source_ids]
    if moved:
        await uow.cards.record_changes(m, txn, [(c, target_id, c.status) for c in moved])
        await uow.conn.execute(
            update(cards)
            .where(cards.c.merchant_id == m, cards.c.id.in_([c.id for c in moved]))
            .values(account_id=target_id)
        )
    await uow.accounts.close(m, source_ids)
    # A user whose first account was folded away keeps the survivor as primary account.
    await uow.conn.execute(
        update(users)
        .where(users.c.merchant_id == m, users.c.account_id.in_(source_ids))
        .values(account_id=target_id)
    )
    # Rewards already earned but not yet granted are owed to the guest, not the account.
    await uow.conn.execute(
        update(pending_event_rewards)
        .where(
            pending_event_rewards.c.merchant_id == m,
            pending_event_rewards.c.account_id.in_(source_ids),
        )
        .values(account_id=target_id)
    )
    return txn


def _move_everything(source: AccountBook, target: AccountBook, where: CallStamp) -> None:
    """Post every wallet of ``source`` over to ``target``, lot by lot.

    Each spendable lot is emptied and re-created in the target with the same expiry, so
    combined value lapses when it would have. A deficit (a wallet allowed to go negative)
    moves too: the source is repaid and the target takes on the debt.
    """
    for code, ledger in source.ledgers.items():
        into = target.ledgers[code]
        for lot in list(ledger.spending_order(where.now)):
            units = lot.remaining
            ledger.debit(units, where.now, prefer=lot)
            into.credit(units, expires_at=lot.expires_at, expires_on=lot.expires_on)
        if ledger.balance < 0:
            owed = -ledger.balance
            ledger.credit(owed)
            into.debit(owed, where.now)


async def can_combine(
    uow: UnitOfWork, merchant_id: int, user: User, number: str, *, for_guest: bool
) -> bool:
    """Whether attachAndCombineCards would fold this card into the user's account.

    Changes nothing. A card registered to another user is "not found" for a guest.
    """
    card = await uow.cards.find(merchant_id, number)
    if card is None:
        raise _not_found()
    if card.account_id is None:
        return False
    source = (await _account_rows(uow, merchant_id, [card.account_id]))[card.account_id]
    if source.user_id is not None and source.user_id != user.id:
        if for_guest:
            raise _not_found()
        return False
    home = await home_account(uow, merchant_id, user)
    if home is None or home.id == source.id:
        return False
    if card.status != "active" or source.status != "active":
        return False
    # Attaching would make the source the user's; judge it as it would then be.
    attached = AccountRow(source.id, source.template_code, source.status, user.id)
    home_card = Card(0, "", None, home.template_code, CardStatus.ACTIVE, home.id)
    return combine_refusal(home_card, home, card, attached) is None


async def change_card_status(
    uow: UnitOfWork, program: Program, where: CallStamp, number: str, wanted: str
) -> None:
    """Enable or disable a card of an active account, recorded as a transaction so the
    history shows it (and a reverse can put the card back).

    Asking for the status the card already has is a successful no-op. Disabling the last
    active card would leave the account unusable at the POS, so it is refused.
    """
    status = SETTABLE_STATUS.get(wanted.strip().upper())
    if status is None:
        raise ServiceFailure(
            INVALID_STATUS_CHANGE, "Invalid card status change: status must be ACTIVE or DISABLED"
        )
    m = program.merchant_id
    card = await uow.cards.find(m, number, lock=True)
    if card is None or card.account_id is None:
        raise _not_found()
    account_status = (await uow.accounts.lock(m, [card.account_id])).get(card.account_id)
    if account_status != AccountStatus.ACTIVE or card.status not in SETTABLE_STATUS.values():
        raise ServiceFailure(
            INVALID_STATUS_CHANGE, f"Invalid card status change: the card is {card.status}"
        )
    if card.status == status:
        return
    if status == CardStatus.DISABLED and not await uow.cards.has_other_active(
        m, card.account_id, card.id
    ):
        raise ServiceFailure(
            INVALID_STATUS_CHANGE,
            "Invalid card status change: the account's last active card cannot be disabled",
        )
    txn = await uow.transactions.record(
        where,
        Kind.DISABLE_CARD if status == CardStatus.DISABLED else Kind.ENABLE_CARD,
        account_id=card.account_id,
        card_number=card.number,
    )
    await uow.cards.change(m, txn, [(card, card.account_id, status)], where.now)
