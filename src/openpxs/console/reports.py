"""The console's report pages: each report of ``services.reports`` as its chart, its
table and its totals, filtered by period and store, and the same report as CSV.

The page and its CSV come from one call of the report's use case (the one
``openpxs reports`` runs), so what the page shows, what the CSV holds and what the
command line prints are the same figures. A filter that is not one (a malformed day,
the end before the start, a period too long, a store the merchant does not have) shows
the form again with the reason next to the field, status 400.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.report_charts import chart_of
from openpxs.console.session import run
from openpxs.domain.clock import local_date
from openpxs.domain.errors import DomainError, InvalidStore
from openpxs.domain.operators import Operator, Permission
from openpxs.domain.reports import parse_day
from openpxs.services import reports
from openpxs.services.reports import (
    ActivityReport,
    ChallengeReport,
    EnrollmentReport,
    LiabilityReport,
    Report,
)
from openpxs.services.staff import StaffCall
from openpxs.store.uow import UnitOfWork
from openpxs.web.protection import secure_headers

# The period a report page shows when none is asked for: the merchant's last 30 days.
DEFAULT_DAYS = 30

Make = Callable[[UnitOfWork, int, date, date, str | None], Awaitable[Report]]


async def _liability(
    uow: UnitOfWork, merchant: int, first: date, last: date, store: str | None
) -> Report:
    return await reports.liability(uow, merchant, first, last, store_code=store)


async def _points(
    uow: UnitOfWork, merchant: int, first: date, last: date, store: str | None
) -> Report:
    return await reports.points(uow, merchant, first, last, store_code=store)


async def _activity(
    uow: UnitOfWork, merchant: int, first: date, last: date, store: str | None
) -> Report:
    return await reports.activity(uow, merchant, first, last, store_code=store)


async def _enrollments(
    uow: UnitOfWork, merchant: int, first: date, last: date, store: str | None
) -> Report:
    return await reports.enrollments(uow, merchant, first, last, store_code=store)


async def _challenges(
    uow: UnitOfWork, merchant: int, first: date, last: date, store: str | None
) -> Report:
    return await reports.challenges(uow, merchant, first, last, store_code=store)


@dataclass(frozen=True)
class Kind:
    """One report of the console: its address under /console/reports/, its name and
    what it is about, and its use case."""

    slug: str
    name: str
    about: str
    make: Make


KINDS = (
    Kind(
        "liability",
        "Stored-value liability",
        "The stored value guests hold at the end of each day, what was added, spent and "
        "expired, and the value on dormant accounts (no activity but expiry for 365 days) "
        "at the period's end.",
        _liability,
    ),
    Kind(
        "points",
        "Points liability",
        "The points and rewards guests hold at the end of each day, what was added, spent "
        "and expired, and what dormant accounts hold at the period's end.",
        _points,
    ),
    Kind(
        "activity",
        "Accrual and redemption",
        "Value accrued, redeemed and expired per day, store and wallet (the chart shows "
        "the first wallet). Rows with no store were recorded without one, expiry above all.",
        _activity,
    ),
    Kind(
        "enrollments",
        "Enrollments",
        "Accounts opened per day and channel (the integration that activated the account).",
        _enrollments,
    ),
    Kind(
        "challenges",
        "Challenge completions",
        "Challenge occurrences completed per day, by accounts and by social groups.",
        _challenges,
    ),
)


@dataclass(frozen=True)
class Filters:
    """The filters as typed, and what was wrong with each (by field)."""

    values: dict[str, str]
    errors: dict[str, str]


def _filters(request: Request, today: date) -> tuple[Filters, date, date]:
    """The filters of the query and the period they ask for: the day ``to`` (else
    today) and ``from`` (else the 30 days that end with ``to``)."""
    query = request.query_params
    given = {key: query.get(key, "").strip() for key in ("from", "to", "store")}
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for key in ("from", "to"):
        if given[key]:
            try:
                # Cut short: the reason quotes what was typed.
                days[key] = parse_day(given[key][:40])
            except DomainError as wrong:
                errors[key] = _text(wrong)
    last = days.get("to", today)
    first = days.get("from", last - timedelta(days=DEFAULT_DAYS - 1))
    given["from"] = given["from"] or first.isoformat()
    given["to"] = given["to"] or last.isoformat()
    return Filters(given, errors), first, last


def _text(error: DomainError) -> str:
    text = error.detail or error.reason.value.replace("_", " ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@dataclass(frozen=True)
class _Made:
    filters: Filters
    stores: list[tuple[str, str]]
    report: Report | None


def _made(kind: Kind, request: Request) -> Callable[[StaffCall], Awaitable[_Made]]:
    async def make(call: StaffCall) -> _Made:
        call.require(Permission.VIEW_REPORTS)
        program = call.program
        stores = sorted((s.code, s.name) for s in program.stores.values())
        filters, first, last = _filters(request, local_date(call.now, program.timezone))
        if filters.errors:
            return _Made(filters, stores, None)
        store = filters.values["store"] or None
        try:
            report = await kind.make(call.uow, call.merchant_id, first, last, store)
        except InvalidStore as unknown:
            filters.errors["store"] = _text(unknown)
            return _Made(filters, stores, None)
        except DomainError as wrong:
            # The period: the end before the start, or longer than a report covers.
            filters.errors["to"] = _text(wrong)
            return _Made(filters, stores, None)
        return _Made(filters, stores, report)

    return make


@dataclass(frozen=True)
class Total:
    label: str
    value: str


def totals(report: Report) -> list[Total]:
    """The figures a report adds up to, from the report's own sums."""
    if isinstance(report, LiabilityReport):
        found = []
        for w in report.wallets:
            days = [d for d in report.days if d.wallet_code == w.code]
            added = sum((d.added for d in days), Decimal(0))
            spent = sum((d.spent for d in days), Decimal(0))
            name = f"{w.name} (wallet {w.code})"
            found += [
                Total(f"{name}: outstanding at the start", str(report.opening[w.code])),
                Total(f"{name}: added", str(added)),
                Total(f"{name}: spent", str(spent)),
                Total(f"{name}: expired (breakage)", str(report.expired(w.code))),
                Total(f"{name}: outstanding at the end", str(report.closing(w.code))),
                Total(
                    f"{name}: dormant at the end (idle {report.dormant_days} days)",
                    str(report.dormant[w.code]),
                ),
            ]
        return found
    if isinstance(report, ActivityReport):
        return [
            Total(f"{w.name} (wallet {w.code}): {what}", str(report.total(w.code, what)))
            for w in report.wallets
            if any(r.wallet_code == w.code for r in report.rows)
            for what in ("accrued", "redeemed", "expired")
        ]
    if isinstance(report, EnrollmentReport):
        by_channel = [
            Total(channel, str(sum(r.accounts for r in report.rows if r.channel == channel)))
            for channel in report.channels
        ]
        return [*by_channel, Total("All channels", str(report.total))]
    return _challenge_totals(report)


