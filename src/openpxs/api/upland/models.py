"""Request and reply objects of the Upland Service (upland.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class SmsSubscriptionRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    mobilePhone: FlexStr = Field(max_length=32)
    optIn: bool
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class ResultReply(ReplyModel):
    result: str = "success"
