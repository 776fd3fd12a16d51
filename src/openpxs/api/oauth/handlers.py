"""OAuth Service (oauth.yaml): guest tokens, authorization grants and sign-out."""

from __future__ import annotations

from openpxs.api.oauth import models as m
from openpxs.api.oauth.errors import OAUTH
from openpxs.domain.errors import Reason as R
from openpxs.services import guest_tokens
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    OAUTH,
    "requestGuestToken",
    request=m.TokenRequest,
    reply=m.TokenReply,
    styles=("anonymous", "b2b"),
    summary="Sign a guest in and issue access and refresh tokens",
    errors=(
        R.COULD_NOT_AUTHENTICATE,
        R.ACCOUNT_LOCKED,
        R.INVALID_GRANT,
        R.EXTERNAL_ACCOUNT_NOT_FOUND,
        R.INVALID_VERIFICATION_CODE,
        R.INVALID_SCOPE,
        R.UNSUPPORTED_GRANT_TYPE,
        R.FEATURE_DISABLED,
    ),
)
async def request_guest_token(ctx: CallContext, req: m.TokenRequest) -> m.TokenReply:
    """Grants: password, refresh_token, authorization_code, one_time_password and
    http://paytronix.com/oauth/apple (Sign in with Apple: id_token and nonce).

    A wrong password and an unknown username get the same reply; repeated failures lock
    the username for a while (errorCode account_locked).
    """
    tokens = await guest_tokens.request_tokens(ctx, req.grant())
    return m.TokenReply(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        scope=tokens.scope,
        username=tokens.username,
    )


@endpoint(
    OAUTH,
    "requestAuthorizationGrant",
    request=m.GrantRequest,
    reply=m.GrantReply,
    styles=("oauth",),
    summary="Issue a one-use authorization grant for the signed-in guest",
    errors=(R.INVALID_SCOPE, R.INSUFFICIENT_SCOPE),
)
async def request_authorization_grant(ctx: CallContext, req: m.GrantRequest) -> m.GrantReply:
    """The grant (five minutes, one use) lets another integration sign the same guest in
    with grant_type=authorization_code, without asking for the password again."""
    grant = await guest_tokens.issue_authorization_grant(ctx, req.scope)
    return m.GrantReply(authorizationGrant=grant.code, expires_in=grant.expires_in)


@endpoint(
    OAUTH,
    "revokeGuestToken",
    request=m.RevokeRequest,
    reply=m.SimpleReply,
    styles=("oauth", "anonymous"),
    summary="Sign out: revoke an access or refresh token and its sign-in",
    errors=(R.INVALID_TOKEN,),
)
async def revoke_guest_token(ctx: CallContext, req: m.RevokeRequest) -> m.SimpleReply:
    """Every token of the sign-in ends: the access token, its refresh token and the
    tokens issued from it by refreshing."""
    await guest_tokens.sign_out(ctx, req.access_token, req.refresh_token)
    return m.SimpleReply()
