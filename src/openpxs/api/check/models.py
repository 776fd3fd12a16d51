"""Request and reply objects of the Check Service (check.yaml): checks and their
replies, then the configuration reads (price-match discounts, reward details)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field

from openpxs.api.transaction.models import (
    CardInfo,
    HeaderInfo,
    WalletBalance,
    WalletContent,
    WalletContentOut,
)
from openpxs.domain.checks import PosCheck, PosDiscount, PosItem
from openpxs.wire.types import (
    ALSO_NUMERIC_STRING,
    FLEX_INT,
    DecimalOut,
    FlexInt,
    FlexStr,
    ReplyModel,
    WireModel,
)

# Amounts on a check: exact decimals, at most 4 places, never negative.
Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Count = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]
Text = Annotated[str, Field(max_length=200)]


def _category(value: Any) -> Any:
    # Clients send a category as an object or as its bare id.
    return {"categoryId": value} if isinstance(value, (str, int)) else value


class Category(WireModel):
    """A menu category an item belongs to."""

    categoryId: FlexStr = Field(min_length=1, max_length=64)
    name: Text | None = None


class CheckItem(WireModel):
    """One line of the check: an item sold."""

    lineId: FlexStr | None = Field(default=None, max_length=64)
    itemId: FlexStr = Field(
        min_length=1, max_length=64, validation_alias=AliasChoices("itemId", "itemCode")
    )
    name: Text | None = None
    categories: list[Annotated[Category, BeforeValidator(_category)]] = Field(
        default_factory=list, max_length=50
    )
    quantity: Count = Decimal(1)
    unitPrice: Amount | None = None
    price: Amount
    modifiers: list[CheckItem] = Field(default_factory=list, max_length=50)

    def pos_item(self) -> PosItem:
        return PosItem(
            line_id=self.lineId,
            item_id=self.itemId,
            categories=frozenset(c.categoryId for c in self.categories),
            quantity=self.quantity,
            price=self.price,
            modifiers=tuple(m.pos_item() for m in self.modifiers),
        )


class CheckDiscount(WireModel):
    """A discount the POS applied to the check."""

    name: Text | None = None
    amount: Amount
    lineId: FlexStr | None = Field(default=None, max_length=64)
    walletCode: FlexInt | None = None

    def pos_discount(self) -> PosDiscount:
        return PosDiscount(self.name, self.amount, self.lineId, self.walletCode)


class CheckPayment(WireModel):
    """One payment made on the check."""

    tenderType: FlexStr = Field(max_length=64)
    amount: Amount


class Check(WireModel):
    """A POS check: its items, discounts, payments and totals."""

    number: FlexStr = Field(min_length=1, max_length=64)
    openTime: FlexStr | None = Field(default=None, max_length=64)
    closeTime: FlexStr | None = Field(default=None, max_length=64)
    businessDate: date | None = None
    items: list[CheckItem] = Field(max_length=1000)
    discounts: list[CheckDiscount] = Field(default_factory=list, max_length=100)
    payments: list[CheckPayment] = Field(default_factory=list, max_length=100)
    subtotal: Amount
    serviceCharges: Amount = Decimal(0)
    tax: Amount = Decimal(0)
    total: Amount | None = None
    guestCount: FlexInt | None = None
    orderType: FlexStr | None = Field(default=None, max_length=64)

    def pos_check(self) -> PosCheck:
        return PosCheck(
            number=self.number,
            items=tuple(item.pos_item() for item in self.items),
            discounts=tuple(d.pos_discount() for d in self.discounts),
            subtotal=self.subtotal,
            service_charges=self.serviceCharges,
            tax=self.tax,
            total=self.total,
        )


class MerchantRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class CheckRequest(MerchantRequest):
    storeCode: FlexStr = Field(min_length=1, max_length=64)
    agentName: FlexStr | None = Field(default=None, max_length=100)
    terminal: FlexStr | None = Field(default=None, max_length=64)
    operator: FlexStr | None = Field(default=None, max_length=64)


class CardCheckRequest(CheckRequest):
    check: Check
    cardInfo: CardInfo
    autoActivateCard: bool = False


class ApplicableRewardsRequest(CardCheckRequest):
    rewardSelectionMode: dict[str, Any] | None = None


class PotentialUnitItem(WireModel):
    """An item that a per-unit reward could discount."""

    itemId: FlexStr = Field(min_length=1, max_length=64)
    name: Text | None = None
    categories: list[Annotated[Category, BeforeValidator(_category)]] = Field(
        default_factory=list, max_length=50
    )
    pricePerUnit: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]


class SimulateRequest(CardCheckRequest):
    redeemWalletContents: list[WalletContent] | None = Field(default=None, max_length=20)
    potentialUnitDiscountItems: list[PotentialUnitItem] = Field(default_factory=list, max_length=50)
    couponCodes: list[FlexStr] = Field(default_factory=list, max_length=10)


class SimulateCouponRequest(CheckRequest):
    check: Check
    couponCode: FlexStr = Field(min_length=1, max_length=64)
    cardInfo: CardInfo | None = None


class PostRequest(CardCheckRequest):
    integrationIdentifier: FlexStr | None = Field(default=None, max_length=200)
    receiptSettings: dict[str, Any] | None = None


class PostWithRedeemRequest(PostRequest):
    redeemWalletContents: list[WalletContent] = Field(default_factory=list, max_length=20)
    couponCodes: list[FlexStr] = Field(default_factory=list, max_length=10)


class RedeemOnlyRequest(CardCheckRequest):
    redeemWalletContents: list[WalletContent] = Field(min_length=1, max_length=20)


class CardAmount(WireModel):
    """A card and the amount of the check it pays for."""

    cardInfo: CardInfo
    amountPaid: Amount


class MultiPostRequest(CheckRequest):
    integrationIdentifier: FlexStr | None = Field(default=None, max_length=200)
    check: Check
    cardAmounts: list[CardAmount] = Field(min_length=1, max_length=20)
    autoActivateCard: bool = False


class StoreCheckRequest(CheckRequest):
    check: Check


class GetCheckRequest(CheckRequest):
    checkNumber: FlexStr = Field(min_length=1, max_length=64)
    businessDate: date | None = None


class AddRedeemRequestOut(ReplyModel):
    """The transaction addRedeem request that would post the check's redemptions."""

    headerInfo: HeaderInfo
    cardInfo: dict[str, Any]
    addWalletContents: list[WalletContentOut]
    redeemWalletContents: list[WalletContentOut]