def _challenge_totals(report: ChallengeReport) -> list[Total]:
    found = []
    for code in report.challenges:
        rows = [r for r in report.rows if r.challenge_code == code]
        if rows:
            accounts, groups = sum(r.accounts for r in rows), sum(r.groups for r in rows)
            found.append(Total(code, f"{accounts} by accounts, {groups} by groups"))
    accounts = sum(r.accounts for r in report.rows)
    groups = sum(r.groups for r in report.rows)
    return [*found, Total("All challenges", f"{accounts} by accounts, {groups} by groups")]


def _view(kind: Kind, made: _Made) -> View:
    context = {
        "kind": kind,
        "kinds": KINDS,
        "values": made.filters.values,
        "errors": made.filters.errors,
        "stores": made.stores,
        "notice": None,
    }
    if made.report is None:
        error = "The report could not be made: see the filters."
        return View("report.html", {**context, "report": None, "error": error}, 400)
    table = made.report.table()
    return View(
        "report.html",
        {
            **context,
            "error": None,
            "report": made.report,
            # The chart is markup the server drew, every text in it escaped.
            "chart": Markup(chart_of(made.report)),
            "header": table.header,
            "rows": table.rows,
            "totals": totals(made.report),
            "csv_query": urlencode(made.filters.values),
        },
    )


def _report_page(kind: Kind) -> Callable[[Request, Operator], Awaitable[Answer]]:
    async def show(request: Request, operator: Operator) -> Answer:
        return _view(kind, await run(request, _made(kind, request)))

    return show


def _csv(kind: Kind) -> Callable[[Request, Operator], Awaitable[Answer]]:
    """The report as a CSV file; filters that are not ones get the page and its reasons."""

    async def download(request: Request, operator: Operator) -> Answer:
        made = await run(request, _made(kind, request))
        if made.report is None:
            return _view(kind, made)
        out = io.StringIO()
        reports.write_csv(made.report.table(), out)
        values = made.filters.values
        # A store code is the program's, but a file name takes only plain characters.
        store = (
            f"-store-{re.sub(r'[^A-Za-z0-9_-]', '_', values['store'])}" if values["store"] else ""
        )
        name = f"{kind.slug}-{operator.merchant_id}-{values['from']}-{values['to']}{store}.csv"
        response = Response(out.getvalue(), media_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return secure_headers(response)

    return download


async def _index(request: Request, operator: Operator) -> Answer:
    return View("reports.html", {"kinds": KINDS})


PAGES = [
    ConsolePage("reports", Permission.VIEW_REPORTS, show=_index, nav="Reports"),
    *(
        page
        for kind in KINDS
        for page in (
            ConsolePage(f"reports/{kind.slug}", Permission.VIEW_REPORTS, show=_report_page(kind)),
            ConsolePage(f"reports/{kind.slug}.csv", Permission.VIEW_REPORTS, show=_csv(kind)),
        )
    ),
]
