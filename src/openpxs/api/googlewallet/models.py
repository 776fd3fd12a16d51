"""Request and reply objects of the Google Wallet Service (googlewallet.yaml)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class _GoogleWalletRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class GenerateJwtRequest(_GoogleWalletRequest):
    url: FlexStr | None = Field(default=None, max_length=2000)


class LoyaltyObjectRequest(_GoogleWalletRequest):
    pass


class GenerateJwtReply(ReplyModel):
    result: str = "success"
    jwt: str
    theme: str
    size: str
    code: str


class LoyaltyObjectReply(ReplyModel):
    result: str = "success"
    classId: str
    objectId: str
    accountId: str
    accountName: str | None = None
    barcodeType: str
    barcodeValue: str
    loyaltyPoints: Decimal | None = None
