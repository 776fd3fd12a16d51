"""Request and reply objects of the REST Message Service (messaging.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import FlexInt, FlexLong, FlexStr, ReplyModel

Key = Annotated[str, Field(max_length=64)]
Value = Annotated[FlexStr, Field(max_length=10_000)]


class _Send(GuestRequest):
    campaignMessageTemplateCode: FlexInt | None = Field(
        default=None, description="The template's code (outreach.marketing.templates)."
    )
    replacementParams: dict[Key, Value | None] | None = Field(
        default=None,
        max_length=100,
        description="External field name to the value it takes in the message.",
    )
    deliveryMethod: FlexStr | None = Field(
        default=None, max_length=32, description="EMAIL (the only method)."
    )

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (self.replacementParams or {}).items() if v is not None}


class SendByCardRequest(_Send):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)


class SendByAccountRequest(_Send):
    accountId: FlexLong | None = None


class SendByEmailRequest(_Send):
    email: FlexStr | None = Field(default=None, max_length=254)


class ResultReply(ReplyModel):
    result: str = "success"
