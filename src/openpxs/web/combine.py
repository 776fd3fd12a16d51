"""Combining a card the signed-in guest holds into their account: its printed number and
registration code, then a confirmation showing the balances that would move, then
guest/attachAndCombineCards' use case. Proving the card is counted as adding it is, and
an unknown card, someone else's and a wrong code get one answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import guest_engagement
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.web.cards import NOT_MATCHED
from openpxs.web.engagement import number as shown_number
from openpxs.web.forms import see_other
from openpxs.web.render import page
from openpxs.web.site import Site, run

REFUSALS = {
    **{reason: (400, "cards.not_matched") for reason in NOT_MATCHED},
    Reason.CARD_ALREADY_REGISTERED: (400, "cards.not_matched"),
    Reason.CARDS_CANNOT_BE_COMBINED: (400, "combine.cannot"),
    Reason.TOO_MANY_ATTEMPTS: (429, "cards.too_many"),
}


def _combine_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    error: str | None = None,
    number: str = "",
    preview: guest_engagement.CombinePreview | None = None,
    code: str = "",
) -> Response:
    return page(
        request,
        site,
        "combine.html",
        status=status,
        signed_in=True,
        error=error,
        number=number,
        preview=preview,
        code=code,
        amount=shown_number,
    )


async def combine(request: Request, site: Site) -> Response:
    async def guest(call: Call) -> None:
        await user_for(call, None)

    try:
        await run(request, site, guest, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        raise
    return _combine_page(request, site)


async def combine_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    number = "".join(form.get("number", "").split())[:64]
    code = form.get("registration_code", "").strip()[:64]
    if not number or not code:
        return _combine_page(request, site, status=400, error="cards.missing", number=number)
    confirmed = form.get("confirm") == "1"

    async def preview(call: Call) -> guest_engagement.CombinePreview:
        return await guest_engagement.combine_preview(call, number, code)

    async def fold(call: Call) -> str:
        return await guest_engagement.combine_card(call, number, code)

    try:
        if confirmed:
            await run(request, site, fold, signed_in=True)
        else:
            found = await run(request, site, preview, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        refused = REFUSALS.get(error.reason)
        if refused is None:
            raise
        status, message = refused
        return _combine_page(request, site, status=status, error=message, number=number)
    if confirmed:
        return see_other(f"{site.base}/account")
    return _combine_page(request, site, number=number, preview=found, code=code)
