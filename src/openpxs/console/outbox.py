"""The outbox page (owners and managers): the merchant's messages waiting or given up,
and "Retry" on a given-up webhook delivery or on all of them."""

from __future__ import annotations

from starlette.requests import Request

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.session import BASE, run
from openpxs.domain.errors import DomainError
from openpxs.domain.operators import Operator, Permission
from openpxs.services import console_outbox
from openpxs.services.console_outbox import OutboxView
from openpxs.services.staff import StaffCall
from openpxs.web.forms import see_other

DONE = {"retried": "The failed deliveries are due again: the outbox worker sends them."}


async def _page(request: Request, *, status: int = 200, error: str | None = None) -> Answer:
    async def read(call: StaffCall) -> OutboxView:
        return await console_outbox.outbox_of(call)

    found = await run(request, read)
    notice = None if error else DONE.get(request.query_params.get("done", ""))
    return View(
        "outbox.html",
        {
            "messages": found.messages,
            "counts": found.counts,
            "retryable": any(m.retryable for m in found.messages),
            "error": error,
            "notice": notice,
        },
        status,
    )


async def outbox_page(request: Request, operator: Operator) -> Answer:
    return await _page(request)


async def retry_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    """One message (``message``) or, with ``all``, every given-up webhook delivery."""
    text = form.get("message", "").strip()
    every = form.get("all") == "1"
    if not every and not (text.isdigit() and len(text) < 19):
        return await _page(request, status=400, error="Choose a failed message to retry.")
    message_id = None if every else int(text)
    try:
        await run(request, lambda call: console_outbox.retry_failed(call, message_id))
    except DomainError as refused:
        return await _page(request, status=400, error=refused.detail or "Refused")
    return see_other(f"{BASE}/outbox?done=retried")


PAGES = [
    ConsolePage("outbox", Permission.MANAGE_OUTBOX, show=outbox_page, nav="Outbox"),
    ConsolePage("outbox/retry", Permission.MANAGE_OUTBOX, submit=retry_form),
]
