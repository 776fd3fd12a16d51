"""Charts drawn on the server as SVG: a line chart over days and a stacked or grouped
bar chart.

The SVG stands alone: no script, no stylesheet or font to fetch, every text escaped. It
is an image to assistive technology (``role="img"`` named by its ``<title>`` and
described by its ``<desc>``); the page shows the same numbers as a table beside it.
Series differ by dash pattern or hatching as well as colour, so the chart still reads
in greyscale. Values are exact decimals; they become floats only to place pixels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

Number = Decimal | int

WIDTH = 720
HEIGHT = 360
MARGIN_LEFT = 72
MARGIN_RIGHT = 48
MARGIN_TOP = 40
MARGIN_BOTTOM = 64
LEGEND_ROW = 18
FONT = 'font-family="sans-serif" font-size="12"'
TITLE_FONT = 'font-family="sans-serif" font-size="15" font-weight="bold"'
# Dark enough on white for text contrast (WCAG AA), and told apart by more than hue.
COLOURS = ("#1f5fa8", "#b3461b", "#2e7d32", "#6a3d9a", "#8a6d00", "#00767a", "#a8325e")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2")
MAX_X_LABELS = 8
TICKS = 5


@dataclass(frozen=True)
class Series:
    """One named line, or one kind of bar, with a value per label."""

    name: str
    values: Sequence[Number]


def _text(value: str) -> str:
    return escape(value, quote=True)


def _ident(value: str) -> str:
    """An id the document can hold: letters, digits, - and _ only."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", value).strip("-")
    return cleaned if cleaned and cleaned[0].isalpha() else f"chart-{cleaned}"


def _shown(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


@dataclass(frozen=True)
class _Scale:
    """The vertical axis: from ``low`` to ``high`` (zero always inside), ticks at
    multiples of ``step``."""

    low: Decimal
    high: Decimal
    step: Decimal
    top: float
    bottom: float

    def y(self, value: Number) -> float:
        span = float(self.high - self.low)
        share = float(Decimal(value) - self.low) / span
        return round(self.bottom - share * (self.bottom - self.top), 2)

    def ticks(self) -> list[Decimal]:
        found = []
        tick = self.low
        while tick <= self.high:
            found.append(tick)
            tick += self.step
        return found


def _nice_step(span: Decimal) -> Decimal:
    """A step of 1, 2 or 5 times a power of ten that cuts ``span`` in about TICKS."""
    raw = span / TICKS
    exponent = raw.adjusted()
    power = Decimal(1).scaleb(exponent)
    for multiple in (1, 2, 5, 10):
        step = power * multiple
        if step >= raw:
            return step
    return power * 10  # pragma: no cover - the loop always returns


def _scale(low: Decimal, high: Decimal, top: float, bottom: float) -> _Scale:
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = low + 1
    step = _nice_step(high - low)
    return _Scale(
        (low / step).to_integral_value(rounding="ROUND_FLOOR") * step,
        (high / step).to_integral_value(rounding="ROUND_CEILING") * step,
        step,
        top,
        bottom,
    )


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(labels)}")
        for value in one.values:
            if not Decimal(value).is_finite():
                raise ValueError(f"series {one.name!r} holds {value}, not a number")


