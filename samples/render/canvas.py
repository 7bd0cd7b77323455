"""What ledger and form pages share: the two coverage layers, printed text, imperfect rules, tick marks.

A page is drawn as two ``L`` coverage layers: ``printed`` (the book's printed grid, titles and labels)
and ``ink`` (what the clerk or the software wrote). :mod:`samples.render.damage` turns them into a
scanned colour image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

from samples.render.fonts import PRINT_BOLD, PRINT_REGULAR
from samples.render.text import Box, Fitted, TypedPen, fit, union, write_lines
from sohoa import config
from sohoa.errors import SohoaError


@dataclass
class Canvas:
    width: int
    height: int
    printed: Image.Image = field(init=False)
    ink: Image.Image = field(init=False)

    def __post_init__(self) -> None:
        self.printed = Image.new("L", (self.width, self.height), 0)
        self.ink = Image.new("L", (self.width, self.height), 0)


def print_pen(size: int, *, bold: bool = False) -> TypedPen:
    """The pen of the printed parts of a book (titles, headers, labels)."""
    return TypedPen(PRINT_BOLD if bold else PRINT_REGULAR, size)


def print_text(
    canvas: Canvas,
    text: str,
    x: float,
    baseline: float,
    size: int,
    *,
    bold: bool = False,
    align: str = "left",
) -> Box | None:
    """Print one line on the printed layer; ``align`` is left, centre or right of ``x``."""
    pen = print_pen(size, bold=bold)
    if align != "left":
        w = pen.measure(text)
        x = x - w / 2 if align == "centre" else x - w
    return pen.write(canvas.printed, x, baseline, text, _NO_RNG)


def print_fitted(
    canvas: Canvas, text: str, x0: int, y0: int, x1: int, y1: int, size: int, *, bold: bool = True
) -> Box | None:
    """Print a header text centred in a cell, wrapped and shrunk to fit."""
    pad = 6
    fitted: Fitted = fit(text, print_pen(size, bold=bold), x1 - x0 - 2 * pad, max_lines=4, min_scale=0.6)
    if not fitted.lines:
        return None
    pen = fitted.pen
    block = (len(fitted.lines) - 1) * pen.line_height + pen.ascent
    first = y0 + (y1 - y0 - block) / 2 + pen.ascent * 0.92
    return write_lines(canvas.printed, fitted, x0 + pad, first, _NO_RNG, align_width=x1 - x0 - 2 * pad)


_NO_RNG = np.random.default_rng(0)  # typed pens draw no randomness


@dataclass(frozen=True)
class RuleQuality:
    """How imperfect the printed rules of a page are (chances per rule)."""

    faint: float = 0.06
    broken: float = 0.05
    doubled: float = 0.03
    width: int = 3


def rule(
    canvas: Canvas,
    p0: tuple[float, float],
    p1: tuple[float, float],
    rng: np.random.Generator,
    quality: RuleQuality,
    *,
    width: int | None = None,
) -> None:
    """A printed straight rule, sometimes faint, broken into dashes, or doubled."""
    draw = ImageDraw.Draw(canvas.printed)
    w = width or quality.width
    intensity = 255 if rng.random() >= quality.faint else int(rng.uniform(80, 150))
    length = math.dist(p0, p1)
    if length < 1:
        return
    ux, uy = (p1[0] - p0[0]) / length, (p1[1] - p0[1]) / length
    segments: list[tuple[float, float]] = [(0.0, length)]
    if rng.random() < quality.broken:
        segments = []
        pos = 0.0
        while pos < length:
            run = rng.uniform(80, 900)
            segments.append((pos, min(length, pos + run)))
            pos += run + rng.uniform(3, 14)
    for a, b in segments:
        draw.line(
            [(p0[0] + ux * a, p0[1] + uy * a), (p0[0] + ux * b, p0[1] + uy * b)], fill=intensity, width=w
        )
    if rng.random() < quality.doubled:
        off = rng.uniform(4, 8)
        nx, ny = -uy * off, ux * off
        draw.line(
            [(p0[0] + nx, p0[1] + ny), (p1[0] + nx, p1[1] + ny)],
            fill=int(intensity * 0.7),
            width=max(1, w - 1),
        )


def dotted_line(canvas: Canvas, x0: float, x1: float, y: float, *, pitch: int = 8, dot: int = 2) -> None:
    """A printed dotted line (the place a form value is written on)."""
    if x1 <= x0:
        return
    draw = ImageDraw.Draw(canvas.printed)
    yy = round(y)
    draw.point(
        [
            (x + dx, yy + dy)
            for x in range(round(x0), round(x1), pitch)
            for dx in range(dot)
            for dy in range(dot)
        ],
        fill=220,
    )


def stroke(
    layer: Image.Image,
    points: list[tuple[float, float]],
    width: int,
    rng: np.random.Generator,
    *,
    wobble: float,
) -> Box:
    """A pen stroke through ``points`` (interpolated, a little shaky); returns its box."""
    pts = np.asarray(points, dtype=float)
    if len(pts) > 2:
        # Catmull-Rom through the control points, 12 steps per segment.
        padded = np.vstack([pts[0], pts, pts[-1]])
        out = []
        for i in range(1, len(padded) - 2):
            p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
            for t in np.linspace(0, 1, 12, endpoint=False):
                t2, t3 = t * t, t * t * t
                out.append(
                    0.5
                    * (
                        2 * p1
                        + (-p0 + p2) * t
                        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                        + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
                    )
                )
        out.append(pts[-1])
        pts = np.asarray(out)
    if wobble > 0:
        pts = pts + rng.normal(0.0, wobble, size=pts.shape)
    coords = [(float(x), float(y)) for x, y in pts]
    ImageDraw.Draw(layer).line(coords, fill=255, width=width, joint="curve")
    half = width // 2 + 1
    xs, ys = pts[:, 0], pts[:, 1]
    return (
        int(xs.min()) - half,
        int(ys.min()) - half,
        math.ceil(xs.max()) + half,
        math.ceil(ys.max()) + half,
    )


def tick(layer: Image.Image, box: Box, rng: np.random.Generator, *, handwritten: bool, width: int = 4) -> Box:
    """Mark a tick box: an ✗ (two strokes) or, by hand, sometimes a ✓; may overshoot the box a little."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if not handwritten:
        a = stroke(layer, [(x0 + 0.2 * w, y0 + 0.2 * h), (x1 - 0.2 * w, y1 - 0.2 * h)], width, rng, wobble=0)
        b = stroke(layer, [(x1 - 0.2 * w, y0 + 0.2 * h), (x0 + 0.2 * w, y1 - 0.2 * h)], width, rng, wobble=0)
        return union([a, b]) or box
    j = lambda s: float(rng.normal(0.0, s))  # noqa: E731
    if rng.random() < 0.5:
        a = stroke(
            layer,
            [
                (x0 + 0.1 * w + j(3), y0 + 0.15 * h + j(3)),
                (x0 + w / 2 + j(2), y0 + h / 2 + j(2)),
                (x1 - 0.05 * w + j(4), y1 - 0.05 * h + j(4)),
            ],
            width,
            rng,
            wobble=0.6,
        )
        b = stroke(
            layer,
            [
                (x1 - 0.1 * w + j(3), y0 + 0.05 * h + j(3)),
                (x0 + w / 2 + j(2), y0 + h / 2 + j(2)),
                (x0 + 0.05 * w + j(4), y1 - 0.1 * h + j(4)),
            ],
            width,
            rng,
            wobble=0.6,
        )
        return union([a, b]) or box
    return stroke(
        layer,
        [
            (x0 + 0.1 * w + j(2), y0 + 0.5 * h + j(3)),
            (x0 + 0.4 * w + j(2), y1 - 0.1 * h + j(2)),
            (x0 + 0.75 * w + j(3), y0 + 0.2 * h + j(3)),
            (x1 + 0.25 * w + j(4), y0 - 0.3 * h + j(4)),
        ],
        width,
        rng,
        wobble=0.6,
    )


