"""Guest Service: an account's transaction history and the comment of one transaction."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import BY_CARD, BY_ID, GUEST
from openpxs.api.transaction.models import TransactionHistoryReply
from openpxs.api.transaction.replies import history_reply
from openpxs.domain.errors import Reason as R
from openpxs.services import history
from openpxs.services.annotations import annotation
from openpxs.services.guest_access import AccountRef, account_by_card, account_by_id
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


async def _history(
    ctx: CallContext, ref: AccountRef, req: m.HistoryFilters
) -> TransactionHistoryReply:
    entries = await history.account_history(
        ctx.uow,
        ctx.program,
        ref.account_id,
        ref.card_number,
        req.dateStart or req.startDate,
        req.dateEnd or req.endDate,
        req.maxNumberOfResults,
        only_balance_affecting=False,
    )
    return history_reply(ctx.program, entries, GUEST.success)


@endpoint(
    GUEST,
    "transactionHistory",
    method="GET",
    request=m.HistoryByCardRequest,
    reply=TransactionHistoryReply,
    styles=BY_CARD,
    summary="The account's transactions, newest first, with walletInfo",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def transaction_history(
    ctx: CallContext, req: m.HistoryByCardRequest
) -> TransactionHistoryReply:
    """Dates are the merchant's local days; startDate/dateStart and endDate/dateEnd are
    both accepted."""
    return await _history(ctx, await account_by_card(ctx, req.printedCardNumber), req)


@endpoint(
    GUEST,
    "transactionHistoryById",
    method="GET",
    request=m.HistoryByIdRequest,
    reply=TransactionHistoryReply,
    styles=BY_ID,
    summary="Transaction history of an account by its id",
    errors=(R.ACCOUNT_NOT_FOUND,),
    scope="account_read",
)
async def transaction_history_by_id(
    ctx: CallContext, req: m.HistoryByIdRequest
) -> TransactionHistoryReply:
    return await _history(ctx, await account_by_id(ctx, req.accountId), req)


@endpoint(
    GUEST,
    "transactionAnnotation",
    method="GET",
    request=m.AnnotationRequest,
    reply=m.TransactionAnnotationReply,
    styles=BY_ID,
    summary="The comment of one history transaction",
    errors=(R.TRANSACTION_NOT_FOUND, R.CARD_NOT_FOUND, R.ACCOUNT_NOT_FOUND),
    scope="account_read",
)
async def transaction_annotation(
    ctx: CallContext, req: m.AnnotationRequest
) -> m.TransactionAnnotationReply:
    """The account is named by printedCardNumber (preferred) or accountId. The
    transaction must be one the account's history lists; annotation is left out when
    the transaction has no comment (its hasVisibleComment is false)."""
    if req.printedCardNumber:
        ref = await account_by_card(ctx, req.printedCardNumber)
    else:
        ref = await account_by_id(ctx, req.accountId)
    return m.TransactionAnnotationReply(annotation=await annotation(ctx, ref, req.transactionId))
