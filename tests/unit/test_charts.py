"""The SVG charts: well-formed standalone documents, named and described for assistive
technology, text escaped, and scales that hold for no data, one point and values
below zero."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from openpxs.console.charts import (
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MAX_X_LABELS,
    WIDTH,
    Series,
    bar_chart,
    line_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
DAYS = ["2026-12-01", "2026-12-02", "2026-12-03"]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on a document that is not well-formed


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def tick_labels(root: ET.Element) -> list[Decimal]:
    """The numbers written at the left of the plot (the vertical axis)."""
    return [Decimal(t.text or "") for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]


def ys(root: ET.Element, tag: str, attribute: str) -> list[float]:
    return [float(e.get(attribute) or "nan") for e in root.iter(f"{SVG}{tag}")]


@pytest.mark.parametrize("draw", [line_chart, bar_chart])
def test_a_chart_is_an_image_named_and_described(draw: type) -> None:
    root = parsed(draw("Liability", "Value owed per day", DAYS, [Series("SV", [1, 2, 3])]))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.text, desc.text) == ("Liability", "Value owed per day")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


@pytest.mark.parametrize("draw", [line_chart, bar_chart])
def test_nothing_runs_and_nothing_is_fetched(draw: type) -> None:
    svg = draw("T", "D", DAYS, [Series("a", [1, 2, 3]), Series("b", [3, 2, 1])])
    lowered = svg.lower()
    for needle in ("<script", "javascript:", "onload", "onclick", "http://", "https://", "<image"):
        if needle == "http://":
            # The one URL is the SVG namespace, which is a name, not a fetch.
            assert lowered.count(needle) == 1 and 'xmlns="http://www.w3.org/2000/svg"' in svg
        else:
            assert needle not in lowered


@pytest.mark.parametrize("draw", [line_chart, bar_chart])
def test_labels_and_names_are_escaped(draw: type) -> None:
    hostile = '<script>alert("x")</script> & Sons'
    svg = draw(hostile, f"desc {hostile}", [hostile], [Series(hostile, [5])], ident='a"b<c')
    root = parsed(svg)
    assert "<script>" not in svg
    assert hostile in texts(root)  # the legend and the day label, read back as text
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == hostile
    assert all(c.isalnum() or c in "-_ " for c in root.get("aria-labelledby") or "")


@pytest.mark.parametrize("draw", [line_chart, bar_chart])
@pytest.mark.parametrize(
    ("labels", "series"),
    [([], []), ([], [Series("a", [])]), (DAYS, []), (DAYS, [Series("zero", [0, 0, 0])])],
)
def test_an_empty_chart_has_a_scale_and_says_so(
    draw: type, labels: list[str], series: list[Series]
) -> None:
    root = parsed(draw("Empty", "Nothing", labels, series))
    ticks = tick_labels(root)
    assert ticks[0] == 0 and ticks[-1] > 0  # zero to one step: no division by zero
    if not labels or not series:
        assert "No data" in texts(root)


def test_a_single_day_is_a_marker_in_the_middle() -> None:
    root = parsed(line_chart("One", "One day", ["2026-12-01"], [Series("SV", [Decimal("12.50")])]))
    assert root.find(f".//{SVG}polyline") is None
    (marker,) = root.iter(f"{SVG}circle")
    assert float(marker.get("cx") or 0) == pytest.approx((MARGIN_LEFT + WIDTH - MARGIN_RIGHT) / 2)
    point_title = marker.find(f"{SVG}title")
    assert point_title is not None and point_title.text == "SV, 2026-12-01: 12.50"


def test_a_line_goes_below_zero_and_the_scale_follows() -> None:
    root = parsed(line_chart("Neg", "Negative", DAYS, [Series("SV", [5, -12, 3])]))
    ticks = tick_labels(root)
    assert ticks[0] <= -12 and ticks[-1] >= 5 and Decimal(0) in ticks
    cy = ys(root, "circle", "cy")
    assert cy[0] < cy[2] < cy[1]  # 5 above 3 above -12 (y grows down the page)


def test_stacked_bars_put_negative_parts_below_zero() -> None:
    root = parsed(
        bar_chart(
            "Activity",
            "Up and down",
            ["d1"],
            [Series("accrued", [10]), Series("redeemed", [-4]), Series("expired", [-2])],
        )
    )
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3
    tops = [float(r.get("y") or 0) for r in bars]
    heights = [float(r.get("height") or 0) for r in bars]
    zero = tops[0] + heights[0]  # the accrued bar stands on the zero line
    assert tops[1] == pytest.approx(zero)  # redeemed hangs from it
    assert tops[2] == pytest.approx(zero + heights[1])  # expired below redeemed
    assert heights[0] == pytest.approx(heights[1] * 10 / 4, rel=0.01)
    ticks = tick_labels(root)
    assert ticks[0] <= -6 and ticks[-1] >= 10


def test_grouped_bars_stand_side_by_side() -> None:
    root = parsed(
        bar_chart("G", "Grouped", ["d1"], [Series("a", [3]), Series("b", [5])], stacked=False)
    )
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    xs = [float(r.get("x") or 0) for r in bars]
    widths = [float(r.get("width") or 0) for r in bars]
    assert xs[1] == pytest.approx(xs[0] + widths[0])
    bottoms = [float(r.get("y") or 0) + float(r.get("height") or 0) for r in bars]
    assert bottoms[0] == pytest.approx(bottoms[1])


def test_many_days_do_not_crowd_the_axis() -> None:
    labels = [f"2026-01-{d:02d}" for d in range(1, 32)]
    root = parsed(line_chart("Month", "31 days", labels, [Series("SV", list(range(31)))]))
    shown = [t for t in texts(root) if t.startswith("2026-01-")]
    assert 2 <= len(shown) <= MAX_X_LABELS and shown[0] == "2026-01-01"
    assert len(list(root.iter(f"{SVG}circle"))) == 31  # every day is still a point


def test_exact_decimals_make_the_ticks() -> None:
    root = parsed(line_chart("Cents", "Small", DAYS, [Series("SV", [Decimal("0.03")] * 3)]))
    assert tick_labels(root) == [Decimal(0), Decimal("0.01"), Decimal("0.02"), Decimal("0.03")]


def test_series_that_do_not_fit_the_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3"):
        line_chart("T", "D", DAYS, [Series("a", [1, 2])])
    with pytest.raises(ValueError, match="not a number"):
        bar_chart("T", "D", ["d"], [Series("a", [Decimal("NaN")])])
