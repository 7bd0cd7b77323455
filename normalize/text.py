"""Vietnamese text primitives: NFC, whitespace, case per syllable, tone marks, comparison keys.

Tone-mark placement. Vietnamese writes one tone mark per syllable; on the open rhymes ``oa``, ``oe`` and
``uy`` two placements are in use: ``hoà``, ``khoẻ``, ``thuỷ`` (the mark on the second vowel, found in older
books and in part of the GSO unit list) and ``hòa``, ``khỏe``, ``thủy`` (the mark on the first vowel, used by
the 2025 resolutions and most current official texts). This project calls the first placement *old* and the
second *modern* (typographers sometimes name them the other way round). Both spell the same name:
:func:`comparison_key` maps them to one form, :func:`modern_tone_placement` gives the modern form for display.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Final, Literal

Placement = Literal["modern", "old"]

# Combining tone marks (NFD) and their tone numbers: 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng (0 = ngang).
TONE_MARKS: Final[dict[str, int]] = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
TONE_CHAR: Final[dict[int, str]] = {v: k for k, v in TONE_MARKS.items()}
# Vowel-quality marks: circumflex (â ê ô), breve (ă), horn (ơ ư).
MODIFIER_MARKS: Final[frozenset[str]] = frozenset("\u0302\u0306\u031b")

VOWELS: Final[frozenset[str]] = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS: Final[str] = "ăâêôơư"

_BASE_VOWELS = "aăâeêioôơuưy"
TONED_VOWELS: Final[frozenset[str]] = frozenset(
    unicodedata.normalize("NFC", v + TONE_CHAR[t]) if t else v for v in _BASE_VOWELS for t in range(6)
)
_LOWER_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzđ") | TONED_VOWELS
# Letters of Vietnamese words, both cases; every one has a one-to-one case mapping.
VIET_LETTERS: Final[frozenset[str]] = frozenset(
    c
    for lower in _LOWER_LETTERS
    for c in (lower, lower.upper())
    if len(lower.upper()) == 1 and lower.upper().lower() == lower
)
_VIET_LOWER: Final[frozenset[str]] = frozenset(c for c in VIET_LETTERS if c.islower())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold_spaces(text: str) -> str:
    """Collapse every run of whitespace (any Unicode space, tabs, newlines) to one space; trim."""
    return " ".join(text.split())


def clean(text: str) -> str:
    """NFC and folded whitespace: the first step of every normalizer."""
    return fold_spaces(nfc(text))


def is_viet_word(token: str) -> bool:
    """True when ``token`` is made only of Vietnamese letters (either case)."""
    return bool(token) and all(c in VIET_LETTERS for c in token)


def strip_diacritics(text: str) -> str:
    """Remove every combining mark and turn đ/Đ into d/D (``Nguyễn`` → ``Nguyen``)."""
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", out.replace("đ", "d").replace("Đ", "D"))


@lru_cache(maxsize=65536)
def split_tone(syllable: str) -> tuple[str, int] | None:
    """Split a lowercase syllable into (toneless base, tone number); None if it carries two tone marks."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [TONE_MARKS[c] for c in decomposed if c in TONE_MARKS]
    if len(tones) > 1:
        return None
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return base, (tones[0] if tones else 0)


def tone_position(base: str, placement: Placement = "modern") -> int | None:
    """Index of the letter of ``base`` (lowercase, toneless) that carries the tone mark, or None.

    Rules: skip the onsets ``qu`` and ``gi`` (before a vowel); in the first run of vowels, a vowel with a
    quality mark takes the tone (``ơ`` first, for ``ươ``); otherwise with a final consonant the last vowel;
    a single vowel itself; three vowels the middle one; two vowels the first, except the open ``oa``,
    ``oe``, ``uy`` where the old placement marks the second vowel.
    """
    start = 0
    if len(base) > 2 and base[2] in VOWELS and base[:2] in ("qu", "gi"):
        start = 2
    i = start
    while i < len(base) and base[i] not in VOWELS:
        i += 1
    if i == len(base):
        return None
    j = i
    while j < len(base) and base[j] in VOWELS:
        j += 1
    cluster = base[i:j]
    if "ơ" in cluster:
        return i + cluster.index("ơ")
    for k, ch in enumerate(cluster):
        if ch in _MARKED_VOWELS:
            return i + k
    if j < len(base):
        return j - 1
    if len(cluster) == 1:
        return i
    if len(cluster) == 2:
        if cluster in ("oa", "oe", "uy") and placement == "old":
            return i + 1
        return i
    return i + 1


