"""Server-side SVG charts of the 工作台: inline <svg>, no script, no style attribute, nothing fetched.

Colours and fonts come from classes in static/css/dashboard.css; every bar is a link to the ledger
filtered to the cases it stands for, and carries a <title> the browser shows as a tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from portal.services.dashboard import Figure

Linker = Callable[[dict[str, Any]], str | None]

TREND_WIDTH, TREND_HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36


def nice_ceiling(value: int) -> int:
    """Return a round axis maximum at or above `value` (1, 2, 5 × 10ⁿ), at least 4."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 * magnitude


def _bar(x: float, y: float, width: float, height: float, css: str, url: str | None, title: str) -> Markup:
    rect = Markup(
        '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{}</title></rect>'
    )
    shape = rect.format(css, x, y, width, max(height, 0.0), title)
    return Markup('<a href="{}">{}</a>').format(url, shape) if url else shape


def trend_chart(trend: Sequence[tuple[date, Figure, Figure]], link: Linker) -> Markup:
    """Return the monthly bars: cases accepted (受理) and, inside each, those settled (调解成功)."""
    plot_w = TREND_WIDTH - LEFT - RIGHT
    plot_h = TREND_HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((accepted.value for _m, accepted, _s in trend), default=0))
    slot = plot_w / max(len(trend), 1)
    parts: list[Markup] = []
    for tick in range(5):
        value = top * tick // 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(
            Markup(
                '<line class="chart-grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"></line>'
                '<text class="chart-axis" x="{}" y="{:.1f}" text-anchor="end">{}</text>'
            ).format(LEFT, TREND_WIDTH - RIGHT, y, y, LEFT - 6, y + 4, value)
        )
    for index, (month, accepted, settled) in enumerate(trend):
        x = LEFT + index * slot
        label = f"{month.year}年{month.month}月"
        for figure, css, width, what in (
            (accepted, "chart-bar chart-bar-accepted", slot * 0.7, "受理"),
            (settled, "chart-bar chart-bar-settled", slot * 0.4, "调解成功"),
        ):
            height = plot_h * figure.value / top
            offset = (slot - width) / 2
            title = f"{label} {what} {figure.value} 件"
            url = link(figure.criteria)
            parts.append(_bar(x + offset, TOP + plot_h - height, width, height, css, url, title))
        if month.month in (1, 4, 7, 10) or index == 0:
            text = f"{month.year}.{month.month:02d}" if month.month == 1 or index == 0 else f"{month.month}月"
            parts.append(
                Markup('<text class="chart-axis" x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
                    x + slot / 2, TREND_HEIGHT - BOTTOM + 16, text
                )
            )
    legend_y = TREND_HEIGHT - 6
    parts.append(
        Markup(
            '<rect class="chart-bar-accepted" x="{}" y="{}" width="10" height="10"></rect>'
            '<text class="chart-axis" x="{}" y="{}">受理（不含已作废）</text>'
            '<rect class="chart-bar-settled" x="{}" y="{}" width="10" height="10"></rect>'
            '<text class="chart-axis" x="{}" y="{}">其中调解成功</text>'
        ).format(LEFT, legend_y - 9, LEFT + 14, legend_y, LEFT + 150, legend_y - 9, LEFT + 164, legend_y)
    )
    return _svg(TREND_WIDTH, TREND_HEIGHT, "近24个月受理与调解成功趋势", parts)


def bar_list(rows: Sequence[tuple[str, Figure]], link: Linker, unit: str = "件") -> Markup:
    """Return horizontal bars, one per (label, figure), longest first as given."""
    width, row_h, label_w, value_w = 520, 26, 128, 56
    top = max((figure.value for _label, figure in rows), default=0) or 1
    parts: list[Markup] = []
    for index, (label, figure) in enumerate(rows):
        y = index * row_h
        length = (width - label_w - value_w) * figure.value / top
        url = link(figure.criteria)
        parts.append(
            Markup('<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>').format(
                label_w - 8, y + 17, label
            )
        )
        title = f"{label} {figure.value} {unit}"
        parts.append(_bar(label_w, y + 5, length, row_h - 10, "chart-bar chart-bar-type", url, title))
        value = Markup('<text class="chart-value" x="{:.1f}" y="{}">{}</text>').format(
            label_w + length + 6, y + 17, figure.value
        )
        parts.append(Markup('<a href="{}">{}</a>').format(url, value) if url else value)
    return _svg(width, max(len(rows), 1) * row_h, "按纠纷类型统计", parts)


def _svg(width: int, height: int, label: str, parts: Sequence[Markup]) -> Markup:
    body = Markup("").join(parts)
    return Markup(
        '<svg class="portal-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}" preserveAspectRatio="xMinYMin meet">{}</svg>'
    ).format(width, height, escape(label), body)
