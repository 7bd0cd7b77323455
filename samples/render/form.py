"""Form pages (books from 2016, TT 15/2015): one record per page, printed labels with dotted lines.

Each layout field is printed as its label followed by a dotted line the value is written on; fields that
share ``line`` in the layout share one printed line. A value too long for its line continues on extra
dotted lines. Tick boxes follow the fields (the true option marked ✗ or ✓), signature areas close the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from samples.render.canvas import (
    Canvas,
    RuleQuality,
    dotted_line,
    print_pen,
    print_text,
    rule,
    signature,
    tick,
)
from samples.render.text import Box, Pen, union, wrap
from sohoa.config import FormField, Layout

FORM_SIZE = (1654, 2339)  # A4 portrait at 200 dpi
LABEL_SIZE = 28
BOX_SIZE = 34


@dataclass(frozen=True)
class FormHeader:
    office_lines: tuple[str, ...]
    title: str
    volume: str
    page: int


@dataclass
class _Item:
    key: str
    label: str
    label_x: float
    slot: tuple[float, float]  # x range of the dotted line
    lines: list[str]  # the value's text on this printed line
    pen: Pen


@dataclass
class _Line:
    items: list[_Item] = field(default_factory=list)
    continuation_of: str | None = None  # key whose value continues here


def _groups(fields: list[FormField]) -> list[list[FormField]]:
    groups: list[list[FormField]] = []
    for f in fields:
        if groups and f.line is not None and groups[-1][-1].line == f.line:
            groups[-1].append(f)
        else:
            groups.append([f])
    return groups


def _plan(layout: Layout, record: Mapping[str, str], pen: Pen, left: float, right: float) -> list[_Line]:
    label_pen = print_pen(LABEL_SIZE)
    lines: list[_Line] = []
    for group in _groups(layout.fields):
        if len(group) == 1:
            f = group[0]
            text = record.get(f.field, "")
            lw = label_pen.measure(f.label)
            slot0 = left + lw + 10
            first_width = right - slot0 - 20
            words = text.split()
            first: list[str] = []
            while words and pen.measure(" ".join([*first, words[0]])) <= first_width:
                first.append(words.pop(0))
            if not first and words:  # a first word longer than the slot still starts there
                first.append(words.pop(0))
            lines.append(_Line([_Item(f.field, f.label, left, (slot0, right), [" ".join(first)], pen)]))
            for cont in wrap(" ".join(words), pen.measure, right - left - 40):
                lines.append(
                    _Line([_Item(f.field, "", left, (left, right), [cont], pen)], continuation_of=f.field)
                )
            continue
        scale = 1.0
        while True:
            p = pen if scale == 1.0 else pen.resized(round(pen.size * scale))
            widths = [label_pen.measure(f.label) for f in group]
            values = [record.get(f.field, "") for f in group]
            slots = [max(p.measure(v) + 36, 150.0) for v in values]
            gap = 28.0
            total = sum(widths) + sum(slots) + 10 * len(group) + gap * (len(group) - 1)
            if total <= right - left or scale <= 0.71:
                break
            scale -= 0.1
        spare = max(0.0, (right - left) - total) / len(group)
        items = []
        x = left
        for f, lw, sw, v in zip(group, widths, slots, values, strict=True):
            slot0 = x + lw + 10
            slot1 = slot0 + sw + spare
            items.append(_Item(f.field, f.label, x, (slot0, slot1), [v], p))
            x = slot1 + gap
        lines.append(_Line(items))
    return lines


def _checkbox_rows(layout: Layout, left: float, right: float) -> list[list[tuple[str, str, str, float]]]:
    """Rows of (field, option, caption, x) for the tick boxes."""
    label_pen = print_pen(LABEL_SIZE)
    rows: list[list[tuple[str, str, str, float]]] = []
    for box in layout.checkboxes:
        row: list[tuple[str, str, str, float]] = []
        x = left
        for option, caption in box.options.items():
            w = BOX_SIZE + 14 + label_pen.measure(caption) + 56
            if row and x + w > right:
                rows.append(row)
                row, x = [], left
            row.append((box.field, option, caption, x))
            x += w
        rows.append(row)
    return rows


def render_form(
    canvas: Canvas,
    layout: Layout,
    header: FormHeader,
    record: Mapping[str, str],
    pen: Pen,
    rng: np.random.Generator,
    *,
    quality: RuleQuality,
    handwritten: bool,
) -> dict[str, Box]:
    """Draw a form page; returns the box of every field's value (the empty dotted slot if blank)."""
    w, h = canvas.width, canvas.height
    left = 140 + int(rng.integers(0, 24))
    right = w - 120 - int(rng.integers(0, 24))
    # --- national header
    lines = [ln.upper() for ln in header.office_lines[-2:]]
    cx = left + 260
    y = 120
    for i, office in enumerate(lines):
        print_text(canvas, office, cx, y, 26, bold=i == len(lines) - 1, align="centre")
        y += 38
    rule(canvas, (cx - 90, y - 20), (cx + 90, y - 20), rng, quality, width=2)
    rx = right - 330
    print_text(canvas, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", rx, 120, 26, bold=True, align="centre")
    print_text(canvas, "Độc lập - Tự do - Hạnh phúc", rx, 158, 28, bold=True, align="centre")
    rule(canvas, (rx - 190, 172), (rx + 190, 172), rng, quality, width=2)
    print_text(canvas, layout.title, w / 2, 300, 46, bold=True, align="centre")
    print_text(canvas, f"Trang {header.page}", w / 2, h - 70, 24, align="centre")

    # --- fields, fitted to the height left above the tick boxes and signatures
    fields_top = 360
    box_rows = _checkbox_rows(layout, left, right)
    sign_height = 300
    planned = _plan(layout, record, pen, left, right)
    while True:
        n = len(planned) + len(box_rows) + (0.5 if box_rows else 0)
        pitch = (h - 110 - sign_height - fields_top) / max(n, 1)
        if pitch >= pen.size * 1.5 or pen.size <= 20:
            break
        pen = pen.resized(round(pen.size * 0.9))
        planned = _plan(layout, record, pen, left, right)
    pitch = min(pitch, pen.size * 2.4)

    boxes: dict[str, Box] = {}
    baseline = fields_top + pitch * 0.8
    for line in planned:
        for item in line.items:
            if item.label:
                print_text(canvas, item.label, item.label_x, baseline, LABEL_SIZE)
            dotted_line(canvas, item.slot[0], item.slot[1], baseline + 6)
            text = " ".join(item.lines).strip()
            slot_box: Box = (
                round(item.slot[0]),
                round(baseline - pen.size),
                round(item.slot[1]),
                round(baseline + 8),
            )
            if handwritten:
                x = item.slot[0] + 10 + rng.uniform(0, 24)
                yb = baseline + rng.normal(-4.0, 2.5)
            else:
                x, yb = item.slot[0] + 12, baseline - 3
            drawn = item.pen.write(canvas.ink, x, yb, text, rng) if text else None
            previous = boxes.get(item.key)
            if drawn is not None:
                boxes[item.key] = union([previous if line.continuation_of else None, drawn]) or drawn
            elif previous is None:
                boxes[item.key] = slot_box
        baseline += pitch

    # --- tick boxes
    label_pen = print_pen(LABEL_SIZE)
    ticked: dict[str, list[Box]] = {}
    if box_rows:
        baseline += pitch * 0.3
    for row in box_rows:
        for key, option, caption, x in row:
            square: Box = (round(x), round(baseline - BOX_SIZE + 4), round(x + BOX_SIZE), round(baseline + 4))
            rule(canvas, (square[0], square[1]), (square[2], square[1]), rng, quality, width=3)
            rule(canvas, (square[0], square[3]), (square[2], square[3]), rng, quality, width=3)
            rule(canvas, (square[0], square[1]), (square[0], square[3]), rng, quality, width=3)
            rule(canvas, (square[2], square[1]), (square[2], square[3]), rng, quality, width=3)
            label_pen.write(canvas.printed, x + BOX_SIZE + 14, baseline, caption, rng)
            ticked.setdefault(key, []).append(square)
            if record.get(key, "") == option:
                mark = tick(canvas.ink, square, rng, handwritten=handwritten, width=5 if handwritten else 4)
                boxes[key] = union([square, mark]) or square
        baseline += pitch
    for key, squares in ticked.items():
        if key not in boxes:
            boxes[key] = union(squares) or squares[0]

    # --- signatures
    top = max(baseline + pitch * 0.2, h - 110 - sign_height)
    for i, who in enumerate(("Người đi đăng ký", "Người thực hiện")):
        sx = left + (right - left) * (0.25 + 0.5 * i)
        print_text(canvas, who, sx, top + 40, 28, bold=True, align="centre")
        print_text(canvas, "(Ký, ghi rõ họ tên)", sx, top + 80, 24, align="centre")
        signature(canvas.ink, sx - 130 + rng.uniform(-30, 30), top + 110, 240, 110, rng)
    return boxes
