"""Sign in with Apple on the guest website (guest.website.apple).

1. ``GET apple/signin`` (the sign-in page's button), or ``POST apple/link`` (the profile
   page's form, signed in, with its CSRF token) to link Apple to the guest's account:
   the browser is sent to Apple's authorization URL with a fresh ``state`` and
   ``nonce``, both kept in a signed cookie (``pxs_apple``, ten minutes) with what the
   guest asked for.
2. Apple posts ``state``, ``id_token`` (and ``code``, and ``user`` on the first
   sign-in) to ``POST apple/callback``: a cross-site POST that cannot carry the site's
   CSRF token. It is trusted only when its ``state`` is the one in the cookie the same
   browser holds (so a post forged elsewhere, or a token from another browser's
   sign-in, is refused) and the identity token is Apple's, for this Services ID,
   unexpired, with the cookie's nonce.
3. The Apple user id (``sub``) is looked up as an external account: the guest it is
   linked to is signed in; with none linked, a guest joins with the e-mail address
   (and name) Apple shares, and the id is linked to the new account; a link request
   links it to the guest who asked.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from openpxs.config.website import AppleSignInConfig
from openpxs.domain.errors import DomainError
from openpxs.domain.fields import InvalidFields, UniqueValueInUse
from openpxs.integrations.apple_id import (
    AppleIdentity,
    AppleTokenRefused,
    AppleVerifier,
    verify_identity_token,
)
from openpxs.services import external_sign_in
from openpxs.services.context import Call
from openpxs.services.external_sign_in import ExternalIdentity, LinkedMeanwhile
from openpxs.services.oauth import TokenSet
from openpxs.web.forms import origin_of, see_other, with_query
from openpxs.web.protection import Protection, drop_cookie
from openpxs.web.render import page, secure_cookies
from openpxs.web.signin import _signed_in_response
from openpxs.web.site import Site, run, runtime_of

STATE_COOKIE = "pxs_apple"
STATE_SECONDS = 600
# What Apple is asked for: the guest's name and e-mail address (shared on the first
# sign-in only), posted back to the callback.
SCOPE = "name email"


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to Apple: its state and nonce, and whom to link it to (``user_id``,
    for a link request)."""

    state: str
    nonce: str
    user_id: int | None
    issued: int


def origin(site: Site) -> tuple[str, ...]:
    """Where the profile page's link form may lead (its form-action)."""
    apple = site.config.apple
    if apple is None:
        return ()
    return (origin_of(apple.authorize_url),)


def _protection(request: Request) -> Protection:
    protection: Protection = request.app.state.site_protection
    return protection


def _now(request: Request) -> int:
    return int(runtime_of(request).clock.now().timestamp())