class _Canvas:
    def __init__(self, title: str, description: str, ident: str, series_count: int):
        self.ident = _ident(ident)
        legend_rows = (series_count + 2) // 3
        self.height = HEIGHT + max(legend_rows - 1, 0) * LEGEND_ROW
        self.plot_left = MARGIN_LEFT
        self.plot_right = WIDTH - MARGIN_RIGHT
        self.plot_top = MARGIN_TOP
        self.plot_bottom = HEIGHT - MARGIN_BOTTOM
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
            f'height="{self.height}" viewBox="0 0 {WIDTH} {self.height}" '
            f'aria-labelledby="{self.ident}-title {self.ident}-desc">',
            f'<title id="{self.ident}-title">{_text(title)}</title>',
            f'<desc id="{self.ident}-desc">{_text(description)}</desc>',
            f'<rect width="{WIDTH}" height="{self.height}" fill="#ffffff"/>',
            f'<text x="{MARGIN_LEFT}" y="24" {TITLE_FONT} fill="#1a1a1a">{_text(title)}</text>',
        ]

    def axes(self, scale: _Scale) -> None:
        for tick in scale.ticks():
            y = scale.y(tick)
            colour = "#555555" if tick == 0 else "#dddddd"
            self.parts.append(
                f'<line x1="{self.plot_left}" y1="{y}" x2="{self.plot_right}" y2="{y}" '
                f'stroke="{colour}" stroke-width="1"/>'
            )
            self.parts.append(
                f'<text x="{self.plot_left - 6}" y="{y + 4}" text-anchor="end" {FONT} '
                f'fill="#333333">{_text(_shown(tick))}</text>'
            )

    def x_labels(self, labels: Sequence[str], xs: Sequence[float]) -> None:
        every = max(1, -(-len(labels) // MAX_X_LABELS))
        for index, (label, x) in enumerate(zip(labels, xs, strict=True)):
            if index % every:
                continue
            self.parts.append(
                f'<text x="{x}" y="{self.plot_bottom + 16}" text-anchor="middle" {FONT} '
                f'fill="#333333">{_text(label)}</text>'
            )

    def legend(self, series: Sequence[Series], swatch: str) -> None:
        for index, one in enumerate(series):
            x = MARGIN_LEFT + (index % 3) * 210
            y = HEIGHT - 28 + (index // 3) * LEGEND_ROW
            colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
            if swatch == "line":
                self.parts.append(
                    f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" '
                    f'stroke="{colour}" stroke-width="3"{_dash(dash)}/>'
                )
            else:
                self.parts.append(
                    f'<rect x="{x + 6}" y="{y - 11}" width="12" height="12" '
                    f'fill="{_bar_fill(self.ident, index)}" stroke="#1a1a1a" stroke-width="0.5"/>'
                )
            self.parts.append(
                f'<text x="{x + 30}" y="{y}" {FONT} fill="#1a1a1a">{_text(one.name)}</text>'
            )

    def empty(self) -> None:
        middle = (self.plot_top + self.plot_bottom) / 2
        self.parts.append(
            f'<text x="{WIDTH / 2}" y="{middle}" text-anchor="middle" {FONT} '
            f'fill="#333333">No data</text>'
        )

    def done(self) -> str:
        return "\n".join([*self.parts, "</svg>"]) + "\n"


def _dash(pattern: str) -> str:
    return f' stroke-dasharray="{pattern}"' if pattern else ""


def _bar_fill(ident: str, index: int) -> str:
    """Every other bar series hatched, so neighbours differ without colour. A paint
    attribute, not a style: the console's Content-Security-Policy refuses inline
    styles; the colour after the pattern is its fallback."""
    colour = COLOURS[index % len(COLOURS)]
    return f"url(#{ident}-hatch-{index}) {colour}" if index % 2 else colour


def _hatches(ident: str, count: int) -> list[str]:
    found = []
    for index in range(1, count, 2):
        colour = COLOURS[index % len(COLOURS)]
        found.append(
            f'<pattern id="{ident}-hatch-{index}" width="6" height="6" '
            f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="6" height="6" fill="{colour}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern>'
        )
    return ["<defs>", *found, "</defs>"] if found else []


def _bounds(values: Sequence[Number]) -> tuple[Decimal, Decimal]:
    if not values:
        return Decimal(0), Decimal(0)
    return Decimal(min(values)), Decimal(max(values))


def line_chart(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    ident: str = "chart",
) -> str:
    """One line per series over ``labels`` (days), a marker on every point (so a single
    day still shows), each point titled with its label and value."""
    _check(labels, series)
    canvas = _Canvas(title, description, ident, len(series))
    every = [v for one in series for v in one.values]
    scale = _scale(*_bounds(every), canvas.plot_top, canvas.plot_bottom)
    canvas.axes(scale)
    if not labels or not series:
        canvas.empty()
        canvas.legend(series, "line")
        return canvas.done()
    width = canvas.plot_right - canvas.plot_left
    if len(labels) == 1:
        xs = [canvas.plot_left + width / 2]
    else:
        xs = [
            round(canvas.plot_left + width * i / (len(labels) - 1), 2) for i in range(len(labels))
        ]
    canvas.x_labels(labels, xs)
    for index, one in enumerate(series):
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
        points = [(x, scale.y(v)) for x, v in zip(xs, one.values, strict=True)]
        if len(points) > 1:
            path = " ".join(f"{x},{y}" for x, y in points)
            canvas.parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{_dash(dash)}/>'
            )
        for (x, y), label, value in zip(points, labels, one.values, strict=True):
            canvas.parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"><title>'
                f"{_text(f'{one.name}, {label}: {Decimal(value)}')}</title></circle>"
            )
    canvas.legend(series, "line")
    return canvas.done()


def bar_chart(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = True,
    ident: str = "chart",
) -> str:
    """Bars per label: stacked (positive parts up from zero, negative parts down) or
    grouped side by side. Each bar is titled with its series, label and value."""
    _check(labels, series)
    canvas = _Canvas(title, description, ident, len(series))
    canvas.parts.extend(_hatches(canvas.ident, len(series)))
    columns = list(zip(*(one.values for one in series), strict=True)) if series else []
    if stacked:
        highs = [sum((Decimal(v) for v in c if v > 0), Decimal(0)) for c in columns]
        lows = [sum((Decimal(v) for v in c if v < 0), Decimal(0)) for c in columns]
        low, high = min(lows, default=Decimal(0)), max(highs, default=Decimal(0))
    else:
        low, high = _bounds([v for one in series for v in one.values])
    scale = _scale(low, high, canvas.plot_top, canvas.plot_bottom)
    canvas.axes(scale)
    if not labels or not series:
        canvas.empty()
        canvas.legend(series, "bar")
        return canvas.done()
    slot = (canvas.plot_right - canvas.plot_left) / len(labels)
    xs = [round(canvas.plot_left + slot * (i + 0.5), 2) for i in range(len(labels))]
    canvas.x_labels(labels, xs)
    bar = slot * 0.7 if stacked else slot * 0.8 / len(series)
    for column, (label, centre) in enumerate(zip(labels, xs, strict=True)):
        above, below = Decimal(0), Decimal(0)
        for index, one in enumerate(series):
            value = Decimal(one.values[column])
            if stacked:
                base = above if value >= 0 else below
                start, end = base, base + value
                if value >= 0:
                    above = end
                else:
                    below = end
                left = centre - bar / 2
            else:
                start, end = Decimal(0), value
                left = centre - slot * 0.4 + index * bar
            y1, y2 = scale.y(start), scale.y(end)
            top, height = min(y1, y2), abs(y1 - y2)
            canvas.parts.append(
                f'<rect x="{round(left, 2)}" y="{top}" width="{round(bar, 2)}" '
                f'height="{round(height, 2)}" fill="{_bar_fill(canvas.ident, index)}"><title>'
                f"{_text(f'{one.name}, {label}: {value}')}</title></rect>"
            )
    canvas.legend(series, "bar")
    return canvas.done()
