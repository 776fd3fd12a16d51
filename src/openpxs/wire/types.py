"""Lenient wire types (encoding.yaml): what real PXS clients send must be accepted.

Integers may arrive as numeric strings (merchantId "178"); Decimals as strings or
bare JSON numbers (parsed exactly, never through a float); absent and null are the
same; Dates as yyyy-mm-dd.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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
        # A huge exponent would make int() build a number millions of digits long.
        if value.is_finite() and value.adjusted() <= 20 and value == value.to_integral_value():
            return int(value)
        raise ValueError("expected an integer")
    return value


def _flex_str(value: Any) -> Any:
    # POS systems send ids such as terminalId as numbers or strings interchangeably.
    if isinstance(value, bool):
        raise ValueError("expected a string")
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


class AlsoAccepts:
    """Documents what a lenient member accepts besides its own type (OpenAPI requests)."""

    def __init__(self, alternative: dict[str, Any]):
        self.alternative = alternative

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode == "serialization":
            return schema
        return {"anyOf": [schema, self.alternative]}


NUMERIC_STRING = {"type": "string", "pattern": r"^[+-]?\d+$"}
FLEX_INT = BeforeValidator(_flex_int)
ALSO_NUMERIC_STRING = AlsoAccepts(NUMERIC_STRING)

# Integer is 32-bit and Long 64-bit on the wire (encoding.yaml); anything wider is a
# malformed member, not a number to look up. Bounds go before FLEX_INT, so that the JSON
# schema says minimum/maximum; a member with narrower bounds spells them the same way
# (Annotated[int, Field(ge=1), FLEX_INT, ALSO_NUMERIC_STRING]), not on its Field.
FlexInt = Annotated[
    int,
    Field(ge=-(2**31), le=2**31 - 1),
    FLEX_INT,
    ALSO_NUMERIC_STRING,
]
FlexLong = Annotated[
    int,
    Field(ge=-(2**63), le=2**63 - 1),
    FLEX_INT,
    ALSO_NUMERIC_STRING,
]
FlexStr = Annotated[str, BeforeValidator(_flex_str), AlsoAccepts({"type": "number"})]
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
    if value is None or (isinstance(value, (str, int, Decimal)) and not isinstance(value, bool)):
        return value
    return str(value)


# Documented as the PXS Decimal: a decimal string, or a bare JSON number.
RawDecimal = Annotated[
    str | int | Decimal | None,
    BeforeValidator(_raw_decimal),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?$"}, {"type": "number"}]}
    ),
]
