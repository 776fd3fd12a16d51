"""Lenient wire types (encoding.yaml): what real PXS clients send must be accepted.

Integers may arrive as numeric strings (merchantId "178"); Decimals as strings or
bare JSON numbers (parsed exactly, never through a float); absent and null are the
same; Dates as yyyy-mm-dd.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

_INT_RE = re.compile(r"^[+-]?\d+$")


def _flex_int(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, str):
        text = value.strip()
        if not _INT_RE.match(text):
            raise ValueError("expected an integer")
        return int(text)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError("expected an integer")
        return int(value)
    return value


def _flex_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a decimal number")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError('expected a decimal number such as "12.50"') from None
        if not parsed.is_finite():
            raise ValueError("expected a finite decimal number")
        return parsed
    raise ValueError("expected a decimal number")


def _flex_str(value: Any) -> Any:
    # POS systems send ids such as terminalId as numbers or strings interchangeably.
    if isinstance(value, bool):
        raise ValueError("expected a string")
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


FlexInt = Annotated[int, BeforeValidator(_flex_int), Field(json_schema_extra={"type": "integer"})]
FlexLong = FlexInt
FlexStr = Annotated[str, BeforeValidator(_flex_str)]
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_flex_decimal),
    Field(json_schema_extra={"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?$"}),
]
# Replies carry every Decimal as a string with the wallet's scale, e.g. "25.00".
DecimalOut = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str)]


class WireModel(BaseModel):
    """Base of request objects: unknown members are ignored, names are camelCase."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=False)


class ReplyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A Decimal member whose bad values are a business refusal with its own code
# (transaction.invalid_quantity), so the domain parses it, not the wire.
def _raw_decimal(value: Any) -> Any:
    # Anything but a string or a JSON number reaches the domain as text it will refuse;
    # a JSON true must not become the number 1 on its way through the int member.
    if value is None or (
        isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool)
    ):
        return value
    return str(value)


RawDecimal = Annotated[
    str | int | float | Decimal | None,
    BeforeValidator(_raw_decimal),
    Field(json_schema_extra={"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?$"}),
]