class ComputePointAccrualReply(ReplyModel):
    result: str = "success"
    addRedeemRequest: AddRedeemRequestOut
    receiptText: str | None = None


class RewardDiscount(ReplyModel):
    """A reward applied to the check as a discount."""

    walletCode: int | None = None
    couponCode: str | None = None
    rewardName: str | None = None
    discountAmount: str
    lineIds: list[str] | None = None
    quantity: str | None = None


class RuleBreakdown(ReplyModel):
    """What one earning rule added to the account."""

    rule: str
    walletCode: int
    quantity: str
    detail: str


class Discounts(ReplyModel):
    itemDiscounts: list[RewardDiscount] = Field(default_factory=list)
    multiItemDiscounts: list[RewardDiscount] = Field(default_factory=list)
    subtotalDiscounts: list[RewardDiscount] = Field(default_factory=list)
    serviceChargeDiscounts: list[RewardDiscount] = Field(default_factory=list)


class ApplicableRewardsReply(Discounts):
    result: str = "success"
    printedCardNumber: str
    customerName: str | None = None
    tierCode: int | None = None
    walletBalances: list[WalletBalance]
    receiptText: str | None = None


class SimulateReply(Discounts):
    result: str = "success"
    potentialUnitDiscounts: list[RewardDiscount] = Field(default_factory=list)
    pointsToAccrue: list[WalletContentOut] = Field(default_factory=list)
    walletBalances: list[WalletBalance] | None = None
    ruleBreakdown: list[RuleBreakdown] = Field(default_factory=list)
    receiptText: str | None = None


