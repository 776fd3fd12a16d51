"""Coupon Service (coupon.yaml): validate a coupon code, record and void its uses.

The coupon rules (dates, stores, usage limits) are the Check Service's
(``services.coupons``), so a coupon this service accepts is one
check/simulateCoupon.json accepts and the two count the same uses. Balances never move
here: the reward is applied by the POS or by the check and transaction services.
"""

from __future__ import annotations

from decimal import Decimal

from openpxs.api.coupon import models as m
from openpxs.api.coupon.errors import B2B, CARD, COUPON, STORE
from openpxs.config.loyalty import Coupon
from openpxs.domain.errors import Reason
from openpxs.domain.program import Program
from openpxs.services import coupons
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _redeem_wallet(program: Program, coupon: Coupon) -> m.RedeemWallet | None:
    """The coupon's reward: one unit of its wallet, when the coupon names one."""
    if coupon.wallet is None:
        return None
    wallet = program.wallets.get(coupon.wallet)
    if wallet is None:
        return m.RedeemWallet(walletCode=coupon.wallet)
    return m.RedeemWallet(
        walletCode=wallet.code,
        name=wallet.name,
        quantity=Decimal(1).quantize(Decimal(1).scaleb(-wallet.scale)),
    )


@endpoint(
    COUPON,
    "validateCouponUsage",
    method="GET",
    request=m.ValidateCouponRequest,
    reply=m.ValidateCouponReply,
    styles=B2B,
    summary="Validate a coupon code",
    errors=(
        Reason.INVALID_COUPON,
        Reason.COUPON_NOT_YET_VALID,
        Reason.COUPON_EXPIRED,
        Reason.COUPON_USED_UP,
        *STORE,
        *CARD,
    ),
)
async def validate_coupon_usage(
    ctx: CallContext, req: m.ValidateCouponRequest
) -> m.ValidateCouponReply:
    """Finds the merchant's coupon with this code (case-insensitive) and checks that it
    is valid today, at storeCode when given, and has uses left (for printedCardNumber's
    account when given). Read-only: validating does not use the coupon up."""
    coupon = await coupons.validate_usage(ctx, req.couponCode, req.storeCode, req.printedCardNumber)
    return m.ValidateCouponReply(
        couponId=coupon.id, redeemWallet=_redeem_wallet(ctx.program, coupon)
    )


@endpoint(
    COUPON,
    "recordCouponUsage",
    request=m.CouponRedemptionInfo,
    reply=m.SimpleReply,
    styles=B2B,
    summary="Record a use of a coupon",
    errors=(
        Reason.COUPON_NOT_FOUND,
        Reason.INVALID_DATETIME,
        Reason.COUPON_USED_UP,
        *STORE,
        *CARD,
    ),
)
async def record_coupon_usage(ctx: CallContext, req: m.CouponRedemptionInfo) -> m.SimpleReply:
    """Stores one use of the coupon at storeCode, linked to printedCardNumber's account
    when given, within the coupon's usage limits. Resending the same couponId,
    storeCode, checkNumber and redemptionDatetime answers success and counts once."""
    await coupons.record_usage(ctx, req.redemption())
    return m.SimpleReply()


@endpoint(
    COUPON,
    "voidCouponUsage",
    request=m.CouponRedemptionInfo,
    reply=m.SimpleReply,
    styles=B2B,
    summary="Void a recorded use of a coupon",
    errors=(
        Reason.COUPON_NOT_FOUND,
        Reason.CHECK_NUMBER_REQUIRED,
        Reason.COUPON_USE_NOT_FOUND,
        Reason.ALREADY_VOIDED,
        Reason.INVALID_DATETIME,
    ),
)
async def void_coupon_usage(ctx: CallContext, req: m.CouponRedemptionInfo) -> m.SimpleReply:
    """Marks the recorded use with the same coupon, store, check number and check open
    time as voided, which gives the use back to the coupon's limits. When several
    uses match, the one with the same redemptionDatetime goes first, else the newest."""
    await coupons.void_usage(ctx, req.redemption())
    return m.SimpleReply()
