"""Issuing and ending guest tokens (oauth.yaml): the grants of requestGuestToken,
authorization grants, and signing out.

Refreshing uses the refresh token up and issues the next pair in the same token family;
presenting a used refresh token again means it was copied, so the whole family is
revoked. Authorization grants are single use and live five minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from openpxs.domain.authorization import verifier_matches
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.identity import Integration
from openpxs.domain.intents import EndSignIn
from openpxs.services import external_sign_in, oauth
from openpxs.services.context import Call
from openpxs.services.oauth import TokenSet
from openpxs.services.one_time_password import user_for_sms_code
from openpxs.store.repositories.tokens import StoredToken
from openpxs.store.repositories.users import User

# Sign-in by registration fields (oauth.yaml) matches guests by what they typed at
# enrollment; it is not offered.
FIELDSET_GRANT = "http://paytronix.com/oauth/fieldset"
FIELDSET_NOT_OFFERED = "Sign-in by registration fields is not offered"
# The reply to any unusable authorization grant, whatever was wrong with it.
GRANT_NOT_VALID = "The authorization grant is not valid."


@dataclass(frozen=True)
class TokenGrant:
    """What a requestGuestToken call presents: the grant type and its credentials."""

    grant_type: str
    scope: str | None = None
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None
    code: str | None = None
    mobile_phone: str | None = None
    one_time_password: str | None = None
    # A grant of the guest website's redirect flow is bound to both.
    redirect_uri: str | None = None
    code_verifier: str | None = None
    # Sign in with Apple (external_sign_in.APPLE_GRANT): Apple's identity token and the
    # nonce whose SHA-256 the app gave Apple.
    id_token: str | None = None
    nonce: str | None = None


async def request_tokens(call: Call, grant: TokenGrant) -> TokenSet:
    """Sign the guest in by the grant presented, or refresh their sign-in."""
    served = _GRANTS.get(grant.grant_type)
    if served is not None:
        return await served(call, grant)
    if grant.grant_type == FIELDSET_GRANT:
        raise Refused(Reason.UNSUPPORTED_GRANT_TYPE, FIELDSET_NOT_OFFERED)
    raise Refused(Reason.UNSUPPORTED_GRANT_TYPE, f"Unknown grant_type {grant.grant_type!r}")


async def _password(call: Call, grant: TokenGrant) -> TokenSet:
    scope = oauth.parse_scope(grant.scope)
    user = await oauth.check_password(
        call.uow, call.program, grant.username, grant.password, call.now, call.guesser
    )
    return await oauth.issue_tokens(call.uow, call.program, call.integration, user, scope, call.now)


async def _one_time_password(call: Call, grant: TokenGrant) -> TokenSet:
    scope = oauth.parse_scope(grant.scope)
    user = await user_for_sms_code(
        call.uow, call.program, grant.mobile_phone, grant.one_time_password, call.now, call.guesser
    )
    return await oauth.issue_tokens(call.uow, call.program, call.integration, user, scope, call.now)


async def _apple(call: Call, grant: TokenGrant) -> TokenSet:
    scope = oauth.parse_scope(grant.scope)
    return await external_sign_in.sign_in_with_apple(call, grant.id_token, grant.nonce, scope)


async def _refresh(call: Call, grant: TokenGrant) -> TokenSet:
    """The next pair of the sign-in; a refresh token works for one refresh only."""
    uow, merchant_id, now = call.uow, call.merchant_id, call.now
    token = grant.refresh_token
    if not token:
        raise Refused(Reason.INVALID_GRANT)
    stored = await uow.tokens.find(merchant_id, token, "refresh", lock=True)
    if stored is None or not stored.live(now) or stored.integration_id != call.integration.id:
        raise Refused(Reason.INVALID_GRANT)
    if not await uow.tokens.mark_used(merchant_id, token, now):
        # A second use means a copy is about, so every token of that sign-in ends.
        raise Refused(Reason.INVALID_GRANT, intents=(EndSignIn(merchant_id, stored.family, now),))
    user, scope = await _redeemed(
        call,
        stored,
        grant.scope,
        wider="A refresh cannot widen the granted scope",
        gone=Refused(Reason.INVALID_GRANT),
    )
    # The access token being replaced stops working: one live access token per sign-in.
    await uow.tokens.revoke_access_tokens(merchant_id, stored.family, now)
    return await oauth.issue_tokens(
        uow, call.program, call.integration, user, scope, now, family=stored.family
    )


async def _authorization_code(call: Call, grant: TokenGrant) -> TokenSet:
    """Exchange a single-use grant (from requestAuthorizationGrant) for tokens.

    The grant may come from another integration of the merchant: that is how a guest
    signed in to one app is handed to another without typing a password.
    """
    uow, merchant_id, now = call.uow, call.merchant_id, call.now
    code = grant.code
    if not code:
        raise Refused(Reason.INVALID_GRANT, GRANT_NOT_VALID)
    stored = await uow.tokens.find(merchant_id, code, "grant", lock=True)
    if (
        stored is None
        or not stored.live(now)
        or not _bound_to(stored, call.integration, grant)
        or not await uow.tokens.mark_used(merchant_id, code, now)
    ):
        raise Refused(Reason.INVALID_GRANT, GRANT_NOT_VALID)
    user, scope = await _redeemed(
        call,
        stored,
        grant.scope,
        wider="The grant does not cover this scope",
        gone=Refused(Reason.INVALID_GRANT, GRANT_NOT_VALID),
    )
    return await oauth.issue_tokens(uow, call.program, call.integration, user, scope, now)


def _bound_to(stored: StoredToken, integration: Integration, grant: TokenGrant) -> bool:
    """Whether this exchange may use the grant. A grant of the redirect flow names the
    integration it was issued for, the redirect URI it was sent to (RFC 6749 4.1.3) and,
    when the request carried one, the PKCE challenge the code verifier must answer; a
    grant from requestAuthorizationGrant (integration 0) binds none of them."""
    if stored.integration_id not in (0, integration.id):
        return False
    if stored.redirect_uri is not None and grant.redirect_uri != stored.redirect_uri:
        return False
    return stored.code_challenge is None or verifier_matches(
        grant.code_verifier, stored.code_challenge
    )


_GRANTS: dict[str, Callable[[Call, TokenGrant], Awaitable[TokenSet]]] = {
    "password": _password,
    "refresh_token": _refresh,
    "authorization_code": _authorization_code,
    "one_time_password": _one_time_password,
    external_sign_in.APPLE_GRANT: _apple,
}


async def _redeemed(
    call: Call, stored: StoredToken, requested_scope: str | None, *, wider: str, gone: Refused
) -> tuple[User, str]:
    """The guest a used refresh token or grant signs in, refused with ``gone`` when they
    no longer exist, and the scope to issue: the token's own, or the narrower one asked
    for (refused with ``wider`` when it is not narrower)."""
    scope = _within(requested_scope, stored.scopes, Refused(Reason.INVALID_SCOPE, wider))
    user = await call.uow.users.by_id(call.merchant_id, stored.user_id)
    if user is None:
        raise gone
    return user, scope or stored.scope


def _within(requested: str | None, granted: frozenset[str], wider: Refused) -> str | None:
    """The requested scope, refused with ``wider`` if it goes beyond ``granted``; None
    when the caller asks for no particular scope."""
    if requested is None or requested == "":
        return None
    narrowed = oauth.parse_scope(requested)
    if not set(narrowed.split()) <= granted:
        raise wider
    return narrowed


@dataclass(frozen=True)
class AuthorizationGrant:
    code: str
    expires_in: int


async def issue_authorization_grant(call: Call, scope: str | None) -> AuthorizationGrant:
    """A one-use grant for the signed-in guest (oauth style), no wider than their token."""
    principal = call.principal
    assert principal.user_id is not None and principal.scopes is not None
    granted = _within(scope, principal.scopes, Refused(Reason.INSUFFICIENT_SCOPE))
    return await _grant(call, principal.user_id, granted or " ".join(sorted(principal.scopes)))


async def issue_redirect_grant(
    call: Call,
    client: Integration,
    scope: str,
    redirect_uri: str,
    code_challenge: str | None,
) -> AuthorizationGrant:
    """The grant of the guest website's redirect flow for the signed-in guest: usable
    only by ``client``, with the same ``redirect_uri`` and, when given, the code verifier
    of ``code_challenge`` (checked by the authorization_code exchange)."""
    principal = call.principal
    assert principal.user_id is not None
    if client.merchant_id != call.merchant_id or "oauth" not in client.styles:
        raise Refused(Reason.INVALID_GRANT, "The application may not sign guests in")
    return await _grant(
        call,
        principal.user_id,
        oauth.parse_scope(scope),
        integration_id=client.id,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
    )


async def _grant(
    call: Call,
    user_id: int,
    scope: str,
    *,
    integration_id: int = 0,
    redirect_uri: str | None = None,
    code_challenge: str | None = None,
) -> AuthorizationGrant:
    lifetime = call.program.guest.security.authorization_grant_seconds
    code = await call.uow.tokens.issue(
        merchant_id=call.merchant_id,
        kind="grant",
        family=secrets.token_hex(16),
        user_id=user_id,
        integration_id=integration_id,
        scope=scope,
        now=call.now,
        lifetime=timedelta(seconds=lifetime),
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
    )
    return AuthorizationGrant(code, lifetime)


async def sign_out(call: Call, access_token: str | None, refresh_token: str | None) -> None:
    """End a sign-in: every token of its family, the access token, its refresh token and
    the tokens issued from it by refreshing.

    Signed in by token (oauth style), the caller ends its own sign-in; otherwise the
    access or refresh token given names the sign-in, which must be this integration's.
    """
    uow, merchant_id, now = call.uow, call.merchant_id, call.now
    family = call.principal.token_family if call.principal.style == "oauth" else None
    if family is not None:
        await uow.tokens.revoke_family(merchant_id, family, now)
        return
    for kind, token in (("access", access_token), ("refresh", refresh_token)):
        if token:
            stored = await uow.tokens.find(merchant_id, token, kind)
            if stored is not None and stored.integration_id == call.integration.id:
                await uow.tokens.revoke_family(merchant_id, stored.family, now)
                return
    raise Refused(Reason.INVALID_TOKEN, "No such token")
