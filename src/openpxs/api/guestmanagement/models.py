"""Request and reply objects of the Guest Management Service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.services.password_reset import IDENTIFIERS, Identifier
from openpxs.wire.types import FlexLong, FlexStr, ReplyModel, WireModel

Text = FlexStr | None


class UserIdentity(WireModel):
    """What identifies the guest: a card, a username or an e-mail address."""

    printedCardNumber: Text = Field(default=None, max_length=64)
    username: Text = Field(default=None, max_length=254)
    email: Text = Field(default=None, max_length=254)
    accountId: FlexLong | None = None

    def identifiers(self) -> list[Identifier]:
        """The identifiers given; an empty string counts as absent, like null."""
        given: list[Identifier] = []
        for name in IDENTIFIERS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.strip()
            if value is not None and value != "":
                given.append(Identifier(name, value))
        return given


class StartResetRequest(GuestRequest, UserIdentity):
    # The older shape of sendGuestResetPasswordCode carries the identifier in here.
    userIdentity: UserIdentity | None = None

    def all_identifiers(self) -> list[Identifier]:
        nested = self.userIdentity.identifiers() if self.userIdentity is not None else []
        return self.identifiers() + nested


class SendResetRequest(StartResetRequest):
    resetCode: Text = Field(default=None, max_length=64)


class ResetReply(ReplyModel):
    result: Literal["success"] = "success"
    # The full address for a b2b caller; masked ("d***@example.com"), or absent, for a
    # caller with the app's public credential, so the reply tells nothing of the guest.
    email: str | None = None


class ResetPasswordRequest(GuestRequest):
    resetCode: FlexStr = Field(min_length=1, max_length=200)
    # Longer than any form allows, so an overlong password gets the form's message.
    newPassword: FlexStr = Field(max_length=1024)


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"
