"""Request and reply objects of the Coupon Service (coupon.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.services.coupons import Redemption
from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, ReplyModel, WireModel

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
    use case, so that a bad couponId is coupon.invalid_coupon_id, a bad date
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

    def redemption(self) -> Redemption:
        return Redemption(
            coupon_id=self.couponId,
            store_code=self.storeCode,
            redemption_datetime=self.redemptionDatetime,
            check_open_datetime=self.checkOpenDatetime,
            check_number=self.checkNumber or None,
            operator_id=self.operatorId,
            terminal_id=self.terminalId,
            card_number=self.printedCardNumber,
        )


class RedeemWallet(ReplyModel):
    """A wallet the coupon redeems from, and how much."""

    walletCode: int
    name: str | None = None
    quantity: DecimalOut | None = None


class ValidateCouponReply(ReplyModel):
    result: str = "success"
    couponId: int
    redeemWallet: RedeemWallet | None = None


class SimpleReply(ReplyModel):
    result: str = "success"
