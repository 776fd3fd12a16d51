"""Check Service: the endpoints that work a check out without changing anything."""

from __future__ import annotations

from openpxs.api.check import models as m
from openpxs.api.check.errors import B2B, CARD, CHECK, COUPONS, EVALUATE, REDEEM
from openpxs.api.check.replies import (
    balances,
    balances_after,
    breakdown,
    contents,
    discounts,
    receipt,
)
from openpxs.api.check.requests import card_check, redeem_asks, stamp_of
from openpxs.api.transaction.models import HeaderInfo
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.errors import Reason
from openpxs.services import check_evaluation
from openpxs.wire.context import CallContext
from openpxs.wire.limits import CHECK_BODY_LIMIT
from openpxs.wire.registry import endpoint


@endpoint(
    CHECK,
    "computePointAccrual",
    request=m.CardCheckRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.ComputePointAccrualReply,
    styles=B2B,
    summary="The transaction/addRedeem.json request that would credit a check's points",
    errors=EVALUATE,
)
async def compute_point_accrual(
    ctx: CallContext, req: m.CardCheckRequest
) -> m.ComputePointAccrualReply:
    """Nothing changes. The reply's addRedeemRequest can be sent as it is."""
    found = await check_evaluation.compute_point_accrual(ctx.uow, ctx.program, card_check(ctx, req))
    header = HeaderInfo(
        merchantId=ctx.merchant_id,
        storeCode=req.storeCode,
        operatorId=req.operator or "0",
        senderId="POS",
        programId="LP",
        terminalId=req.terminal,
        posTransactionId=req.check.number,
    )
    return m.ComputePointAccrualReply(
        addRedeemRequest=m.AddRedeemRequestOut(
            headerInfo=header,
            cardInfo={"printedCardNumber": found.card_number},
            addWalletContents=contents(found.plan.added),
            redeemWalletContents=[],
        ),
        receiptText=receipt(ctx.program, found.plan),
    )


@endpoint(
    CHECK,
    "computeApplicableRewards",
    request=m.ApplicableRewardsRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.ApplicableRewardsReply,
    styles=B2B,
    summary="The discounts the guest's rewards would give on the open check",
    errors=EVALUATE,
)
async def compute_applicable_rewards(
    ctx: CallContext, req: m.ApplicableRewardsRequest
) -> m.ApplicableRewardsReply:
    """Every reward the account holds that applies to this check, each unit as the
    discount it would give (as many units as the account holds and the reward allows
    per check). Rewards whose conditions the check does not meet are left out."""
    found = await check_evaluation.applicable_rewards_of(ctx.uow, ctx.program, card_check(ctx, req))
    return m.ApplicableRewardsReply(
        printedCardNumber=found.card_number,
        customerName=found.customer.name,
        tierCode=found.customer.tier_code,
        walletBalances=balances(found.view)
        if found.view
        else balances_after(ctx.program, found.template_code, {}),
        receiptText=receipt(ctx.program, found.plan),
        **discounts(found.plan),
    )


@endpoint(
    CHECK,
    "simulateAccrualAndRedemption",
    request=m.SimulateRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.SimulateReply,
    styles=B2B,
    summary="What committing the check now would redeem, earn and leave",
    errors=(*EVALUATE, *REDEEM, *COUPONS),
)
async def simulate_accrual_and_redemption(
    ctx: CallContext, req: m.SimulateRequest
) -> m.SimulateReply:
    """Nothing changes. Without redeemWalletContents the server picks every reward that
    applies, as computeApplicableRewards would."""
    found = await check_evaluation.simulate(
        ctx.uow,
        ctx.program,
        card_check(ctx, req),
        redeem=None if req.redeemWalletContents is None else redeem_asks(req.redeemWalletContents),
        coupon_codes=list(req.couponCodes),
        unit_items=[(i.itemId, i.name) for i in req.potentialUnitDiscountItems],
    )
    plan = found.plan
    return m.SimulateReply(
        potentialUnitDiscounts=[
            m.RewardDiscount(rewardName=name, discountAmount=str(amount), lineIds=[item])
            for item, name, amount in found.unit_discounts
        ],
        pointsToAccrue=contents(plan.added),
        walletBalances=balances_after(ctx.program, found.template_code, plan.balances_after),
        ruleBreakdown=breakdown(plan.accrual),
        receiptText=receipt(ctx.program, plan),
        **discounts(plan),
    )


@endpoint(
    CHECK,
    "simulateCoupon",
    request=m.SimulateCouponRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=m.SimulateReply,
    styles=B2B,
    summary="Whether a coupon code applies to the check, and the discount it gives",
    errors=(Reason.INVALID_STORE, *CARD, *COUPONS),
)
async def simulate_coupon(ctx: CallContext, req: m.SimulateCouponRequest) -> m.SimulateReply:
    """Nothing changes; the use is recorded when the check is committed. A coupon limited
    per account needs the cardInfo."""
    plan = await check_evaluation.simulate_coupon(
        ctx.uow,
        ctx.program,
        stamp_of(ctx, req, req.check),
        req.check.pos_check(),
        req.couponCode,
        card_ref(req.cardInfo) if req.cardInfo is not None else None,
    )
    return m.SimulateReply(receiptText=receipt(ctx.program, plan), **discounts(plan))
