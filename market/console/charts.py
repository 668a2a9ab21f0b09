"""Charts drawn on the server as inline SVG: usage, budgets and revenue over time.

Why SVG from Python rather than a JavaScript charting library: the charts a console needs
here are a handful of line and bar charts of daily or monthly sums; drawing them takes ~150
lines, needs no asset to vendor or update, works without JavaScript, prints, and is tested by
parsing the markup. Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and
``<desc>`` (which says what is plotted and its range in words), every data point carries its
exact value in a ``<title>`` (a tooltip, and text for assistive technology), axes have labels
and ticks at round numbers, and series use colours from the Okabe–Ito palette, which stays
distinguishable with the common colour-vision deficiencies. Pages should still show the
numbers in a table next to a chart for anyone who needs them exactly.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 16, 56
MAX_X_LABELS = 8


@dataclass(frozen=True)
class ChartText:
    """What a chart says in words: its title, a sentence describing it, and its axes."""

    title: str
    description: str
    x_label: str
    y_label: str


@dataclass(frozen=True)
class Series:
    """One named line: (x label, value) points in display order."""

    name: str
    points: Sequence[tuple[str, float]]


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (steps of 1, 2 or 5 × 10^k)."""
    if maximum <= 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < maximum:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def format_number(value: float) -> str:
    """Thousands separators; decimals only where the value has them (up to 3)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _chart_id(title: str, description: str) -> str:
    return "chart-" + hashlib.sha1(f"{title}\n{description}".encode()).hexdigest()[:10]


class _Frame:
    """Plot area geometry shared by both chart kinds."""

    def __init__(self, width: int, height: int, ticks: list[float], n: int) -> None:
        self.width, self.height, self.ticks, self.n = width, height, ticks, n
        self.plot_w = width - _LEFT - _RIGHT
        self.plot_h = height - _TOP - _BOTTOM
        self.top = ticks[-1] or 1.0

    def y(self, value: float) -> float:
        return _TOP + self.plot_h * (1 - max(value, 0) / self.top)

    def slot(self, i: int) -> float:
        """The centre of the i-th of n equal slots along the x axis."""
        return _LEFT + self.plot_w * (i + 0.5) / max(self.n, 1)


def _frame_svg(
    frame: _Frame,
    labels: Sequence[str],
    text: ChartText,
    body: list[str],
    legend: list[str],
    value_format: Callable[[float], str],
) -> Markup:
    title, description = text.title, text.description
    cid = _chart_id(title, description)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" '
        f'height="{frame.height}" aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    for tick in frame.ticks:
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{frame.width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d5db" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(value_format(tick))}</text>"
        )
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for i, label in enumerate(labels):
        # Counted from the end, so the latest label (usually "today") is always shown and
        # never crowds the one before it.
        if (len(labels) - 1 - i) % every == 0:
            parts.append(
                f'<text x="{frame.slot(i):.1f}" y="{_TOP + frame.plot_h + 16}" '
                f'text-anchor="middle" class="tick">{escape(label)}</text>'
            )
    base = _TOP + frame.plot_h
    parts.append(
        f'<line x1="{_LEFT}" x2="{frame.width - _RIGHT}" y1="{base}" y2="{base}" '
        f'stroke="#1a1a1a" stroke-width="1"/>'
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{base}" stroke="#1a1a1a" '
        f'stroke-width="1"/>'
        f'<text x="{_LEFT + frame.plot_w / 2:.1f}" y="{frame.height - 8}" '
        f'text-anchor="middle" class="axis-label">{escape(text.x_label)}</text>'
        f'<text x="14" y="{_TOP + frame.plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + frame.plot_h / 2:.1f})" class="axis-label">'
        f"{escape(text.y_label)}</text>"
    )
    if not labels:
        parts.append(
            f'<text x="{_LEFT + frame.plot_w / 2:.1f}" y="{_TOP + frame.plot_h / 2:.1f}" '
            f'text-anchor="middle" class="empty">—</text>'
        )
    parts.extend(body)
    parts.extend(legend)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    series: Sequence[Series],
    text: ChartText,
    *,
    width: int = 640,
    height: int = 260,
    value_format: Callable[[float], str] = format_number,
) -> Markup:
    """Lines over shared x labels (the first series' labels); each point has a tooltip."""
    labels = [label for label, _ in series[0].points] if series else []
    maximum = max((v for s in series for _, v in s.points), default=0.0)
    frame = _Frame(width, height, nice_ticks(maximum), len(labels))
    body: list[str] = []
    legend: list[str] = []
    legend_x = float(_LEFT + 8)
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        coords = [(frame.slot(i), frame.y(v)) for i, (_, v) in enumerate(line.points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(
            f'<polyline class="series" data-series="{escape(line.name)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" points="{path}"/>'
        )
        for (x, y), (label, value) in zip(coords, line.points, strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" data-value="{value}">'
                f"<title>{escape(line.name)} · {escape(label)}: "
                f"{escape(value_format(value))}</title></circle>"
            )
        if len(series) > 1:
            legend.append(
                f'<rect x="{legend_x:.0f}" y="2" width="12" height="12" fill="{colour}"/>'
                f'<text x="{legend_x + 16:.0f}" y="12" class="legend">{escape(line.name)}</text>'
            )
            legend_x += 16 + _text_width(line.name) + 16
    return _frame_svg(frame, labels, text, body, legend, value_format)


def _text_width(text: str) -> float:
    """About how wide ``text`` is at the charts' 12px font: CJK characters take a full em,
    others about 0.6 em. SVG cannot flow text, so the legend places each entry after the
    previous one's estimated width (a fixed step let long dataset titles overlap)."""
    return sum(12.0 if unicodedata.east_asian_width(ch) in "WF" else 7.2 for ch in text)


def bar_chart(
    points: Sequence[tuple[str, float]],
    text: ChartText,
    value_format: Callable[[float], str] = format_number,
    *,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """One bar per (label, value); each bar has a tooltip with its exact value.
    ``value_format`` writes the ticks and tooltips (e.g. minor units as money)."""
    maximum = max((v for _, v in points), default=0.0)
    frame = _Frame(width, height, nice_ticks(maximum), len(points))
    bar_w = frame.plot_w / max(len(points), 1) * 0.7
    base = _TOP + frame.plot_h
    body = [
        f'<rect class="bar" x="{frame.slot(i) - bar_w / 2:.1f}" y="{frame.y(v):.1f}" '
        f'width="{bar_w:.1f}" height="{base - frame.y(v):.1f}" fill="{PALETTE[0]}" '
        f'data-value="{v}"><title>{escape(label)}: {escape(value_format(v))}</title></rect>'
        for i, (label, v) in enumerate(points)
    ]
    return _frame_svg(frame, [label for label, _ in points], text, body, [], value_format)


def interval_chart(
    points: Sequence[tuple[str, float, float]],
    text: ChartText,
    value_format: Callable[[float], str] = format_number,
    *,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """One point per (label, value, half-width) with an error bar from value − half-width to
    value + half-width (e.g. a released value and its 95% interval); each has a tooltip with
    the value and the interval. The axis starts at 0, so a bar reaching below is cut there."""
    maximum = max((v + abs(h) for _, v, h in points), default=0.0)
    frame = _Frame(width, height, nice_ticks(maximum), len(points))
    body = []
    for i, (label, value, half) in enumerate(points):
        x, low, high = frame.slot(i), value - abs(half), value + abs(half)
        body.append(
            f'<g class="interval" data-value="{value}" data-low="{low}" data-high="{high}">'
            f"<title>{escape(label)}: {escape(value_format(value))} "
            f"[{escape(value_format(low))}, {escape(value_format(high))}]</title>"
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y(low):.1f}" y2="{frame.y(high):.1f}" '
            f'stroke="{PALETTE[1]}" stroke-width="2"/>'
            f'<line x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{frame.y(low):.1f}" '
            f'y2="{frame.y(low):.1f}" stroke="{PALETTE[1]}" stroke-width="2"/>'
            f'<line x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{frame.y(high):.1f}" '
            f'y2="{frame.y(high):.1f}" stroke="{PALETTE[1]}" stroke-width="2"/>'
            f'<circle cx="{x:.1f}" cy="{frame.y(value):.1f}" r="4" fill="{PALETTE[0]}"/></g>'
        )
    return _frame_svg(frame, [label for label, _, _ in points], text, body, [], value_format)
