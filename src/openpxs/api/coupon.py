"""Coupon Service (coupon.yaml): validate a coupon code, record and void its uses.

The coupon rules (dates, stores, usage limits) are the Check Service's
(``services.checks.find_coupon`` / ``check_coupon`` / ``coupon_uses_count``), so a
coupon this service accepts is one check/simulateCoupon.json accepts and the two count
the same uses. Each step checks only what it can know: validation without a card
cannot check the per-account limit, without a store it cannot check the store list,
and recording a use that already happened does not look at the coupon's dates.

Uses live in ``coupon_uses``; a void sets ``voided_at``, which gives the use back to
the limits. Balances never move here: the reward is applied by the POS or by the
check and transaction services.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import insert, select, update

from openpxs.config.loyalty import Coupon
from openpxs.domain.cards import Card
from openpxs.domain.errors import AlreadyVoided, CardNotActive, CardNotFound, Reason, Refused
from openpxs.domain.program import Program
from openpxs.services.checks import check_coupon, find_coupon, lock_coupon_uses
from openpxs.store.tables import coupon_uses
from openpxs.store.uow import UnitOfWork
from openpxs.wire.context import CallContext
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, ReplyModel, WireModel

COUPON = Service(
    name="coupon",
    title="Coupon Service",
    success="success",
    refusals=table(
        "coupon",
        {
            Reason.SYSTEM_ERROR: "System error",
            # Not in coupon.yaml: a merchantId that is missing or not a number.
            Reason.INVALID_REQUEST: "Invalid request",
            Reason.INVALID_MERCHANT: "Invalid merchant",
            Reason.INVALID_STORE: "Invalid store",
            Reason.INVALID_DATETIME: "Invalid date/time",
            Reason.CHECK_NUMBER_REQUIRED: "Check number is required",
            Reason.ALREADY_VOIDED: "Coupon usage already voided",
        },
        special={
            Reason.INVALID_COUPON: WireError("coupon.invalid_code", "Invalid coupon code"),
            Reason.COUPON_NOT_FOUND: WireError("coupon.invalid_coupon_id", "Invalid coupon"),
            Reason.COUPON_NOT_YET_VALID: WireError("coupon.not_active", "Coupon is not active"),
            Reason.COUPON_EXPIRED: WireError("coupon.expired", "Coupon has expired"),
            Reason.COUPON_NOT_AT_STORE: WireError("coupon.invalid_store", "Invalid store"),
            Reason.COUPON_USED_UP: WireError(
                "coupon.usage_limit_reached", "Coupon usage limit reached"
            ),
            Reason.CARD_NOT_FOUND: WireError("coupon.invalid_card", "Invalid card"),
            Reason.CARD_NOT_ACTIVE: WireError("coupon.invalid_card", "Invalid card"),
            Reason.COUPON_USE_NOT_FOUND: WireError(
                "coupon.usage_not_found", "Coupon usage not found"
            ),
        },
        # Its operations do not declare their refusals yet.
        declared=False,
    ),
)
B2B = ("b2b",)

# The documented form of redemptionDatetime and checkOpenDatetime.
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


Id = Field(default=None, max_length=64)


class _CouponRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class ValidateCouponRequest(_CouponRequest):
    # Absent or empty is an unknown code (coupon.invalid_code), not a malformed request.
    couponCode: FlexStr = Field(default="", max_length=64)
    storeCode: FlexStr | None = Id
    printedCardNumber: FlexStr | None = Id


class CouponRedemptionInfo(_CouponRequest):
    """The documented request object of recordCouponUsage and voidCouponUsage.

    Members with a refusal code of their own are read loosely here and checked by the
    handler, so that a bad couponId is coupon.invalid_coupon_id, a bad date
    coupon.invalid_datetime, and so on, rather than a generic invalid request.
    """

    couponId: int | str | None = None
    storeCode: FlexStr | None = Id
    redemptionDatetime: FlexStr | None = Id
    checkOpenDatetime: FlexStr | None = Id
    # Documented as Int; POS operator ids are often alphanumeric (transaction.yaml).
    operatorId: FlexStr | None = Id
    terminalId: FlexStr | None = Id
    checkNumber: FlexStr | None = Id
    integrationId: FlexInt | None = None
    printedCardNumber: FlexStr | None = Id


class RedeemWallet(ReplyModel):
    walletCode: int
    name: str | None = None
    quantity: DecimalOut | None = None


class ValidateCouponReply(ReplyModel):
    result: str = "success"
    couponId: int
    redeemWallet: RedeemWallet | None = None


class SimpleReply(ReplyModel):
    result: str = "success"


def _errors(*reasons: str) -> tuple[str, ...]:
    return tuple(f"coupon.{reason}" for reason in ("system_error", *reasons))


# --- the shared coupon rules, step by step ---------------------------------------------


async def _enforce(
    uow: UnitOfWork,
    program: Program,
    coupon: Coupon,
    store_code: str | None,
    account_id: int | None,
    now: datetime,
    *,
    dates: bool,
) -> None:
    """``check_coupon`` on the coupon's rules that this step can judge."""
    judged = coupon.model_copy(
        update={
            "valid_from": coupon.valid_from if dates else None,
            "valid_until": coupon.valid_until if dates else None,
            "stores": coupon.stores if store_code is not None else [],
            "per_account_limit": coupon.per_account_limit if account_id is not None else None,
        }
    )
    await check_coupon(uow, program, judged, store_code, account_id, now)


