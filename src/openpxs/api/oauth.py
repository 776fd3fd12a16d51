"""OAuth Service (oauth.yaml): guest tokens, authorization grants and sign-out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.common import GuestRequest
from openpxs.services import oauth
from openpxs.services.one_time_password import user_for_sms_code
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.refusals import legacy
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import FlexStr, ReplyModel

OAUTH = Service(
    name="oauth",
    title="OAuth Service",
    success="success",
    # OAuth codes carry no prefix (errors.yaml); invalid_request and the like follow suit.
    refusals=legacy("oauth", {}),
)
FIELDSET_GRANT = "http://paytronix.com/oauth/fieldset"
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


class TokenReply(ReplyModel):
    result: Literal["success"] = "success"
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    scope: str
    username: str | None = None


@endpoint(
    OAUTH,
    "requestGuestToken",
    request=TokenRequest,
    reply=TokenReply,
    styles=("anonymous", "b2b"),
    summary="Sign a guest in and issue access and refresh tokens",
    errors=("could_not_authenticate", "invalid_grant", "account_locked", "invalid_scope"),
)
async def request_guest_token(ctx: CallContext, req: TokenRequest) -> TokenReply:
    """Grants: password, refresh_token, authorization_code and one_time_password.

    A wrong password and an unknown username get the same reply; repeated failures lock
    the username for a while (errorCode account_locked).
    """
    program = ctx.program
    grant = req.grant_type
    if grant == "password":
        scope = oauth.parse_scope(req.scope)
        tokens = await oauth.password_grant(
            ctx.uow, program, ctx.integration, req.username, req.password, scope, ctx.now
        )
    elif grant == "refresh_token":
        tokens = await oauth.refresh_grant(
            ctx.uow, program, ctx.integration, req.refresh_token, req.scope, ctx.now
        )
    elif grant == "authorization_code":
        tokens = await oauth.authorization_code_grant(
            ctx.uow, program, ctx.integration, req.code, req.scope, ctx.now
        )
    elif grant == "one_time_password":
        scope = oauth.parse_scope(req.scope)
        user = await user_for_sms_code(
            ctx.uow, program, req.mobilePhone, req.one_time_password, ctx.now
        )
        tokens = await oauth.issue_tokens(ctx.uow, program, ctx.integration, user, scope, ctx.now)
    elif grant == FIELDSET_GRANT:
        raise ServiceFailure(
            "unsupported_grant_type", "Sign-in by registration fields is not offered"
        )
    else:
        raise ServiceFailure("unsupported_grant_type", f"Unknown grant_type {grant!r}")
    return TokenReply(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        scope=tokens.scope,
        username=tokens.username,
    )


class GrantRequest(GuestRequest):
    scope: Text = Field(default=None, max_length=200)


class GrantReply(ReplyModel):
    result: Literal["success"] = "success"
    authorizationGrant: str
    expires_in: int


@endpoint(
    OAUTH,
    "requestAuthorizationGrant",
    request=GrantRequest,
    reply=GrantReply,
    styles=("oauth",),
    summary="Issue a one-use authorization grant for the signed-in guest",
)
async def request_authorization_grant(ctx: CallContext, req: GrantRequest) -> GrantReply:
    """The grant (five minutes, one use) lets another integration sign the same guest in
    with grant_type=authorization_code, without asking for the password again."""
    program = ctx.program
    grant, lifetime = await oauth.issue_authorization_grant(
        ctx.uow, program, ctx.principal, req.scope, ctx.now
    )
    return GrantReply(authorizationGrant=grant, expires_in=lifetime)


class RevokeRequest(GuestRequest):
    refresh_token: Text = Field(default=None, max_length=200)


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"


@endpoint(
    OAUTH,
    "revokeGuestToken",
    request=RevokeRequest,
    reply=SimpleReply,
    styles=("oauth", "anonymous"),
    summary="Sign out: revoke an access or refresh token and its sign-in",
    errors=("invalid_token",),
)
async def revoke_guest_token(ctx: CallContext, req: RevokeRequest) -> SimpleReply:
    """Every token of the sign-in ends: the access token, its refresh token and the
    tokens issued from it by refreshing."""
    if ctx.principal.style == "oauth" and ctx.principal.token_family is not None:
        await ctx.uow.tokens.revoke_family(ctx.merchant_id, ctx.principal.token_family, ctx.now)
    else:
        await oauth.revoke(ctx.uow, ctx.integration, req.access_token, req.refresh_token, ctx.now)
    return SimpleReply()
