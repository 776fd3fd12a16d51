"""A guest's cards: attaching one to a user, combining balances, enabling and disabling.

Attaching only records ownership (``accounts.user_id``); no value moves. Combining is an
ordinary ledger transaction: every lot of the source account leaves it and a lot with the
same expiry arrives in the target account, so the journal of both accounts still adds up
and ``openpxs audit`` stays clean. Locks follow the house order: cards first, then
accounts, each in id order.
"""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.cards import (
    Account,
    AccountStatus,
    Card,
    CardStatus,
    registration_code_matches,
)
from openpxs.domain.errors import (
    CardNotFound,
    InvalidRegistrationCode,
    Reason,
    Refused,
)
from openpxs.domain.ledger import AccountBook
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import guessing
from openpxs.services.books import move_cards, open_settled_book
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

# Wire status -> stored card status: the two a guest may ask for.
SETTABLE_STATUS = {"ACTIVE": CardStatus.ACTIVE, "DISABLED": CardStatus.DISABLED}


def _cannot(why: str) -> Refused:
    return Refused(Reason.CARDS_CANNOT_BE_COMBINED, why)


async def home_account(uow: UnitOfWork, merchant_id: int, user: User) -> Account | None:
    """The account attached cards are folded into: the user's primary account (the one
    registered first) while it is active, else their oldest active account."""
    found = await uow.accounts.active_of_user(merchant_id, user.id)
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
    source: str | None = None,
) -> Card:
    """Put the account of an active, unregistered card under ``user``.

    A guest must prove possession with the registration code when the card's batch has
    one (unknown cards and wrong codes are counted like card sign-ins from ``source``,
    ``services.guessing``, and refused alike once too many were wrong); a b2b caller
    is trusted but a code it does send must match. A card already attached to this
    user is accepted again, so a retried call succeeds. A card registered to someone
    else is "not found" for a guest (nothing about another guest's card is revealed)
    and "already registered" for a b2b caller.
    """
    card, account = await proven_card(
        uow, program, where.now, user, number, registration_code, for_guest=for_guest, source=source
    )
    if account.user_id == user.id:
        return card
    if account.user_id is not None:
        raise Refused(Reason.CARD_ALREADY_REGISTERED)
    await uow.users.attach_account(program.merchant_id, account.id, user.id, where.now)
    return card


async def proven_card(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    user: User,
    number: str,
    registration_code: str | None,
    *,
    for_guest: bool,
    source: str | None = None,
) -> tuple[Card, Account]:
    """The active card ``user`` proved they hold (locked, with its active account), as
    attaching it judges it: the rules and the counting of ``attach_card``, nothing
    changed yet (the combine page shows what would move before it moves)."""
    guess = guessing.card_guess(number)
    if for_guest:
        await guessing.refuse_while_backing_off(uow, program, guess, source, now)
    # Trying card numbers is guessing too: an unknown card counts like a wrong code.
    guessed = (guessing.missed(program, guess, source, now, slow=True),) if for_guest else ()
    card = await uow.cards.find(program.merchant_id, number, lock=True)
    if card is None:
        raise CardNotFound(intents=guessed)
    account = None
    if card.account_id is not None:
        await uow.accounts.lock(program.merchant_id, [card.account_id])
        account = await uow.accounts.get(program.merchant_id, card.account_id)
        if for_guest and account is not None and account.user_id not in (None, user.id):
            # Someone else's card is answered like a card that does not exist, before
            # the code is looked at, so its existence is not revealed either.
            raise CardNotFound(intents=guessed)
    must_match = registration_code is not None or (for_guest and bool(card.registration_code))
    if must_match and not registration_code_matches(card, registration_code or ""):
        raise InvalidRegistrationCode(intents=guessed)
    if for_guest:
        await guessing.succeeded(uow, program, guess, source)
    if card.status != CardStatus.ACTIVE or account is None or not account.is_active:
        raise CardNotFound("the card is not active")
    return card, account


