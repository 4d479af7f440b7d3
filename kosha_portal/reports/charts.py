"""Charts as SVG for the annual report PDF (WeasyPrint draws SVG; it runs no JavaScript). Each
takes the same chart dict the page hands to Chart.js, so the PDF shows the same figures."""

import math
from html import escape

from django.conf import settings

PALETTE = ["#1d3b6f", "#e07b39", "#3f8f5a", "#b84a62", "#7a5ea8", "#5b8db8"]
FONT_SIZE = 9


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10ⁿ)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text(x, y, content, *, anchor="start", size=FONT_SIZE, fill="#222", extra="") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{escape(str(content))}</text>'
    )


def _legend(series: list[dict], x: float, y: float) -> list[str]:
    parts = []
    for i, s in enumerate(series):
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="10" height="10" fill="{PALETTE[i % 6]}"/>'
        )
        parts.append(_text(x + 14, y + 1, s["label"]))
        x += 24 + len(str(s["label"])) * FONT_SIZE
    return parts


def _svg(width: float, height: float, parts: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(settings.PDF_FONT_FAMILY)}">' + "".join(parts) + "</svg>"
    )


def _vertical(chart: dict, *, lines: bool) -> str:
    labels, series = chart["labels"], chart["series"]
    width, height = 640, 250
    left, right, top, bottom = 48, 12, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([v or 0 for s in series for v in s["data"]] + [0]))
    parts = _legend(series, left, 14)
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#ccc" stroke-width="0.6"/>'
        )
        parts.append(_text(left - 4, y + 3, _number(value), anchor="end", size=8))
    slot = plot_w / max(len(labels), 1)
    for j, label in enumerate(labels):
        parts.append(_text(left + slot * (j + 0.5), height - bottom + 14, label, anchor="middle"))
    for i, s in enumerate(series):
        colour = PALETTE[i % 6]
        if lines:
            # A month with no figure yet (None) ends the line.
            points = [
                (left + slot * (j + 0.5), top + plot_h - plot_h * (v / peak))
                for j, v in enumerate(s["data"])
                if v is not None
            ]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
            )
            parts += [
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{colour}"/>' for x, y in points
            ]
        else:
            bar_w = slot * 0.8 / len(series)
            for j, v in enumerate(s["data"]):
                h = plot_h * ((v or 0) / peak)
                x = left + slot * j + slot * 0.1 + bar_w * i
                parts.append(
                    f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"/>'
                )
    return _svg(width, height, parts, chart["title"])


def _horizontal(chart: dict) -> str:
    labels, series = chart["labels"], chart["series"]
    row_h = 8 + 9 * len(series)
    width = 640
    left = 12 + min(max([len(str(label)) for label in labels] + [4]), 22) * FONT_SIZE
    right, top = 48, 26
    height = top + row_h * len(labels) + 10
    plot_w = width - left - right
    peak = _nice_max(max([v or 0 for s in series for v in s["data"]] + [0]))
    parts = _legend(series, left, 14)
    for j, label in enumerate(labels):
        y0 = top + row_h * j
        parts.append(_text(left - 6, y0 + row_h / 2 + 3, str(label)[:22], anchor="end"))
        for i, s in enumerate(series):
            v = s["data"][j] or 0
            w = plot_w * (v / peak)
            y = y0 + 4 + 9 * i
            parts.append(
                f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="8" fill="{PALETTE[i % 6]}"/>'
            )
            parts.append(_text(left + w + 3, y + 7.5, _number(v), size=7.5))
    return _svg(width, height, parts, chart["title"])


def chart_svg(chart: dict | None) -> str:
    """The chart as an SVG element ('' for no chart or one without figures)."""
    if not chart or not chart.get("labels"):
        return ""
    if chart["type"] == "hbar":
        return _horizontal(chart)
    return _vertical(chart, lines=chart["type"] == "line")
