"""Inline SVG charts (grouped bars, a line over time), written by hand: no JavaScript, prints as vector."""

from __future__ import annotations

import math
from html import escape

from reports.model import ChartSpec

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 60
COLORS = ("#9aa5b1", "#1f6feb", "#d97706", "#2f855a")


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


def _frame(spec: ChartSpec, top: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" class="chart-title">{escape(spec.title)}</text>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_number(value)}</text>'
        )
    return parts


def _legend(spec: ChartSpec) -> list[str]:
    parts = []
    x = LEFT
    for i, series in enumerate(spec.series):
        color = COLORS[i % len(COLORS)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{HEIGHT - 8}" class="tick">{escape(series.name)}</text>')
        x += 28 + 8 * len(series.name)
    return parts


def _wrap(spec: ChartSpec, body: list[str]) -> str:
    label = escape(spec.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{label}" class="chart">' + "".join(body) + "</svg>"
    )


def bar_chart(spec: ChartSpec) -> str:
    """Grouped vertical bars: one group per label, one bar per series."""
    values = [v for s in spec.series for v in s.values]
    top = nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(spec, top)
    groups = max(len(spec.labels), 1)
    slot = plot_w / groups
    bar_w = slot * 0.8 / max(len(spec.series), 1)
    for g, label in enumerate(spec.labels):
        x0 = LEFT + g * slot + slot * 0.1
        for i, series in enumerate(spec.series):
            value = series.values[g] if g < len(series.values) else 0.0
            h = plot_h * value / top
            x, y = x0 + i * bar_w, TOP + plot_h - h
            color = COLORS[i % len(COLORS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.92:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{escape(series.name)} {escape(label)}: {_number(value)}</title></rect>"
            )
        cx = LEFT + g * slot + slot / 2
        if g < len(spec.annotations) and spec.annotations[g]:
            tallest = max((s.values[g] for s in spec.series if g < len(s.values)), default=0.0)
            ty = TOP + plot_h - plot_h * tallest / top - 6
            parts.append(
                f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="middle" class="annotation">'
                f"{escape(spec.annotations[g])}</text>"
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    return _wrap(spec, parts + _legend(spec))


def line_chart(spec: ChartSpec) -> str:
    """A line per series over the labels (time, left to right), with a dot per point."""
    values = [v for s in spec.series for v in s.values]
    top = nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(spec, top)
    n = len(spec.labels)
    if n == 0:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">Chưa có dữ liệu</text>')
        return _wrap(spec, parts)
    step = plot_w / max(n - 1, 1)
    for i, series in enumerate(spec.series):
        color = COLORS[(i + 1) % len(COLORS)]
        points = [(LEFT + k * step, TOP + plot_h - plot_h * v / top) for k, v in enumerate(series.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in points)
    every = max(1, math.ceil(n / 8))
    for k in range(0, n, every):
        x = LEFT + k * step
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="tick">'
            f"{escape(spec.labels[k])}</text>"
        )
    return _wrap(spec, parts)


def chart_svg(spec: ChartSpec) -> str:
    return bar_chart(spec) if spec.kind == "bars" else line_chart(spec)