def _encode(pending: Pending) -> str:
    data = {"s": pending.state, "n": pending.nonce, "u": pending.user_id, "t": pending.issued}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _pending(request: Request) -> Pending | None:
    """The sign-in this browser started, if its cookie is intact and not too old."""
    value = _protection(request).unsign(request.cookies.get(STATE_COOKIE))
    if value is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        pending = Pending(str(data["s"]), str(data["n"]), data["u"], int(data["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    if not 0 <= _now(request) - pending.issued <= STATE_SECONDS:
        return None
    return pending


def _callback_url(request: Request, site: Site) -> str:
    scheme = "https" if secure_cookies(request) else request.url.scheme
    host = request.headers.get("host", request.url.netloc)
    return f"{scheme}://{host}{site.base}/apple/callback"


def _cookie_path(site: Site) -> str:
    return f"{site.base}/apple/"


def _to_apple(
    request: Request, site: Site, apple: AppleSignInConfig, user_id: int | None
) -> Response:
    pending = Pending(secrets.token_urlsafe(24), secrets.token_urlsafe(24), user_id, _now(request))
    location = with_query(
        apple.authorize_url,
        {
            "response_type": "code id_token",
            "response_mode": "form_post",
            "client_id": apple.client_id,
            "redirect_uri": _callback_url(request, site),
            "scope": SCOPE,
            "state": pending.state,
            "nonce": pending.nonce,
        },
    )
    response = see_other(location)
    secure = secure_cookies(request)
    # Apple's post is cross-site: over TLS the cookie must be SameSite=None to come
    # back with it. Without TLS (a local demo, whose fake Apple is the same site) the
    # browser keeps only a Lax cookie.
    response.set_cookie(
        STATE_COOKIE,
        _protection(request).sign(_encode(pending)),
        max_age=STATE_SECONDS,
        path=_cookie_path(site),
        secure=secure,
        httponly=True,
        samesite="none" if secure else "lax",
    )
    return response


def _not_offered(request: Request, site: Site) -> Response:
    return page(request, site, "error.html", status=404, message="error.not_found")


async def start_sign_in(request: Request, site: Site) -> Response:
    """GET apple/signin: off to Apple. Harmless if fetched ahead: it only sets the
    cookie a callback must match."""
    apple = site.config.apple
    if apple is None:
        return _not_offered(request, site)
    return _to_apple(request, site, apple, None)


async def start_link(request: Request, site: Site, form: dict[str, str]) -> Response:
    """POST apple/link: the signed-in guest asks to link Apple to their account."""
    apple = site.config.apple
    if apple is None:
        return _not_offered(request, site)

    async def who(call: Call) -> int | None:
        return call.principal.user_id

    try:
        user_id = await run(request, site, who, signed_in=True)
    except DomainError:
        return see_other(f"{site.base}/signin")
    return _to_apple(request, site, apple, user_id)


def _refused(request: Request, site: Site, message: str) -> Response:
    response = page(request, site, "error.html", status=400, message=message)
    drop_cookie(response, STATE_COOKIE, _cookie_path(site), secure_cookies(request))
    return response


def _names(sent: str) -> tuple[str | None, str | None]:
    """The first and last name of Apple's ``user`` member (first sign-in only)."""
    try:
        user = json.loads(sent) if sent else {}
        name = user.get("name") if isinstance(user, dict) else None
    except ValueError:
        return None, None
    if not isinstance(name, dict):
        return None, None
    first, last = name.get("firstName"), name.get("lastName")
    return (
        first.strip() if isinstance(first, str) and first.strip() else None,
        last.strip() if isinstance(last, str) and last.strip() else None,
    )


async def callback(request: Request, site: Site, form: dict[str, str]) -> Response:
    """POST apple/callback (Apple's form_post)."""
    apple = site.config.apple
    if apple is None:
        return _not_offered(request, site)
    pending = _pending(request)
    state = form.get("state", "")
    if pending is None or not state or not hmac.compare_digest(state, pending.state):
        return _refused(request, site, "apple.failed")
    if form.get("error"):
        # The guest cancelled at Apple: back to where they started, nothing done.
        return _refused(request, site, "apple.cancelled")
    verifier = AppleVerifier((apple.client_id,), apple.keys_url, apple.issuer)
    try:
        verified = await verify_identity_token(
            verifier, form.get("id_token", ""), pending.nonce, runtime_of(request).clock.now()
        )
    except AppleTokenRefused:
        return _refused(request, site, "apple.failed")
    identity = _identity(apple, verified, form.get("user", ""))
    if pending.user_id is not None:
        return await _link(request, site, identity, pending.user_id)
    return await _sign_in(request, site, identity)


def _identity(apple: AppleSignInConfig, verified: AppleIdentity, user: str) -> ExternalIdentity:
    first, last = _names(user)
    return ExternalIdentity(
        apple.external_identifier, verified.subject, verified.email, first, last
    )


async def _sign_in(request: Request, site: Site, identity: ExternalIdentity) -> Response:
    async def join(call: Call) -> TokenSet:
        return await external_sign_in.sign_in_or_join(
            call, identity, site.config.card_template, site.config.store
        )

    try:
        try:
            tokens = await run(request, site, join, signed_in=False)
        except (LinkedMeanwhile, UniqueValueInUse):
            # Perhaps the same first sign-in a moment earlier (a double submit) enrolled
            # the guest and linked the Apple id: run again, it finds them. An e-mail
            # address another guest has is refused again.
            tokens = await run(request, site, join, signed_in=False)
    except UniqueValueInUse:
        return _refused(request, site, "apple.email_in_use")
    except InvalidFields:
        return _refused(request, site, "apple.incomplete")
    except DomainError:
        return _refused(request, site, "apple.failed")
    response = _signed_in_response(request, site, f"{site.base}/account", tokens)
    drop_cookie(response, STATE_COOKIE, _cookie_path(site), secure_cookies(request))
    return response


async def _link(request: Request, site: Site, identity: ExternalIdentity, user_id: int) -> Response:
    async def link(call: Call) -> None:
        await external_sign_in.link_identity(call, user_id, identity)

    try:
        await run(request, site, link, signed_in=False)
    except InvalidFields:
        return _refused(request, site, "apple.linked_elsewhere")
    except DomainError:
        return _refused(request, site, "apple.failed")
    response = see_other(f"{site.base}/profile?apple=linked")
    drop_cookie(response, STATE_COOKIE, _cookie_path(site), secure_cookies(request))
    return response
