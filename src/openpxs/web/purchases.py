"""Reloading a card and buying an eGift on the guest website (services.guest_purchases).

The guest fills in what they want here and pays on the processor's own checkout page,
or, for a processor without one (Stripe), in the processor's card element on a page of
the site (the site never sees a card number either way); either sends them back to the
``done`` page of the purchase with its reference. That page finishes the purchase and
shows the outcome; it may be loaded again (a reload of the browser, a back button)
without paying twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import guest_purchases
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.services.guest_purchases import EgiftOrder, ReturnTo
from openpxs.web.forms import see_other
from openpxs.web.protection import ProcessorScript
from openpxs.web.render import page, secure_cookies
from openpxs.web.site import Site, run, run_paying

T = TypeVar("T")

# The form's problems, by the reason a use case refused it.
RELOAD_PROBLEMS = {
    Reason.AMOUNT_OUT_OF_RANGE: "reload.amount_invalid",
    Reason.INVALID_QUANTITY: "reload.amount_invalid",
    Reason.CARD_NOT_FOUND: "reload.card_invalid",
    Reason.CARD_NOT_ACTIVE: "reload.card_invalid",
    Reason.EMAIL_NOT_VERIFIED: "reload.email_not_verified",
    Reason.CHECKOUT_SESSION_ERROR: "purchase.processor",
}
EGIFT_PROBLEMS = {
    Reason.AMOUNT_OUT_OF_RANGE: "egift.amount_invalid",
    Reason.INVALID_QUANTITY: "egift.amount_invalid",
    Reason.INVALID_DESIGN: "egift.design_invalid",
    Reason.INVALID_RECIPIENT: "egift.recipient_invalid",
    Reason.CHECKOUT_SESSION_ERROR: "purchase.processor",
}
# Nothing to sell: the merchant does not offer it, or the guest has no card for it.
NOT_OFFERED = (
    Reason.PAYMENTS_NOT_CONFIGURED,
    Reason.SALE_PROGRAM_NOT_FOUND,
    Reason.SALE_PROGRAM_NOT_ACTIVE,
    Reason.INVALID_CARD_TEMPLATE,
    Reason.CARD_NOT_FOUND,
)


def _signed_out(site: Site) -> Response:
    return see_other(f"{site.base}/signin")


def _not_offered(request: Request, site: Site) -> Response:
    return page(
        request, site, "error.html", status=404, signed_in=True, message="purchase.not_offered"
    )


def return_to(request: Request, site: Site, done: str) -> Callable[[str], str]:
    """The absolute address the processor's page sends the guest back to."""
    scheme = "https" if secure_cookies(request) else request.url.scheme
    origin = f"{scheme}://{request.url.netloc}"
    return lambda reference: f"{origin}{site.base}/{done}?" + urlencode({"ref": reference})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _to_payment(
    request: Request, site: Site, checkout: guest_purchases.Checkout, back: ReturnTo
) -> Response:
    """The processor's checkout page, or the site's own page around its card element
    (the one page whose policy lets the processor's script run)."""
    if checkout.url is not None:
        return see_other(checkout.url)
    element = checkout.element
    assert element is not None  # a checkout has one or the other
    return page(
        request,
        site,
        "pay_card.html",
        signed_in=True,
        processor=ProcessorScript(_origin(element.script_url), _origin(element.api_base)),
        element=element,
        return_url=back(checkout.reference),
    )


async def _shown(
    request: Request, site: Site, use_case: Callable[[Call], Awaitable[T]]
) -> T | Response:
    """What a form page shows, or where the guest goes instead (signed out, or nothing
    to sell them)."""
    try:
        return await run(request, site, use_case, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        if error.reason in NOT_OFFERED:
            return _not_offered(request, site)
        raise


async def _checkout(
    request: Request,
    site: Site,
    pay: Callable[[Call, Units], Awaitable[guest_purchases.Checkout]],
    back: ReturnTo,
    *,
    not_offered: tuple[Reason, ...],
    problems: dict[Reason, str],
    again: Callable[[str], Awaitable[Response]],
) -> Response:
    """A purchase form's checkout opened, and the guest sent to pay; or the form shown
    ``again`` with the problem its refusal maps to in ``problems``."""
    try:
        checkout = await run_paying(request, site, pay)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        if error.reason in not_offered:
            return _not_offered(request, site)
        problem = problems.get(error.reason)
        if problem is None:
            raise
        return await again(problem)
    return _to_payment(request, site, checkout, back)


async def _finished(
    request: Request,
    site: Site,
    finish: Callable[[Call, Units], Awaitable[T]],
    template: str,
    *,
    unknown: tuple[Reason, ...],
) -> Response:
    """The page a purchase ends on once the guest is back from paying; a purchase it
    cannot find (``unknown``) is a 404."""
    try:
        done = await run_paying(request, site, finish)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return _signed_out(site)
        if error.reason in unknown:
            return page(
                request, site, "error.html", status=404, signed_in=True, message="purchase.unknown"
            )
        raise
    return page(request, site, template, signed_in=True, done=done)


# ---------------------------------------------------------------------------------------
# Reload


async def _reload_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    problem: str | None = None,
    sent: dict[str, str] | None = None,
) -> Response:
    offer = await _shown(request, site, guest_purchases.reload_offer)
    if isinstance(offer, Response):
        return offer
    if not offer.cards:
        return _not_offered(request, site)
    return page(
        request,
        site,
        "reload.html",
        status=status,
        signed_in=True,
        offer=offer,
        problem=problem,
        sent=sent or {},
    )


