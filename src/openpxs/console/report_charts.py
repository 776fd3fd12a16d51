"""Each report as a chart: the picture the console's report pages and
``openpxs reports ... --svg`` show (the numbers themselves are the report's table)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openpxs.console.charts import Series, bar_chart, line_chart
from openpxs.services.reports import (
    ActivityReport,
    ChallengeReport,
    EnrollmentReport,
    LiabilityReport,
    Report,
    Scope,
)


def _where(scope: Scope) -> str:
    period = scope.period
    store = f", store {scope.store_code}" if scope.store_code else ""
    return f"{scope.merchant_name}, {period.first.isoformat()} to {period.last.isoformat()}{store}"


def _labels(days: list[date]) -> list[str]:
    return [day.isoformat() for day in days]


def liability_chart(report: LiabilityReport) -> str:
    days = report.scope.period.days
    series = [
        Series(
            f"{wallet.name} (wallet {wallet.code})",
            [d.outstanding for d in report.days if d.wallet_code == wallet.code],
        )
        for wallet in report.wallets
    ]
    closing = "; ".join(
        f"{w.name} {report.closing(w.code)} outstanding, {report.expired(w.code)} expired, "
        f"{report.dormant[w.code]} dormant"
        for w in report.wallets
    )
    description = (
        f"Value outstanding at the end of each day, {_where(report.scope)}. "
        f"At the end: {closing or 'no wallets of this kind'}."
    )
    return line_chart(
        report.title, description, _labels(days), series, ident=_ident_of(report.title)
    )


def activity_chart(report: ActivityReport, wallet_code: int) -> str:
    """Accrual up and redemption and expiry down, per day, for one wallet."""
    days = report.scope.period.days
    index = {day: i for i, day in enumerate(days)}
    sums: dict[str, list[Decimal]] = {
        name: [Decimal(0)] * len(days) for name in ("accrued", "redeemed", "expired")
    }
    for row in report.rows:
        if row.wallet_code != wallet_code:
            continue
        at = index[row.day]
        sums["accrued"][at] += row.accrued
        sums["redeemed"][at] -= row.redeemed
        sums["expired"][at] -= row.expired
    wallet = next((w for w in report.wallets if w.code == wallet_code), None)
    name = f"{wallet.name} (wallet {wallet_code})" if wallet else f"wallet {wallet_code}"
    series = [Series(f"{what}", values) for what, values in sums.items()]
    description = (
        f"{name}: value accrued (up), redeemed and expired (down) per day, "
        f"{_where(report.scope)}. Totals: accrued {report.total(wallet_code, 'accrued')}, "
        f"redeemed {report.total(wallet_code, 'redeemed')}, "
        f"expired {report.total(wallet_code, 'expired')}."
    )
    return bar_chart(
        f"{report.title}: {name}", description, _labels(days), series, ident="activity"
    )


def _counts(
    days: list[date], keys: tuple[str, ...], rows: list[tuple[date, str, int]]
) -> list[Series]:
    index = {day: i for i, day in enumerate(days)}
    # Every key gets its series, even one with no rows.
    counts: dict[str, list[int]] = {key: [0] * len(days) for key in keys}
    for day, key, count in rows:
        counts.setdefault(key, [0] * len(days))[index[day]] += count
    return [Series(key, values) for key, values in counts.items()]


def enrollment_chart(report: EnrollmentReport) -> str:
    days = report.scope.period.days
    series = _counts(days, report.channels, [(r.day, r.channel, r.accounts) for r in report.rows])
    description = (
        f"Accounts opened per day by channel, {_where(report.scope)}. Total: {report.total}."
    )
    return bar_chart(report.title, description, _labels(days), series, ident="enrollments")


def challenge_chart(report: ChallengeReport) -> str:
    days = report.scope.period.days
    rows = [(r.day, r.challenge_code, r.accounts + r.groups) for r in report.rows]
    series = _counts(days, report.challenges, rows)
    total = sum(r.accounts + r.groups for r in report.rows)
    description = (
        f"Challenge occurrences completed per day by challenge (accounts and groups), "
        f"{_where(report.scope)}. Total: {total}."
    )
    return bar_chart(report.title, description, _labels(days), series, ident="challenges")


def chart_of(report: Report, wallet_code: int | None = None) -> str:
    """The report's chart; an activity report shows one wallet (``wallet_code``, else
    its first)."""
    if isinstance(report, LiabilityReport):
        return liability_chart(report)
    if isinstance(report, ActivityReport):
        if wallet_code is None:
            wallet_code = report.wallets[0].code if report.wallets else 0
        return activity_chart(report, wallet_code)
    if isinstance(report, EnrollmentReport):
        return enrollment_chart(report)
    return challenge_chart(report)


def _ident_of(title: str) -> str:
    return title.lower().replace(" ", "-")
