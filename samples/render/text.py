"""Pens that write field values onto a coverage layer, and text fitting (wrapping onto 2–3 lines).

A *layer* is a PIL ``L`` image of ink coverage (0 = paper, 255 = full ink); colours are applied when the
page is composed (:mod:`samples.render.damage`). Boxes are ``(x0, y0, x1, y1)`` in layer pixels, x1/y1
exclusive.

* :class:`TypedPen` draws whole strings with a typed font (kerning and shaping by FreeType/raqm).
* :class:`HandPen` draws glyph by glyph from a per-process glyph cache, with jitter of baseline, size and
  spacing per glyph, slant and pressure per word, and now and then a word off the line.
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from samples.render.fonts import font

Box = tuple[int, int, int, int]


def union(boxes: Sequence[Box | None]) -> Box | None:
    """The box around all given boxes (None when there are none)."""
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    return (
        min(b[0] for b in real),
        min(b[1] for b in real),
        max(b[2] for b in real),
        max(b[3] for b in real),
    )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Pen(ABC):
    """Writes one line of text at a baseline; knows how wide a text will be."""

    family: str
    size: int

    @property
    def line_height(self) -> int:
        """Distance between baselines of wrapped lines (room for stacked Vietnamese diacritics)."""
        return round(self.size * 1.32)

    @property
    def ascent(self) -> int:
        """Height above the baseline a line needs (capitals with two diacritics)."""
        return round(self.size * 0.98)

    @property
    def descent(self) -> int:
        return round(self.size * 0.3)

    @abstractmethod
    def measure(self, text: str) -> float:
        """Width of ``text`` in pixels (an upper estimate for hand pens)."""

    @abstractmethod
    def write(
        self, layer: Image.Image, x: float, baseline: float, text: str, rng: np.random.Generator
    ) -> Box | None:
        """Draw ``text`` with its left end at ``x`` on ``baseline``; return the inked box (None if blank)."""

    @abstractmethod
    def resized(self, size: int) -> Pen:
        """The same pen at another nominal size."""


@dataclass
class TypedPen(Pen):
    family: str
    size: int
    intensity: int = 255

    def measure(self, text: str) -> float:
        return _typed_length(self.family, self.size, text)

    def write(
        self, layer: Image.Image, x: float, baseline: float, text: str, rng: np.random.Generator
    ) -> Box | None:
        text = nfc(text)
        if not text.strip():
            return None
        draw = ImageDraw.Draw(layer)
        f = font(self.family, self.size)
        pos = (round(x), round(baseline))
        draw.text(pos, text, font=f, fill=self.intensity, anchor="ls")
        box = draw.textbbox(pos, text, font=f, anchor="ls")
        return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))

    def resized(self, size: int) -> TypedPen:
        return TypedPen(self.family, size, self.intensity)


@lru_cache(maxsize=65536)
def _typed_length(family: str, size: int, text: str) -> float:
    return float(font(family, size).getlength(nfc(text)))


@dataclass(frozen=True)
class _Glyph:
    mask: Image.Image
    left: int  # offset of the mask's left edge from the pen position
    top: int  # offset of the mask's top edge from the baseline (negative: above)
    advance: float


@lru_cache(maxsize=8192)
def _glyph(family: str, size: int, char: str, stroke: int) -> _Glyph:
    f = font(family, size)
    advance = float(f.getlength(char))
    bbox = f.getbbox(char, anchor="ls", stroke_width=stroke)
    left, top, right, bottom = (int(v) for v in bbox)
    w, h = max(1, right - left), max(1, bottom - top)
    mask = Image.new("L", (w, h), 0)
    if char.strip():
        ImageDraw.Draw(mask).text(
            (-left, -top), char, font=f, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255
        )
    return _Glyph(mask, int(left), int(top), advance)


@lru_cache(maxsize=1024)
def _space_width(family: str, size: int) -> float:
    return max(float(font(family, size).getlength(" ")), size * 0.28)


@lru_cache(maxsize=65536)
def _hand_length(
    family: str, size: int, stroke: int, jitter: float, slant: float, space: float, text: str
) -> float:
    """An upper estimate of the width a hand pen needs for ``text`` (glyph advances plus jitter)."""
    words = nfc(text).split()
    if not words:
        return 0.0
    letters = sum(_glyph(family, size, ch, stroke).advance for w in words for ch in w)
    spacing = 0.04 * jitter * size * sum(len(w) for w in words)
    gaps = space * 1.35 * (len(words) - 1)
    return (letters + spacing + gaps) * 1.05 + (abs(slant) + 0.05) * size


@dataclass
class HandPen(Pen):
    """A clerk's pen: one handwriting family, a habitual slant and pen weight, and per-glyph jitter."""

    family: str
    size: int
    slant: float = 0.12  # shear per pixel of height; positive leans right
    stroke: int = 0  # 1 = a heavier pen
    jitter: float = 1.0  # 0 = perfectly regular, 1 = normal, 2 = sloppy
    off_line: float = 0.06  # chance that a word sits visibly above or below the line

    def _space(self) -> float:
        return _space_width(self.family, self.size)

    def measure(self, text: str) -> float:
        return _hand_length(self.family, self.size, self.stroke, self.jitter, self.slant, self._space(), text)

    def resized(self, size: int) -> HandPen:
        return HandPen(self.family, size, self.slant, self.stroke, self.jitter, self.off_line)

    def _word(self, word: str, rng: np.random.Generator) -> tuple[Image.Image, int, int, float]:
        """The word as a coverage image, the pen position (x, baseline) inside it, and its advance."""
        j = self.jitter
        pad = 4 + self.size // 6
        asc, desc = round(self.size * 1.35), round(self.size * 0.55)
        glyphs: list[tuple[_Glyph, float, float]] = []
        pen_x = 0.0
        drift = rng.normal(0.0, 0.012 * j)  # the baseline of a word is not quite straight
        for ch in word:
            size = max(6, round(self.size * (1.0 + rng.uniform(-0.05, 0.05) * j)))
            g = _glyph(self.family, size, ch, self.stroke)
            dy = float(np.clip(rng.normal(0.0, 0.025 * j * self.size), -0.08 * self.size, 0.08 * self.size))
            glyphs.append((g, pen_x, dy + drift * pen_x))
            pen_x += g.advance + rng.uniform(-0.015, 0.04) * j * self.size
        slant = self.slant + rng.normal(0.0, 0.035 * j)
        lean = int(abs(slant) * asc) + 1
        width = int(pen_x) + 2 * pad + lean + self.size // 2
        height = asc + desc + 2 * pad
        base = pad + asc
        origin_x = pad + (lean if slant < 0 else 0)
        img = Image.new("L", (width, height), 0)
        pressure = int(np.clip(rng.normal(245.0, 10.0), 200, 255))
        for g, gx, gy in glyphs:
            img.paste(pressure, (round(origin_x + gx + g.left), round(base + gy + g.top)), g.mask)
        if abs(slant) > 1e-3:
            img = img.transform(
                img.size,
                Image.Transform.AFFINE,
                (1.0, slant, -slant * base, 0.0, 1.0, 0.0),
                resample=Image.Resampling.BILINEAR,
            )
        return img, origin_x, base, pen_x

    def write(
        self, layer: Image.Image, x: float, baseline: float, text: str, rng: np.random.Generator
    ) -> Box | None:
        words = nfc(text).split()
        boxes: list[Box | None] = []
        pen_x = x + rng.uniform(0.0, 0.1) * self.size * self.jitter
        space = self._space()
        for word in words:
            img, ox, base, advance = self._word(word, rng)
            dy = rng.normal(0.0, 0.02 * self.size * self.jitter)
            if rng.random() < self.off_line:
                dy += rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.2) * self.size
            px, py = round(pen_x - ox), round(baseline + dy - base)
            layer.paste(255, (px, py), img)
            inked = img.getbbox()
            if inked is not None:
                boxes.append((px + inked[0], py + inked[1], px + inked[2], py + inked[3]))
            pen_x += advance + space * rng.uniform(0.9, 1.35)
        return union(boxes)


