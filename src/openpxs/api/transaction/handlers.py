"""Transaction Service: selling, loading, redeeming and voiding on cards.

Handlers translate wire objects into use-case calls and outcomes into replies; the
wire layer has already checked credentials, style, merchant and shape.
"""

from __future__ import annotations

from openpxs.api.transaction import models as m
from openpxs.api.transaction.errors import B2B, REFUSALS, TRANSACTION
from openpxs.api.transaction.keys import card_key, pos_key, void_key
from openpxs.api.transaction.replies import (
    add_redeem_reply,
    card_ref,
    moves,
    stamp_of,
    transaction_reply,
)
from openpxs.domain.errors import Reason as R
from openpxs.domain.errors import Refused
from openpxs.domain.transactions import Kind
from openpxs.services import activation, balances, undo, wallet_moves
from openpxs.wire.context import CallContext
from openpxs.wire.limits import BULK_BODY_LIMIT
from openpxs.wire.registry import endpoint

# What a card the POS names can be refused for, on every card operation.
CARD = (R.CARD_NOT_FOUND, R.INVALID_REGISTRATION_CODE, R.INVALID_STORE)
WALLETS = (R.INVALID_WALLET_CODE, R.INVALID_QUANTITY)
VOID = (*CARD, *WALLETS, R.TRANSACTION_NOT_FOUND, R.ALREADY_VOIDED, R.CARD_NOT_IN_REQUIRED_STATE)
# Undoing a transaction by its pxTransactionId (reverse, voidBulkActivateAdd).
UNDO = (
    R.TRANSACTION_NOT_FOUND,
    R.ALREADY_VOIDED,
    R.CARD_NOT_IN_REQUIRED_STATE,
    R.INSUFFICIENT_BALANCE,
    R.INVALID_STORE,
    R.DUPLICATE_TRANSACTION,
)


