"""The console's guest pages: search, the account (balances, lots, tier, history with
why each transaction changed it) and the CSR's actions on it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.session import BASE, run
from openpxs.domain.errors import DomainError, Reason, Refused
from openpxs.domain.operators import Operator, Permission
from openpxs.services import console_audit, console_guests
from openpxs.services.console_audit import AuditEntry
from openpxs.services.console_guests import GuestAccount, GuestMatch
from openpxs.services.staff import StaffCall
from openpxs.web.forms import see_other
from openpxs.web.protection import secure_headers

# What the account page says after an action succeeded (?done=...).
DONE = {
    "adjusted": "The wallet was adjusted.",
    "locked": "The card is locked.",
    "unlocked": "The card is unlocked.",
    "exchanged": "The card was exchanged.",
    "verification": "A verification e-mail is on its way.",
    "erased": "The guest's personal data was erased; the account and its ledger stay.",
    "merged": "The card's account was merged into this one.",
}


def refusal_text(error: DomainError) -> str:
    return error.detail or error.reason.value.replace("_", " ").capitalize()


async def search_page(request: Request, operator: Operator) -> Answer:
    text = request.query_params.get("q", "").strip()

    async def find(call: StaffCall) -> list[GuestMatch]:
        return await console_guests.search(call, text)

    matches = await run(request, find) if text else []
    return View("guests.html", {"q": text, "matches": matches, "searched": bool(text)})


@dataclass(frozen=True)
class _Shown:
    account: GuestAccount
    audit: list[AuditEntry]


async def _account_view(
    request: Request,
    operator: Operator,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Answer:
    account_id: int = request.path_params["account_id"]

    async def read(call: StaffCall) -> _Shown:
        found = await console_guests.guest_account(call, account_id)
        audit: list[AuditEntry] = []
        if operator.may(Permission.VIEW_AUDIT):
            wanted = console_audit.AuditFilter(account_id=account_id)
            audit = (await console_audit.audit_entries(call, wanted)).entries[:20]
        return _Shown(found, audit)

    try:
        shown = await run(request, read)
    except DomainError as refused:
        return View("error.html", {"message": refusal_text(refused)}, 404)
    notice = DONE.get(request.query_params.get("done", ""))
    return View(
        "account.html",
        {
            "account": shown.account,
            "audit": shown.audit,
            "error": error,
            "notice": None if error else notice,
            "form": form or {},
            "serve": operator.may(Permission.SERVE_GUESTS),
            "manage": operator.may(Permission.MANAGE_GUEST_DATA),
        },
        status,
    )


async def account_page(request: Request, operator: Operator) -> Answer:
    return await _account_view(request, operator)


Action = Callable[[StaffCall, int, dict[str, str]], Awaitable[Any]]


def _action(
    done: str, act: Action
) -> Callable[[Request, Operator, dict[str, str]], Awaitable[Answer]]:
    """A form on the account page: the use case, then back to the page saying so; a
    refusal shows the page again with the reason and what was typed."""

    async def submit(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
        account_id: int = request.path_params["account_id"]
        try:
            await run(request, lambda call: act(call, account_id, form))
        except DomainError as refused:
            return await _account_view(
                request, operator, status=400, error=refusal_text(refused), form=form
            )
        return see_other(f"{BASE}/guests/{account_id}?done={done}")

    return submit


def _wallet_code(form: dict[str, str]) -> int:
    text = form.get("wallet", "").strip()
    return int(text) if text.isdigit() and len(text) < 9 else -1


async def _adjust(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.adjust(
        call,
        account_id,
        _wallet_code(form),
        form.get("quantity", "").strip(),
        form.get("activity", ""),
        form.get("comment"),
    )


async def _lock(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.set_card_locked(
        call, account_id, form.get("card", ""), True, form.get("comment")
    )


async def _unlock(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.set_card_locked(
        call, account_id, form.get("card", ""), False, form.get("comment")
    )


async def _exchange(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.exchange_card(
        call, account_id, form.get("card", ""), form.get("new_card", ""), form.get("comment")
    )


async def _verify(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.resend_verification(call, account_id)


async def _erase(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    if form.get("confirm") != "erase":
        raise Refused(Reason.INVALID_REQUEST, "type erase to confirm")
    await console_guests.erase_guest(call, account_id, form.get("comment"))


async def _merge(call: StaffCall, account_id: int, form: dict[str, str]) -> None:
    await console_guests.merge_card(call, account_id, form.get("card", ""), form.get("comment"))


async def export(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    """The guest's data as a JSON download."""
    account_id: int = request.path_params["account_id"]
    try:
        data = await run(request, lambda call: console_guests.export_guest(call, account_id))
    except DomainError as refused:
        return await _account_view(request, operator, status=400, error=refusal_text(refused))
    body = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    response = Response(body, media_type="application/json")
    name = f"guest-{operator.merchant_id}-{account_id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return secure_headers(response)


_ACCOUNT = "guests/{account_id:int}"

PAGES = [
    ConsolePage("guests", Permission.VIEW_GUESTS, show=search_page, nav="Guests"),
    ConsolePage(_ACCOUNT, Permission.VIEW_GUESTS, show=account_page),
    ConsolePage(f"{_ACCOUNT}/adjust", Permission.SERVE_GUESTS, submit=_action("adjusted", _adjust)),
    ConsolePage(f"{_ACCOUNT}/lock", Permission.SERVE_GUESTS, submit=_action("locked", _lock)),
    ConsolePage(f"{_ACCOUNT}/unlock", Permission.SERVE_GUESTS, submit=_action("unlocked", _unlock)),
    ConsolePage(
        f"{_ACCOUNT}/exchange", Permission.SERVE_GUESTS, submit=_action("exchanged", _exchange)
    ),
    ConsolePage(
        f"{_ACCOUNT}/verification", Permission.SERVE_GUESTS, submit=_action("verification", _verify)
    ),
    ConsolePage(
        f"{_ACCOUNT}/merge", Permission.MANAGE_GUEST_DATA, submit=_action("merged", _merge)
    ),
    ConsolePage(f"{_ACCOUNT}/export", Permission.MANAGE_GUEST_DATA, submit=export),
    ConsolePage(
        f"{_ACCOUNT}/erase", Permission.MANAGE_GUEST_DATA, submit=_action("erased", _erase)
    ),
]
