"""The guest website's routes: /m/{merchantId}/guest/... on any host and /guest/... on
the host names a merchant lists (guest.website.hosts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpxs.domain.errors import DomainError
from openpxs.web import (
    apple,
    cards,
    combine,
    engagement,
    pages,
    partners,
    profile,
    purchases,
    recovery,
    register_card,
    signin,
    surveys,
    username,
    wallet,
)
from openpxs.web.forms import FormTooLarge, read_form, see_other
from openpxs.web.protection import CSRF_FIELD, SESSION_COOKIE, Protection, secure_headers
from openpxs.web.render import page
from openpxs.web.site import NoSite, Site, find_site

Show = Callable[[Request, Site], Awaitable[Response]]
Submit = Callable[[Request, Site, dict[str, str]], Awaitable[Response]]

_STYLESHEET = resources.files("openpxs.web").joinpath("static/site.css").read_bytes()
_PAY_CARD_SCRIPT = resources.files("openpxs.web").joinpath("static/pay-card.js").read_bytes()


async def _index(request: Request, site: Site) -> Response:
    target = "account" if request.cookies.get(SESSION_COOKIE) else "signin"
    return see_other(f"{site.base}/{target}")


async def _signin(request: Request, site: Site) -> Response:
    notice = "signin.signed_out" if request.query_params.get("signed_out") else None
    if request.query_params.get("reset"):
        notice = recovery.RESET_NOTICE
    return signin.signin_page(request, site, notice=notice)


async def _register(request: Request, site: Site) -> Response:
    return pages.register_page(request, site)


async def _stylesheet(request: Request, site: Site) -> Response:
    return _asset(_STYLESHEET, "text/css")


async def _pay_card_script(request: Request, site: Site) -> Response:
    return _asset(_PAY_CARD_SCRIPT, "text/javascript")


async def _theme(request: Request, site: Site) -> Response:
    theme = site.config.theme
    css = (
        ":root{"
        f"--primary:{theme.primary_colour};"
        f"--background:{theme.background_colour};"
        f"--text:{theme.text_colour};"
        "}\n"
    )
    return _asset(css.encode(), "text/css")


def _asset(body: bytes, media_type: str) -> Response:
    response = Response(body, media_type=media_type)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


SHOWN: dict[str, Show] = {
    "": _index,
    "signin": _signin,
    "accountlogin": signin.accountlogin,
    "register": _register,
    "register/card": register_card.register_card,
    "account": pages.account,
    "history": pages.history,
    "profile": profile.profile,
    "password": profile.password,
    "username": username.username,
    "static/site.css": _stylesheet,
    "static/pay-card.js": _pay_card_script,
    "theme.css": _theme,
    "forgot": recovery.forgot,
    "reset": recovery.reset,
    "cards/add": cards.add_card,
    "apple/signin": apple.start_sign_in,
    "reload": purchases.reload,
    "reload/done": purchases.reload_done,
    "egift": purchases.egift,
    "egift/done": purchases.egift_done,
    "wallet/apple": wallet.apple_pass,
    "wallet/google": wallet.google_pass,
    "cards/combine": combine.combine,
    "challenges": engagement.challenges,
    "surveys": surveys.surveys,
    "survey": surveys.survey,
    "survey/done": surveys.survey_done,
}
SUBMITTED: dict[str, Submit] = {
    "signin": signin.signin_form,
    "accountlogin": signin.accountlogin_form,
    "signout": signin.signout,
    "register": pages.register_form,
    "register/card": register_card.register_card_form,
    "forgot": recovery.forgot_form,
    "reset": recovery.reset_form,
    "cards/add": cards.add_card_form,
    "profile": profile.profile_form,
    "password": profile.password_form,
    "username": username.username_form,
    "partner": partners.partner_form,
    "apple/link": apple.start_link,
    "reload": purchases.reload_form,
    "egift": purchases.egift_form,
    "cards/combine": combine.combine_form,
    "challenges/join": engagement.join_form,
    "survey": surveys.survey_form,
}
# Posts from another site, which cannot carry the site's CSRF token: each checks what
# binds it to the browser itself (Sign in with Apple: the state of its signed cookie).
CROSS_SITE: dict[str, Submit] = {
    "apple/callback": apple.callback,
}


async def serve(request: Request) -> Response:
    try:
        site = await find_site(request)
    except NoSite:
        return page(request, None, "error.html", status=404, message="error.no_site")
    name = request.path_params.get("page", "").strip("/")
    try:
        if request.method == "POST" and name in SUBMITTED:
            return await _submit(request, site, SUBMITTED[name])
        if request.method == "POST" and name in CROSS_SITE:
            return await _submit(request, site, CROSS_SITE[name], csrf=False)
        shown = SHOWN.get(name)
        if shown is None:
            return page(request, site, "error.html", status=404, message="error.not_found")
        return await shown(request, site)
    except DomainError:
        # A refusal no page expects (the program changed under the form, say).
        return page(request, site, "error.html", status=400, message="error.refused")


async def _submit(request: Request, site: Site, submit: Submit, *, csrf: bool = True) -> Response:
    try:
        form = await read_form(request)
    except FormTooLarge:
        return secure_headers(Response("Form too large", status_code=413))
    protection: Protection = request.app.state.site_protection
    if csrf and not protection.form_valid(request, form.get(CSRF_FIELD)):
        return page(request, site, "error.html", status=403, message="error.csrf")
    return await submit(request, site, form)


ROUTES = [
    Route("/m/{merchant_id:int}/guest/{page:path}", serve, methods=["GET", "POST"]),
    Route("/m/{merchant_id:int}/guest", serve, methods=["GET"]),
    Route("/guest/{page:path}", serve, methods=["GET", "POST"]),
]
