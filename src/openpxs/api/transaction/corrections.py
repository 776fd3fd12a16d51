"""Transaction Service: reversals, card exchange and administrative adjustments."""

from __future__ import annotations

from openpxs.api.transaction import models as m
from openpxs.api.transaction.keys import pos_key
from openpxs.api.transaction.replies import card_ref, transaction_reply, where_of
from openpxs.api.transaction.service import B2B, TRANSACTION
from openpxs.domain.errors import DomainError
from openpxs.services import pos, undo
from openpxs.services.accounts import CardRef, Move
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import failure_from_domain
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
)
async def exchange(ctx: CallContext, req: m.ExchangeRequest) -> m.TransactionReply:
    """Moves the account to newCardInfo (which must be inactive); the old card is
    retired as exchanged. Balances, registration and history stay with the account."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await pos.exchange(
        ctx.conn, program, where, card_ref(req.cardInfo), card_ref(req.newCardInfo)
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
)
async def reverse(ctx: CallContext, req: m.PxTransactionRequest) -> m.TransactionReply:
    """Undoes any value-moving transaction of this merchant by its pxTransactionId,
    once: wallet moves are inverted and card activations rolled back."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await undo.undo_by_id(ctx.conn, program, where, req.pxTransactionId, "reverse")
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
)
async def admin_adjust(ctx: CallContext, req: m.AdminAdjustRequest) -> m.TransactionReply:
    """ADD or REDEEM quantity on one wallet of the card's account, with a comment.
    Every refusal answers result 'failure' (transaction.yaml: adminAdjust clients test
    for it), card and balance refusals included."""
    header = m.HeaderInfo(
        merchantId=req.merchantId,
        storeCode=req.storeCode,
        operatorId=req.operatorId,
        posTransactionId=req.posTransactionId,
        programId="PX",
    )
    try:
        program, where = await where_of(ctx, header)
        move = Move(req.walletCode, req.quantity, req.expiration.date if req.expiration else None)
        outcome = await pos.admin_adjust(
            ctx.conn,
            program,
            where,
            CardRef(req.printedCardNumber),
            move,
            req.activityType,
            req.comment,
        )
    except DomainError as error:
        failure = failure_from_domain(TRANSACTION, error)
        failure.result = "failure"
        raise failure from None
    return transaction_reply(m.TransactionReply, outcome)
