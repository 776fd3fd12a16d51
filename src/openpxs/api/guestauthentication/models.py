"""Request and reply objects of the Guest Authentication Service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import FlexStr, ReplyModel


class PasswordRequest(GuestRequest):
    username: FlexStr = Field(min_length=1, max_length=254)
    password: FlexStr = Field(min_length=1, max_length=256)


class AuthenticateRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    password: FlexStr | None = Field(default=None, max_length=256)
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    registrationCode: FlexStr | None = Field(default=None, max_length=64)
    fields: dict[str, FlexStr | None] | None = Field(default=None, max_length=20)


class AuthenticateReply(ReplyModel):
    result: Literal["authenticatedSuccess", "noMatchingGuests"] = "authenticatedSuccess"
    username: str | None = None
    primaryPrintedCardNumber: str | None = None
