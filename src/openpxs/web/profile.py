"""The signed-in guest's own details: the profile page (names and ways to reach them)
and the password page, over the use cases of enrollment/editUser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.fields import InvalidFields, UniqueValueInUse
from openpxs.services import guest_website
from openpxs.services.context import Call
from openpxs.services.guest_website import Profile
from openpxs.services.oauth import TokenSet
from openpxs.web import apple
from openpxs.web.forms import see_other
from openpxs.web.pages import errors_by_field, form_fields
from openpxs.web.render import Texts, page
from openpxs.web.signin import _signed_in_response
from openpxs.web.site import Site, check_password_ahead, run

# The password page's fields, and the key of each one's problems.
PASSWORD_FIELDS = ("current_password", "new_password", "confirm_password")
NEW_PASSWORD_KEY = "setUserFields/password"


def _signed_out(site: Site) -> Response:
    return see_other(f"{site.base}/signin")


def _profile_page(
    request: Request,
    site: Site,
    profile: Profile,
    *,
    status: int = 200,
    sent: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    saved: bool = False,
) -> Response:
    if sent is None:
        sent = {s.name: str(profile.user.fields.get(s.name) or "") for s in profile.settings}
    return page(
        request,
        site,
        "profile.html",
        status=status,
        signed_in=True,
        fields=form_fields(profile.settings, sent, errors or {}),
        failed=bool(errors),
        saved=saved,
        apple_linked=request.query_params.get("apple") == "linked",
        form_targets=apple.origin(site),
    )


async def profile(request: Request, site: Site) -> Response:
    try:
        found = await run(request, site, guest_website.guest_profile, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    saved = request.query_params.get("saved") == "1"
    return _profile_page(request, site, found, saved=saved)


async def profile_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    sent = {name: value.strip() for name, value in form.items()}

    async def save(call: Call) -> None:
        await guest_website.edit_profile(call, sent)

    try:
        await run(request, site, save, signed_in=True)
    except (InvalidFields, UniqueValueInUse) as refused:
        found = await run(request, site, guest_website.guest_profile, signed_in=True)
        errors = errors_by_field(refused)
        return _profile_page(request, site, found, status=400, sent=sent, errors=errors)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    return see_other(f"{site.base}/profile?saved=1")


def _password_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    """The password form; ``errors`` holds each field's problem as shown."""
    return page(
        request,
        site,
        "password.html",
        status=status,
        signed_in=True,
        names=PASSWORD_FIELDS,
        errors=errors or {},
        changed=request.query_params.get("changed") == "1",
    )


async def password(request: Request, site: Site) -> Response:
    try:
        await run(request, site, guest_website.guest_profile, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    return _password_page(request, site)


def _form_problems(form: dict[str, str], texts: Texts) -> dict[str, str]:
    """What the form itself gets wrong, before the password is checked."""
    problems = {}
    if not form.get("current_password"):
        problems["current_password"] = texts("password.current_required")
    if form.get("new_password", "") != form.get("confirm_password", ""):
        problems["confirm_password"] = texts("password.mismatch")
    return problems


async def password_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    try:
        found = await run(request, site, guest_website.guest_profile, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    texts = Texts(site)
    problems = _form_problems(form, texts)
    if problems:
        return _password_page(request, site, status=400, errors=problems)
    current, new = form["current_password"], form.get("new_password", "")
    # The slow check of the current password, before the change's transaction (as a
    # sign-in runs it).
    await check_password_ahead(request, site, found.user.username or "", current)

    async def change(call: Call) -> TokenSet:
        return await guest_website.change_password(call, current, new)

    try:
        tokens = await run(request, site, change, signed_in=True)
    except InvalidFields as refused:
        said = errors_by_field(refused).get(NEW_PASSWORD_KEY, [])
        problem = " ".join(said) or texts("password.invalid")
        return _password_page(request, site, status=400, errors={"new_password": problem})
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        if error.reason in (Reason.COULD_NOT_AUTHENTICATE, Reason.ACCOUNT_LOCKED):
            # The sign-in's words: a locked username is told to wait.
            key = "signin.locked" if error.reason == Reason.ACCOUNT_LOCKED else "password.wrong"
            return _password_page(
                request, site, status=400, errors={"current_password": texts(key)}
            )
        raise
    return _signed_in_response(request, site, f"{site.base}/password?changed=1", tokens)