@endpoint(
    TRANSACTION,
    "activate",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Activate a card",
    moves_value=True,
    natural_key=card_key("activate"),
    optimistic=True,
    sells_card=True,
    errors=(*CARD, R.CARD_ALREADY_ACTIVE, R.CARD_NOT_IN_REQUIRED_STATE, R.DUPLICATE_TRANSACTION),
)
async def activate(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Moves an inactive card to active on a new account with empty wallets."""
    outcome = await activation.activate(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        card_ref(req.cardInfo),
        req.headerInfo.programId,
    )
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "voidActivate",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Void a card activation",
    moves_value=True,
    errors=(*VOID, R.DUPLICATE_TRANSACTION),
)
async def void_activate(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Cancels an activation matched by store, card and posTransactionId; the card
    returns to inactive and its account is closed. Refused once the card was used."""
    outcome = await undo.void_matching(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        Kind.ACTIVATE,
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        [],
        [],
        void_key(req, "voidActivate"),
    )
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "balanceInquiry",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Check the balance of a card",
    errors=(*CARD, R.CARD_NOT_ACTIVE),
    optimistic=True,
)
async def balance_inquiry(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Current balances of every wallet of the card's account (read-only)."""
    return await _balances(ctx, req)


async def _balances(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    outcome = await balances.balance_inquiry(
        ctx.uow, ctx.program, stamp_of(ctx, req.headerInfo), card_ref(req.cardInfo)
    )
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "identifyCustomer",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Identify a customer visit",
    errors=(*CARD, R.CARD_NOT_ACTIVE),
)
async def identify_customer(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Names the guest present at the POS and returns the account's balances."""
    return await _balances(ctx, req)


@endpoint(
    TRANSACTION,
    "addRedeem",
    request=m.AddRedeemRequest,
    reply=m.AddRedeemReply,
    styles=B2B,
    summary="Add or redeem value",
    moves_value=True,
    natural_key=card_key("addRedeem"),
    optimistic=True,
    errors=(
        *CARD,
        *WALLETS,
        R.CARD_NOT_ACTIVE,
        R.INSUFFICIENT_BALANCE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.DUPLICATE_TRANSACTION,
    ),
)
async def add_redeem(ctx: CallContext, req: m.AddRedeemRequest) -> m.AddRedeemReply:
    """Adds every addWalletContents entry, then redeems every redeemWalletContents
    entry, atomically. A redemption beyond the spendable balance refuses the call."""
    outcome = await wallet_moves.add_redeem(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        moves(req.redeemWalletContents),
        req.autoActivateCard,
    )
    return add_redeem_reply(outcome)


@endpoint(
    TRANSACTION,
    "voidAddRedeem",
    request=m.AddRedeemRequest,
    reply=m.AddRedeemReply,
    styles=B2B,
    summary="Void an addition or redemption",
    moves_value=True,
    errors=(*VOID, R.INSUFFICIENT_BALANCE, R.DUPLICATE_TRANSACTION),
)
async def void_add_redeem(ctx: CallContext, req: m.AddRedeemRequest) -> m.AddRedeemReply:
    """Undoes the addRedeem with the same store, card, posTransactionId and contents."""
    outcome = await undo.void_matching(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        Kind.ADD_REDEEM,
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        moves(req.redeemWalletContents),
        void_key(req, "voidAddRedeem"),
    )
    return add_redeem_reply(outcome)


@endpoint(
    TRANSACTION,
    "activateAdd",
    request=m.ActivateAddRequest,
    reply=m.AddRedeemReply,
    styles=B2B,
    summary="Sell a gift card (activate and load)",
    moves_value=True,
    natural_key=card_key("activateAdd"),
    optimistic=True,
    sells_card=True,
    errors=(
        *CARD,
        *WALLETS,
        R.CARD_ALREADY_ACTIVE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.DUPLICATE_TRANSACTION,
    ),
)
async def activate_add(ctx: CallContext, req: m.ActivateAddRequest) -> m.AddRedeemReply:
    """Activates an inactive card and loads addWalletContents in one atomic call."""
    outcome = await activation.activate(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        kind=Kind.ACTIVATE_ADD,
    )
    return add_redeem_reply(outcome)


@endpoint(
    TRANSACTION,
    "voidActivateAdd",
    request=m.ActivateAddRequest,
    reply=m.AddRedeemReply,
    styles=B2B,
    summary="Void a gift card sale",
    moves_value=True,
    errors=(*VOID, R.INSUFFICIENT_BALANCE, R.DUPLICATE_TRANSACTION),
)
async def void_activate_add(ctx: CallContext, req: m.ActivateAddRequest) -> m.AddRedeemReply:
    """Removes the loaded value and returns the card to inactive; refused when any of
    the value was spent (insufficient_balance) or the card was used otherwise."""
    outcome = await undo.void_matching(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        Kind.ACTIVATE_ADD,
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        [],
        void_key(req, "voidActivateAdd"),
    )
    return add_redeem_reply(outcome)


def _bulk_key(req: m.BulkActivateAddRequest) -> str | None:
    return pos_key(req, "bulkActivateAdd", "*")


@endpoint(
    TRANSACTION,
    "bulkActivateAdd",
    request=m.BulkActivateAddRequest,
    reply=m.BulkAddReply,
    styles=B2B,
    summary="Sell gift cards in bulk",
    body_limit=BULK_BODY_LIMIT,
    moves_value=True,
    natural_key=_bulk_key,
    errors=(
        *CARD,
        *WALLETS,
        R.CARD_ALREADY_ACTIVE,
        R.CARD_NOT_IN_REQUIRED_STATE,
        R.DUPLICATE_TRANSACTION,
    ),
)
async def bulk_activate_add(ctx: CallContext, req: m.BulkActivateAddRequest) -> m.BulkAddReply:
    """Activates and loads every card, all or nothing; a refusal names each bad card."""
    try:
        txn, sold = await activation.bulk_activate_add(
            ctx.uow,
            ctx.program,
            stamp_of(ctx, req.headerInfo),
            [card_ref(c) for c in req.cardInfos],
            req.headerInfo.programId,
            moves(req.addWalletContents),
        )
    except activation.BulkRefused as refused:
        card_results = []
        for number, problem in refused.problems:
            if problem is not None:
                f = REFUSALS.failure(problem)
                card_results.append(
                    m.BulkCardResult(
                        printedCardNumber=number,
                        result=f.result,
                        errorCode=f.code,
                        errorMessage=f.message,
                    )
                )
        raise Refused(
            refused.reason,
            refused.detail,
            members={"cardResults": [c.model_dump(exclude_none=True) for c in card_results]},
        ) from None
    return m.BulkAddReply(
        pxTransactionId=txn,
        cardResults=[
            m.BulkCardResult(printedCardNumber=n, result=TRANSACTION.success) for n in sold
        ],
    )


@endpoint(
    TRANSACTION,
    "voidBulkActivateAdd",
    request=m.PxTransactionRequest,
    reply=m.BulkAddReply,
    styles=B2B,
    summary="Void a bulk gift card sale",
    moves_value=True,
    errors=UNDO,
)
async def void_bulk_activate_add(ctx: CallContext, req: m.PxTransactionRequest) -> m.BulkAddReply:
    """Undoes a whole bulk sale by its batch pxTransactionId."""
    outcome = await undo.undo_by_id(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req.headerInfo),
        req.pxTransactionId,
        Kind.VOID_BULK_ACTIVATE_ADD,
        only=Kind.BULK_ACTIVATE_ADD,
    )
    return m.BulkAddReply(pxTransactionId=outcome.transaction_id)
