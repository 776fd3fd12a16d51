"""The program pages: the live program and a draft of it (checked, compared, tried on a
check, applied from the diff the operator saw), and printed card ranges.

Without scripts, "validation as you type" is a check on every submit: each button of
the editor's form checks the draft first and shows its problems beside it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.session import BASE, run, run_rolled_back
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.operators import Operator, Permission
from openpxs.services import console_program, program_drafts
from openpxs.services.console_program import LiveProgram
from openpxs.services.program_drafts import DraftInvalid, DraftRefused, StaleDraft
from openpxs.web.forms import see_other
from openpxs.web.protection import secure_headers

_TRIAL_FIELDS = ("store", "items", "card", "account")


def _refusal(error: DomainError) -> str:
    """Why the use case refused; a session that ended meanwhile is the routes' to
    answer (back to signing in), so it goes on up."""
    if error.reason == Reason.INVALID_TOKEN:
        raise error
    return error.detail or error.reason.value.replace("_", " ").capitalize()


async def _page(
    request: Request,
    form: dict[str, str] | None = None,
    *,
    status: int = 200,
    **shown: Any,
) -> View:
    live: LiveProgram = await run(request, console_program.live_program)
    # The editor starts from the last program file applied; a form keeps what was sent.
    draft = live.source if form is None else form.get("draft", "")
    form = form or {}
    context: dict[str, Any] = {
        "live": live,
        "draft": draft,
        "starts_from_source": form == {} and bool(live.source),
        "trial": {k: form.get(k, "") for k in _TRIAL_FIELDS},
        "problems": [],
        "checked": False,
        "diff": None,
        "simulation": None,
        "error": None,
        "notice": None,
        "max_items": console_program.MAX_ITEMS,
    }
    if request.query_params.get("done") == "applied":
        context["notice"] = f"The draft was applied: the live program is at version {live.version}."
    context.update(shown)
    return View("program.html", context, status)


async def program_page(request: Request, operator: Operator) -> Answer:
    return await _page(request)


def _problems(text: str) -> list[program_drafts.Problem]:
    if not text.strip():
        return [program_drafts.Problem(None, None, "", "the draft is empty: paste a program file")]
    return program_drafts.check_draft(text)


async def check_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    problems = _problems(form.get("draft", ""))
    return await _page(
        request, form, status=400 if problems else 200, problems=problems, checked=True
    )


async def diff_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    text = form.get("draft", "")
    problems = _problems(text)
    if problems:
        return await _page(request, form, status=400, problems=problems, checked=True)
    try:
        found = await run(request, lambda call: console_program.diff(call, text))
    except DraftRefused as refused:
        return await _page(request, form, status=400, error=f"Not compared: {refused}.")
    return await _page(request, form, diff=found, checked=True)


async def simulate_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    text = form.get("draft", "")
    problems = _problems(text)
    if problems:
        return await _page(request, form, status=400, problems=problems, checked=True)
    try:
        trial = console_program.trial_check(*(form.get(k, "") for k in _TRIAL_FIELDS))
        found = await run_rolled_back(
            request, lambda call: console_program.simulate(call, text, trial)
        )
    except DomainError as refused:
        return await _page(request, form, status=400, error=f"Not simulated: {_refusal(refused)}.")
    except DraftRefused as refused:
        return await _page(request, form, status=400, error=f"Not simulated: {refused}.")
    wallets = sorted(
        {(w.wallet, w.name) for side in (found.live, found.draft) for w in side.balances_after}
        | {(w.wallet, w.name) for side in (found.live, found.draft) for w in side.earned}
    )
    rules = sorted({(r.rule, r.wallet) for side in (found.live, found.draft) for r in side.rules})
    return await _page(request, form, simulation=found, wallets=wallets, rules=rules, checked=True)


async def apply_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    text, taken = form.get("draft", ""), form.get("version", "").strip()
    if not (taken.isdigit() and len(taken) < 10):
        return await _page(
            request,
            form,
            status=400,
            error="Nothing was applied: apply from the changes shown by 'Show changes'.",
        )
    try:
        await run(
            request,
            lambda call: console_program.apply(call, text, int(taken), form.get("comment", "")),
        )
    except DraftInvalid as invalid:
        return await _page(request, form, status=400, problems=invalid.problems, checked=True)
    except StaleDraft as stale:
        return await _page(
            request,
            form,
            status=409,
            error=f"Nothing was applied: {stale}. Show the changes again, then apply.",
        )
    except DraftRefused as refused:
        return await _page(request, form, status=400, error=f"Nothing was applied: {refused}.")
    except DomainError as refused:
        return await _page(
            request, form, status=400, error=f"Nothing was applied: {_refusal(refused)}."
        )
    return see_other(f"{BASE}/program?done=applied")


async def _cards_page(
    request: Request, form: dict[str, str] | None = None, *, status: int = 200, error: str = ""
) -> View:
    live: LiveProgram = await run(request, console_program.live_program)
    return View(
        "cards.html",
        {
            "live": live,
            "form": form or {},
            "error": error or None,
            "notice": None,
            "max_cards": console_program.MAX_PRINTED_CARDS,
        },
        status,
    )


async def cards_page(request: Request, operator: Operator) -> Answer:
    return await _cards_page(request)


async def print_form(request: Request, operator: Operator, form: dict[str, str]) -> Answer:
    """Issue the range and send its print file; the codes are in this reply only."""
    template, start, count = (form.get(k, "") for k in ("template", "start", "count"))
    try:
        printed = await run(
            request, lambda call: console_program.print_range(call, template, start, count)
        )
    except DomainError as refused:
        return await _cards_page(request, form, status=400, error=_refusal(refused))
    response = Response(printed.text, media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{printed.name}"'
    response.headers["Cache-Control"] = "no-store"
    return secure_headers(response)


PAGES = [
    ConsolePage("program", Permission.MANAGE_PROGRAM, show=program_page, nav="Program"),
    ConsolePage("program/check", Permission.MANAGE_PROGRAM, submit=check_form),
    ConsolePage("program/diff", Permission.MANAGE_PROGRAM, submit=diff_form),
    ConsolePage("program/simulate", Permission.MANAGE_PROGRAM, submit=simulate_form),
    ConsolePage("program/apply", Permission.MANAGE_PROGRAM, submit=apply_form),
    ConsolePage("cards", Permission.MANAGE_PROGRAM, show=cards_page, nav="Card ranges"),
    ConsolePage("cards/print", Permission.MANAGE_PROGRAM, submit=print_form),
]