class PostAndAccrueReply(ReplyModel):
    result: str = "success"
    pxTransactionId: int | None = None
    printedCardNumber: str | None = None
    customerName: str | None = None
    tierCode: int | None = None
    addWalletContents: list[WalletContentOut] = Field(default_factory=list)
    redeemWalletContents: list[WalletContentOut] = Field(default_factory=list)
    walletBalances: list[WalletBalance] = Field(default_factory=list)
    ruleBreakdown: list[RuleBreakdown] = Field(default_factory=list)
    receiptText: str | None = None


class CardAccrualResult(ReplyModel):
    """The outcome for one card of a multi-card check posting."""

    printedCardNumber: str
    result: str = "success"
    pxTransactionId: int | None = None
    addWalletContents: list[WalletContentOut] = Field(default_factory=list)


class MultiPostAndAccrueReply(ReplyModel):
    result: str = "success"
    cardResults: list[CardAccrualResult]


class SimpleReply(ReplyModel):
    result: str = "success"


class StoredCheck(ReplyModel):
    """A check as the server recorded it."""

    storeCode: str
    agentName: str | None = None
    check: dict[str, Any]
    printedCardNumber: str | None = None
    pxTransactionIds: list[int] = Field(default_factory=list)
    addWalletContents: list[WalletContentOut] = Field(default_factory=list)
    redeemWalletContents: list[WalletContentOut] = Field(default_factory=list)
    ruleBreakdown: list[RuleBreakdown] = Field(default_factory=list)
    postedDatetime: str


class GetCheckReply(ReplyModel):
    result: str = "success"
    storedCheck: StoredCheck


# --- configuration reads: price-match discounts and reward details ----------------------

# Amount off one unit (a gallon, a pound): positive, at most 4 places as every amount.
PerUnit = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
WalletCode = Annotated[int, Field(ge=1, le=2**31 - 1), FLEX_INT, ALSO_NUMERIC_STRING]
# One upload replaces the store's list; a store matches a few products, not thousands.
MAX_RECORDS = 1000


class PriceMatchDiscountRecord(WireModel):
    """A price-match discount to store."""

    itemId: FlexStr = Field(min_length=1, max_length=64)
    discountPerUnit: PerUnit
    # DateTime (encoding.yaml): ISO 8601; without a zone, the merchant's local time.
    startDatetime: FlexStr | None = Field(default=None, max_length=64)
    endDatetime: FlexStr | None = Field(default=None, max_length=64)
    # Filled in on replies; on an upload it must be the request's storeCode if sent.
    storeCode: FlexStr | None = Field(default=None, max_length=64)


class PostPriceMatchDiscountsRequest(MerchantRequest):
    storeCode: FlexStr = Field(min_length=1, max_length=64)
    priceMatchDiscounts: list[PriceMatchDiscountRecord] = Field(max_length=MAX_RECORDS)


class StorePriceMatchDiscountsRequest(MerchantRequest):
    storeCode: FlexStr = Field(min_length=1, max_length=64)


class AllPriceMatchDiscountsRequest(MerchantRequest):
    pass


class RewardDetailsRequest(MerchantRequest):
    # Repeated query parameter (walletCodes=3&walletCodes=5); absent = every reward.
    walletCodes: list[WalletCode] = Field(default_factory=list, max_length=100)


class CheckPostReply(ReplyModel):
    result: str = "success"


class PriceMatchDiscountOut(ReplyModel):
    """A price-match discount of a store."""

    itemId: str
    discountPerUnit: DecimalOut
    startDatetime: str | None = None
    endDatetime: str | None = None
    storeCode: str


class PriceMatchDiscountsReply(ReplyModel):
    result: str = "success"
    priceMatchDiscounts: list[PriceMatchDiscountOut]


class RewardDetail(ReplyModel):
    """A reward the guest may use on the check."""

    walletCode: int
    name: str
    description: str | None = None
    discountType: str | None = None
    discountAmount: DecimalOut | None = None
    discountPercent: DecimalOut | None = None


class RewardDetailsReply(ReplyModel):
    result: str = "success"
    rewards: list[RewardDetail]
