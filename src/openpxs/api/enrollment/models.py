"""Request and reply objects shared by the Enrollment Service (enrollment.yaml)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openpxs.api.common import GuestRequest
from openpxs.wire.types import FlexInt, FlexStr, ReplyModel

# A FieldSet is checked member by member by domain.fields, which reports each bad field
# under its own key; the wire only requires an object here.
FieldSet = dict[str, Any] | None


class EnrollmentRequest(GuestRequest):
    enforceUniqueFields: list[str] | None = None
    setUserFields: FieldSet = None
    setAccountFields: FieldSet = None


class CreateRequest(EnrollmentRequest):
    cardTemplateCode: FlexInt
    activationStoreCode: FlexStr | None = Field(default=None, max_length=64)


class CardRequest(EnrollmentRequest):
    printedCardNumber: FlexStr = Field(min_length=1, max_length=64)


class OAuthTokens(ReplyModel):
    access_token: str
    refresh_token: str
    expires_in: int
    printedCardNumber: str | None = None
    token_type: str = "bearer"
    scope: str | None = None
    username: str | None = None


class EnrollmentReply(ReplyModel):
    result: str = "success"
    accountId: int | None = None
    printedCardNumber: str | None = None
    oauthTokens: OAuthTokens | None = None


class ConfigEntry(ReplyModel):
    field: str
    type: str
    required: bool
    label: str | None = None
    minLength: int | None = None
    maxLength: int | None = None
    unique: bool | None = None
    scope: str


class EnrollmentConfig(ReplyModel):
    fields: list[ConfigEntry]


class EnrollmentConfigReply(ReplyModel):
    result: str = "success"
    config: EnrollmentConfig


class SimpleReply(ReplyModel):
    result: str = "success"
