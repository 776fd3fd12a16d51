"""Transaction Service: read-only lookups and configuration."""

from __future__ import annotations

from decimal import Decimal

from openpxs.api.transaction import models as m
from openpxs.api.transaction.errors import B2B, TRANSACTION
from openpxs.api.transaction.handlers import CARD
from openpxs.api.transaction.replies import card_ref, history_reply, stamp_of
from openpxs.domain.errors import InvalidRequest
from openpxs.domain.errors import Reason as R
from openpxs.services import history
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    TRANSACTION,
    "accountQuery",
    request=m.AccountQueryRequest,
    reply=m.AccountQueryReply,
    styles=B2B,
    summary="Look up guest accounts by phone etc.",
    errors=(R.INVALID_STORE,),
)
async def account_query(ctx: CallContext, req: m.AccountQueryRequest) -> m.AccountQueryReply:
    """Accounts whose registered guest matches every given field of any one query."""
    stamp_of(ctx, req.headerInfo)
    queries = [
        q.model_dump(exclude_none=True, exclude={"authentication"}) for q in req.accountQueries
    ]
    if not any(queries):
        raise InvalidRequest("each account query needs at least one field")
    found = await ctx.uow.guest_search.search(ctx.merchant_id, queries, req.pageSize)
    return m.AccountQueryReply(
        accounts=[
            m.AccountQueryResult(
                accountId=a.account_id, printedCardNumber=a.card_number, fieldValues=a.fields
            )
            for a in found
        ]
    )


@endpoint(
    TRANSACTION,
    "checkinsQuery",
    request=m.TransactionRequest,
    reply=m.CheckinsQueryReply,
    styles=B2B,
    summary="Guests checked in at this store",
    errors=(R.INVALID_STORE,),
)
async def checkins_query(ctx: CallContext, req: m.TransactionRequest) -> m.CheckinsQueryReply:
    """Mobile check-ins at headerInfo.storeCode that have not lapsed, newest first."""
    stamp = stamp_of(ctx, req.headerInfo)
    found = await ctx.uow.checkins.live_at(ctx.merchant_id, req.headerInfo.storeCode, stamp.now)
    return m.CheckinsQueryReply(
        checkins=[
            m.CheckinRecord(
                accountId=c.account_id,
                printedCardNumber=c.card_number,
                firstName=c.first_name,
                lastName=c.last_name,
                checkinDatetime=c.at.isoformat(),
                shortCardNumber=c.short_card_number,
                expirationTime=c.expires_at.isoformat(),
            )
            for c in found
        ]
    )


@endpoint(
    TRANSACTION,
    "transactionHistory",
    request=m.TransactionHistoryRequest,
    reply=m.TransactionHistoryReply,
    styles=B2B,
    summary="Transaction history of a card",
    errors=CARD,
)
async def transaction_history(
    ctx: CallContext, req: m.TransactionHistoryRequest
) -> m.TransactionHistoryReply:
    """The account's transactions, newest first, each with its per-wallet accrued and
    redeemed amounts and the balance after it. Dates are the merchant's local days."""
    stamp_of(ctx, req.headerInfo)
    entries = await history.history(
        ctx.uow,
        ctx.program,
        card_ref(req.cardInfo),
        req.dateStart or req.startDate,
        req.dateEnd or req.endDate,
        req.maxNumberOfResults,
        req.limitToBalanceAffectingTransactions,
    )
    return history_reply(ctx.program, entries, TRANSACTION.success)


# loadMap code lists (transaction.yaml leaves them open; see docs/api/transaction.md)
WALLET_TYPES = {"currency": 1, "points": 2, "reward": 3, "count": 4}
VALUE_TYPES = {"currency": 1, "points": 2, "reward": 1, "count": 2}


@endpoint(
    TRANSACTION,
    "loadMap",
    request=m.TransactionRequest,
    reply=m.LoadMapReply,
    styles=B2B,
    summary="Program configuration for the POS",
    errors=(R.INVALID_STORE,),
)
async def load_map(ctx: CallContext, req: m.TransactionRequest) -> m.LoadMapReply:
    """The merchant's wallets with their codes, names, scales and POS mappings.
    programId SV or LP narrows the list to that program; PX returns every wallet."""
    stamp_of(ctx, req.headerInfo)
    program = ctx.program
    wanted = req.headerInfo.programId
    wallets = [
        w
        for w in sorted(program.wallets.values(), key=lambda w: w.code)
        if wanted == "PX" or w.program == wanted
    ]

    def pos_int(value: object) -> int | None:
        return value if isinstance(value, int) else None

    return m.LoadMapReply(
        wallets=[
            m.WalletConfig(
                walletCode=w.code,
                walletName=w.name,
                walletType=WALLET_TYPES[w.kind],
                valueType=VALUE_TYPES[w.kind],
                valueAmount=Decimal(str(w.pos["valueAmount"])) if "valueAmount" in w.pos else None,
                scale=w.scale,
                posItemId=str(w.pos["posItemId"]) if "posItemId" in w.pos else None,
                discountObjectNumber=pos_int(w.pos.get("discountObjectNumber")),
                rewardType=pos_int(w.pos.get("rewardType")),
                productType=pos_int(w.pos.get("productType")),
                productId=pos_int(w.pos.get("productId")),
            )
            for w in wallets
        ]
    )


@endpoint(
    TRANSACTION,
    "status",
    request=m.StatusRequest,
    reply=m.StatusReply,
    styles=B2B,
    summary="Status ping",
)
async def status(ctx: CallContext, req: m.StatusRequest) -> m.StatusReply:
    """Answers authorizedSuccess when the service and the credentials work."""
    return m.StatusReply()
