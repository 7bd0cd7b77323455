"""Person names: NFC, whitespace, case per syllable, tone placement, family/middle/given, OCR slips.

``normalize_name("NGUYẼN  văn hoà")`` → text ``Nguyễn Văn Hòa``, value ``PersonName(family="Nguyễn",
middle="Văn", given="Hòa")``, an issue recording the corrected syllable. Only syllables that are not valid
Vietnamese are ever corrected, and only when one candidate is clearly best (see
:func:`normalize.syllables.choose`); a valid syllable is never changed (Hùng stays Hùng, Hưng stays Hưng).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from normalize.result import Issue, Normalized, clamp, empty, issue
from normalize.syllables import choose, is_valid_syllable
from normalize.text import (
    ascii_key,
    clean,
    comparison_key,
    is_viet_word,
    modern_tone_placement,
    old_tone_placement,
    retone_word,
    title_word,
)

__all__ = [
    "PersonName",
    "ascii_key",
    "comparison_key",
    "family_names",
    "modern_tone_placement",
    "normalize_name",
    "old_tone_placement",
    "split_name",
]

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"

# Punctuation OCR leaves around words; stripped from both ends of every token (never from inside).
_EDGE_PUNCT: Final[str] = ".,;:!?\"'`´‘’“”()[]{}<>«»-–—_/\\|*~^"
_ABSENT: Final[frozenset[str]] = frozenset(
    {"không", "không có", "không rõ", "chưa rõ", "chưa xác định", "không xác định", "x", "-", "/", "..."}
)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name split into họ (family), chữ đệm (middle) and tên (given)."""

    family: str
    middle: str
    given: str

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.family, self.middle, self.given) if p)

    @property
    def key(self) -> str:
        """Comparison key of the full name (tone placement and case ignored)."""
        return comparison_key(self.full)

    @property
    def ascii(self) -> str:
        """Diacritics-free key for blocking (merges Hùng and Hưng: never decide on it)."""
        return ascii_key(self.full)


@dataclass(frozen=True, slots=True)
class _NameLists:
    family: dict[str, float]
    compound: frozenset[str]
    middle: dict[str, float]
    given: dict[str, float]


@cache
def _lists() -> _NameLists:
    sections: dict[str, dict[str, float]] = {"family": {}, "middle": {}, "given": {}}
    compound: set[str] = set()
    current = ""
    text = (DATA_DIR / "names.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        if current == "compound":
            compound.add(comparison_key(line))
            continue
        weight_text, _, names = line.partition(" ")
        weight = float(weight_text)
        table = sections[current]
        for name in names.split():
            key = comparison_key(name)
            table[key] = max(weight, table.get(key, 0.0))
    return _NameLists(sections["family"], frozenset(compound), sections["middle"], sections["given"])


def family_names() -> frozenset[str]:
    """Comparison keys of the known family names (single and compound)."""
    lists = _lists()
    return frozenset(lists.family) | lists.compound


def _strip_token(token: str) -> str:
    return token.strip(_EDGE_PUNCT)


def split_name(tokens: list[str]) -> PersonName:
    """Split display tokens into family / middle / given (compound family names recognized)."""
    if not tokens:
        return PersonName("", "", "")
    if len(tokens) == 1:
        return PersonName("", "", tokens[0])
    n_family = 1
    if len(tokens) >= 3 and comparison_key(" ".join(tokens[:2])) in _lists().compound:
        n_family = 2
    return PersonName(" ".join(tokens[:n_family]), " ".join(tokens[n_family:-1]), tokens[-1])


def _role_weights(position: int, count: int) -> dict[str, float]:
    lists = _lists()
    if count == 1:
        return lists.given
    if position == 0:
        return lists.family
    if position == count - 1:
        return lists.given
    return lists.middle


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    issues: tuple[Issue, ...]
    penalty: float


@lru_cache(maxsize=131072)
def _normalize_word(token: str, position: int, count: int) -> _Word:
    """One name token: case, tone placement, and correction when it is not a valid syllable."""
    if not is_viet_word(token):
        if any(c.isalpha() for c in token) and not _DIGIT.search(token):
            return _Word(token, (issue("name_syllable_invalid", syllable=token),), 0.6)
        return _Word(token, (), 1.0)
    lowered = token.lower()
    if is_valid_syllable(lowered):
        return _Word(title_word(retone_word(lowered)), (), 1.0)
    fix = choose(lowered, _role_weights(position, count))
    if fix.best is not None:
        fixed = title_word(fix.best)
        note = issue("name_syllable_corrected", before=token, after=fixed)
        return _Word(fixed, (note,), 0.85)
    shown = title_word(lowered)
    if fix.candidates:
        alternatives = ", ".join(title_word(c) for c in fix.candidates)
        note = issue("name_syllable_ambiguous", syllable=shown, candidates=alternatives)
    else:
        note = issue("name_syllable_invalid", syllable=shown)
    return _Word(shown, (note,), 0.6)


@lru_cache(maxsize=262144)
def _normalize_cached(text: str) -> tuple[PersonName | None, str, float, tuple[Issue, ...]]:
    if comparison_key(text) in _ABSENT:
        return None, "", 1.0, (issue("name_absent", text=text),)
    tokens = [t for t in (_strip_token(tok) for tok in text.split(" ")) if t]
    if not tokens:
        return None, "", 1.0, ()
    issues: list[Issue] = []
    confidence = 1.0
    if _DIGIT.search(" ".join(tokens)):
        issues.append(issue("name_has_digits", text=" ".join(tokens)))
        confidence *= 0.3
    words = [_normalize_word(tok, i, len(tokens)) for i, tok in enumerate(tokens)]
    for w in words:
        issues.extend(w.issues)
        confidence *= w.penalty
    shown = [w.text for w in words]
    name = split_name(shown)
    if len(shown) == 1:
        issues.append(issue("name_single_syllable", text=shown[0]))
        confidence *= 0.6
    elif comparison_key(name.family) not in family_names():
        issues.append(issue("name_family_unknown", family=name.family))
        confidence *= 0.9
    return name, " ".join(shown), clamp(confidence), tuple(issues)


def normalize_name(raw: str, *, field: str | None = None) -> Normalized[PersonName]:
    """Normalize a person's name read by OCR. Never raises."""
    text = clean(raw) if isinstance(raw, str) else ""
    text = text.strip(_EDGE_PUNCT + " ")
    if not text:
        return empty(raw if isinstance(raw, str) else "")
    value, shown, confidence, issues = _normalize_cached(text)
    result: Normalized[PersonName] = Normalized(raw, value, shown, confidence, list(issues))
    return result.for_field(field)
