"""The signed-in guest's username, changed on a page of its own over the use case of
enrollment/editUser: the new one must meet the template's rule for it and be free, and
the current password is required, checked as the password page checks it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.fields import FieldSetting, InvalidFields, UniqueValueInUse
from openpxs.services import guest_website
from openpxs.services.context import Call
from openpxs.services.enrollment import template_of
from openpxs.services.guest_website import Profile
from openpxs.web.forms import see_other
from openpxs.web.pages import errors_by_field
from openpxs.web.render import Texts, page
from openpxs.web.site import Site, check_password_ahead, run

USERNAME_KEY = "setUserFields/username"


@dataclass(frozen=True)
class _Form:
    """The guest and the username setting of their template (None: it has none)."""

    profile: Profile
    setting: FieldSetting | None


async def _current(call: Call) -> _Form:
    found = await guest_website.guest_profile(call)
    code = await call.uow.accounts.template_of(call.merchant_id, found.user.account_id)
    return _Form(found, template_of(call.program, code).form.get("username"))


def _username_page(
    request: Request,
    site: Site,
    current: _Form,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    sent: str = "",
) -> Response:
    return page(
        request,
        site,
        "username.html",
        status=status,
        signed_in=True,
        username=current.profile.user.username,
        setting=current.setting,
        errors=errors or {},
        sent=sent,
        changed=request.query_params.get("changed") == "1",
    )


async def username(request: Request, site: Site) -> Response:
    try:
        current = await run(request, site, _current, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        raise
    return _username_page(request, site, current)


async def username_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    try:
        current = await run(request, site, _current, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        raise
    texts = Texts(site)
    new = form.get("new_username", "").strip()
    password = form.get("current_password", "")
    old = current.profile.user.username
    if old is None or current.setting is None:
        # A guest who joined with Apple has no password to prove the change with.
        return _username_page(request, site, current, status=400)
    problems = {}
    if not new:
        problems["new_username"] = texts("username.required")
    if not password:
        problems["current_password"] = texts("password.current_required")
    if problems:
        return _username_page(request, site, current, status=400, errors=problems, sent=new)
    # The slow check of the password, before the change's transaction (as a sign-in).
    await check_password_ahead(request, site, old, password)

    async def change(call: Call) -> None:
        await guest_website.change_username(call, password, new)

    try:
        await run(request, site, change, signed_in=True)
    except (InvalidFields, UniqueValueInUse) as refused:
        said = " ".join(errors_by_field(refused).get(USERNAME_KEY, [])) or texts("username.invalid")
        errors = {"new_username": said}
        return _username_page(request, site, current, status=400, errors=errors, sent=new)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        if error.reason in (Reason.COULD_NOT_AUTHENTICATE, Reason.ACCOUNT_LOCKED):
            key = "signin.locked" if error.reason == Reason.ACCOUNT_LOCKED else "password.wrong"
            errors = {"current_password": texts(key)}
            return _username_page(request, site, current, status=400, errors=errors, sent=new)
        raise
    return see_other(f"{site.base}/username?changed=1")
