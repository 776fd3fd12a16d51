"""Check Service: posting checks, which redeems, accrues and stores them, and reading a
stored check back.

Each value-moving call writes one ledger transaction of kind ``check`` per card (its
pxTransactionId is what transaction/reverse.json undoes). A check is keyed by store,
agentName, number and business date: it accrues once, redeems once and is stored once;
a repeat is refused with check.duplicate_check and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpxs.api.check import models as m
from openpxs.api.check.errors import B2B, CHECK, COUPONS, POST, REDEEM
from openpxs.api.check.replies import balances, breakdown, contents, receipt, stored_check
from openpxs.api.check.requests import card_check, redeem_asks, sent_check, stamp_of
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.check_plans import RedeemAsk
from openpxs.domain.errors import Reason
from openpxs.services import check_posting, stored_checks
from openpxs.wire.context import CallContext
from openpxs.wire.limits import CHECK_BODY_LIMIT
from openpxs.wire.registry import endpoint


async def _post(
    ctx: CallContext,
    req: m.CardCheckRequest,
    *,
    redeem: Sequence[RedeemAsk] = (),
    coupon_codes: Sequence[str] = (),
    accrue: bool,
    store: bool,
) -> m.PostAndAccrueReply:
    posted = await check_posting.post_check(
        ctx.uow,
        ctx.program,
        card_check(ctx, req),
        redeem=redeem,
        coupon_codes=coupon_codes,
        accrue=accrue,
        store=store,
    )
    plan = posted.plan
    return m.PostAndAccrueReply(
        pxTransactionId=posted.transaction_id,
        printedCardNumber=posted.card_number,
        customerName=posted.customer_name,
        tierCode=posted.tier_code,
        addWalletContents=contents(plan.added),
        redeemWalletContents=contents(plan.redeemed),
        walletBalances=balances(posted.view),
        ruleBreakdown=breakdown(plan.accrual),
        receiptText=receipt(ctx.program, plan),
    )


@endpoint(
    CHECK,
    "postAndAccruePointsWithRedeem",
    request=m.PostWithRedeemRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Commit a paid check: redeem its rewards and coupons, accrue, store it",
    errors=(*POST, *REDEEM, *COUPONS),
    moves_value=True,
)
async def post_and_accrue_points_with_redeem(
    ctx: CallContext, req: m.PostWithRedeemRequest
) -> m.PostAndAccrueReply:
    """One transaction: the rewards in redeemWalletContents come off the check (refused
    if any no longer applies), coupon uses are recorded, the rest of the check earns,
    and points that reach a conversion threshold become rewards."""
    return await _post(
        ctx,
        req,
        redeem=redeem_asks(req.redeemWalletContents),
        coupon_codes=list(req.couponCodes),
        accrue=True,
        store=True,
    )


@endpoint(
    CHECK,
    "postAndAccruePoints",
    request=m.PostRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Credit a check's points to the card and store the check",
    errors=POST,
    moves_value=True,
)
async def post_and_accrue_points(ctx: CallContext, req: m.PostRequest) -> m.PostAndAccrueReply:
    """computePointAccrual, addRedeem and post in one step; nothing is redeemed."""
    return await _post(ctx, req, accrue=True, store=True)


@endpoint(
    CHECK,
    "redeemOnly",
    request=m.RedeemOnlyRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Redeem rewards for a check without accruing or storing it",
    errors=(*POST, *REDEEM),
    moves_value=True,
)
async def redeem_only(ctx: CallContext, req: m.RedeemOnlyRequest) -> m.PostAndAccrueReply:
    """Accrual may follow with postAndAccruePoints on the same check."""
    return await _post(
        ctx, req, redeem=redeem_asks(req.redeemWalletContents), accrue=False, store=False
    )


@endpoint(
    CHECK,
    "multiPostAndAccruePoints",
    request=m.MultiPostRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.MultiPostAndAccrueReply,
    styles=B2B,
    summary="A split check: each card earns on the part it paid",
    errors=(*POST, Reason.AMOUNTS_EXCEED_CHECK_TOTAL),
    moves_value=True,
)
async def multi_post_and_accrue_points(
    ctx: CallContext, req: m.MultiPostRequest
) -> m.MultiPostAndAccrueReply:
    """Each card earns on the check scaled by amountPaid / total; one transaction per
    card, all or none. The cards' amounts may not add up to more than the total."""
    shares = await check_posting.post_split_check(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req, req.check),
        sent_check(req, req.check),
        [(card_ref(part.cardInfo), part.amountPaid) for part in req.cardAmounts],
        auto_activate=req.autoActivateCard,
    )
    return m.MultiPostAndAccrueReply(
        cardResults=[
            m.CardAccrualResult(
                printedCardNumber=share.card_number,
                pxTransactionId=share.transaction_id,
                addWalletContents=contents(share.plan.added),
            )
            for share in shares
        ]
    )


@endpoint(
    CHECK,
    "post",
    request=m.StoreCheckRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.SimpleReply,
    styles=B2B,
    summary="Store a check for troubleshooting and analytics; no balances move",
    errors=(Reason.INVALID_STORE, Reason.DUPLICATE_CHECK),
)
async def post(ctx: CallContext, req: m.StoreCheckRequest) -> m.SimpleReply:
    await check_posting.store_check(ctx.uow, ctx.program, sent_check(req, req.check), ctx.now)
    return m.SimpleReply()


@endpoint(
    CHECK,
    "check",
    method="GET",
    request=m.GetCheckRequest,
    reply=m.GetCheckReply,
    styles=B2B,
    summary="A stored check with the loyalty outcome recorded for it",
    errors=(Reason.CHECK_NOT_FOUND,),
)
async def get_check(ctx: CallContext, req: m.GetCheckRequest) -> m.GetCheckReply:
    """Found by store, check number and (optional) business date and agentName; the
    newest one when these match several."""
    found = await stored_checks.find_stored(
        ctx.uow,
        ctx.merchant_id,
        req.storeCode,
        req.checkNumber,
        business_date=req.businessDate.isoformat() if req.businessDate else None,
        agent_name=req.agentName,
    )
    return m.GetCheckReply(storedCheck=stored_check(found))
