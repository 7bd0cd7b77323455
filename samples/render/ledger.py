"""Ledger pages (books before 2016): a ruled table, one record per row, under a one- or two-row header.

Columns come from the layout, left to right, with widths proportional to their ``width``; consecutive
columns sharing a ``group`` get one merged upper header cell. Values are wrapped onto 2–3 lines when they
do not fit their column, and the rows take the height their contents need plus an uneven share of the
page that is left.

Printers laid their ledgers out differently from the layout file: :class:`HeaderStyle` chooses the shape
of the column header (``layout`` = as the layout says, the default; ``one_row`` = one row of captions,
group captions folded into the column captions that need them and dropped elsewhere; ``numbered`` =
the layout's rows plus a row of column numbers "(1)", "(2)", …; ``three_rows`` = group row, caption row
and number row, the same as ``numbered`` for layouts with groups), other caption texts, and column widths
scaled by per-column factors (see :mod:`samples.headers`).
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


HEADER_SHAPES: tuple[str, ...] = ("layout", "one_row", "numbered", "three_rows")


@dataclass(frozen=True)
class HeaderStyle:
    """How a printer drew the column header: shape, captions and column widths.

    ``captions`` and ``groups`` (one entry per column, ``None`` = the layout's) replace the layout's
    texts; ``width_factors`` (one per column) multiply the layout's relative widths before they are
    normalised to the table width. The default draws exactly what the layout says.
    """

    shape: str = "layout"
    captions: tuple[str | None, ...] | None = None
    groups: tuple[str | None, ...] | None = None
    width_factors: tuple[float, ...] | None = None

    @property
    def is_default(self) -> bool:
        return self.shape == "layout" and not self.captions and not self.groups and not self.width_factors


@dataclass
class LedgerGeometry:
    """What the renderer drew for the column header (for tests and benchmarks), before skew/rotation.

    ``header_rules``: y of the horizontal rules running across the whole table in the header, top to
    bottom (the last one is the top of the first body row); ``header_texts``: (text, box) of every
    caption and number printed in the header.
    """

    edges: list[int]
    header_rules: list[int]
    header_texts: list[tuple[str, Box | None]]
    body_top: int


@dataclass(frozen=True)
class LedgerHeader:
    office_lines: tuple[str, ...]
    title: str
    subtitle: str  # e.g. "Năm 2008"
    volume: str
    page: int


def _column_edges(layout: Layout, left: int, right: int, factors: Sequence[float] | None = None) -> list[int]:
    widths = [c.width for c in layout.columns]
    if factors:
        widths = [w * f for w, f in zip(widths, factors, strict=True)]
    total = sum(widths)
    edges = [left]
    acc = 0.0
    for w in widths:
        acc += w
        edges.append(round(left + (right - left) * acc / total))
    return edges


def _group_spans(groups: Sequence[str | None]) -> list[tuple[str | None, int, int]]:
    """Runs of consecutive columns: (group or None, first index, last index + 1)."""
    spans: list[tuple[str | None, int, int]] = []
    for i, group in enumerate(groups):
        if spans and group is not None and spans[-1][0] == group:
            g, a, _ = spans[-1]
            spans[-1] = (g, a, i + 1)
        else:
            spans.append((group, i, i + 1))
    return spans


def _fold(caption: str, group: str | None) -> str:
    """A column caption with its group's caption folded in ("Họ và tên" + "Mẹ" → "Họ và tên mẹ")."""
    if not group:
        return caption
    tail = group[0].lower() + group[1:] if not group.isupper() else group
    return f"{caption} {tail}"


def _draw_header(
    canvas: Canvas,
    layout: Layout,
    edges: list[int],
    top: int,
    rng: np.random.Generator,
    quality: RuleQuality,
    style: HeaderStyle | None = None,
    geometry: LedgerGeometry | None = None,
) -> int:
    """The column header; returns the y of its bottom rule."""
    style = style or HeaderStyle()
    size = 28
    captions: list[str] = [
        ((style.captions[i] if style.captions else None) or c.header) for i, c in enumerate(layout.columns)
    ]
    groups: list[str | None] = [
        ((style.groups[i] if style.groups else None) or c.group) for i, c in enumerate(layout.columns)
    ]
    has_groups = any(groups)
    if style.shape == "one_row":
        # a group's caption is folded into the captions of attributes that occur more than once ("Họ và
        # tên" under "Mẹ" and under "Cha" → "Họ và tên mẹ", "Họ và tên cha") and dropped elsewhere
        heads = [c.field.rsplit(".", 1)[-1] for c in layout.columns]  # full_name, birth_year, …
        repeated = {h for h in heads if heads.count(h) > 1}
        captions = [
            _fold(cap, g) if h in repeated else cap for cap, g, h in zip(captions, groups, heads, strict=True)
        ]
        two = False
    elif style.shape == "three_rows":
        two = has_groups
    else:
        two = layout.header_rows == 2 and has_groups
    numbered = style.shape in ("numbered", "three_rows")
    upper = 64 if two else 0
    lower = 0
    for i in range(len(layout.columns)):
        width = edges[i + 1] - edges[i] - 12
        fitted = fit(captions[i], print_pen(size, bold=True), width, max_lines=4, min_scale=0.6)
        lower = max(lower, len(fitted.lines) * fitted.pen.line_height + 24)
    lower = max(lower, 80)
    numbers = 52 if numbered else 0
    bottom = top + upper + lower + numbers
    left, right = edges[0], edges[-1]
    texts: list[tuple[str, Box | None]] = []
    rule(canvas, (left, top), (right, top), rng, quality, width=quality.width + 1)
    rule(canvas, (left, bottom), (right, bottom), rng, quality, width=quality.width + 1)
    if numbered:
        rule(canvas, (left, bottom - numbers), (right, bottom - numbers), rng, quality)
    spans = _group_spans(groups) if two else [(None, i, i + 1) for i in range(len(layout.columns))]
    caption_bottom = bottom - numbers
    for group, a, b in spans:
        if group is not None:
            rule(canvas, (edges[a], top + upper), (edges[b], top + upper), rng, quality)
            texts.append((group, print_fitted(canvas, group, edges[a], top, edges[b], top + upper, size)))
            for i in range(a, b):
                box = print_fitted(
                    canvas, captions[i], edges[i], top + upper, edges[i + 1], caption_bottom, size
                )
                texts.append((captions[i], box))
        else:
            for i in range(a, b):
                box = print_fitted(canvas, captions[i], edges[i], top, edges[i + 1], caption_bottom, size)
                texts.append((captions[i], box))
    if numbered:
        for i in range(len(layout.columns)):
            label = f"({i + 1})"
            box = print_fitted(canvas, label, edges[i], caption_bottom, edges[i + 1], bottom, 24, bold=False)
            texts.append((label, box))
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
    if geometry is not None:
        geometry.header_rules = [top, *([bottom - numbers] if numbered else []), bottom]
        geometry.header_texts = texts
        geometry.body_top = bottom
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
    header_style: HeaderStyle | None = None,
    geometry: LedgerGeometry | None = None,
) -> list[dict[str, Box]]:
    """Draw a ledger page; returns, per row, the box of every column's value (the empty cell if blank).

    ``header_style`` (default: as the layout says) chooses the column header's shape, captions and
    column widths; ``geometry``, when given, is filled in with what was drawn.
    """
    style = header_style or HeaderStyle()
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
    edges = _column_edges(layout, left, right, style.width_factors)
    if geometry is not None:
        geometry.edges = list(edges)
    body_top = _draw_header(
        canvas, layout, edges, 250 + int(rng.integers(0, 20)), rng, quality, style, geometry
    )
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
