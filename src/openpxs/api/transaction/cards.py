"""Transaction Service: selling, loading, redeeming and voiding on cards."""

from __future__ import annotations

from openpxs.api.transaction import models as m
from openpxs.api.transaction.keys import card_key, pos_key, void_claim
from openpxs.api.transaction.replies import (
    add_redeem_reply,
    card_ref,
    moves,
    transaction_reply,
    where_of,
)
from openpxs.api.transaction.service import B2B, TRANSACTION
from openpxs.services import pos, undo
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import failure_from_domain
from openpxs.wire.registry import endpoint


@endpoint(
    TRANSACTION,
    "activate",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Activate a card",
    moves_value=True,
    natural_key=card_key("activate"),
)
async def activate(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Moves an inactive card to active on a new account with empty wallets."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await pos.activate(
        ctx.conn, program, where, card_ref(req.cardInfo), req.headerInfo.programId
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
)
async def void_activate(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Cancels an activation matched by store, card and posTransactionId; the card
    returns to inactive and its account is closed. Refused once the card was used."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await undo.void_matching(
        ctx.conn,
        program,
        where,
        "activate",
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        [],
        [],
        void_claim(ctx, req, "voidActivate"),
    )
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "balanceInquiry",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Check the balance of a card",
)
async def balance_inquiry(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    """Current balances of every wallet of the card's account (read-only)."""
    return await _balances(ctx, req)


async def _balances(ctx: CallContext, req: m.CardRequest) -> m.TransactionReply:
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await pos.balance_inquiry(ctx.conn, program, where, card_ref(req.cardInfo))
    return transaction_reply(m.TransactionReply, outcome)


@endpoint(
    TRANSACTION,
    "identifyCustomer",
    request=m.CardRequest,
    reply=m.TransactionReply,
    styles=B2B,
    summary="Identify a customer visit",
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
)
async def add_redeem(ctx: CallContext, req: m.AddRedeemRequest) -> m.AddRedeemReply:
    """Adds every addWalletContents entry, then redeems every redeemWalletContents
    entry, atomically. A redemption beyond the spendable balance refuses the call."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await pos.add_redeem(
        ctx.conn,
        program,
        where,
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
)
async def void_add_redeem(ctx: CallContext, req: m.AddRedeemRequest) -> m.AddRedeemReply:
    """Undoes the addRedeem with the same store, card, posTransactionId and contents."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await undo.void_matching(
        ctx.conn,
        program,
        where,
        "addRedeem",
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        moves(req.redeemWalletContents),
        void_claim(ctx, req, "voidAddRedeem"),
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
)
async def activate_add(ctx: CallContext, req: m.ActivateAddRequest) -> m.AddRedeemReply:
    """Activates an inactive card and loads addWalletContents in one atomic call."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await pos.activate(
        ctx.conn,
        program,
        where,
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        kind="activateAdd",
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
)
async def void_activate_add(ctx: CallContext, req: m.ActivateAddRequest) -> m.AddRedeemReply:
    """Removes the loaded value and returns the card to inactive; refused when any of
    the value was spent (insufficient_balance) or the card was used otherwise."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await undo.void_matching(
        ctx.conn,
        program,
        where,
        "activateAdd",
        card_ref(req.cardInfo),
        req.headerInfo.programId,
        moves(req.addWalletContents),
        [],
        void_claim(ctx, req, "voidActivateAdd"),
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
    moves_value=True,
    natural_key=_bulk_key,
)
async def bulk_activate_add(ctx: CallContext, req: m.BulkActivateAddRequest) -> m.BulkAddReply:
    """Activates and loads every card, all or nothing; a refusal names each bad card."""
    program, where = await where_of(ctx, req.headerInfo)
    try:
        txn, results = await pos.bulk_activate_add(
            ctx.conn,
            program,
            where,
            [card_ref(c) for c in req.cardInfos],
            req.headerInfo.programId,
            moves(req.addWalletContents),
        )
    except pos.BulkRefused as refused:
        card_results = []
        for number, problem in refused.problems:
            if problem is not None:
                f = failure_from_domain(TRANSACTION, problem)
                card_results.append(
                    m.BulkCardResult(
                        printedCardNumber=number,
                        result=f.result,
                        errorCode=f.code,
                        errorMessage=f.message,
                    )
                )
        failure = failure_from_domain(TRANSACTION, refused.first)
        failure.extra["cardResults"] = [c.model_dump(exclude_none=True) for c in card_results]
        raise failure from None
    return m.BulkAddReply(
        pxTransactionId=txn,
        cardResults=[
            m.BulkCardResult(printedCardNumber=n, result=TRANSACTION.success) for n, _ in results
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
)
async def void_bulk_activate_add(ctx: CallContext, req: m.PxTransactionRequest) -> m.BulkAddReply:
    """Undoes a whole bulk sale by its batch pxTransactionId."""
    program, where = await where_of(ctx, req.headerInfo)
    outcome = await undo.undo_by_id(
        ctx.conn,
        program,
        where,
        req.pxTransactionId,
        "voidBulkActivateAdd",
        only="bulkActivateAdd",
    )
    return m.BulkAddReply(pxTransactionId=outcome.transaction_id)
