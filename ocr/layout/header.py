"""How many bands of a ledger's grid are its header, read from the page rather than taken from the layout.

Books of one era do not all print the same header: one row of captions, two (a merged group row over the
column captions), or two plus a row of column numbers ``(1) (2) …``. Taking the layout's count on such a page
puts every value on the neighbouring record. So the first bands (up to :data:`MAX_BANDS`) are read, one OCR
call per band strip (rules removed), and each is classified:

- ``caption``: the text matches the layout's column captions or group captions (fuzzy, diacritics and case
  folded, abbreviations such as ``Ng. sinh`` or ``Ngày ĐK`` accepted) and holds no date or year (one
  caption is enough in a band without any digit: a row of group captions);
- ``numbers``: most tokens are small column numbers (``(1)``, ``2``, ``3.``);
- ``blank``: no ink; ``unreadable``: the engine failed;
- ``body``: anything else (record values).

The header ends at the first ``body`` band. The count is *clear* when a caption band lies before it; then it
replaces the layout's. Otherwise (no caption band, no body band within :data:`MAX_BANDS`) the reader keeps
the layout's count and flags the page ``structure_mismatch`` (see :mod:`ocr.read`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import numpy as np
from rapidfuzz import fuzz

from ocr.engines.base import OcrEngine, OcrEngineError
from ocr.layout.ledger import Grid
from sohoa.config import Layout

#: Bands read at most from the top of the grid.
MAX_BANDS: Final[int] = 4
#: partial_ratio from which a caption counts as found in a band's text.
CAPTION_SCORE: Final[float] = 80.0
#: Captions shorter than this (folded) must appear as a whole token ("so", "me", "cha" are too common).
SHORT_CAPTION: Final[int] = 5

_DATE = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\b(?:18|19|20)\d{2}\b")
_NUMBER = re.compile(r"^[(\[{]?(\d{1,2})[)\]}]?[.,:]?$")


@dataclass(frozen=True, slots=True)
class HeaderBands:
    """What the top bands of a grid are, and the header count they give."""

    kinds: tuple[str, ...]  # per band read, top down
    rows: int  # bands before the first body band
    clear: bool  # a caption band lies before the first body band
    expected: int  # the count the layout (and the grid's merged-cell rule) gave

    @property
    def agrees(self) -> bool:
        return self.rows == self.expected

    def describe(self) -> str:
        """``<seen>/<expected>`` as flags write counts (``?`` when the page does not say)."""
        return f"{self.rows if self.clear else '?'}/{self.expected}"


def fold_caption(text: str) -> str:
    """Lower case, no diacritics (đ → d), punctuation as spaces except the abbreviation dot, spaces folded."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w.()/\-]+", " ", text)
    return " ".join(text.split())


def captions(layout: Layout) -> list[str]:
    """The layout's column and group captions, folded, without repeats."""
    seen: dict[str, None] = {}
    for col in layout.columns:
        for cap in (col.header, col.group):
            if cap:
                key = fold_caption(cap).replace(".", " ")
                key = " ".join(key.split())
                if key:
                    seen[key] = None
    return list(seen)


def _abbrev(words: list[str], tokens: list[str]) -> bool:
    """True when ``tokens`` (in order) spell ``words``: each token a whole word, a word's prefix, or the
    initials of several consecutive words ("ng sinh" = "ngay sinh", "ngay dk" = "ngay dang ky")."""
    if not words:
        return not tokens
    if not tokens:
        return False
    t = tokens[0]
    if words[0].startswith(t) and _abbrev(words[1:], tokens[1:]):
        return True
    for n in range(2, len(words) + 1):
        if t == "".join(w[0] for w in words[:n]) and _abbrev(words[n:], tokens[1:]):
            return True
    return False


