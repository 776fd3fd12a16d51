"""Signing in and out of the guest website, and the SSO redirect flow
(/guest/accountlogin, RFC 6749 authorization code with PKCE).

Signing in is the API's password grant (``guest_tokens.request_tokens``): the same
counting of failed attempts per username and address, the same reply whether the
username exists or not. The session it starts is that sign-in's access token.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.authorization import AuthorizationRefused, AuthorizationRequest, check_request
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.identity import Integration, Principal
from openpxs.services import guest_tokens
from openpxs.services.context import Call
from openpxs.services.guest_tokens import AuthorizationGrant, TokenGrant
from openpxs.services.oauth import TokenSet
from openpxs.web.forms import origin_of, see_other, with_query
from openpxs.web.protection import SEED_COOKIE, SESSION_COOKIE, drop_cookie, new_seed, set_cookie
from openpxs.web.render import page, secure_cookies
from openpxs.web.site import Site, check_password_ahead, client_integration, run

SSO_MEMBERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _signed_in_response(request: Request, site: Site, location: str, tokens: TokenSet) -> Response:
    """Where the guest goes next, with a new session and a new CSRF seed (nothing from
    before sign-in survives it)."""
    response = see_other(location)
    secure = secure_cookies(request)
    path = site.base + "/"
    set_cookie(response, SESSION_COOKIE, tokens.access_token, path, secure, tokens.expires_in)
    set_cookie(response, SEED_COOKIE, new_seed(), path, secure)
    return response


def signin_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    sso: AuthorizationRequest | None = None,
    username: str = "",
) -> Response:
    return page(
        request,
        site,
        "signin.html",
        status=status,
        error=error,
        notice=notice,
        sso=sso,
        sso_fields=_sso_fields(request, sso),
        username=username,
        form_targets=(origin_of(sso.redirect_uri),) if sso is not None else (),
    )


def _sso_fields(request: Request, sso: AuthorizationRequest | None) -> dict[str, str]:
    if sso is None:
        return {}
    return {
        "response_type": "code",
        "client_id": sso.client_id,
        "redirect_uri": sso.redirect_uri,
        "scope": sso.scope,
        "state": sso.state or "",
        "code_challenge": sso.code_challenge or "",
        "code_challenge_method": "S256" if sso.code_challenge else "",
    }


async def _sign_in(call: Call, username: str, password: str, old_session: str | None) -> TokenSet:
    if old_session:
        # A guest signing in again ends the sign-in the browser held (if it still exists).
        with suppress(DomainError):
            await guest_tokens.sign_out(call, old_session, None)
    return await guest_tokens.request_tokens(
        call, TokenGrant("password", username=username, password=password)
    )


def _refusal_text(error: DomainError) -> str:
    """One text for a wrong password and an unknown username (no enumeration); a
    username locked for a while (known or not) is told to wait."""
    return "signin.locked" if error.reason == Reason.ACCOUNT_LOCKED else "signin.failed"


async def signin_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    username, password = form.get("username", "").strip(), form.get("password", "")
    await check_password_ahead(request, site, username, password)
    old = request.cookies.get(SESSION_COOKIE)
    try:
        tokens = await run(
            request, site, lambda call: _sign_in(call, username, password, old), signed_in=False
        )
    except DomainError as error:
        return signin_page(request, site, status=400, error=_refusal_text(error), username=username)
    return _signed_in_response(request, site, f"{site.base}/account", tokens)


async def signout(request: Request, site: Site, form: dict[str, str]) -> Response:
    async def end(call: Call) -> None:
        await guest_tokens.sign_out(call, None, None)

    with suppress(DomainError):  # no live session: the guest is signed out either way
        await run(request, site, end, signed_in=True)
    response = see_other(f"{site.base}/signin?signed_out=1")
    secure = secure_cookies(request)
    drop_cookie(response, SESSION_COOKIE, site.base + "/", secure)
    drop_cookie(response, SEED_COOKIE, site.base + "/", secure)
    return response


def _authorization(
    request: Request, site: Site, params: dict[str, str]
) -> AuthorizationRequest | Response:
    """The checked request, or the answer to a refused one: an error page when the
    client or return address is not allow-listed, else a redirect carrying the error."""
    try:
        return check_request(site.config, params)
    except AuthorizationRefused as refused:
        if not refused.redirect:
            return page(request, site, "sso_error.html", status=400, reason=refused.description)
        location = with_query(
            params["redirect_uri"],
            {
                "error": refused.error,
                "error_description": refused.description,
                "state": params.get("state") or None,
            },
        )
        return see_other(location)


async def _client(
    request: Request, site: Site, sso: AuthorizationRequest
) -> Integration | Response:
    """The application of the request, read before the flow's unit of work opens."""
    client = await client_integration(request, site, sso.client_id)
    if client is None:
        return page(
            request, site, "sso_error.html", status=400, reason="the application is not enabled"
        )
    return client


async def _grant_for(
    client: Integration, sso: AuthorizationRequest, call: Call
) -> AuthorizationGrant:
    return await guest_tokens.issue_redirect_grant(
        call, client, sso.scope, sso.redirect_uri, sso.code_challenge
    )


def _back_to_client(sso: AuthorizationRequest, grant: AuthorizationGrant) -> str:
    return with_query(
        sso.redirect_uri,
        {"code": grant.code, "expires_in": str(grant.expires_in), "state": sso.state},
    )


async def accountlogin(request: Request, site: Site) -> Response:
    """GET /guest/accountlogin: a signed-in guest goes straight back to the application
    with a grant; anyone else gets the sign-in form, which carries the request along."""
    params = {name: request.query_params.get(name, "") for name in SSO_MEMBERS}
    sso = _authorization(request, site, params)
    if isinstance(sso, Response):
        return sso
    checked = sso
    client = await _client(request, site, checked)
    if isinstance(client, Response):
        return client
    if request.cookies.get(SESSION_COOKIE):
        try:
            grant = await run(
                request, site, lambda call: _grant_for(client, checked, call), signed_in=True
            )
        except DomainError:
            pass  # the session has ended: sign in again
        else:
            return see_other(_back_to_client(checked, grant))
    return signin_page(request, site, sso=checked)


async def accountlogin_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    """The sign-in form of the SSO flow: sign in, then back to the application."""
    sso = _authorization(request, site, {name: form.get(name, "") for name in SSO_MEMBERS})
    if isinstance(sso, Response):
        return sso
    checked = sso
    client = await _client(request, site, checked)
    if isinstance(client, Response):
        return client
    username, password = form.get("username", "").strip(), form.get("password", "")
    await check_password_ahead(request, site, username, password)
    old = request.cookies.get(SESSION_COOKIE)

    async def sign_in_and_grant(call: Call) -> tuple[TokenSet, AuthorizationGrant]:
        tokens = await _sign_in(call, username, password, old)
        guest = Principal(
            style="oauth",
            merchant_id=site.merchant_id,
            user_id=tokens.user_id,
            scopes=frozenset(tokens.scope.split()),
        )
        grant = await _grant_for(client, checked, replace(call, principal=guest))
        return tokens, grant

    try:
        tokens, grant = await run(request, site, sign_in_and_grant, signed_in=False)
    except DomainError as error:
        return signin_page(
            request, site, status=400, error=_refusal_text(error), sso=checked, username=username
        )
    return _signed_in_response(request, site, _back_to_client(checked, grant), tokens)
