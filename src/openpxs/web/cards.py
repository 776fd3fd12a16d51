"""Adding a card the signed-in guest holds: its printed number and its registration
code, attached to the guest's account as guest/attachCard.json does (balances stay on
the card's own account; the account page lists it beside the others)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import guest_website
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.web.forms import see_other
from openpxs.web.render import page
from openpxs.web.site import Site, run

# An unknown card, someone else's, an inactive one and a wrong code get one answer: the
# form tells nothing about cards the guest does not hold.
NOT_MATCHED = (Reason.CARD_NOT_FOUND, Reason.INVALID_REGISTRATION_CODE)


def _add_page(
    request: Request, site: Site, *, status: int = 200, error: str | None = None, number: str = ""
) -> Response:
    return page(
        request, site, "add_card.html", status=status, signed_in=True, error=error, number=number
    )


async def add_card(request: Request, site: Site) -> Response:
    async def guest(call: Call) -> None:
        await user_for(call, None)

    try:
        await run(request, site, guest, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        raise
    return _add_page(request, site)


async def add_card_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    # Printed numbers are often typed in groups: the spaces are not part of them.
    number = "".join(form.get("number", "").split())
    code = form.get("registration_code", "").strip()
    if not number or not code:
        return _add_page(request, site, status=400, error="cards.missing", number=number)

    async def attach(call: Call) -> None:
        await guest_website.add_card(call, number, code)

    try:
        await run(request, site, attach, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        if error.reason in NOT_MATCHED:
            return _add_page(request, site, status=400, error="cards.not_matched", number=number)
        if error.reason == Reason.TOO_MANY_ATTEMPTS:
            return _add_page(request, site, status=429, error="cards.too_many", number=number)
        raise
    return see_other(f"{site.base}/account")
