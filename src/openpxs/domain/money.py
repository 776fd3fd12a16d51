"""Exact quantities: Decimal on the wire, integer ten-thousandths in storage.

Every wallet stores amounts as integers of 1/10,000 of a unit whatever its display
scale, so a wallet's scale can change without rewriting history and no float ever
touches a balance.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from openpxs.domain.errors import InvalidQuantity

UNITS_PER_ONE = 10_000
STORAGE_SCALE = 4
# A quantity above this is a typo or an attack, not a purchase; it also keeps every
# sum of units far inside a signed 64-bit column.
MAX_QUANTITY = Decimal("100000000000")
# No wallet balance may pass this either way (ten times the largest move): repeated
# loads would otherwise carry a balance past the signed 64-bit columns that hold it,
# and every later call on the card would fail.
MAX_BALANCE = Decimal("1000000000000")
# The Decimal wire form (encoding.yaml): Python's Decimal() would also take "1e2",
# "1_000", ".5" or non-ASCII digits, which no client means as a quantity.
DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def parse_quantity(raw: object, scale: int) -> Decimal:
    """A positive Decimal with at most ``scale`` places, from a string or a JSON number."""
    if isinstance(raw, bool) or raw is None:
        raise InvalidQuantity("quantity must be a decimal number")
    if isinstance(raw, float):
        raw = repr(raw)
    elif isinstance(raw, str) and not DECIMAL_TEXT.fullmatch(raw.strip()):
        raise InvalidQuantity(f'quantity {raw!r} is not a decimal number such as "12.50"')
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise InvalidQuantity(f"quantity {raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise InvalidQuantity("quantity must be a finite number")
    if value <= 0:
        raise InvalidQuantity("quantity must be greater than zero")
    if value > MAX_QUANTITY:
        raise InvalidQuantity("quantity is too large")
    if value != value.quantize(Decimal(1).scaleb(-scale)):
        raise InvalidQuantity(f"quantity {value} has more than {scale} decimal places")
    return value


def max_balance_units() -> int:
    return int(MAX_BALANCE * UNITS_PER_ONE)


def to_units(value: Decimal) -> int:
    units = value * UNITS_PER_ONE
    if units != units.to_integral_value():
        raise InvalidQuantity(f"quantity {value} is finer than {STORAGE_SCALE} decimal places")
    return int(units)


def from_units(units: int, scale: int) -> Decimal:
    """The stored integer as a Decimal with the wallet's scale, e.g. 250000 -> 25.00."""
    return (Decimal(units) / UNITS_PER_ONE).quantize(Decimal(1).scaleb(-scale))
