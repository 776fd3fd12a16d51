"""Joining with a card the guest already holds (no login yet): the printed number, its
registration code and the template's enrollment fields, over the use case of
enrollment/activateAndRegister.json. The guest is signed in at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.fields import InvalidFields, UniqueValueInUse
from openpxs.services import enrollment
from openpxs.services.context import Call
from openpxs.web.pages import errors_by_field, fields_sent, site_form
from openpxs.web.render import page
from openpxs.web.signin import _signed_in_response
from openpxs.web.site import Site, run

# An unknown card, a wrong code, a card someone already uses (registered or not) and a
# retired one get one answer: the form tells nothing about cards the guest does not hold.
NOT_MATCHED = (
    Reason.CARD_NOT_FOUND,
    Reason.INVALID_REGISTRATION_CODE,
    Reason.CARD_ALREADY_ACTIVE,
    Reason.CARD_NOT_IN_REQUIRED_STATE,
    Reason.CARD_ALREADY_REGISTERED,
)


def register_card_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    sent: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    card_error: str | None = None,
) -> Response:
    sent = sent or {}
    return page(
        request,
        site,
        "register_card.html",
        status=status,
        fields=site_form(site, sent, errors or {}),
        stores=sorted(site.program.stores.values(), key=lambda s: s.name),
        failed=bool(errors),
        card_error=card_error,
        number=sent.get("number", ""),
    )


async def register_card(request: Request, site: Site) -> Response:
    return register_card_page(request, site)


async def register_card_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    template = site.program.templates.get(site.config.card_template)
    if template is None:
        return register_card_page(request, site, status=404)
    # Printed numbers are often typed in groups: the spaces are not part of them.
    number = "".join(form.get("number", "").split())
    code = form.get("registration_code", "").strip()
    shown = {**form, "number": number}
    if not number or not code:
        return register_card_page(
            request, site, status=400, sent=shown, card_error="register_card.missing"
        )
    sent = fields_sent(template, form)

    async def join(call: Call) -> enrollment.Enrolled:
        return await enrollment.activate_card(
            call, number, code, site.config.store, sent, login=True
        )

    try:
        enrolled = await run(request, site, join, signed_in=False)
    except (InvalidFields, UniqueValueInUse) as refused:
        return register_card_page(
            request, site, status=400, sent=shown, errors=errors_by_field(refused)
        )
    except DomainError as error:
        if error.reason in NOT_MATCHED:
            return register_card_page(
                request, site, status=400, sent=shown, card_error="register_card.not_matched"
            )
        if error.reason == Reason.TOO_MANY_ATTEMPTS:
            return register_card_page(
                request, site, status=429, sent=shown, card_error="register_card.too_many"
            )
        raise
    assert enrolled.tokens is not None  # activateAndRegister signs the guest in
    return _signed_in_response(request, site, f"{site.base}/account", enrolled.tokens)
