"""The hosted checkout page of the built-in test processor.

A real processor hosts the page where a guest pays a checkout
(``payment/createCheckoutSession.json``); the ``test`` processor has no host of its own,
so the server serves it, at ``/test-processor/checkout/{merchantId}/{session}``. The
guest chooses one of the processor's test tokens instead of typing a card: an approving
one authorizes the amount, after which the app captures (or cancels) the payment intent
as it would with any processor; a failing one shows its refusal and leaves the checkout
open for another try. Nothing here moves stored value.

A checkout opened with a return URL (``returnUrl``) sends the guest back there once the
amount is authorized, as a hosted page returns to the shop, and offers a link back while
it is open (the guest gives up). Only an http(s) address or a path on this server is
followed, so the page never runs a ``javascript:`` link.

The page holds no cookie and no authority beyond its unguessable session id, as a
processor's hosted page does, so its form needs no CSRF token. The processor keeps its
checkouts in the process's memory: with several worker processes, a checkout opened in
one is not found by the others (the test processor's documented limit).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpxs.processors.builtin import BuiltinTestProcessor, CheckoutView
from openpxs.web.forms import FormTooLarge, read_form, see_other
from openpxs.web.protection import secure_headers
from openpxs.web.render import page

# The tokens the page offers, each with the outcome the test processor gives it.
TOKENS = {
    "tok_visa": "checkout.token.approve",
    "tok_decline": "checkout.token.decline",
    "tok_insufficient_funds": "checkout.token.insufficient_funds",
    "tok_processor_error": "checkout.token.processor_error",
    "tok_requires_action": "checkout.token.requires_action",
}


async def checkout(request: Request) -> Response:
    merchant_id: int = request.path_params["merchant_id"]
    session: str = request.path_params["session"]
    view = BuiltinTestProcessor.checkout(merchant_id, session)
    if view is None:
        return page(request, None, "error.html", status=404, message="checkout.not_found")
    if request.method == "GET":
        return _show(request, view)
    try:
        form = await read_form(request)
    except FormTooLarge:
        return secure_headers(Response("Form too large", status_code=413))
    token = form.get("token", "")
    if token not in TOKENS:
        return _show(request, view, status=400, problem="checkout.choose_token")
    if view.status != "open":
        return _show(request, view, status=409)
    result = BuiltinTestProcessor.pay_checkout(merchant_id, view.reference, token)
    back = return_address(view)
    if result.approved and back is not None:
        return see_other(back)
    shown = BuiltinTestProcessor.checkout(merchant_id, session) or view
    status = 200 if result.approved else 402
    return _show(request, shown, status=status)


def return_address(view: CheckoutView) -> str | None:
    """The checkout's return URL, when it is one a page may send a browser to."""
    url = view.return_url
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and "\\" not in url:
        return url
    return None


def _show(
    request: Request,
    view: CheckoutView,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    failure = view.last_failure
    return page(
        request,
        None,
        "test_checkout.html",
        status=status,
        view=view,
        amount=f"{view.amount:.2f}",
        action=request.url.path,
        tokens=TOKENS,
        problem=problem,
        back=return_address(view),
        failure=failure.message if failure is not None and view.status == "open" else None,
    )


ROUTES = [
    Route(
        "/test-processor/checkout/{merchant_id:int}/{session}", checkout, methods=["GET", "POST"]
    ),
]