def signature(layer: Image.Image, x: float, y: float, w: float, h: float, rng: np.random.Generator) -> Box:
    """A scribbled signature inside the given area."""
    n = int(rng.integers(5, 10))
    xs = np.sort(rng.uniform(x, x + w, size=n))
    ys = rng.uniform(y + 0.15 * h, y + 0.85 * h, size=n)
    main = stroke(layer, list(zip(xs, ys, strict=True)), 3, rng, wobble=0.4)
    if rng.random() < 0.6:
        yy = y + rng.uniform(0.6, 0.9) * h
        flourish = stroke(layer, [(xs[0], yy), (xs[-1] + 0.1 * w, yy + rng.normal(0, 6))], 2, rng, wobble=0.5)
        return union([main, flourish]) or main
    return main


# --------------------------------------------------------------------------- book facts shown on pages
def office_lines(code: str) -> tuple[str, ...]:
    """The header lines naming an office and its parents ("Tỉnh Cao Bằng", "UBND xã Hưng Đạo")."""
    try:
        offices = {o.code: o for o in config.offices()}
    except SohoaError:
        return (f"UBND {code}",)
    chain = []
    current = offices.get(code)
    if current is None:
        return (f"UBND {code}",)
    while current is not None:
        chain.append(current)
        current = offices.get(current.parent_code) if current.parent_code else None
    chain.reverse()
    lines = [_named(o.kind, o.name) for o in chain[:-1]]
    lines.append("UBND " + _named(chain[-1].kind, chain[-1].name, capital=False))
    return tuple(lines)


def _named(kind: str, name: str, *, capital: bool = True) -> str:
    text = name if name.lower().startswith(kind.lower()) else f"{kind} {name}"
    return text[:1].upper() + text[1:] if capital else text[:1].lower() + text[1:]


@cache
def choice_captions(book_type: str) -> dict[str, dict[str, str]]:
    """Printed captions of tick-box options per field, from the book type's form layouts."""
    out: dict[str, dict[str, str]] = {}
    try:
        eras = config.eras()
    except SohoaError:
        return out
    for era in eras:
        try:
            lay = config.layout(book_type, era.id)
        except SohoaError:
            continue
        for box in lay.checkboxes:
            out.setdefault(box.field, {}).update(box.options)
    return out


def shown_text(book_type: str, key: str, value: str) -> str:
    """The text written for a value: tick-box option keys become their caption."""
    captions = choice_captions(book_type).get(key)
    if captions and value in captions:
        return captions[value]
    return value
