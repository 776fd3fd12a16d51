"""Request and reply objects of the OAuth Service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.services.guest_tokens import TokenGrant
from openpxs.wire.types import FlexStr, ReplyModel

Text = FlexStr | None


class TokenRequest(GuestRequest):
    grant_type: FlexStr = Field(max_length=100)
    scope: Text = Field(default=None, max_length=200)
    username: Text = Field(default=None, max_length=254)
    password: Text = Field(default=None, max_length=256)
    refresh_token: Text = Field(default=None, max_length=200)
    code: Text = Field(default=None, max_length=200)
    redirect_uri: Text = Field(default=None, max_length=2000)
    mobilePhone: Text = Field(default=None, max_length=32)
    one_time_password: Text = Field(default=None, max_length=32)
    code_verifier: Text = Field(default=None, max_length=128)
    id_token: Text = Field(default=None, max_length=8000)
    nonce: Text = Field(default=None, max_length=256)

    def grant(self) -> TokenGrant:
        return TokenGrant(
            grant_type=self.grant_type,
            scope=self.scope,
            username=self.username,
            password=self.password,
            refresh_token=self.refresh_token,
            code=self.code,
            mobile_phone=self.mobilePhone,
            one_time_password=self.one_time_password,
            redirect_uri=self.redirect_uri,
            code_verifier=self.code_verifier,
            id_token=self.id_token,
            nonce=self.nonce,
        )


class TokenReply(ReplyModel):
    result: Literal["success"] = "success"
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    scope: str
    username: str | None = None


class GrantRequest(GuestRequest):
    scope: Text = Field(default=None, max_length=200)


class GrantReply(ReplyModel):
    result: Literal["success"] = "success"
    authorizationGrant: str
    expires_in: int


class RevokeRequest(GuestRequest):
    refresh_token: Text = Field(default=None, max_length=200)


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"
