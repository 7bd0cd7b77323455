"""Mentions as columns of integer codes, for blocking and scoring many pairs at once with numpy.

A :class:`FeatureTable` holds one row per mention, in the order the mentions were added: every string a
comparison looks at (a name part under each of its keys, a residence, an ethnic group) becomes an integer
code from one shared :class:`Vocabulary` (0 = absent), dates become integers. Rows are only appended, so
an index of a million mentions takes ten thousand more without re-encoding the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from linkage.comparisons import locality
from linkage.mention import Mention, NamePart, joined_name, markless, ocr_fold

__all__ = ["NAME_PARTS", "PART_KEYS", "FeatureTable", "PartColumns", "Vocabulary", "encode"]

IntArray = npt.NDArray[np.int64]
NAME_PARTS: Final[tuple[str, ...]] = ("given", "middle", "family")
SPOUSE_PARTS: Final[tuple[str, ...]] = ("spouse_family", "spouse_given")
PART_KEYS: Final[tuple[str, ...]] = ("key", "tone_free", "ascii", "loose")
_PRECISION: Final[dict[str, int]] = {"year": 1, "month": 2, "day": 3}
# Other columns: name -> how to read it from a mention (an int, 0 when unknown).
_INT_COLUMNS: Final[tuple[str, ...]] = (
    "year",
    "month",
    "day",
    "precision",
    "marriage_day",
    "child_birth_latest",
    "has_spouse",
)
_CODE_COLUMNS: Final[tuple[str, ...]] = (
    "sex",
    "ethnicity",
    "residence",
    "record",
    "place",
    "id_number",
    "id_kind",
)


class Vocabulary:
    """Strings ↔ dense integer codes (0 is the empty string: absent)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}
        self.strings: list[str] = [""]
        self.parts: dict[str, tuple[int, int, int, int, int, int, int, int]] = {}

    def __len__(self) -> int:
        return len(self.strings)

    def code(self, text: str | None) -> int:
        if not text:
            return 0
        found = self.codes.get(text)
        if found is None:
            found = self.codes[text] = len(self.strings)
            self.strings.append(text)
        return found

    def part_row(self, part: NamePart) -> tuple[int, int, int, int, int, int, int, int]:
        """Codes of a name part's keys, whether it has marks, the length of its loose key and the codes of
        its OCR-folded key (see :func:`~linkage.mention.ocr_fold`) and of its key without vowel marks."""
        found = self.parts.get(part.key)
        if found is None:
            found = self.parts[part.key] = (
                self.code(part.key),
                self.code(part.tone_free),
                self.code(part.ascii),
                self.code(part.loose),
                int(part.key != part.ascii),
                len(part.loose),
                self.code(ocr_fold(part.ascii)),
                self.code(markless(part.key)),
            )
        return found

    def codes_of(self, texts: Sequence[str | None]) -> IntArray:
        codes = self.codes
        found = [codes.get(t) if t else 0 for t in texts]
        return np.array(
            [self.code(t) if c is None else c for c, t in zip(found, texts, strict=True)], dtype=np.int64
        )


@dataclass(slots=True)
class PartColumns:
    """One name part of every row: its codes under the four keys, whether it has marks, its length."""

    key: IntArray
    tone_free: IntArray
    ascii: IntArray
    loose: IntArray
    marks: npt.NDArray[np.bool_]
    length: IntArray  # length of the loose key
    folded: IntArray  # code of the OCR-folded key
    markless: IntArray  # code of the key without vowel marks

    @classmethod
    def empty(cls) -> PartColumns:
        zero = np.zeros(0, dtype=np.int64)
        return cls(zero, zero, zero, zero, np.zeros(0, dtype=np.bool_), zero, zero, zero)

    def extend(self, other: PartColumns) -> PartColumns:
        return PartColumns(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in PartColumns.__slots__)
        )


def _part_columns(parts: Sequence[NamePart], vocab: Vocabulary) -> PartColumns:
    # The other keys of a name part follow from its comparison key: encode each distinct key once.
    rows = [vocab.part_row(p) for p in parts]
    table = np.array(rows, dtype=np.int64).reshape(len(rows), 8)
    return PartColumns(
        key=table[:, 0].copy(),
        tone_free=table[:, 1].copy(),
        ascii=table[:, 2].copy(),
        loose=table[:, 3].copy(),
        marks=table[:, 4].astype(np.bool_),
        length=table[:, 5].copy(),
        folded=table[:, 6].copy(),
        markless=table[:, 7].copy(),
    )


_EMPTY: Final[NamePart] = NamePart("", "", "", "")


def _spouse_part(index: int) -> Callable[[Mention], NamePart]:
    return lambda m: _EMPTY if m.spouse is None else m.spouse[index]


_PART_OF: Final[dict[str, Callable[[Mention], NamePart]]] = {
    "given": lambda m: m.given,
    "middle": lambda m: m.middle,
    "family": lambda m: m.family,
    "spouse_family": _spouse_part(0),
    "spouse_given": _spouse_part(1),
    "joined": joined_name,
    "spouse_joined": lambda m: m.spouse_name or _EMPTY,
}


def _ints(mentions: Sequence[Mention]) -> dict[str, IntArray]:
    rows = [
        (
            0 if m.birth_date is None else m.birth_date.year,
            0 if m.birth_date is None else m.birth_date.month or 0,
            0 if m.birth_date is None else m.birth_date.day or 0,
            0 if m.birth_date is None else _PRECISION[m.birth_date.precision],
            0 if m.marriage_date is None else m.marriage_date.toordinal(),
            0 if m.child_birth_date is None else m.child_birth_date.latest().toordinal(),
            int(m.spouse is not None),
        )
        for m in mentions
    ]
    table = np.array(rows, dtype=np.int64).reshape(len(rows), len(_INT_COLUMNS))
    return {name: table[:, k].copy() for k, name in enumerate(_INT_COLUMNS)}


def encode(mentions: Sequence[Mention], vocab: Vocabulary) -> FeatureTable:
    """The rows of ``mentions`` (new strings are added to ``vocab``)."""
    parts = {name: _part_columns([get(m) for m in mentions], vocab) for name, get in _PART_OF.items()}
    codes = {
        "sex": vocab.codes_of([m.sex for m in mentions]),
        "ethnicity": vocab.codes_of([m.ethnicity for m in mentions]),
        "residence": vocab.codes_of([m.residence for m in mentions]),
        "record": vocab.codes_of([m.record_id for m in mentions]),
        "place": vocab.codes_of([locality(m) for m in mentions]),
        "id_number": vocab.codes_of([m.id_number for m in mentions]),
        "id_kind": vocab.codes_of(
            [None if m.id_number is None else m.id_number.partition(":")[0] for m in mentions]
        ),
    }
    return FeatureTable(parts, {**_ints(mentions), **codes})


class FeatureTable:
    """Columns of codes, one row per mention (see :func:`encode`)."""

    def __init__(self, parts: dict[str, PartColumns] | None = None, ints: dict[str, IntArray] | None = None):
        self.parts: dict[str, PartColumns] = parts or {name: PartColumns.empty() for name in _PART_OF}
        empty = np.zeros(0, dtype=np.int64)
        self.ints: dict[str, IntArray] = ints or dict.fromkeys((*_INT_COLUMNS, *_CODE_COLUMNS), empty)

    def __len__(self) -> int:
        return len(self.ints["year"])

    def extend(self, other: FeatureTable) -> None:
        self.parts = {name: cols.extend(other.parts[name]) for name, cols in self.parts.items()}
        self.ints = {name: np.concatenate([col, other.ints[name]]) for name, col in self.ints.items()}