def _coupon_by_id(program: Program, raw: int | str | None) -> Coupon:
    wanted: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        wanted = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        # Coupon ids are Integers; a longer digit string names no coupon.
        wanted = int(raw.strip()) if len(raw.strip()) <= 10 else None
    for coupon in program.loyalty.coupons:
        if coupon.id == wanted:
            return coupon
    raise Refused(Reason.COUPON_NOT_FOUND, f"no coupon has the id {raw!r}")


def _store(program: Program, store_code: str | None) -> str:
    if not store_code or store_code not in program.stores:
        raise Refused(Reason.INVALID_STORE, f"{store_code!r} is not a store of this merchant")
    return store_code


def _datetime(value: str | None, member: str) -> str:
    """The value itself (stored as sent, so a resend matches it exactly), once it is
    known to be a real yyyy-MM-ddTHH:mm:ss time."""
    text = (value or "").strip()
    try:
        if not DATETIME.match(text):
            raise ValueError
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise Refused(Reason.INVALID_DATETIME, f"{member} must be yyyy-MM-ddTHH:mm:ss") from None
    return text


async def _card(uow: UnitOfWork, merchant_id: int, number: str | None) -> Card | None:
    """The active card a use is linked to, when the caller names one."""
    if not number:
        return None
    card = await uow.cards.find(merchant_id, number.strip())
    if card is None:
        raise CardNotFound("no card has this number")
    if not card.is_active:
        raise CardNotActive(f"the card is {card.status}")
    return card


# --- endpoints -------------------------------------------------------------------------


@endpoint(
    COUPON,
    "validateCouponUsage",
    method="GET",
    request=ValidateCouponRequest,
    reply=ValidateCouponReply,
    styles=B2B,
    summary="Validate a coupon code",
    errors=_errors("invalid_code", "not_active", "expired", "usage_limit_reached", "invalid_store"),
)
async def validate_coupon_usage(
    ctx: CallContext, req: ValidateCouponRequest
) -> ValidateCouponReply:
    """Finds the merchant's coupon with this code (case-insensitive) and checks that it
    is valid today, at storeCode when given, and has uses left (for printedCardNumber's
    account when given). Read-only: validating does not use the coupon up."""
    program = ctx.program
    coupon = find_coupon(program, req.couponCode)
    store = _store(program, req.storeCode) if req.storeCode else None
    card = await _card(ctx.uow, ctx.merchant_id, req.printedCardNumber)
    account_id = card.account_id if card else None
    await _enforce(ctx.uow, program, coupon, store, account_id, ctx.now, dates=True)
    return ValidateCouponReply(couponId=coupon.id, redeemWallet=_redeem_wallet(program, coupon))


def _redeem_wallet(program: Program, coupon: Coupon) -> RedeemWallet | None:
    """The coupon's reward: one unit of its wallet, when the coupon names one."""
    if coupon.wallet is None:
        return None
    wallet = program.wallets.get(coupon.wallet)
    if wallet is None:
        return RedeemWallet(walletCode=coupon.wallet)
    return RedeemWallet(
        walletCode=wallet.code,
        name=wallet.name,
        quantity=Decimal(1).quantize(Decimal(1).scaleb(-wallet.scale)),
    )


