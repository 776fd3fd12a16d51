"""The guest's pages: account, history and joining the program (registration without a
card), each over the use cases the API serves the same flows with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.fields import FieldSetting, InvalidFields, UniqueValueInUse
from openpxs.domain.program import CardTemplateDef
from openpxs.services import enrollment, guest_website
from openpxs.services.context import Call
from openpxs.services.form_fields import FieldsSent
from openpxs.web.engagement import number
from openpxs.web.forms import see_other
from openpxs.web.partners import partner_origins
from openpxs.web.render import page
from openpxs.web.signin import _signed_in_response
from openpxs.web.site import Site, run

# The input each kind of enrollment field is typed in, and what browsers may fill it with.
INPUT_TYPES = {
    "password": "password",
    "email": "email",
    "phone": "tel",
    "date": "date",
    "boolean": "checkbox",
    "store": "select",
}
AUTOCOMPLETE = {
    "username": "username",
    "password": "new-password",
    "firstName": "given-name",
    "lastName": "family-name",
    "email": "email",
    "mobilePhone": "tel",
    "phone": "tel",
    "dateOfBirth": "bday",
    "postalCode": "postal-code",
    "address1": "address-line1",
    "address2": "address-line2",
    "city": "address-level2",
    "stateProvince": "address-level1",
    "country": "country-name",
}
SET_KEYS = {"user": "setUserFields", "account": "setAccountFields"}


@dataclass(frozen=True)
class FormField:
    setting: FieldSetting
    input_type: str
    autocomplete: str
    value: str
    errors: list[str]

    @property
    def name(self) -> str:
        return self.setting.name

    @property
    def label(self) -> str:
        return self.setting.label or self.setting.name


def _signed_out(site: Site) -> Response:
    return see_other(f"{site.base}/signin")


async def account(request: Request, site: Site) -> Response:
    try:
        home = await run(request, site, guest_website.guest_home, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    return page(
        request,
        site,
        "account.html",
        signed_in=True,
        home=home,
        number=number,
        day=lambda d: f"{d.day} {d:%B %Y}",
        form_targets=partner_origins(site),
    )


async def history(request: Request, site: Site) -> Response:
    try:
        entries = await run(request, site, guest_website.guest_history, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        raise
    return page(request, site, "history.html", signed_in=True, entries=entries)


def form_fields(
    settings: Iterable[FieldSetting], sent: dict[str, str], errors: dict[str, list[str]]
) -> list[FormField]:
    """The inputs of a form of enrollment fields, with the values sent (never a
    password) and each field's problems (keyed as errorsByField keys them)."""
    return [
        FormField(
            setting,
            INPUT_TYPES.get(setting.type, "text"),
            AUTOCOMPLETE.get(setting.name, "off"),
            "" if setting.type == "password" else sent.get(setting.name, ""),
            errors.get(f"{SET_KEYS[setting.scope]}/{setting.name}", []),
        )
        for setting in settings
    ]


def errors_by_field(refused: InvalidFields | UniqueValueInUse) -> dict[str, list[str]]:
    return {
        key: [problem["message"] for problem in found]
        for key, found in refused.members["errorsByField"].items()
    }


def site_form(site: Site, sent: dict[str, str], errors: dict[str, list[str]]) -> list[FormField]:
    template = site.program.templates.get(site.config.card_template)
    if template is None:
        return []
    return form_fields(template.form.values(), sent, errors)


def register_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    sent: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return page(
        request,
        site,
        "register.html",
        status=status,
        fields=site_form(site, sent or {}, errors or {}),
        stores=sorted(site.program.stores.values(), key=lambda s: s.name),
        failed=bool(errors),
    )


def fields_sent(template: CardTemplateDef, form: dict[str, str]) -> FieldsSent:
    """The enrollment fields of ``template`` as a form posted them, in the shape the
    enrollment use cases take (strings, as the API's string style sends them)."""
    values: dict[str, dict[str, object]] = {
        "user": {"style": "string"},
        "account": {"style": "string"},
    }
    for name, setting in template.form.items():
        value = form.get(name, "")
        if setting.type == "boolean":
            value = "true" if value else "false"
        elif setting.type != "password":
            value = value.strip()
        values[setting.scope][name] = value
    return FieldsSent(user=values["user"], account=values["account"])


async def register_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    template = site.program.templates.get(site.config.card_template)
    if template is None:
        return register_page(request, site, status=404)
    sent = fields_sent(template, form)

    async def join(call: Call) -> enrollment.Enrolled:
        return await enrollment.sign_up(call, template.code, site.config.store, sent, login=True)

    try:
        enrolled = await run(request, site, join, signed_in=False)
    except (InvalidFields, UniqueValueInUse) as refused:
        return register_page(request, site, status=400, sent=form, errors=errors_by_field(refused))
    assert enrolled.tokens is not None  # a registration signs the guest in
    return _signed_in_response(request, site, f"{site.base}/account", enrolled.tokens)
