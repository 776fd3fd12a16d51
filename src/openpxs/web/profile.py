"""The signed-in guest's own details: the profile page (names and ways to reach them),
over the use case of enrollment/editUser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.fields import InvalidFields, UniqueValueInUse
from openpxs.services import guest_website
from openpxs.services.context import Call
from openpxs.services.guest_website import Profile
from openpxs.web.forms import see_other
from openpxs.web.pages import errors_by_field, form_fields
from openpxs.web.render import page
from openpxs.web.site import Site, run


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
