"""The audit page: what operators did, filtered by operator, guest and day."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.session import run
from openpxs.domain.operators import Operator, Permission
from openpxs.services import console_audit
from openpxs.services.console_audit import AuditFilter, AuditPage
from openpxs.services.staff import StaffCall


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


async def audit_page(request: Request, operator: Operator) -> Answer:
    query = request.query_params
    wanted = AuditFilter(
        operator_id=_number(query.get("operator", "")),
        account_id=_number(query.get("account", "")),
        start=_day(query.get("from", "")),
        end=_day(query.get("to", "")),
    )

    async def read(call: StaffCall) -> AuditPage:
        return await console_audit.audit_entries(call, wanted)

    given = {k: query.get(k, "").strip() for k in ("operator", "account", "from", "to")}
    parsed = (wanted.operator_id, wanted.account_id, wanted.start, wanted.end)
    wrong = [k for k, v in zip(given, parsed, strict=True) if given[k] and v is None]
    found = await run(request, read)
    return View(
        "audit.html",
        {
            "entries": found.entries,
            "operators": found.operators,
            "wanted": wanted,
            "values": given,
            "notice": None,
            "error": (
                "Not understood (numbers, and days as YYYY-MM-DD): " + ", ".join(wrong)
                if wrong
                else None
            ),
        },
        400 if wrong else 200,
    )


PAGES = [ConsolePage("audit", Permission.VIEW_AUDIT, show=audit_page, nav="Audit")]
