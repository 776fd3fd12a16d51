"""Gift Service (gift.yaml): selling, reloading, checking, redeeming and reversing gift
cards at the till (services.gift_cards, on the Transaction Service's money moves)."""

from __future__ import annotations

from openpxs.api.gift import models as m
from openpxs.api.gift.errors import B2B, CARD, GIFT
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.errors import Reason as R
from openpxs.services import gift_cards
from openpxs.services.gift_cards import GiftOutcome, TillDetails
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _key(req: m.GiftRequest) -> str | None:
    """One externalTransactionId, one call at the merchant: a retry replays it."""
    return f"gift:{req.externalTransactionId}" if req.externalTransactionId else None


def _reverse_key(req: m.ReverseRequest) -> str | None:
    return f"gift:reverse:{req.externalTransactionId}" if req.externalTransactionId else None


def _till(req: m.GiftRequest) -> TillDetails:
    return TillDetails(req.checkNumber, req.cashier, req.terminalId, req.externalTransactionId)


def _reply(done: GiftOutcome) -> m.GiftReply:
    return m.GiftReply(
        pxTransactionId=done.transaction_id,
        printedCardNumber=done.card_number,
        currentBalance=done.balance,
    )


MOVING = (*CARD, R.INVALID_QUANTITY, R.FIELD_TOO_LONG, R.DUPLICATE_TRANSACTION)


@endpoint(
    GIFT,
    "sell",
    request=m.GiftRequest,
    reply=m.GiftReply,
    styles=B2B,
    summary="Sell a gift card: activate it and load the amount",
    moves_value=True,
    natural_key=_key,
    errors=(
        *MOVING,
        R.CARD_ALREADY_ACTIVE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.MAX_BALANCE_EXCEEDED,
    ),
)
async def sell(ctx: CallContext, req: m.GiftRequest) -> m.GiftReply:
    """Activates an inactive gift card of the merchant and loads amount onto its stored
    value, as one transaction at storeCode with the check number, cashier and terminal.
    An active card is refused (gift.card_already_active). A retry with the same
    externalTransactionId answers the first reply and loads nothing; the same id with a
    different request is gift.duplicate_transaction."""
    done = await gift_cards.sell(ctx, req.storeCode, card_ref(req.cardInfo), req.amount, _till(req))
    return _reply(done)


@endpoint(
    GIFT,
    "reload",
    request=m.GiftRequest,
    reply=m.GiftReply,
    styles=B2B,
    summary="Add value to an active gift card",
    moves_value=True,
    natural_key=_key,
    errors=(*MOVING, R.CARD_NOT_ACTIVE, R.MAX_BALANCE_EXCEEDED),
)
async def reload(ctx: CallContext, req: m.GiftRequest) -> m.GiftReply:
    """Adds amount to the stored value of an active gift card, within the merchant's
    largest card balance (payments.max_card_balance) when one is set. Same records and
    retry rule as sell."""
    done = await gift_cards.load_or_spend(
        ctx, req.storeCode, card_ref(req.cardInfo), _till(req), add=req.amount
    )
    return _reply(done)


@endpoint(
    GIFT,
    "balance",
    request=m.BalanceRequest,
    reply=m.GiftReply,
    styles=B2B,
    summary="A gift card's stored value balance",
    errors=(*CARD, R.CARD_NOT_ACTIVE),
)
async def balance(ctx: CallContext, req: m.BalanceRequest) -> m.GiftReply:
    """Read-only: the card's current stored value balance."""
    return _reply(await gift_cards.balance(ctx, req.storeCode, card_ref(req.cardInfo)))


@endpoint(
    GIFT,
    "redeem",
    request=m.RedeemRequest,
    reply=m.GiftReply,
    styles=B2B,
    summary="Take an amount (and a tip) off a gift card",
    moves_value=True,
    natural_key=_key,
    errors=(*MOVING, R.CARD_NOT_ACTIVE, R.INSUFFICIENT_BALANCE),
)
async def redeem(ctx: CallContext, req: m.RedeemRequest) -> m.GiftReply:
    """Takes amount plus tip off the card's stored value; when the balance is short the
    whole request is refused (gift.insufficient_balance) and nothing is taken. Same
    records and retry rule as sell."""
    done = await gift_cards.load_or_spend(
        ctx, req.storeCode, card_ref(req.cardInfo), _till(req), spend=req.amount, tip=req.tip
    )
    return _reply(done)


@endpoint(
    GIFT,
    "reverse",
    request=m.ReverseRequest,
    reply=m.GiftReply,
    styles=B2B,
    summary="Undo a sell, reload or redeem by its externalTransactionId",
    moves_value=True,
    natural_key=_reverse_key,
    errors=(
        R.INVALID_STORE,
        R.FIELD_TOO_LONG,
        R.TRANSACTION_NOT_FOUND,
        R.ALREADY_VOIDED,
        R.INSUFFICIENT_BALANCE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.DUPLICATE_TRANSACTION,
    ),
)
async def reverse(ctx: CallContext, req: m.ReverseRequest) -> m.GiftReply:
    """Undoes the call this integration made at storeCode with externalTransactionId:
    a reversed sell deactivates the card and removes its value, a reversed reload
    removes the value (refused when it was spent: gift.insufficient_balance), a
    reversed redeem puts the value back. An unknown id is gift.transaction_not_found;
    a transaction reversed already is gift.already_reversed (a retry of the same
    reverse answers its first reply)."""
    return _reply(await gift_cards.reverse(ctx, req.storeCode, req.externalTransactionId))
