"""Request and reply objects of the One Time Password Service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel


class EnabledRequest(GuestRequest):
    pass


class EnabledReply(ReplyModel):
    result: Literal["success"] = "success"
    enabled: bool


class SendRequest(WireModel):
    authentication: str | None = None
    # Documented as a query parameter of this POST; the body may carry it too. The
    # integration's credentials name the merchant either way, so a body without it is
    # served for that merchant; a body naming another merchant is refused.
    merchantId: FlexInt | None = None
    mobilePhone: FlexStr = Field(max_length=32)

    def claimed_merchant_id(self) -> int | None:
        return self.merchantId


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"
