"""One sample page from its specification: layout, records, pen, seed → image and value boxes.

The page is drawn (ledger or form), composed onto paper, damaged and turned; every value's box is mapped
into the coordinates of the image as saved (after skew and rotation: the axis-aligned box around the
turned value box).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from samples.render.canvas import Canvas, RuleQuality
from samples.render.damage import RGB, Damage, compose, degrade, encode, map_box, plan_damage
from samples.render.fonts import HANDWRITING_FAMILIES, TYPED_FAMILIES
from samples.render.form import FORM_SIZE, FormHeader, render_form
from samples.render.ledger import LEDGER_SIZE, HeaderStyle, LedgerHeader, render_ledger
from samples.render.text import Box, HandPen, Pen, TypedPen
from sohoa.config import Layout
from sohoa.errors import InputError

Style = Literal["typed", "handwritten"]
STYLES: tuple[str, ...] = ("typed", "handwritten", "mixed")


@dataclass(frozen=True)
class PenStyle:
    """How the values of a book are written: one clerk (or program) per book."""

    style: Style
    family: str
    ink: RGB
    size: int  # nominal text size in pixels (about 200 dpi)
    slant: float = 0.0
    stroke: int = 0
    jitter: float = 1.0

    def pen(self) -> Pen:
        if self.style == "typed":
            return TypedPen(self.family, self.size)
        return HandPen(self.family, self.size, slant=self.slant, stroke=self.stroke, jitter=self.jitter)


def choose_pen(rng: np.random.Generator, style: Style, kind: str) -> PenStyle:
    """A book's pen: typed families in black, or a clerk's hand in blue, black or violet ink."""
    if style == "typed":
        grey = int(rng.integers(10, 40))
        return PenStyle("typed", str(rng.choice(TYPED_FAMILIES)), (grey, grey, grey + 5), 34)
    u = rng.random()
    if u < 0.6:
        ink: RGB = (int(rng.integers(15, 45)), int(rng.integers(35, 75)), int(rng.integers(120, 175)))
    elif u < 0.9:
        g = int(rng.integers(25, 50))
        ink = (g, g, g + 12)
    else:
        ink = (int(rng.integers(70, 100)), int(rng.integers(30, 55)), int(rng.integers(115, 150)))
    return PenStyle(
        "handwritten",
        str(rng.choice(HANDWRITING_FAMILIES)),
        ink,
        38 if kind == "form" else 36,
        slant=float(rng.uniform(-0.05, 0.28)),
        stroke=int(rng.random() < 0.3),
        jitter=float(rng.uniform(0.6, 1.4)),
    )


@dataclass(frozen=True)
class PageSpec:
    """Everything one page depends on (picklable: pages are rendered in worker processes)."""

    layout: Layout
    records: Sequence[Mapping[str, str]]  # field values of the records on the page, top to bottom
    pen: PenStyle
    office_lines: tuple[str, ...]
    volume: str
    page: int
    subtitle: str = ""
    seed: tuple[int, ...] = (0,)
    damage: float = 1.0  # 0 = clean, 1 = usual, 2 = rough
    header: HeaderStyle | None = None  # ledger column header (None: as the layout says)


@dataclass
class RenderedPage:
    image: np.ndarray  # uint8 as saved: H×W×3 (RGB) or H×W (a grey scan)
    extension: Literal["png", "jpg"]
    boxes: list[dict[str, list[int]]]  # per record: field key -> [x, y, w, h] in the saved image
    damage: Damage
    page_boxes: list[dict[str, Box]] = field(default_factory=list)  # before skew/rotation (x0, y0, x1, y1)

    @property
    def rotation(self) -> int:
        return self.damage.rotation

    def encode(self) -> bytes:
        return encode(self.image, self.damage.jpeg_quality)


def _printed_colour(rng: np.random.Generator, kind: str) -> RGB:
    if kind == "ledger" and rng.random() < 0.4:  # old books: brownish or faded print
        return (int(rng.integers(55, 80)), int(rng.integers(45, 65)), int(rng.integers(40, 55)))
    g = int(rng.integers(15, 40))
    return (g, g, g + 4)


def render_page(spec: PageSpec) -> RenderedPage:
    """Draw, compose and damage one page."""
    layout = spec.layout
    if not spec.records:
        raise InputError("trang cần ít nhất một bản ghi", hint="truyền các bản ghi có trên trang")
    if layout.kind == "form" and len(spec.records) != 1:
        raise InputError(
            f"trang tờ khai chỉ chứa một bản ghi, không phải {len(spec.records)}",
            hint="mỗi bản ghi vẽ một trang",
        )
    draw_seq, damage_seq = np.random.SeedSequence(list(spec.seed)).spawn(2)
    rng, drng = np.random.default_rng(draw_seq), np.random.default_rng(damage_seq)
    handwritten = spec.pen.style == "handwritten"
    lv = max(0.0, spec.damage)
    quality = RuleQuality(
        faint=0.08 * min(lv, 2),
        broken=0.06 * min(lv, 2),
        doubled=0.03 * min(lv, 2),
        width=int(rng.integers(2, 4)),
    )
    pen = spec.pen.pen()
    if layout.kind == "ledger":
        canvas = Canvas(*LEDGER_SIZE)
        header = LedgerHeader(spec.office_lines, layout.title, spec.subtitle, spec.volume, spec.page)
        page_boxes = render_ledger(
            canvas,
            layout,
            header,
            spec.records,
            pen,
            rng,
            quality=quality,
            handwritten=handwritten,
            header_style=spec.header,
        )
    else:
        canvas = Canvas(*FORM_SIZE)
        fheader = FormHeader(spec.office_lines, layout.title, spec.volume, spec.page)
        page_boxes = [
            render_form(
                canvas, layout, fheader, spec.records[0], pen, rng, quality=quality, handwritten=handwritten
            )
        ]
    damage = plan_damage(drng, handwritten=handwritten, kind=layout.kind, level=lv)
    image = compose(
        np.asarray(canvas.printed),
        np.asarray(canvas.ink),
        printed_color=_printed_colour(drng, layout.kind),
        ink_color=spec.pen.ink,
        damage=damage,
        rng=drng,
    )
    image, matrix = degrade(image, damage, drng)
    size = (image.shape[1], image.shape[0])
    boxes = [{k: map_box(b, matrix, size) for k, b in row.items()} for row in page_boxes]
    return RenderedPage(image, "png" if damage.jpeg_quality is None else "jpg", boxes, damage, page_boxes)
