"""Request and reply objects of the Push Messaging Services (pushmessaging.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class ExternalAccount(WireModel):
    """The app (externalIdentifier: bundle id or package name) and its push token
    (accountCode)."""

    externalIdentifier: FlexStr = Field(max_length=100)
    accountCode: FlexStr = Field(max_length=4096)


class DeviceRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    printedCardNumber: FlexStr = Field(max_length=64)
    externalAccount: ExternalAccount

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class ResultReply(ReplyModel):
    result: str = "success"
