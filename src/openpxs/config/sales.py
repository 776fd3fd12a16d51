"""Sale programs in a merchant's program file: the web store's eGift (and loyalty card)
offers, under ``payments.sales``.

Each program sells cards of one card template: face values within limits (or from a
list of presets), designs to choose from, item and order discounts, and the ways the
cards reach their recipients (by e-mail on a chosen day, or by mail). The codes written
here are the ones clients read from sale/saleConfig.json and send back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _money_text(value: object) -> object:
    # A YAML float such as 5.10 has already lost its written form; insist on text.
    if isinstance(value, float):
        raise ValueError(f"write the amount in quotes, e.g. '{value:.2f}'")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, le=Decimal("1000000"), max_digits=11, decimal_places=2),
]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
SaleProgramType = Literal["EGIFT", "REWARD_YOURSELF", "LOYALTY_CARD"]
PointsRate = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(gt=0, le=Decimal("100000"), max_digits=11, decimal_places=4),
]


class SaleDesignConfig(_Model):
    """A picture the purchaser may choose for a card."""

    code: Code
    """Code clients send as designCode."""
    name: Annotated[str, Field(min_length=1, max_length=100)]
    """Name shown to the purchaser."""
    image_url: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^https?://")]
    """Address of the design's picture."""


class ShippingMethodConfig(_Model):
    """How the cards of an order reach their recipients."""

    code: Code
    """Code clients send as shippingMethodCode."""
    name: Annotated[str, Field(min_length=1, max_length=100)]
    """Name shown to the purchaser."""
    delivery_type: Literal["EMAIL", "MAIL"]
    """EMAIL: each recipient receives the card by e-mail on its delivery date; MAIL: the
    cards are posted to the shipping address."""
    price: Money = Decimal("0.00")
    """What the method adds to an order, in quotes."""


class SaleDiscountConfig(_Model):
    """A discount on each item (ITEM) or on the whole order (ORDER)."""

    description: Annotated[str, Field(min_length=1, max_length=200)]
    """Text shown to the purchaser."""
    scope: Literal["ITEM", "ORDER"]
    """ITEM discounts apply to each line first, ORDER discounts to the subtotal after."""
    type: Literal["PERCENT", "AMOUNT"]
    """PERCENT of the price, or a fixed AMOUNT off (per unit for ITEM)."""
    value: Money
    """The percentage (e.g. '10') or the amount, in quotes."""
    minimum_amount: Money = Decimal("0.00")
    """Face value of the unit (ITEM) or subtotal (ORDER) from which the discount applies."""

    @model_validator(mode="after")
    def _percent(self) -> SaleDiscountConfig:
        if self.type == "PERCENT" and self.value > 100:
            raise ValueError("a PERCENT discount cannot exceed 100")
        return self


class EmailDeliveryConfig(_Model):
    """The e-mail that delivers an emailed card to its recipient."""

    subject: Annotated[str, Field(min_length=1, max_length=150)] = "You have received a gift card"
    """Subject line of the delivery e-mail."""
    claim_link: Annotated[str, Field(max_length=500)] | None = None
    """Page where a recipient adds the card to their account; {merchant} is replaced."""


