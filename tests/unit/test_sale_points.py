"""Reward Yourself prices: an order's money total in points, rounded up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.sale_pricing import SaleLine, points_for, price_items

PROGRAM = SaleProgramConfig.model_validate(
    {
        "type": "REWARD_YOURSELF",
        "name": "Reward Yourself",
        "card_template": 2,
        "offered_to": [1],
        "wallet": 1,
        "points_wallet": 2,
        "points_per_currency_unit": "20",
        "store": "corp",
        "min_amount": "5.00",
        "max_amount": "50.00",
        "discounts": [
            {"description": "10% off", "scope": "ORDER", "type": "PERCENT", "value": "10"}
        ],
        "shipping_methods": [{"code": "EMAIL", "name": "E-mail", "delivery_type": "EMAIL"}],
    }
)


@pytest.mark.parametrize(
    ("value", "scale", "points"),
    [
        (Decimal("5.00"), 0, Decimal("100")),
        (Decimal("10.01"), 0, Decimal("201")),  # 200.2 points: the guest pays 201
        (Decimal("10.01"), 2, Decimal("200.20")),
        (Decimal("0.01"), 0, Decimal("1")),
    ],
)
def test_points_are_the_value_at_the_rate_rounded_up(
    value: Decimal, scale: int, points: Decimal
) -> None:
    found = points_for(PROGRAM, value, scale)
    assert found == points and found.as_tuple().exponent == -scale


def test_points_are_counted_after_the_discounts() -> None:
    summary = price_items(PROGRAM, [SaleLine(design_code=None, amount="25.00", quantity=2)])
    assert (summary.subtotal, summary.order_discount, summary.total) == (
        Decimal("50.00"),
        Decimal("5.00"),
        Decimal("45.00"),
    )
    assert points_for(PROGRAM, summary.total, 0) == Decimal("900")


def test_a_card_paid_program_has_no_points_price() -> None:
    egift = PROGRAM.model_copy(
        update={"type": "EGIFT", "points_wallet": None, "points_per_currency_unit": None}
    )
    with pytest.raises(ValueError, match="not paid with points"):
        points_for(egift, Decimal("5.00"), 0)