async def reload(request: Request, site: Site) -> Response:
    return await _reload_page(request, site)


async def reload_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    card = form.get("card", "").strip()
    amount = form.get("amount", "").strip().removeprefix("$")
    sent = {"card": card, "amount": amount}
    if not amount:
        return await _reload_page(
            request, site, status=400, problem="reload.amount_invalid", sent=sent
        )
    back = return_to(request, site, "reload/done")

    async def pay(call: Call, units: Units) -> guest_purchases.Checkout:
        return await guest_purchases.open_reload(call, units, card, amount, back)

    async def again(problem: str) -> Response:
        return await _reload_page(request, site, status=400, problem=problem, sent=sent)

    return await _checkout(
        request,
        site,
        pay,
        back,
        not_offered=(Reason.PAYMENTS_NOT_CONFIGURED,),
        problems=RELOAD_PROBLEMS,
        again=again,
    )


async def reload_done(request: Request, site: Site) -> Response:
    reference = request.query_params.get("ref", "")

    async def finish(call: Call, units: Units) -> guest_purchases.Reload:
        return await guest_purchases.finish_reload(call, units, reference)

    return await _finished(
        request, site, finish, "reload_done.html", unknown=(Reason.PAYMENT_INTENT_NOT_FOUND,)
    )


# ---------------------------------------------------------------------------------------
# eGift


async def _egift_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    problem: str | None = None,
    sent: dict[str, str] | None = None,
) -> Response:
    offer = await _shown(request, site, guest_purchases.egift_offer)
    if isinstance(offer, Response):
        return offer
    return page(
        request,
        site,
        "egift.html",
        status=status,
        signed_in=True,
        program=offer.program,
        problem=problem,
        sent=sent or {},
    )


async def egift(request: Request, site: Site) -> Response:
    return await _egift_page(request, site)


async def egift_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    wanted = EgiftOrder(
        amount=form.get("amount", "").strip().removeprefix("$"),
        design_code=form.get("design", "").strip() or None,
        recipient_name=form.get("recipient_name", "").strip(),
        recipient_email=form.get("recipient_email", "").strip(),
        message=form.get("message", "").strip(),
    )
    sent = {k: v for k, v in form.items() if k != "csrf_token"}
    if not wanted.amount:
        return await _egift_page(
            request, site, status=400, problem="egift.amount_invalid", sent=sent
        )
    if not wanted.recipient_name or not wanted.recipient_email:
        return await _egift_page(
            request, site, status=400, problem="egift.recipient_invalid", sent=sent
        )
    back = return_to(request, site, "egift/done")

    async def pay(call: Call, units: Units) -> guest_purchases.Checkout:
        return await guest_purchases.open_egift(call, units, wanted, back)

    async def again(problem: str) -> Response:
        return await _egift_page(request, site, status=400, problem=problem, sent=sent)

    return await _checkout(
        request,
        site,
        pay,
        back,
        not_offered=NOT_OFFERED,
        problems=EGIFT_PROBLEMS,
        again=again,
    )


async def egift_done(request: Request, site: Site) -> Response:
    reference = request.query_params.get("ref", "")

    async def finish(call: Call, units: Units) -> guest_purchases.Egift:
        return await guest_purchases.finish_egift(call, units, reference)

    return await _finished(
        request,
        site,
        finish,
        "egift_done.html",
        unknown=(Reason.PAYMENT_INTENT_NOT_FOUND, *NOT_OFFERED),
    )
