"""Request and reply objects of the Check Service's configuration endpoints:
price-match discounts and reward details (check.yaml)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from openpxs.wire.types import (
    ALSO_NUMERIC_STRING,
    FLEX_INT,
    DecimalOut,
    FlexInt,
    FlexStr,
    ReplyModel,
    WireModel,
)

# Amount off one unit (a gallon, a pound): positive, at most 4 places as every amount.
PerUnit = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
WalletCode = Annotated[int, Field(ge=1, le=2**31 - 1), FLEX_INT, ALSO_NUMERIC_STRING]
# One upload replaces the store's list; a store matches a few products, not thousands.
MAX_RECORDS = 1000


class _MerchantRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class PriceMatchDiscountRecord(WireModel):
    itemId: FlexStr = Field(min_length=1, max_length=64)
    discountPerUnit: PerUnit
    # DateTime (encoding.yaml): ISO 8601; without a zone, the merchant's local time.
    startDatetime: FlexStr | None = Field(default=None, max_length=64)
    endDatetime: FlexStr | None = Field(default=None, max_length=64)
    # Filled in on replies; on an upload it must be the request's storeCode if sent.
    storeCode: FlexStr | None = Field(default=None, max_length=64)


class PostPriceMatchDiscountsRequest(_MerchantRequest):
    storeCode: FlexStr = Field(min_length=1, max_length=64)
    priceMatchDiscounts: list[PriceMatchDiscountRecord] = Field(max_length=MAX_RECORDS)


class StorePriceMatchDiscountsRequest(_MerchantRequest):
    storeCode: FlexStr = Field(min_length=1, max_length=64)


class AllPriceMatchDiscountsRequest(_MerchantRequest):
    pass


class RewardDetailsRequest(_MerchantRequest):
    # Repeated query parameter (walletCodes=3&walletCodes=5); absent = every reward.
    walletCodes: list[WalletCode] = Field(default_factory=list, max_length=100)


class CheckPostReply(ReplyModel):
    result: str = "success"


class PriceMatchDiscountOut(ReplyModel):
    itemId: str
    discountPerUnit: DecimalOut
    startDatetime: str | None = None
    endDatetime: str | None = None
    storeCode: str


class PriceMatchDiscountsReply(ReplyModel):
    result: str = "success"
    priceMatchDiscounts: list[PriceMatchDiscountOut]


class RewardDetail(ReplyModel):
    walletCode: int
    name: str
    description: str | None = None
    discountType: str | None = None
    discountAmount: DecimalOut | None = None
    discountPercent: DecimalOut | None = None


class RewardDetailsReply(ReplyModel):
    result: str = "success"
    rewards: list[RewardDetail]
