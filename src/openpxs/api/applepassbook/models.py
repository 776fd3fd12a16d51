"""Request and reply objects of the Apple Passbook Service (applepassbook.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class PassbookUrlRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    accountId: FlexInt | None = None

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class PassbookUrlReply(ReplyModel):
    result: str = "success"
    url: str