def caption_found(caption: str, text: str, tokens: list[str]) -> bool:
    """Whether ``caption`` (folded) appears in a band's folded ``text`` / ``tokens``."""
    words = caption.split()
    if len(caption) < SHORT_CAPTION:
        return caption in tokens or (" ".join(words) in text and len(words) > 1)
    if fuzz.partial_ratio(caption, text) >= CAPTION_SCORE:
        return True
    n = len(words)
    for size in range(1, n + 1):
        for i in range(len(tokens) - size + 1):
            window = tokens[i : i + size]
            if sum(len(t) for t in window) >= 3 and _abbrev(words, window):
                return True
    return False


def _column_number(token: str, ncols: int) -> bool:
    """A column number as printed and as OCR garbles it: ``(3)``, ``3``, ``3.``, ``@)``, ``q5)``, ``(1``."""
    if m := _NUMBER.match(token):
        return 0 < int(m.group(1)) <= ncols + 2
    return len(token) <= 4 and (token.endswith(")") or token.startswith("(")) and not token.isalpha()


def classify(text: str, layout: Layout) -> str:
    """``caption``, ``numbers``, ``blank`` or ``body`` for the text read in one band."""
    folded = fold_caption(text)
    if not folded.strip():
        return "blank"
    raw_tokens = text.split()
    ncols = len(layout.columns)
    small = [t for t in raw_tokens if _column_number(t, ncols)]
    if len(small) >= max(3, ncols // 2) and len(small) >= 0.6 * len(raw_tokens):
        return "numbers"
    tokens = [t for t in re.split(r"[\s.]+", folded.replace("(", " ").replace(")", " ")) if t]
    plain = " ".join(tokens)
    caps = captions(layout)
    long_found = [c for c in caps if len(c) >= SHORT_CAPTION and caption_found(c, plain, tokens)]
    short_found = [c for c in caps if len(c) < SHORT_CAPTION and caption_found(c, plain, tokens)]
    dated = _DATE.search(folded) is not None
    if len(long_found) >= 2 and (not dated or len(long_found) >= 4):
        return "caption"
    if len(long_found) == 1 and len(short_found) >= 1 and not dated and not small:
        return "caption"  # a short header ("Số", "Họ và tên"): one long caption and a short one, no value
    if (long_found or short_found) and not any(ch.isdigit() for ch in text):
        return "caption"  # a row of group captions ("Chồng", "Vợ"): a record always holds a number or date
    return "body"


def band_image(text_ink: np.ndarray, grid: Grid, band: int) -> np.ndarray | None:
    """The band's strip across the table, black text on white (rules removed), or None when it has no ink."""
    ys = [r.pos for r in grid.rows]
    x0, x1 = int(grid.columns[0].pos), int(grid.columns[-1].pos)
    y0, y1 = int(ys[band]), int(ys[band + 1])
    pad = 3
    crop = text_ink[y0 + pad : max(y0 + pad + 1, y1 - pad), x0 + pad : max(x0 + pad + 1, x1 - pad)]
    if crop.size == 0 or not crop.any():
        return None
    return 255 - crop


def header_bands(text_ink: np.ndarray, grid: Grid, layout: Layout, engine: OcrEngine) -> HeaderBands:
    """Read the top bands of ``grid`` and decide how many are header (see the module's doc)."""
    expected = grid.header_rows
    bands = min(MAX_BANDS, len(grid.rows) - 1)
    kinds: list[str] = []
    for band in range(bands):
        img = band_image(text_ink, grid, band)
        if img is None:
            kinds.append("blank")
            continue
        try:
            rec = engine.recognize(img, mode="block", kind="text")
        except OcrEngineError:
            kinds.append("unreadable")
            continue
        kinds.append(classify(rec.text, layout))
        if kinds[-1] == "body":
            break
    if "body" not in kinds:
        return HeaderBands(tuple(kinds), expected, False, expected)
    rows = kinds.index("body")
    clear = "caption" in kinds[:rows]
    return HeaderBands(tuple(kinds), rows if clear else expected, clear, expected)
