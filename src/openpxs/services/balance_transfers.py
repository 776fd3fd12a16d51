"""Balance Transfer Service use case: move every balance of one card's account onto
another card's account (balancetransfer/transferBalances).

The call locks both cards, then both accounts, each in id order (``store`` sorts them),
so a transfer racing a redemption or another transfer on either card waits for it
instead of deadlocking or reading a stale balance. Both sides are journaled, as a
``balanceTransferOut`` transaction on the source and a ``balanceTransferIn`` on the
receiver, in the call's one unit of work: both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.cards import AccountStatus, Card, CardStatus, registration_code_matches
from openpxs.domain.errors import CardNotActive, InvalidRegistrationCode, Reason, Refused
from openpxs.domain.transactions import Kind
from openpxs.domain.transfers import movable_wallets, move_units
from openpxs.services import guessing
from openpxs.services.books import open_settled_book
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card


@dataclass(frozen=True)
class Transferred:
    """What moved: wallet code -> units, and the wallets left behind."""

    moved: dict[int, int]
    skipped: tuple[int, ...]
    out_transaction: int
    in_transaction: int


async def transfer_balances(
    call: Call,
    to_number: str | None,
    from_number: str | None,
    from_registration_code: str | None,
    must_transfer_all: bool,
) -> Transferred:
    uow, program, m = call.uow, call.program, call.merchant_id
    # The caller must be entitled to the receiving card; an oauth guest only to their own.
    receiving = await account_by_card(call, to_number)
    from_number = (from_number or "").strip()
    if not from_number:
        raise Refused(Reason.SOURCE_CARD_NOT_FOUND, "fromPrintedCardNumber is required")
    if from_number == receiving.card_number:
        raise Refused(Reason.SAME_CARD)
    named = await uow.cards.find_many(m, [receiving.card_number, from_number])
    source, target = named.get(from_number), named.get(receiving.card_number)
    if source is None:
        raise Refused(Reason.SOURCE_CARD_NOT_FOUND)
    if target is None:
        raise Refused(Reason.CARD_NOT_FOUND)
    await _may_take_from(call, source, from_registration_code)
    if from_registration_code is not None:
        # The code proves the caller holds the card: wrong guesses count as they do
        # for card sign-in, so it cannot be found by trying every code.
        guess = guessing.card_guess(source.number)
        await guessing.refuse_while_backing_off(uow, program, guess, call.guesser, call.now)
        if not registration_code_matches(source, from_registration_code.strip()):
            raise InvalidRegistrationCode(
                intents=(guessing.missed(program, guess, call.guesser, call.now, slow=True),)
            )
        await guessing.succeeded(uow, program, guess, call.guesser)
    # Cards first, then accounts, each in id order: the same order every money call takes.
    locked = {c.id: c for c in await uow.cards.by_ids(m, [source.id, target.id], lock=True)}
    source, target = locked[source.id], locked[target.id]
    source_account, target_account = _checked_pair(source, target)
    statuses = await uow.accounts.lock(m, [source_account, target_account])
    if statuses.get(target_account) != AccountStatus.ACTIVE:
        raise CardNotActive()
    if statuses.get(source_account) != AccountStatus.ACTIVE:
        raise Refused(Reason.SOURCE_CARD_NOT_ACTIVE, "the source account is closed")

    stamp = call.online_stamp()
    source_book = await open_settled_book(uow, program, source_account, stamp)
    target_book = await open_settled_book(uow, program, target_account, stamp)
    movable = movable_wallets(source_book, stamp.now)
    if not movable:
        raise Refused(Reason.NOTHING_TO_TRANSFER)
    holds = program.templates[target.template_code].programs
    moving = {c: u for c, u in movable.items() if program.wallets[c].program in holds}
    skipped = tuple(c for c in movable if c not in moving)
    if not moving or (skipped and must_transfer_all):
        raise Refused(
            Reason.INCOMPATIBLE_WALLETS,
            f"the receiving card cannot hold wallets {', '.join(map(str, skipped))}",
        )
    for code, units in moving.items():
        move_units(source_book.wallet(code), target_book.wallet(code), units, stamp.now)

    out_txn = await uow.transactions.record(
        stamp, Kind.BALANCE_TRANSFER_OUT, account_id=source_account, card_number=source.number
    )
    await uow.ledger.write([source_book], out_txn, stamp.now)
    in_txn = await uow.transactions.record(
        stamp,
        Kind.BALANCE_TRANSFER_IN,
        account_id=target_account,
        card_number=target.number,
        comment=f"from transaction {out_txn}",
    )
    await uow.ledger.write([target_book], in_txn, stamp.now)
    return Transferred(moving, skipped, out_txn, in_txn)


async def _may_take_from(call: Call, source: Card, registration_code: str | None) -> None:
    """A guest (oauth) may empty only a card of their own, or an unregistered card whose
    registration code they give (they hold it). Another guest's card is answered as if
    it did not exist, so card numbers tell nothing about other guests."""
    principal = call.principal
    if not principal.is_guest or source.account_id is None:
        return
    account = await call.uow.accounts.get(call.merchant_id, source.account_id)
    if account is None:
        raise Refused(Reason.SOURCE_CARD_NOT_FOUND)
    if principal.may_reach(account.id, account.user_id):
        return
    if account.user_id is None and registration_code is not None:
        return  # checked against the card's code next
    raise Refused(Reason.SOURCE_CARD_NOT_FOUND)


def _checked_pair(source: Card, target: Card) -> tuple[int, int]:
    """The source and receiving accounts of two locked cards, or the refusal."""
    if target.status != CardStatus.ACTIVE or target.account_id is None:
        raise CardNotActive()
    if source.status != CardStatus.ACTIVE or source.account_id is None:
        raise Refused(Reason.SOURCE_CARD_NOT_ACTIVE, f"the source card is {source.status}")
    if source.account_id == target.account_id:
        raise Refused(Reason.SAME_CARD, "both cards belong to the same account")
    return source.account_id, target.account_id