async def combine_preview(
    call: Call, number: str, registration_code: str
) -> tuple[Card, Account, Account]:
    """What attachAndCombineCards would do with this card for the signed-in guest,
    judged by the same rules and counted as the same guess, changing nothing: the
    proven card, its account and the guest's home account it would fold into."""
    user = await user_for(call, None)
    home = await home_account(call.uow, call.merchant_id, user)
    if home is None:
        raise _cannot("the user has no active account")
    card, account = await proven_card(
        call.uow,
        call.program,
        call.now,
        user,
        number,
        registration_code,
        for_guest=call.principal.is_guest,
        source=call.guesser,
    )
    if account.id == home.id:
        raise _cannot("the card is part of the account already")
    if account.user_id is not None and account.user_id != user.id:
        raise Refused(Reason.CARD_ALREADY_REGISTERED)
    if not await _would_combine(call.uow, call.merchant_id, user, card, account):
        raise _cannot("the card cannot be combined with the account")
    return card, account, home


def combine_refusal(
    target_card: Card, target: Account, source_card: Card, source: Account
) -> str | None:
    """Why ``source_card`` cannot be folded into ``target``'s account, or None."""
    if source_card.id == target_card.id:
        return "the card cannot be combined with itself"
    if target_card.status != CardStatus.ACTIVE or source_card.status != CardStatus.ACTIVE:
        return "both cards must be active"
    if not target.is_active or not source.is_active:
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
        raise CardNotFound()
    sources = []
    for number in source_numbers:
        card = named.get(number)
        if card is None or card.account_id is None:
            raise CardNotFound()
        if card.id != target_card.id and card.account_id == target_card.account_id:
            continue  # already combined by an earlier call
        sources.append(card)
    if not sources:
        return None
    source_ids = sorted({c.account_id for c in sources if c.account_id is not None})
    # Every card of a source account moves with it (exchanged ones too, so that looking
    # up an old number still finds the surviving account); lock them all, cards first.
    card_ids = [target_card.id, *await uow.cards.of_accounts(m, source_ids)]
    locked = {c.id: c for c in await uow.cards.by_ids(m, card_ids, lock=True)}
    target_card = locked[target_card.id]
    target_id = target_card.account_id
    if target_id is None:
        raise CardNotFound()
    await uow.accounts.lock(m, [target_id, *source_ids])
    rows = await uow.accounts.get_many(m, [target_id, *source_ids])
    for card in sources:
        current = locked.get(card.id, card)
        if current.account_id is None or current.account_id not in rows:
            raise CardNotFound()
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
        where, Kind.COMBINE_CARDS, account_id=target_id, card_number=target_card.number
    )
    await uow.ledger.write(books, txn, where.now)

    moved = [c for c in locked.values() if c.account_id in source_ids]
    if moved:
        await uow.cards.record_changes(m, txn, [(c, target_id, c.status) for c in moved])
        await uow.cards.move_to_account(m, [c.id for c in moved], target_id)
    await uow.accounts.close(m, source_ids)
    # A user whose first account was folded away keeps the survivor as primary account.
    await uow.users.move_primary_account(m, source_ids, target_id)
    # Rewards already earned but not yet granted are owed to the guest, not the account.
    await uow.pending_rewards.move_to_account(m, source_ids, target_id)
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


async def combine_cards(
    call: Call, primary_number: str, numbers: list[str], username: str | None
) -> str:
    """combineCards: fold the cards the caller may reach into the account of the primary
    card, which a b2b caller naming a user must name one of that user's cards by.
    Returns the surviving account's card as the caller named it."""
    target = await account_by_card(call, primary_number)
    if username and not call.principal.is_guest:
        user = await user_for(call, username)
        if target.user_id != user.id:
            raise CardNotFound()
    for number in numbers:
        await account_by_card(call, number)
    await combine(call.uow, call.program, call.online_stamp(), target.card_number, numbers)
    return target.card_number


