"""Request and reply objects of the Gift Service (gift.yaml)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openpxs.api.transaction.models import CardInfo
from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, RawDecimal, ReplyModel, WireModel

# The documented limits are checked by the use case (gift.field_too_long); the models
# only bound what is read.


class _GiftRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    storeCode: FlexStr | None = Field(default=None, max_length=64)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class BalanceRequest(_GiftRequest):
    cardInfo: CardInfo


def _loose(description: str) -> Any:
    return Field(default=None, max_length=1000, description=description)


class GiftRequest(BalanceRequest):
    amount: RawDecimal = None
    checkNumber: FlexStr | None = _loose("Check identifier; at most 255 characters.")
    cashier: FlexStr | None = _loose("Operator who started the request; at most 100 characters.")
    terminalId: FlexStr | None = _loose("POS terminal of the request; at most 100 characters.")
    externalTransactionId: FlexStr | None = _loose(
        "The caller's unique id of the request, for retries and reversal; at most 128 characters."
    )


class RedeemRequest(GiftRequest):
    tip: RawDecimal = None


class ReverseRequest(_GiftRequest):
    externalTransactionId: FlexStr | None = _loose("The id sent with the request to undo.")


class GiftReply(ReplyModel):
    """The card and its balance after the operation."""

    result: str = "success"
    pxTransactionId: int | None = None
    printedCardNumber: str | None = None
    currentBalance: DecimalOut | None = None
