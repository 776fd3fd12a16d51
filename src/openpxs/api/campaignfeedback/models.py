"""Request and reply objects of the Campaign Feedback Service (campaignfeedback.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.domain.campaigns import MAX_CODE_LENGTH
from openpxs.wire.types import DecimalOut, FlexInt, ReplyModel, WireModel


class LoadRewardRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    # An empty or absent code is simply an invalid code, not a malformed request.
    code: str = Field(default="", max_length=MAX_CODE_LENGTH * 2)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class AdjustmentInformation(ReplyModel):
    """Value the campaign feedback added to a wallet."""

    walletCode: int
    name: str
    amount: DecimalOut
    expiration: str | None = None
    tinyName: str
    shortName: str
    longName: str


class LoadRewardReply(ReplyModel):
    result: str = "success"
    printedCardNumber: str
    adjustmentInformation: list[AdjustmentInformation]