class SaleProgramConfig(_Model):
    """One program of the web store: what is sold, for how much, and how it is delivered."""

    type: SaleProgramType
    """EGIFT: stored value cards loaded with the chosen amount; REWARD_YOURSELF: the
    same, paid with a signed-in guest's points instead of a card; LOYALTY_CARD: loyalty
    cards at a fixed price, reserved for fulfilment."""
    name: Annotated[str, Field(min_length=1, max_length=100)]
    """Name of the program shown to purchasers."""
    active: bool = True
    """An inactive program is listed as such and sells nothing."""
    card_template: int = Field(gt=0)
    """Code of the card template the sold cards are issued from."""
    offered_to: list[int] = Field(default_factory=list, max_length=50)
    """Card templates of the guests the program is offered to (the cardTemplateCode of
    sale/saleConfig.json, or a signed-in guest's card); empty: every guest."""
    wallet: int | None = Field(default=None, gt=0)
    """Currency wallet loaded with each card's face value (EGIFT, REWARD_YOURSELF); for
    REWARD_YOURSELF also the wallet of the purchaser's own card an item without a
    recipient is added to."""
    points_wallet: int | None = Field(default=None, gt=0)
    """Points wallet the purchaser spends (REWARD_YOURSELF)."""
    points_per_currency_unit: PointsRate | None = None
    """Points one unit of currency (one dollar) of face value costs (REWARD_YOURSELF), in
    quotes; an order's points are rounded up to the points wallet's decimals."""
    store: Annotated[str, Field(min_length=1, max_length=64)]
    """Store the sales are recorded at (usually the online store)."""
    min_amount: Money = Decimal("10.00")
    """Smallest face value of one card (EGIFT)."""
    max_amount: Money = Decimal("500.00")
    """Largest face value of one card (EGIFT)."""
    amounts: list[Money] = Field(default_factory=list, max_length=20)
    """Preset face values; empty means any value from min_amount to max_amount."""
    price: Money | None = None
    """Price of one card (LOYALTY_CARD)."""
    max_quantity: int = Field(default=10, ge=1, le=100)
    """Most cards in one order."""
    message_max_length: int = Field(default=250, ge=0, le=2000)
    """Longest gift message."""
    designs: list[SaleDesignConfig] = Field(default_factory=list, max_length=50)
    """Designs to choose from; when there are some, each item must name one."""
    discounts: list[SaleDiscountConfig] = Field(default_factory=list, max_length=20)
    """Item and order discounts."""
    shipping_methods: list[ShippingMethodConfig] = Field(min_length=1, max_length=20)
    """Ways the cards reach their recipients (at least one)."""
    email: EmailDeliveryConfig = Field(default_factory=EmailDeliveryConfig)
    """The delivery e-mail of EMAIL shipping methods."""

    @model_validator(mode="after")
    def _consistent(self) -> SaleProgramConfig:
        if self.min_amount > self.max_amount:
            raise ValueError("min_amount is greater than max_amount")
        if self.min_amount <= 0:
            raise ValueError("min_amount must be greater than 0")
        for preset in self.amounts:
            if not self.min_amount <= preset <= self.max_amount:
                raise ValueError(f"amount {preset} is outside min_amount to max_amount")
        if self.type == "EGIFT" and self.wallet is None:
            raise ValueError("an EGIFT program needs the wallet its cards are loaded in")
        if self.type == "REWARD_YOURSELF":
            self._paid_with_points()
        elif self.points_wallet is not None or self.points_per_currency_unit is not None:
            raise ValueError("points_wallet and points_per_currency_unit are for REWARD_YOURSELF")
        if self.type == "LOYALTY_CARD" and self.price is None:
            raise ValueError("a LOYALTY_CARD program needs a price")
        for name, codes in (
            ("design", [d.code for d in self.designs]),
            ("shipping method", [s.code for s in self.shipping_methods]),
        ):
            doubled = sorted({c for c in codes if codes.count(c) > 1})
            if doubled:
                raise ValueError(f"{name} code {doubled[0]!r} is used twice")
        return self

    def _paid_with_points(self) -> None:
        if self.wallet is None:
            raise ValueError("a REWARD_YOURSELF program needs the wallet the value is loaded in")
        if self.points_wallet is None or self.points_per_currency_unit is None:
            raise ValueError(
                "a REWARD_YOURSELF program needs points_wallet and points_per_currency_unit"
            )
        # Points pay for the items; there is no card to charge a shipping price to.
        if any(s.price for s in self.shipping_methods):
            raise ValueError("the shipping methods of a REWARD_YOURSELF program must be free")
