"""Request and reply objects of the External Configuration Service."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class MobileAppConfigRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    integrationId: FlexStr | None = Field(
        default=None, max_length=200, description="The calling integration's identifier."
    )
    version: FlexStr | None = Field(
        default=None,
        max_length=64,
        description="The content version the app holds (yyyyMMddHHmmss); empty: none.",
    )
    appId: FlexStr | None = Field(
        default=None, max_length=200, description="The app's store identifier."
    )

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class MobileAppConfigReply(ReplyModel):
    result: str = "withUpdates"
    version: str
    deleteImages: list[str] | None = None
    downloadImages: dict[str, str] | None = None