@endpoint(
    COUPON,
    "recordCouponUsage",
    request=CouponRedemptionInfo,
    reply=SimpleReply,
    styles=B2B,
    summary="Record a use of a coupon",
    errors=_errors(
        "invalid_coupon_id", "invalid_store", "invalid_datetime", "usage_limit_reached",
        "invalid_card",
    ),
)  # fmt: skip
async def record_coupon_usage(ctx: CallContext, req: CouponRedemptionInfo) -> SimpleReply:
    """Stores one use of the coupon at storeCode, linked to printedCardNumber's account
    when given, within the coupon's usage limits. Resending the same couponId,
    storeCode, checkNumber and redemptionDatetime answers success and counts once."""
    program = ctx.program
    coupon = _coupon_by_id(program, req.couponId)
    store = _store(program, req.storeCode)
    redeemed_at = _datetime(req.redemptionDatetime, "redemptionDatetime")
    opened_at = _datetime(req.checkOpenDatetime, "checkOpenDatetime")
    card = await _card(ctx.uow, ctx.merchant_id, req.printedCardNumber)
    check_number = req.checkNumber or None
    await lock_coupon_uses(ctx.uow, ctx.merchant_id)
    if await _standing_use_exists(
        ctx.uow, ctx.merchant_id, coupon.id, store, check_number, redeemed_at
    ):
        return SimpleReply()
    account_id = card.account_id if card else None
    await _enforce(ctx.uow, program, coupon, store, account_id, ctx.now, dates=False)
    await ctx.uow.conn.execute(
        insert(coupon_uses).values(
            merchant_id=ctx.merchant_id,
            coupon_id=coupon.id,
            account_id=account_id,
            printed_card_number=card.number if card else None,
            store_code=store,
            check_number=check_number,
            redemption_datetime=redeemed_at,
            check_open_datetime=opened_at,
            operator_id=req.operatorId,
            terminal_id=req.terminalId,
            created_at=ctx.now,
        )
    )
    return SimpleReply()


async def _standing_use_exists(
    uow: UnitOfWork,
    merchant_id: int,
    coupon_id: int,
    store: str,
    check_number: str | None,
    redeemed_at: str,
) -> bool:
    """A resend of a use already recorded and not voided (a use recorded without a
    check number is matched on its missing check number)."""
    same_check = (
        coupon_uses.c.check_number.is_(None)
        if check_number is None
        else coupon_uses.c.check_number == check_number
    )
    row = (
        await uow.conn.execute(
            select(coupon_uses.c.id)
            .where(
                coupon_uses.c.merchant_id == merchant_id,
                coupon_uses.c.coupon_id == coupon_id,
                coupon_uses.c.store_code == store,
                same_check,
                coupon_uses.c.redemption_datetime == redeemed_at,
                coupon_uses.c.voided_at.is_(None),
            )
            .limit(1)
        )
    ).first()
    return row is not None


@endpoint(
    COUPON,
    "voidCouponUsage",
    request=CouponRedemptionInfo,
    reply=SimpleReply,
    styles=B2B,
    summary="Void a recorded use of a coupon",
    errors=_errors(
        "invalid_coupon_id", "check_number_required", "usage_not_found", "already_voided",
        "invalid_datetime",
    ),
)  # fmt: skip
async def void_coupon_usage(ctx: CallContext, req: CouponRedemptionInfo) -> SimpleReply:
    """Marks the recorded use with the same coupon, store, check number and check open
    time as voided, which gives the use back to the coupon's limits. When several
    uses match, the one with the same redemptionDatetime goes first, else the newest."""
    program = ctx.program
    coupon = _coupon_by_id(program, req.couponId)
    if not req.checkNumber:
        raise Refused(Reason.CHECK_NUMBER_REQUIRED, "a use can only be voided by its check number")
    redeemed_at = _datetime(req.redemptionDatetime, "redemptionDatetime")
    opened_at = _datetime(req.checkOpenDatetime, "checkOpenDatetime")
    await lock_coupon_uses(ctx.uow, ctx.merchant_id)
    uses = (
        await ctx.uow.conn.execute(
            select(coupon_uses.c.id, coupon_uses.c.redemption_datetime, coupon_uses.c.voided_at)
            .where(
                coupon_uses.c.merchant_id == ctx.merchant_id,
                coupon_uses.c.coupon_id == coupon.id,
                coupon_uses.c.store_code == (req.storeCode or ""),
                coupon_uses.c.check_number == req.checkNumber,
                coupon_uses.c.check_open_datetime == opened_at,
            )
            .order_by(coupon_uses.c.id.desc())
        )
    ).all()
    if not uses:
        raise Refused(Reason.COUPON_USE_NOT_FOUND)
    standing = [use for use in uses if use.voided_at is None]
    if not standing:
        raise AlreadyVoided()
    target: Any = next((u for u in standing if u.redemption_datetime == redeemed_at), standing[0])
    await ctx.uow.conn.execute(
        update(coupon_uses)
        .where(coupon_uses.c.merchant_id == ctx.merchant_id, coupon_uses.c.id == target.id)
        .values(voided_at=ctx.now)
    )
    return SimpleReply()
