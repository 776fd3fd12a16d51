"""The owners' page of the merchant's operators: list, add, disable and enable."""

from __future__ import annotations

from starlette.requests import Request

from openpxs.console.registry import Answer, ConsolePage, Submit, View
from openpxs.console.session import BASE, run
from openpxs.domain.errors import DomainError
from openpxs.domain.operators import Operator, Permission, Role
from openpxs.services import console_operators
from openpxs.services.staff import StaffCall
from openpxs.web.forms import see_other

DONE = {
    "added": "The operator was added.",
    "disabled": "The operator was disabled and signed out.",
    "enabled": "The operator was enabled.",
}


async def _page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Answer:
    async def read(call: StaffCall) -> list[Operator]:
        return await console_operators.operators_of(call)

    return View(
        "operators.html",
        {
            "operators": await run(request, read),
            "roles": [r.value for r in Role],
            "error": error,
            "notice": None if error else DONE.get(request.query_params.get("done", "")),
            "form": form or {},
        },
        status,
    )


async def operators_page(request: Request, operator: Operator) -> Answer:
    return await _page(request)


async def add_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    email, role, password = form.get("email", ""), form.get("role", ""), form.get("password", "")
    try:
        await run(request, lambda call: console_operators.add(call, email, role, password))
    except DomainError as refused:
        kept = {"email": email, "role": role}
        return await _page(request, status=400, error=refused.detail or "Refused", form=kept)
    return see_other(f"{BASE}/operators?done=added")


def _switch(enabled: bool) -> Submit:
    async def submit(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
        text = form.get("operator", "").strip()
        target = int(text) if text.isdigit() and len(text) < 19 else -1
        try:
            await run(request, lambda call: console_operators.set_enabled(call, target, enabled))
        except DomainError as refused:
            return await _page(request, status=400, error=refused.detail or "Refused")
        return see_other(f"{BASE}/operators?done={'enabled' if enabled else 'disabled'}")

    return submit


PAGES = [
    ConsolePage("operators", Permission.MANAGE_OPERATORS, show=operators_page, nav="Operators"),
    ConsolePage("operators/add", Permission.MANAGE_OPERATORS, submit=add_form),
    ConsolePage("operators/disable", Permission.MANAGE_OPERATORS, submit=_switch(False)),
    ConsolePage("operators/enable", Permission.MANAGE_OPERATORS, submit=_switch(True)),
]
