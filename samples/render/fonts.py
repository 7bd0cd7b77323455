"""The bundled fonts of the sample pages (``samples/fonts/``) and their glyph coverage.

Typed families stand for the registration software and typewriters; handwriting families stand for the
clerks' pens. Printed parts of a page (titles, headers, labels) always use Noto Serif.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from fontTools.ttLib import TTFont
from PIL import ImageFont

from sohoa.errors import ConfigError

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

VIETNAMESE_LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
VIETNAMESE_LETTERS = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper()
"""Every Vietnamese letter with a diacritic (each vowel with each tone mark, and đ), both cases."""
BASIC_CHARACTERS = "".join(map(chr, range(0x20, 0x7F)))

FontKind = Literal["typed", "handwriting", "print"]


@dataclass(frozen=True)
class FontFamily:
    name: str
    file: str
    kind: FontKind


FAMILIES: dict[str, FontFamily] = {
    f.name: f
    for f in (
        FontFamily("Noto Serif", "NotoSerif-Regular.ttf", "typed"),
        FontFamily("Roboto", "Roboto-Regular.ttf", "typed"),
        FontFamily("Itim", "Itim-Regular.ttf", "handwriting"),
        FontFamily("Patrick Hand", "PatrickHand-Regular.ttf", "handwriting"),
        FontFamily("Dancing Script", "DancingScript-Regular.ttf", "handwriting"),
        FontFamily("Pangolin", "Pangolin-Regular.ttf", "handwriting"),
        FontFamily("Noto Serif Bold", "NotoSerif-Bold.ttf", "print"),
    )
}
TYPED_FAMILIES: tuple[str, ...] = tuple(n for n, f in FAMILIES.items() if f.kind == "typed")
HANDWRITING_FAMILIES: tuple[str, ...] = tuple(n for n, f in FAMILIES.items() if f.kind == "handwriting")
PRINT_REGULAR = "Noto Serif"
PRINT_BOLD = "Noto Serif Bold"


def font_path(family: str) -> Path:
    """The TrueType file of a family; a :class:`ConfigError` names the known ones."""
    try:
        path = FONT_DIR / FAMILIES[family].file
    except KeyError:
        raise ConfigError(
            f"không có họ phông mẫu {family!r}", hint=f"dùng một trong: {', '.join(FAMILIES)}"
        ) from None
    if not path.exists():
        raise ConfigError(
            f"thiếu phông mẫu {path}",
            hint="khôi phục samples/fonts/ hoặc chạy samples/fonts/build_fonts.py",
        )
    return path


@cache
def font(family: str, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font (cached per process)."""
    return ImageFont.truetype(str(font_path(family)), size=max(4, int(size)))


@cache
def _codepoints(family: str) -> frozenset[int]:
    with TTFont(str(font_path(family)), lazy=True) as tt:
        return frozenset(tt.getBestCmap())


def missing_glyphs(family: str, text: str = VIETNAMESE_LETTERS + BASIC_CHARACTERS) -> list[str]:
    """The characters of ``text`` the family has no glyph for (whitespace ignored)."""
    have = _codepoints(family)
    return [ch for ch in dict.fromkeys(text) if not ch.isspace() and ord(ch) not in have]