@lru_cache(maxsize=65536)
def place_tone(base: str, tone: int, placement: Placement = "modern") -> str | None:
    """The syllable ``base`` (lowercase, toneless) written with ``tone``; None if it has no vowel."""
    if tone == 0:
        return base
    pos = tone_position(base, placement)
    if pos is None:
        return None
    return base[:pos] + unicodedata.normalize("NFC", base[pos] + TONE_CHAR[tone]) + base[pos + 1 :]


def _restore_case(original: str, lowered: str) -> str:
    if len(original) != len(lowered):
        return lowered
    return "".join(n.upper() if o.isupper() else n for o, n in zip(original, lowered, strict=True))


@lru_cache(maxsize=65536)
def retone_word(word: str, placement: Placement = "modern") -> str:
    """``word`` with its tone mark moved to ``placement``; other words are returned unchanged."""
    if not is_viet_word(word):
        return word
    lowered = word.lower()
    parts = split_tone(lowered)
    if parts is None or parts[1] == 0:
        return word
    placed = place_tone(parts[0], parts[1], placement)
    if placed is None or placed == lowered:
        return word
    return _restore_case(word, placed)


def modern_tone_placement(text: str) -> str:
    """``text`` (NFC, spaces folded) with every tone mark in the modern place: ``Hoà Thuỷ`` → ``Hòa Thủy``."""
    return " ".join(retone_word(w) for w in clean(text).split(" ")) if text else ""


def old_tone_placement(text: str) -> str:
    """``text`` with the old placement on open ``oa``/``oe``/``uy``: ``Hòa Thủy`` → ``Hoà Thuỷ``."""
    return " ".join(retone_word(w, "old") for w in clean(text).split(" ")) if text else ""


@lru_cache(maxsize=65536)
def title_word(word: str) -> str:
    """Capitalize a Vietnamese word (``NGUYỄN`` → ``Nguyễn``); any other word is returned unchanged."""
    if not is_viet_word(word):
        return word
    return word[0].upper() + word[1:].lower()


@lru_cache(maxsize=262144)
def comparison_key(text: str) -> str:
    """The key under which spellings of one name are equal: NFC, spaces folded, lowercase, modern tones.

    ``Hoà``/``hòa``/``HÒA`` → ``hòa``; ``Thuỷ``/``Thủy`` → ``thủy``; ``Khoẻ``/``Khỏe`` → ``khỏe``. Different
    names stay different (``hùng`` ≠ ``hưng``, ``hoa`` ≠ ``hòa``).
    """
    words = clean(text).split(" ")
    return " ".join(retone_word(w.lower()) if is_viet_word(w) else w.lower() for w in words)


@lru_cache(maxsize=262144)
def ascii_key(text: str) -> str:
    """Diacritics-free lowercase key for blocking: ``Nguyễn Văn Hùng`` → ``nguyen van hung``.

    It merges different names (Hùng/Hưng): use it to find candidates, never to decide.
    """
    return strip_diacritics(clean(text)).lower()


def loose_key(text: str) -> str:
    """:func:`comparison_key` with final ``y`` after a consonant read as ``i`` (``Sỹ``/``Sĩ``, ``Lý``/``Lí``)."""
    out = []
    for w in comparison_key(text).split(" "):
        if len(w) >= 2 and w[-1] in "yýỳỷỹỵ" and w[-2] not in TONED_VOWELS:
            w = w[:-1] + {"y": "i", "ý": "í", "ỳ": "ì", "ỷ": "ỉ", "ỹ": "ĩ", "ỵ": "ị"}[w[-1]]
        out.append(w)
    return " ".join(out)
