"""Each report drawn as its chart: the right kind of chart, a series per wallet,
channel or challenge, every day on the axis and the totals in the description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from openpxs.console.report_charts import chart_of
from openpxs.domain.reports import Period
from openpxs.services.reports import (
    ChallengeReport,
    ChallengeRow,
    EnrollmentReport,
    EnrollmentRow,
    LiabilityDay,
    LiabilityReport,
    Scope,
    Wallet,
)

SVG = "{http://www.w3.org/2000/svg}"
D1, D2 = date(2026, 12, 1), date(2026, 12, 2)
SCOPE = Scope(1000, "Grill & <Bar>", Period(D1, D2, "America/New_York"), "1001")


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def titles(root: ET.Element, tag: str) -> list[str]:
    return [e.findtext(f"{SVG}title") or "" for e in root.iter(f"{SVG}{tag}")]


def test_the_liability_is_a_line_per_wallet_with_its_breakage_described() -> None:
    sv = Wallet(1, "Stored Value", "currency", 2)
    report = LiabilityReport(
        "Stored-value liability",
        SCOPE,
        (sv,),
        {1: Decimal("10.00")},
        (
            LiabilityDay(D1, 1, Decimal("15.00"), Decimal("5.00"), Decimal(0), Decimal(0)),
            LiabilityDay(D2, 1, Decimal("12.00"), Decimal(0), Decimal(0), Decimal("3.00")),
        ),
        90,
        {1: Decimal("4.00")},
    )
    root = parsed(chart_of(report))
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    assert titles(root, "circle") == [
        "Stored Value (wallet 1), 2026-12-01: 15.00",
        "Stored Value (wallet 1), 2026-12-02: 12.00",
    ]
    desc = root.findtext(f"{SVG}desc") or ""
    assert "Grill & <Bar>, 2026-12-01 to 2026-12-02, store 1001" in desc
    assert "Stored Value 12.00 outstanding, 3.00 expired, 4.00 dormant" in desc


def test_enrollments_stack_a_series_per_channel() -> None:
    report = EnrollmentReport(
        "Enrollments",
        SCOPE,
        ("Demo App", "Demo POS"),
        (
            EnrollmentRow(D1, "Demo App", 2),
            EnrollmentRow(D1, "Demo POS", 1),
            EnrollmentRow(D2, "Demo POS", 3),
        ),
    )
    root = parsed(chart_of(report))
    assert [t for t in titles(root, "rect") if t] == [
        "Demo App, 2026-12-01: 2",
        "Demo POS, 2026-12-01: 1",
        "Demo App, 2026-12-02: 0",
        "Demo POS, 2026-12-02: 3",
    ]
    assert "Total: 6." in (root.findtext(f"{SVG}desc") or "")


def test_every_challenge_has_a_series_even_without_completions() -> None:
    report = ChallengeReport(
        "Challenge completions",
        SCOPE,
        ("VISIT3", "FEAST50"),
        (ChallengeRow(D2, "VISIT3", 2, 1),),
    )
    root = parsed(chart_of(report))
    assert [t for t in titles(root, "rect") if t] == [
        "VISIT3, 2026-12-01: 0",
        "FEAST50, 2026-12-01: 0",
        "VISIT3, 2026-12-02: 3",
        "FEAST50, 2026-12-02: 0",
    ]
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "VISIT3" in legend and "FEAST50" in legend
