"""Ethnic groups (dân tộc): the 54 official groups, their other names and spellings, OCR slips.

``normalize_ethnicity("H'mông")`` → value ``EthnicGroup(code="08", name="Mông", code_2008="08")``.
Data: ``normalize/data/ethnic_groups.json`` (sources listed inside the file).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from rapidfuzz import fuzz, process

from normalize.result import Issue, Normalized, clamp, empty, issue
from normalize.text import clean, comparison_key, strip_diacritics

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"
_PREFIX = re.compile(r"^(?:dân tộc|dan toc|dt\.?|người|nguoi)\s+")
_NOT_LETTER = re.compile(r"[\s'’ʼ`\-‐–—_.(),]+")


@dataclass(frozen=True, slots=True)
class EthnicGroup:
    """An official ethnic group: GSO code of 1979 (``code``), name, and code of the 2008 list."""

    code: str
    name: str
    code_2008: str


@dataclass(frozen=True, slots=True)
class _Index:
    groups: dict[str, EthnicGroup]  # by code
    exact: dict[str, EthnicGroup]  # compact comparison key -> group
    official: frozenset[str]  # compact keys that are official names
    ascii: dict[str, tuple[EthnicGroup, ...]]  # compact ascii key -> groups
    keys: tuple[str, ...]


def _compact(text: str) -> str:
    key = comparison_key(text)
    key = _PREFIX.sub("", key)
    return _NOT_LETTER.sub("", key)


@cache
def _index() -> _Index:
    doc = json.loads((DATA_DIR / "ethnic_groups.json").read_text(encoding="utf-8"))
    groups: dict[str, EthnicGroup] = {}
    exact: dict[str, EthnicGroup] = {}
    official: set[str] = set()
    ascii_map: dict[str, set[str]] = {}
    for row in doc["groups"]:
        group = EthnicGroup(row["code"], row["name"], row["code_2008"])
        groups[group.code] = group
        for i, spelling in enumerate([row["name"], *row["variants"]]):
            key = _compact(spelling)
            if i == 0:
                official.add(key)
            exact.setdefault(key, group)
            ascii_map.setdefault(strip_diacritics(key), set()).add(group.code)
    ascii_index = {k: tuple(groups[c] for c in sorted(v)) for k, v in ascii_map.items()}
    return _Index(groups, exact, frozenset(official), ascii_index, tuple(exact))


def ethnic_groups() -> list[EthnicGroup]:
    """The 54 groups in the order of their 1979 codes."""
    return sorted(_index().groups.values(), key=lambda g: g.code)


def ethnic_group(code: str) -> EthnicGroup | None:
    return _index().groups.get(code)


_THO = "thổ"


@lru_cache(maxsize=8192)
def _lookup(text: str, tho_is_tay: bool) -> tuple[EthnicGroup | None, float, tuple[Issue, ...]]:
    idx = _index()
    key = _compact(text)
    if not key:
        return None, 0.0, (issue("ethnicity_unknown", text=text),)
    if key == _THO and tho_is_tay:
        tay = idx.groups["02"]
        note = issue("ethnicity_ambiguous", text=text, options="Tày (tên cũ ở Cao Bằng) hoặc Thổ")
        return tay, 0.8, (note,)
    group = idx.exact.get(key)
    if group is not None:
        if key in idx.official:
            return group, 0.99, ()
        return group, 0.95, (issue("ethnicity_variant", text=text, name=group.name),)
    words = comparison_key(_PREFIX.sub("", comparison_key(text))).split(" ")
    for n in range(len(words) - 1, 0, -1):
        head = _NOT_LETTER.sub("", " ".join(words[:n]))
        group = idx.exact.get(head)
        if group is not None and (head != _THO or not tho_is_tay):
            return group, 0.85, (issue("ethnicity_variant", text=text, name=group.name),)
    folded = strip_diacritics(key)
    found = idx.ascii.get(folded)
    if found and len(found) == 1:
        return found[0], 0.85, (issue("ethnicity_fuzzy", text=text, name=found[0].name),)
    if found:
        options = " / ".join(g.name for g in found)
        return None, 0.3, (issue("ethnicity_ambiguous", text=text, options=options),)
    if len(key) >= 4:
        cutoff = 85 if len(key) >= 6 else 75
        hits = process.extract(key, idx.keys, scorer=fuzz.ratio, limit=3, score_cutoff=cutoff)
        distinct = {idx.exact[h[0]].code: h[1] for h in hits}
        if distinct:
            ranked = sorted(distinct.items(), key=lambda kv: -kv[1])
            if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 8:
                group = idx.groups[ranked[0][0]]
                conf = 0.8 * ranked[0][1] / 100
                return group, conf, (issue("ethnicity_fuzzy", text=text, name=group.name),)
            options = " / ".join(idx.groups[c].name for c, _ in ranked)
            return None, 0.3, (issue("ethnicity_ambiguous", text=text, options=options),)
    return None, 0.0, (issue("ethnicity_unknown", text=text),)


def normalize_ethnicity(
    raw: str, *, tho_is_tay: bool = True, field: str | None = None
) -> Normalized[EthnicGroup]:
    """An ethnic group as written in a book; text is the official name, value carries the codes.

    ``tho_is_tay``: read "Thổ" as Tày (the old name in Cao Bằng books), flagged for review; pass False
    for books where the Thổ group itself (Nghệ An, Thanh Hóa) is meant.
    """
    raw_text = raw if isinstance(raw, str) else ""
    text = clean(raw_text).strip(" .,;:")
    if not text or not text.strip(".-_/ "):
        return empty(raw_text)
    group, confidence, issues = _lookup(text, tho_is_tay)
    shown = group.name if group is not None else text
    return Normalized(raw_text, group, shown, clamp(confidence), list(issues)).for_field(field)
