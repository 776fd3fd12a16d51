"""Loading a campaign event's reward onto the account of the card its code names, once
per account and event.

The load is an ordinary ledger transaction of kind ``campaignLoad`` at the event's
store: it shows in transaction history, ``openpxs audit`` covers it and
transaction/reverse.json undoes it. A reversed load no longer counts, so the link
works again afterwards (as a reversed check gives its coupon use back).
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.config.loyalty import CampaignEvent
from openpxs.domain.campaigns import (
    AccountNotActive,
    CampaignCode,
    CardNotActive,
    InvalidAccount,
    InvalidCard,
    InvalidEventStore,
    InvalidMerchant,
    RewardAlreadyLoaded,
    TransactionDenied,
    event_of,
    event_wallet,
    require_audience,
    reward_move,
)
from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.errors import DomainError
from openpxs.domain.moves import AppliedMove, apply_moves
from openpxs.domain.transactions import Kind
from openpxs.services.books import open_settled_book
from openpxs.services.context import Call


@dataclass(frozen=True)
class Loaded:
    card_number: str  # the account's primary card
    event: CampaignEvent
    move: AppliedMove
    transaction_id: int


async def load_reward(call: Call, code: CampaignCode) -> Loaded:
    """Load the event's reward onto the account of the code's card, once."""
    uow, program, merchant_id, now = call.uow, call.program, call.merchant_id, call.now
    number = code.card_number
    if code.merchant_id != merchant_id:
        raise InvalidMerchant(f"the code is for merchant {code.merchant_id}", card_number=number)
    card = await uow.cards.find(merchant_id, number, lock=True)
    if card is None:
        raise InvalidCard("no card has this number", card_number=number)
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive(f"the card is {card.status}", card_number=number)
    if card.account_id is None:
        raise InvalidAccount("the card has no account", card_number=number)
    statuses = await uow.accounts.lock(merchant_id, [card.account_id])
    status = statuses.get(card.account_id)
    if status is None:
        raise InvalidAccount("the card's account does not exist", card_number=number)
    if status != AccountStatus.ACTIVE:
        raise AccountNotActive(f"the account is {status}", card_number=number)
    event = event_of(program, code.event_id, number)
    wallet = event_wallet(program, event, number)
    require_audience(program, event, card, wallet)
    if event.store not in program.stores:
        raise InvalidEventStore(
            f"the event's store {event.store!r} is not configured", card_number=number
        )
    earlier = await uow.event_loads.earlier(merchant_id, card.account_id, event.id)
    if earlier is not None and earlier.undone_by_id is None:
        raise RewardAlreadyLoaded(card_number=number)
    move = reward_move(program, event, card, now, number)
    where = call.online_stamp(event.store)
    txn = await uow.transactions.record(
        where, Kind.CAMPAIGN_LOAD, account_id=card.account_id, card_number=card.number
    )
    book = await open_settled_book(uow, program, card.account_id, where)
    try:
        apply_moves(book, program, [move], [], now)
    except DomainError as refusal:
        raise TransactionDenied(str(refusal), card_number=number) from None
    await uow.ledger.write([book], txn, now)
    await uow.event_loads.remember(
        merchant_id, card.account_id, event.id, txn, now, first=earlier is None
    )
    primary = await uow.cards.lowest_active_number(merchant_id, card.account_id)
    return Loaded(primary or card.number, event, move, txn)