async def attach_and_combine(
    call: Call, username: str | None, number: str, registration_code: str | None
) -> str:
    """attachCard then combineCards into the user's home account, in one transaction:
    a refusal of either step leaves the card as it was. Returns the surviving account's
    primary card."""
    user = await user_for(call, username)
    home = await home_account(call.uow, call.merchant_id, user)
    if home is None:
        raise _cannot("the user has no active account")
    stamp = call.online_stamp()
    card = await attach_card(
        call.uow,
        call.program,
        stamp,
        user,
        number,
        registration_code,
        for_guest=call.principal.is_guest,
        source=call.guesser,
    )
    # The home account's primary card names the survivor; user_for already proved the
    # caller may act for this user, so the account is theirs.
    target = await call.uow.users.primary_card(call.merchant_id, home.id)
    if target is None:
        raise CardNotFound()
    if card.account_id != home.id:  # else a retry: the card is part of the account already
        await combine(call.uow, call.program, stamp, target, [card.number])
    return target


async def can_combine(
    uow: UnitOfWork,
    program: Program,
    user: User,
    number: str,
    now: datetime,
    *,
    for_guest: bool,
    source: str | None = None,
) -> bool:
    """Whether attachAndCombineCards would fold this card into the user's account.

    Changes nothing. For a guest, asking about a card is guessing at card numbers, as
    attaching is: every card that is not theirs and could not be combined (unknown,
    someone else's, inactive, of another program) is "not found" alike, and each of
    those answers counts as a miss from ``source`` (``services.guessing``).
    """
    merchant_id = program.merchant_id
    guess = guessing.card_guess(number)
    if for_guest:
        await guessing.refuse_while_backing_off(uow, program, guess, source, now)
    card = await uow.cards.find(merchant_id, number)
    source_account = (
        await uow.accounts.get(merchant_id, card.account_id)
        if card is not None and card.account_id is not None
        else None
    )
    if card is None or source_account is None:
        allowed, known = False, card is not None
    elif source_account.user_id is not None and source_account.user_id != user.id:
        allowed, known = False, False
    else:
        allowed, known = await _would_combine(uow, merchant_id, user, card, source_account), True
    if not for_guest:
        if card is None:
            raise CardNotFound()
        return allowed
    if allowed or (known and source_account is not None and source_account.user_id == user.id):
        return allowed  # combinable, or the guest's own card: nothing is revealed
    raise CardNotFound(intents=(guessing.missed(program, guess, source, now, slow=True),))


async def _would_combine(
    uow: UnitOfWork, merchant_id: int, user: User, card: Card, source: Account
) -> bool:
    home = await home_account(uow, merchant_id, user)
    if home is None or home.id == source.id:
        return False
    if card.status != CardStatus.ACTIVE or not source.is_active:
        return False
    # Attaching would make the source the user's; judge it as it would then be.
    attached = Account(source.id, source.template_code, source.status, user.id)
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
        raise Refused(Reason.INVALID_STATUS_CHANGE, "status must be ACTIVE or DISABLED")
    m = program.merchant_id
    card = await uow.cards.find(m, number, lock=True)
    if card is None or card.account_id is None:
        raise CardNotFound()
    account_status = (await uow.accounts.lock(m, [card.account_id])).get(card.account_id)
    if account_status != AccountStatus.ACTIVE or card.status not in SETTABLE_STATUS.values():
        raise Refused(Reason.INVALID_STATUS_CHANGE, f"the card is {card.status}")
    if card.status == status:
        return
    if status == CardStatus.DISABLED and not await uow.cards.has_other_active(
        m, card.account_id, card.id
    ):
        raise Refused(
            Reason.INVALID_STATUS_CHANGE, "the account's last active card cannot be disabled"
        )
    txn = await uow.transactions.record(
        where,
        Kind.DISABLE_CARD if status == CardStatus.DISABLED else Kind.ENABLE_CARD,
        account_id=card.account_id,
        card_number=card.number,
    )
    await move_cards(uow, m, txn, [(card, card.account_id, status)], where.now)
