"""Request and reply objects of the Sale Service (sale.yaml)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.api.payment.models import Address, ChargeResponse, PaymentMethod
from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, RawDecimal, ReplyModel, WireModel

Text = Annotated[str, Field(max_length=200)]
Code = Annotated[str, Field(max_length=64)]
CardNumber = Annotated[str, Field(max_length=64)]


class Recipient(WireModel):
    """Who receives an item, and the gift message and day it is e-mailed on."""

    firstName: Text | None = None
    lastName: Text | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    message: Annotated[str, Field(max_length=2000)] | None = None
    deliveryDate: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="yyyy-mm-dd in the merchant's time zone; default today."
    )


class SaleItem(WireModel):
    """One line of an order: a design, the face value of each card and how many."""

    designCode: FlexStr | None = Field(default=None, max_length=64)
    amount: RawDecimal = None
    quantity: int | str | None = Field(default=None, description="Default 1.")
    recipient: Recipient | None = None


class Purchaser(WireModel):
    """Who buys: receives the receipt, and the cards bought without a recipient."""

    firstName: Text | None = None
    lastName: Text | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None


Items = Annotated[list[SaleItem], Field(max_length=100)]
Metadata = Annotated[dict[str, Annotated[str, Field(max_length=2000)]], Field(max_length=50)]


class SaleConfigRequest(GuestRequest):
    programType: Code | None = None
    cardTemplateCode: FlexInt | None = None
    tierCode: FlexInt | None = None


class AccountRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None


class SaleConfigForAccountRequest(AccountRequest):
    programType: Code | None = None


class LoyaltyCardSaleConfigRequest(GuestRequest):
    cardTemplateCode: FlexInt | None = None


PROGRAM_TYPE = "EGIFT (or another webSaleProgramType value)."
ITEMS = "The ordered items."
SHIPPING = "Code from the program's shippingMethods."


class CalculatePriceRequest(GuestRequest):
    programType: Code | None = Field(default=None, description=PROGRAM_TYPE)
    cardTemplateCode: FlexInt | None = None
    tierCode: FlexInt | None = None
    items: Items = Field(default_factory=list, description=ITEMS)
    shippingMethodCode: Code | None = Field(default=None, description=SHIPPING)


class CalculatePriceForAccountRequest(AccountRequest):
    programType: Code | None = Field(default=None, description=PROGRAM_TYPE)
    items: Items = Field(default_factory=list, description=ITEMS)
    shippingMethodCode: Code | None = Field(default=None, description=SHIPPING)


class RewardYourselfPointsRequest(AccountRequest):
    items: Items = Field(default_factory=list, description=ITEMS)


class ExecuteSaleRequest(CalculatePriceRequest):
    shippingAddress: Address | None = None
    purchaser: Purchaser | None = None
    billingAddress: Address | None = None
    paymentMethod: PaymentMethod | None = None
    expectedTotal: RawDecimal = None
    metadata: Metadata | None = None


SHIPPING_ADDRESS = "Where mailed cards go; required by a MAIL shipping method."
BILLING_ADDRESS = "The billing address of a new credit card (CC)."
EXPECTED_TOTAL = "The total shown to the guest; the sale is refused when the server's differs."
METADATA = "Passed to the card processor untouched."


class ExecuteSaleForAccountRequest(CalculatePriceForAccountRequest):
    shippingAddress: Address | None = Field(default=None, description=SHIPPING_ADDRESS)
    billingAddress: Address | None = Field(default=None, description=BILLING_ADDRESS)
    paymentMethod: PaymentMethod | None = None
    expectedTotal: RawDecimal = Field(default=None, description=EXPECTED_TOTAL)
    metadata: Metadata | None = Field(default=None, description=METADATA)


class ExecuteLoyaltyCardSaleRequest(GuestRequest):
    cardTemplateCode: FlexInt | None = None
    quantity: int | str | None = Field(default=None, description="Default 1.")
    designCode: FlexStr | None = Field(
        default=None, max_length=64, description="Code from the program's designs."
    )
    shippingMethodCode: Code | None = Field(default=None, description=SHIPPING)
    shippingAddress: Address | None = Field(default=None, description=SHIPPING_ADDRESS)
    purchaser: Purchaser | None = Field(default=None, description="Who buys the cards.")
    billingAddress: Address | None = Field(default=None, description=BILLING_ADDRESS)
    paymentMethod: PaymentMethod | None = Field(
        default=None, description="What pays: CC with a processor token."
    )
    expectedTotal: RawDecimal = Field(default=None, description=EXPECTED_TOTAL)


# --- replies


class SaleDesign(ReplyModel):
    """A picture the purchaser may choose for a card."""

    code: str = Field(description="The code to send as an item's designCode.")
    name: str | None = Field(default=None, description="The design's name, for the purchaser.")
    imageUrl: str = Field(description="Address of the design's picture.")


class ShippingMethod(ReplyModel):
    """A way the cards reach their recipients, and what it adds to the order."""

    code: str
    name: str
    deliveryType: Literal["EMAIL", "MAIL"]
    price: DecimalOut


class SaleDiscount(ReplyModel):
    """A discount on each item (ITEM) or on the whole order (ORDER)."""

    description: str
    scope: Literal["ITEM", "ORDER"]
    type: Literal["PERCENT", "AMOUNT"]
    value: DecimalOut
    minimumAmount: DecimalOut | None = None


class Program(ReplyModel):
    """A sale program: what it sells, for how much, and how it is delivered and paid."""

    programType: str
    name: str
    cardTemplateCode: int
    minAmount: DecimalOut | None = None
    maxAmount: DecimalOut | None = None
    amounts: list[DecimalOut] = Field(default_factory=list)
    maxQuantity: int | None = None
    designs: list[SaleDesign] = Field(default_factory=list)
    shippingMethods: list[ShippingMethod]
    paymentMethods: list[str]
    discounts: list[SaleDiscount] = Field(default_factory=list)
    messageMaxLength: int | None = None
    pointsPerCurrencyUnit: DecimalOut | None = Field(
        default=None, description="REWARD_YOURSELF: points one unit of face value costs."
    )


class SaleConfigReply(ReplyModel):
    result: str = "success"
    program: Program


class SaleConfigsReply(ReplyModel):
    result: str = "success"
    programs: list[Program] = Field(description="Every program offered to the account.")


class PricedSaleItem(ReplyModel):
    """One line of an order, priced: item discounts taken off."""

    designCode: str | None = None
    amount: DecimalOut
    quantity: int
    discount: DecimalOut
    price: DecimalOut


class SaleSummary(ReplyModel):
    """An order priced: its lines, discounts, shipping and the total charged."""

    items: list[PricedSaleItem]
    subtotal: DecimalOut
    orderDiscount: DecimalOut
    shippingCost: DecimalOut
    total: DecimalOut
    totalPoints: DecimalOut | None = Field(
        default=None, description="REWARD_YOURSELF: the points the order costs (or cost)."
    )


class CalculatePriceReply(ReplyModel):
    result: str = "success"
    saleSummary: SaleSummary = Field(description="The order, priced.")


class ExecuteSaleReply(ReplyModel):
    result: str = "success"
    orderNumber: str
    saleSummary: SaleSummary
    chargeResponse: ChargeResponse | None = None


class RewardYourselfPointsReply(ReplyModel):
    result: str = "success"
    pointsRequired: DecimalOut | None = Field(
        default=None, description="Points the items cost, rounded up to the wallet's decimals."
    )
    pointsBalance: DecimalOut | None = Field(
        default=None, description="The account's spendable points in that wallet now."
    )
    walletCode: int | None = Field(default=None, description="The points wallet spent.")
