"""Transaction Service: reversals, card exchange and administrative adjustments."""

from __future__ import annotations

from openpxs.api.transaction import models as m
from openpxs.api.transaction.errors import B2B, REFUSALS, TRANSACTION
from openpxs.api.transaction.handlers import CARD, UNDO, WALLETS
from openpxs.api.transaction.keys import pos_key
from openpxs.api.transaction.replies import card_ref, stamp_of, transaction_reply
from openpxs.domain.cards import CardRef
from openpxs.domain.errors import Reason as R
from openpxs.domain.moves import Move
from openpxs.domain.transactions import Kind
from openpxs.services import exchange as exchanges
from openpxs.services import undo, wallet_moves
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _exchange_key(req: m.ExchangeRequest) -> str | None:
    return pos_key(req, "exchange", req.cardInfo.printedCardNumber or "")


@endpoint(
    TRANSACTION,
    "exchange",
    request=m.ExchangeRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Exchange a card for another",
    moves_value=True,
    natural_key=_exchange_key,
    errors=(
        *CARD,
        R.CARD_NOT_ACTIVE,
        R.CARD_ALREADY_ACTIVE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.DUPLICATE_TRANSACTION,
    ),
)
async def exchange(ctx: CallContext, req: m.ExchangeRequest) -> m.TransactionReply:
    """Moves the account to newCardInfo (which must be inactive); the old card is
    retired as exchanged. Balances, registration and history stay with the account."""
    outcome = await exchanges.exchange(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        card_ref(req.cardInfo),
        card_ref(req.newCardInfo),
    )
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "reverse",
    request=m.PxTransactionRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Reverse a previous transaction",
    moves_value=True,
    errors=UNDO,
)
async def reverse(ctx: CallContext, req: m.PxTransactionRequest) -> m.TransactionReply:
    """Undoes any value-moving transaction of this merchant by its pxTransactionId,
    once: wallet moves are inverted and card activations rolled back."""
    outcome = await undo.undo_by_id(
        ctx.uow, ctx.program, stamp_of(ctx, req.headerInfo), req.pxTransactionId, Kind.REVERSE
    )
    return transaction_reply(m.TransactionReply, outcome)


def _adjust_key(req: m.AdminAdjustRequest) -> str | None:
    if not req.posTransactionId:
        return None
    return f"adminAdjust:{req.storeCode}::{req.printedCardNumber}:{req.posTransactionId}"


@endpoint(
    TRANSACTION,
    "adminAdjust",
    request=m.AdminAdjustRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Adjust a wallet administratively",
    moves_value=True,
    natural_key=_adjust_key,
    errors=(*CARD, *WALLETS, R.CARD_NOT_ACTIVE, R.INSUFFICIENT_BALANCE, R.DUPLICATE_TRANSACTION),
    # Every refusal answers result 'failure' (transaction.yaml: adminAdjust clients test
    # for it), card and balance refusals included.
    refusals=REFUSALS.answering("failure"),
)
async def admin_adjust(ctx: CallContext, req: m.AdminAdjustRequest) -> m.TransactionReply:
    """ADD or REDEEM quantity on one wallet of the card's account, with a comment."""
    header = m.HeaderInfo(
        merchantId=req.merchantId,
        storeCode=req.storeCode,
        operatorId=req.operatorId,
        posTransactionId=req.posTransactionId,
        programId="PX",
    )
    move = Move(req.walletCode, req.quantity, req.expiration.date if req.expiration else None)
    outcome = await wallet_moves.admin_adjust(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, header),
        CardRef(req.printedCardNumber),
        move,
        req.activityType,
        req.comment,
    )
    return transaction_reply(m.TransactionReply, outcome)