# --------------------------------------------------------------------------- fitting
def wrap(text: str, measure: Callable[[str], float], width: float) -> list[str]:
    """Greedy word wrap; a word wider than ``width`` gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in nfc(text).split():
        candidate = f"{current} {word}" if current else word
        if not current or measure(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Fitted:
    pen: Pen
    lines: list[str]


def fit(text: str, pen: Pen, width: float, *, max_lines: int = 3, min_scale: float = 0.7) -> Fitted:
    """Wrap ``text`` into ``width`` on at most ``max_lines`` lines, shrinking the pen down to ``min_scale``.

    When even the smallest size needs more lines, it keeps them (the cell grows) rather than cutting text.
    """
    if not text.strip():
        return Fitted(pen, [])
    scale = 1.0
    while True:
        candidate = pen if scale == 1.0 else pen.resized(max(8, round(pen.size * scale)))
        lines = wrap(text, candidate.measure, width)
        if len(lines) <= max_lines and all(candidate.measure(line) <= width for line in lines):
            return Fitted(candidate, lines)
        if scale <= min_scale + 1e-9:
            return Fitted(candidate, lines)
        scale = max(min_scale, scale - 0.1)


def write_lines(
    layer: Image.Image,
    fitted: Fitted,
    x: float,
    first_baseline: float,
    rng: np.random.Generator,
    *,
    align_width: float | None = None,
) -> Box | None:
    """Write fitted lines one under the other; centred in ``align_width`` when given."""
    boxes: list[Box | None] = []
    for i, line in enumerate(fitted.lines):
        lx = x
        if align_width is not None:
            lx = x + max(0.0, (align_width - fitted.pen.measure(line)) / 2)
        boxes.append(fitted.pen.write(layer, lx, first_baseline + i * fitted.pen.line_height, line, rng))
    return union(boxes)
