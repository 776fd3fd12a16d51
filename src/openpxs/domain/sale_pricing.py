"""Pricing an order of a sale program: its items checked against the program, item
discounts, then order discounts, then shipping (sale.yaml calculatePrice).

Every money value is rounded to cents (half up) where it is computed: a unit's item
discount, the order discount, and so the line prices and the total are sums of cents.
No I/O: the same function prices calculatePrice and executeSale, so the total a guest
was shown is the total charged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from openpxs.config.sales import SaleDiscountConfig, SaleProgramConfig, ShippingMethodConfig
from openpxs.domain.errors import InvalidQuantity, Reason, Refused
from openpxs.domain.money import parse_quantity

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Program types the reference names (webSaleProgramType values).
PROGRAM_TYPES = ("EGIFT", "REWARD_YOURSELF", "LOYALTY_CARD")


@dataclass(frozen=True)
class Recipient:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    message: str | None = None
    delivery_date: date | None = None


@dataclass(frozen=True)
class SaleLine:
    """One ordered item as the client sent it (amount still unparsed)."""

    design_code: str | None
    amount: object
    quantity: object = None
    recipient: Recipient | None = None


@dataclass(frozen=True)
class PricedLine:
    design_code: str | None
    amount: Decimal  # face value of one unit
    quantity: int
    discount: Decimal  # item discounts of the whole line
    price: Decimal  # amount * quantity - discount
    recipient: Recipient | None


@dataclass(frozen=True)
class SaleSummary:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    order_discount: Decimal
    shipping_cost: Decimal
    total: Decimal

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_program_type(program_type: str | None) -> str:
    kind = (program_type or "").strip().upper()
    if kind not in PROGRAM_TYPES:
        raise Refused(Reason.INVALID_PROGRAM_TYPE, f"unknown programType {program_type!r}")
    return kind


def shipping_method(program: SaleProgramConfig, code: str | None) -> ShippingMethodConfig:
    found = next((s for s in program.shipping_methods if s.code == code), None)
    if found is None:
        raise Refused(Reason.INVALID_SHIPPING_METHOD, f"unknown shippingMethodCode {code!r}")
    return found


def _quantity(raw: object, most: int) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise InvalidQuantity("quantity must be a whole number")
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidQuantity("quantity must be a whole number")
    quantity = int(text)
    if not 1 <= quantity <= most:
        raise InvalidQuantity(f"quantity must be from 1 to {most}")
    return quantity


def _face_value(program: SaleProgramConfig, raw: object) -> Decimal:
    if program.type == "LOYALTY_CARD":
        # The card's price is the program's; an amount sent must be that price.
        assert program.price is not None
        if raw is None:
            return program.price
    try:
        amount = parse_quantity(raw, 2)
    except InvalidQuantity as bad:
        raise Refused(Reason.AMOUNT_OUT_OF_RANGE, bad.detail) from None
    if program.type == "LOYALTY_CARD":
        if amount != program.price:
            raise Refused(Reason.AMOUNT_OUT_OF_RANGE, f"the card's price is {program.price}")
        return amount
    if not program.min_amount <= amount <= program.max_amount:
        raise Refused(
            Reason.AMOUNT_OUT_OF_RANGE,
            f"amount must be from {program.min_amount} to {program.max_amount}",
        )
    if program.amounts and amount not in program.amounts:
        raise Refused(Reason.AMOUNT_OUT_OF_RANGE, "amount must be one of the program's amounts")
    return amount


def _design(program: SaleProgramConfig, code: str | None) -> str | None:
    if not program.designs:
        if code:
            raise Refused(Reason.INVALID_DESIGN, "the program has no designs")
        return None
    if code is None or not any(d.code == code for d in program.designs):
        raise Refused(Reason.INVALID_DESIGN, f"unknown designCode {code!r}")
    return code


def _off(discount: SaleDiscountConfig, base: Decimal) -> Decimal:
    if base < discount.minimum_amount:
        return Decimal(0)
    if discount.type == "PERCENT":
        return cents(base * discount.value / HUNDRED)
    return discount.value


def _unit_discount(program: SaleProgramConfig, amount: Decimal) -> Decimal:
    off = sum((_off(d, amount) for d in program.discounts if d.scope == "ITEM"), start=Decimal(0))
    return min(off, amount)


def price_items(program: SaleProgramConfig, lines: list[SaleLine]) -> SaleSummary:
    """The items' summary without shipping, or the refusal of the first bad item."""
    if not lines:
        raise Refused(Reason.INVALID_ITEM, "items must list at least one item")
    priced = []
    for line in lines:
        design = _design(program, line.design_code)
        amount = _face_value(program, line.amount)
        quantity = _quantity(line.quantity, program.max_quantity)
        discount = cents(_unit_discount(program, amount) * quantity)
        priced.append(
            PricedLine(
                design, amount, quantity, discount, amount * quantity - discount, line.recipient
            )
        )
    if sum(line.quantity for line in priced) > program.max_quantity:
        raise InvalidQuantity(f"an order holds at most {program.max_quantity} cards")
    subtotal = sum((line.price for line in priced), start=Decimal(0))
    order_off = sum(
        (_off(d, subtotal) for d in program.discounts if d.scope == "ORDER"), start=Decimal(0)
    )
    order_discount = min(cents(order_off), subtotal)
    return SaleSummary(
        lines=tuple(priced),
        subtotal=cents(subtotal),
        order_discount=order_discount,
        shipping_cost=Decimal("0.00"),
        total=cents(subtotal - order_discount),
    )


def price_order(
    program: SaleProgramConfig, lines: list[SaleLine], shipping_code: str | None
) -> SaleSummary:
    """The order's summary, or the refusal of its first bad item or code."""
    items = price_items(program, lines)
    shipping = cents(shipping_method(program, shipping_code).price)
    return replace(items, shipping_cost=shipping, total=items.total + shipping)


def points_for(program: SaleProgramConfig, value: Decimal, scale: int) -> Decimal:
    """The points that buy ``value`` in a REWARD_YOURSELF program: at its rate, rounded
    up to the points wallet's ``scale`` decimals (points never buy more than their
    worth)."""
    if program.points_per_currency_unit is None:
        raise ValueError(f"{program.type} programs are not paid with points")
    return (value * program.points_per_currency_unit).quantize(
        Decimal(1).scaleb(-scale), rounding=ROUND_CEILING
    )
