"""Ledger pages (books before 2016): a ruled table, one record per row, under a one- or two-row header.

Columns come from the layout, left to right, with widths proportional to their ``width``; consecutive
columns sharing a ``group`` get one merged upper header cell. Values are wrapped onto 2–3 lines when they
do not fit their column, and the rows take the height their contents need plus an uneven share of the
page that is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from samples.render.canvas import Canvas, RuleQuality, print_fitted, print_pen, print_text, rule, shown_text
from samples.render.text import Box, Fitted, Pen, fit, write_lines
from sohoa.config import Layout

LEDGER_SIZE = (4000, 2800)  # landscape, about 200 dpi for a large open ledger
CENTRED_TYPES = frozenset({"number", "sex", "year"})
# typical length in characters of a value of each type (for the capacity estimate)
_TYPICAL_CHARS = {
    "place": 40,
    "date_words": 50,
    "name": 17,
    "text": 14,
    "choice": 16,
    "id_number": 12,
    "date": 10,
    "nationality": 8,
    "ethnicity": 5,
    "year": 4,
    "sex": 3,
    "number": 3,
}


def ledger_capacity(layout: Layout, size: int = 34) -> int:
    """How many typical records a ledger page of this layout holds at full text size (8 to 20).

    Wide layouts with long places (birth ledgers have 20 columns) hold fewer rows: a page of them gets
    fewer records rather than text too small to read.
    """
    width = LEDGER_SIZE[0] - 2 * 130
    total = sum(c.width for c in layout.columns)
    lines = 1
    for c in layout.columns:
        room = width * c.width / total - 20
        need = _TYPICAL_CHARS.get(c.type, 12) * 0.5 * size
        lines = max(lines, min(3, -(-int(need) // max(1, int(room)))))
    row = (lines - 1) * round(size * 1.32) + round(size * 1.28) + 24
    available = LEDGER_SIZE[1] - 80 - 380  # below the page header and the column header
    return max(8, min(20, available // row))


@dataclass(frozen=True)
class LedgerHeader:
    office_lines: tuple[str, ...]
    title: str
    subtitle: str  # e.g. "Năm 2008"
    volume: str
    page: int


def _column_edges(layout: Layout, left: int, right: int) -> list[int]:
    total = sum(c.width for c in layout.columns)
    edges = [left]
    acc = 0.0
    for c in layout.columns:
        acc += c.width
        edges.append(round(left + (right - left) * acc / total))
    return edges


def _group_spans(layout: Layout) -> list[tuple[str | None, int, int]]:
    """Runs of consecutive columns: (group or None, first index, last index + 1)."""
    spans: list[tuple[str | None, int, int]] = []
    for i, c in enumerate(layout.columns):
        if spans and c.group is not None and spans[-1][0] == c.group:
            g, a, _ = spans[-1]
            spans[-1] = (g, a, i + 1)
        else:
            spans.append((c.group, i, i + 1))
    return spans


def _draw_header(
    canvas: Canvas, layout: Layout, edges: list[int], top: int, rng: np.random.Generator, quality: RuleQuality
) -> int:
    """The column header; returns the y of its bottom rule."""
    size = 28
    two = layout.header_rows == 2 and any(c.group for c in layout.columns)
    upper = 64 if two else 0
    lower = 0
    for i, c in enumerate(layout.columns):
        width = edges[i + 1] - edges[i] - 12
        fitted = fit(c.header, print_pen(size, bold=True), width, max_lines=4, min_scale=0.6)
        lower = max(lower, len(fitted.lines) * fitted.pen.line_height + 24)
    lower = max(lower, 80)
    bottom = top + upper + lower
    left, right = edges[0], edges[-1]
    rule(canvas, (left, top), (right, top), rng, quality, width=quality.width + 1)
    rule(canvas, (left, bottom), (right, bottom), rng, quality, width=quality.width + 1)
    spans = _group_spans(layout) if two else [(None, i, i + 1) for i in range(len(layout.columns))]
    for group, a, b in spans:
        if group is not None:
            rule(canvas, (edges[a], top + upper), (edges[b], top + upper), rng, quality)
            print_fitted(canvas, group, edges[a], top, edges[b], top + upper, size)
            for i in range(a, b):
                print_fitted(
                    canvas, layout.columns[i].header, edges[i], top + upper, edges[i + 1], bottom, size
                )
        else:
            for i in range(a, b):
                print_fitted(canvas, layout.columns[i].header, edges[i], top, edges[i + 1], bottom, size)
    # vertical rules: full height at span borders, lower part only inside a group
    inner = {i for _, a, b in spans for i in range(a + 1, b)}
    for i, x in enumerate(edges):
        if i not in inner:
            rule(
                canvas,
                (x, top),
                (x, bottom),
                rng,
                quality,
                width=quality.width + (1 if i in (0, len(edges) - 1) else 0),
            )
        else:
            rule(canvas, (x, top + upper), (x, bottom), rng, quality)
    return bottom


def _fit_rows(
    layout: Layout, rows: Sequence[Mapping[str, str]], edges: list[int], pen: Pen, pad_x: int, jitter_x: int
) -> tuple[list[list[Fitted]], list[int]]:
    fitted_rows: list[list[Fitted]] = []
    needs: list[int] = []
    for record in rows:
        fitted = []
        need = round(pen.size * 1.9)
        for i, c in enumerate(layout.columns):
            text = shown_text(layout.book_type, c.field, record.get(c.field, ""))
            f = fit(text, pen, edges[i + 1] - edges[i] - 2 * pad_x - jitter_x, max_lines=3, min_scale=0.75)
            fitted.append(f)
            if f.lines:
                need = max(need, (len(f.lines) - 1) * f.pen.line_height + f.pen.ascent + f.pen.descent + 28)
        fitted_rows.append(fitted)
        needs.append(need)
    return fitted_rows, needs


def render_ledger(
    canvas: Canvas,
    layout: Layout,
    header: LedgerHeader,
    rows: Sequence[Mapping[str, str]],
    pen: Pen,
    rng: np.random.Generator,
    *,
    quality: RuleQuality,
    handwritten: bool,
) -> list[dict[str, Box]]:
    """Draw a ledger page; returns, per row, the box of every column's value (the empty cell if blank)."""
    w, h = canvas.width, canvas.height
    left = 110 + int(rng.integers(0, 40))
    right = w - 110 - int(rng.integers(0, 40))
    # --- page header: office (left), title and year (centre), volume and page (right)
    y = 84 + int(rng.integers(0, 20))
    for line in header.office_lines:
        print_text(canvas, line, left, y, 30, bold=line.startswith("UBND"))
        y += 42
    print_text(canvas, header.title, w / 2, 130, 62, bold=True, align="centre")
    if header.subtitle:
        print_text(canvas, header.subtitle, w / 2, 190, 34, align="centre")
    print_text(canvas, f"Quyển số: {header.volume}", right, 110, 32, align="right")
    print_text(canvas, f"Trang {header.page}", right, 160, 32, align="right")
    # --- table
    edges = _column_edges(layout, left, right)
    body_top = _draw_header(canvas, layout, edges, 250 + int(rng.integers(0, 20)), rng, quality)
    available = h - 80 - body_top
    pad_x = 9
    jitter_x = 10 if handwritten else 0
    fitted_rows, needs = _fit_rows(layout, rows, edges, pen, pad_x, jitter_x)
    while sum(needs) > available and pen.size > 18:
        pen = pen.resized(round(pen.size * 0.9))
        fitted_rows, needs = _fit_rows(layout, rows, edges, pen, pad_x, jitter_x)
    spare = max(0, available - sum(needs))
    shares = rng.uniform(0.5, 1.5, size=len(rows))
    extras = [min(int(spare * s / shares.sum()), 3 * n) for s, n in zip(shares, needs, strict=True)]
    heights = [n + e for n, e in zip(needs, extras, strict=True)]
    boxes: list[dict[str, Box]] = []
    top = body_top
    for record_fitted, height in zip(fitted_rows, heights, strict=True):
        bottom = top + height
        row_boxes: dict[str, Box] = {}
        for i, (c, f) in enumerate(zip(layout.columns, record_fitted, strict=True)):
            x0, x1 = edges[i], edges[i + 1]
            cell: Box = (x0 + 3, top + 3, x1 - 2, bottom - 2)
            if not f.lines:
                row_boxes[c.field] = cell
                continue
            block = (len(f.lines) - 1) * f.pen.line_height + f.pen.ascent + f.pen.descent
            slack = max(0, height - block - 20)
            dy = (
                rng.uniform(0.0, min(slack, f.pen.size * 1.2))
                if handwritten
                else min(slack / 2, 6 + slack * 0.1)
            )
            baseline = top + 10 + dy + f.pen.ascent
            dx = pad_x + rng.uniform(0, jitter_x)
            centred = c.type in CENTRED_TYPES and not handwritten
            box = write_lines(
                canvas.ink, f, x0 + dx, baseline, rng, align_width=(x1 - x0 - 2 * dx) if centred else None
            )
            row_boxes[c.field] = box or cell
        boxes.append(row_boxes)
        rule(canvas, (edges[0], bottom), (edges[-1], bottom), rng, quality)
        top = bottom
    for i, x in enumerate(edges):
        outer = i in (0, len(edges) - 1)
        rule(canvas, (x, body_top), (x, top), rng, quality, width=quality.width + (1 if outer else 0))
    return boxes
