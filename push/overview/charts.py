"""Server-rendered SVG charts: no JavaScript, no network, readable without colors alone.

Every chart has axes with tick labels, axis titles and a legend with totals; every bar
segment has a <title> (the browser's tooltip) and data-* attributes naming what it counts.
"""

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="11"'
AXIS = "#57606a"
GRID = "#d8dee4"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str
    values: list[int]


def nice_ticks(maximum: int, count: int = 5) -> list[int]:
    """Round tick values from 0 to at least `maximum` (1, 2 or 5 times a power of ten)."""
    maximum = max(maximum, 1)
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    top = step * math.ceil(maximum / step)
    return list(range(0, top + 1, step))


def _legend(series: list[Series], x: float, y: float) -> list[str]:
    parts = []
    for item in series:
        total = sum(item.values)
        text = f"{item.label} ({total:,})"
        parts.append(
            f'<g class="legend-item" data-series="{escape(item.key)}" data-total="{total}">'
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{item.color}"/>'
            f'<text x="{x + 14:.1f}" y="{y:.1f}" fill="#24292f">{escape(text)}</text></g>'
        )
        x += 14 + 6.5 * len(text) + 16
    return parts


def _opening(
    chart_id: str,
    title: str,
    width: int,
    height: int,
    total: int,
    series: list[Series],
    left: float,
) -> list[str]:
    """The start of a chart: the <svg> element with its title, heading and legend."""
    return [
        f'<svg id="{escape(chart_id)}" class="push-chart" role="img" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" {FONT}'
        f' aria-label="{escape(title)}" data-total="{total}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="16" font-size="13" font-weight="600" fill="#24292f">'
        f"{escape(title)}</text>",
        *_legend(series, left, 34),
    ]


def stacked_columns(
    *,
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[Series],
    x_title: str,
    y_title: str,
    label_every: int = 1,
    boundaries: dict[int, str] | None = None,
    width: int = 820,
    height: int = 280,
) -> SafeString:
    """Vertical bars, one per category, stacked by series.

    `boundaries` marks where a new period starts ({index of its first category: label}):
    a dashed line before that bar and the label under the axis, e.g. the day of an hour.
    """
    left, right, top, bottom = 56, 16, 44, 66
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    slot = plot_w / max(len(categories), 1)
    bar_w = max(slot * 0.72, 1)
    out = _opening(chart_id, title, width, height, sum(totals), series, left)
    for tick in ticks:
        y = top + plot_h - tick * scale
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">{tick:,}</text>'
        )
    for i, label in (boundaries or {}).items():
        x = left + i * slot
        if i:
            out.append(
                f'<line class="boundary" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" '
                f'y2="{top + plot_h + 30}" stroke="{AXIS}" stroke-dasharray="3 3"/>'
            )
        out.append(
            f'<text class="boundary-label" x="{x + 3:.1f}" y="{top + plot_h + 30}" '
            f'fill="#24292f" font-weight="600">{escape(label)}</text>'
        )
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for item in series:
            value = item.values[i]
            if not value:
                continue
            h = value * scale
            base -= h
            tip = f"{category} · {item.label}: {value:,}"
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{item.color}" data-series="{escape(item.key)}" '
                f'data-category="{escape(category)}" data-value="{value}">'
                f"<title>{escape(tip)}</title></rect>"
            )
        if i % label_every == 0 or i == len(categories) - 1:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 15}" text-anchor="middle" '
                f'fill="{AXIS}">{escape(category)}</text>'
            )
    out += [
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{AXIS}"/>',
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{AXIS}"/>',
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
        f'fill="{AXIS}">{escape(x_title)}</text>',
        f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="{AXIS}">{escape(y_title)}</text>',
        "</svg>",
    ]
    return mark_safe("".join(out))  # noqa: S308 (every interpolated text is escaped above)


def stacked_rows(
    *,
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[Series],
    x_title: str,
    width: int = 820,
    row_height: int = 22,
    empty_text: str = "Nothing to show.",
) -> SafeString:
    """Horizontal bars, one per category (e.g. an error code), stacked by series."""
    left, right, top, bottom = 190, 60, 44, 40
    height = top + bottom + max(len(categories), 1) * row_height
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_w / ticks[-1]
    out = _opening(chart_id, title, width, height, sum(totals), series, left)
    for tick in ticks:
        x = left + tick * scale
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="{AXIS}">'
            f"{tick:,}</text>"
        )
    if not categories:
        out.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2 + 4:.1f}" '
            f'text-anchor="middle" fill="{AXIS}">{escape(empty_text)}</text>'
        )
    for i, category in enumerate(categories):
        y = top + i * row_height + 3
        bar_h = row_height - 6
        out.append(
            f'<text x="{left - 8}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" '
            f'fill="#24292f">{escape(category)}</text>'
        )
        x = left
        for item in series:
            value = item.values[i]
            if not value:
                continue
            w = value * scale
            tip = f"{category} · {item.label}: {value:,}"
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{item.color}" data-series="{escape(item.key)}" '
                f'data-category="{escape(category)}" data-value="{value}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" fill="{AXIS}">{totals[i]:,}</text>'
        )
    out += [
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{AXIS}"/>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{AXIS}"/>',
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="{AXIS}">{escape(x_title)}</text>',
        "</svg>",
    ]
    return mark_safe("".join(out))  # noqa: S308 (every interpolated text is escaped above)
