"""The site's defences: the session and CSRF cookies, CSRF tokens and the security
headers of every page.

The session is server-side: the cookie holds only an access token of the site's
integration (kept by the server as a digest, revoked at sign-out). A form carries a
CSRF token, the HMAC of a random seed kept in a cookie of its own; the seed is replaced
at sign-in and dropped at sign-out, so a token taken before either no longer works.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "pxs_session"
SEED_COOKIE = "pxs_csrf"
CSRF_FIELD = "csrf_token"


class Protection:
    """The key of the CSRF tokens and whether cookies must be Secure."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def token_for(self, seed: str) -> str:
        return hmac.new(self._key, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()

    def sign(self, value: str) -> str:
        """``value`` with its HMAC, for a cookie the browser must give back unchanged."""
        mac = hmac.new(self._key, f"signed:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{value}.{mac}"

    def unsign(self, signed: str | None) -> str | None:
        """The value of a cookie made by ``sign``; None when it was changed or made up."""
        if not signed or "." not in signed:
            return None
        value = signed.rsplit(".", 1)[0]
        return value if hmac.compare_digest(self.sign(value), signed) else None

    def form_valid(self, request: Request, sent: object) -> bool:
        seed = request.cookies.get(SEED_COOKIE)
        if not seed or not isinstance(sent, str) or not sent:
            return False
        return hmac.compare_digest(self.token_for(seed), sent)


def new_seed() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(
    response: Response, name: str, value: str, path: str, secure: bool, max_age: int | None = None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax"
    )


def drop_cookie(response: Response, name: str, path: str, secure: bool) -> None:
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")


@dataclass(frozen=True)
class ProcessorScript:
    """The one page that pays in a processor's element may run the processor's script
    (from ``script_origin``) and the site's own script file; the element frames and
    calls the processor's origins."""

    script_origin: str
    api_origin: str

    def directives(self) -> str:
        origins = " ".join(dict.fromkeys([self.script_origin, self.api_origin]))
        challenge = CHALLENGE_FRAMES.get(self.script_origin)
        frames = f"{origins} {challenge}" if challenge else origins
        return (
            f"script-src 'self' {self.script_origin}; frame-src {frames}; connect-src {origins}; "
        )


# Stripe.js opens a card's 3-D Secure challenge in a frame of another origin of Stripe's
# (the policy Stripe documents for Stripe.js lists it in frame-src).
CHALLENGE_FRAMES = {"https://js.stripe.com": "https://hooks.stripe.com"}


def content_security_policy(
    form_targets: Iterable[str] = (), processor: ProcessorScript | None = None
) -> str:
    """No script at all (but on the page that pays in a processor's element),
    styles from the site only; forms post to the site (and, on the SSO sign-in page,
    may be redirected on to the application's origin)."""
    targets = " ".join(["'self'", *form_targets])
    scripts = processor.directives() if processor is not None else ""
    return (
        f"default-src 'none'; {scripts}style-src 'self'; img-src 'self' https: data:; "
        f"form-action {targets}; frame-ancestors 'none'; base-uri 'none'"
    )


def secure_headers(
    response: Response,
    form_targets: Iterable[str] = (),
    processor: ProcessorScript | None = None,
) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(form_targets, processor)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response
