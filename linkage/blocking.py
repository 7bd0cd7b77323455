"""Blocking: which pairs of mentions are compared at all, as a union of rules on mention fields.

``block_on("given_ascii", "birth_year")`` makes a rule; a mention falls in the block of the rule's key
(the tuple of its field values; a mention missing any of them is not blocked by that rule). Two mentions
are compared when any rule puts them in the same block. A rule on the family name alone is refused: 38% of
people are Nguyễn (and in Cao Bằng a few families dominate whole communes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from linkage.mention import Mention, joined_name, ocr_fold

__all__ = ["BLOCKING_FIELDS", "DEFAULT_RULES", "BlockingError", "BlockingRule", "block_on", "blocking_keys"]


class BlockingError(ValueError):
    """A blocking rule was called wrongly; the message says how to fix the call."""


def _decade(m: Mention) -> str | None:
    return None if m.birth_date is None else str(m.birth_date.year // 10)


BLOCKING_FIELDS: Final[dict[str, Callable[[Mention], str | None]]] = {
    "given_ascii": lambda m: m.given.ascii or None,
    "middle_ascii": lambda m: m.middle.ascii or None,
    "family_ascii": lambda m: m.family.ascii or None,
    "given_loose": lambda m: m.given.loose or None,
    "middle_given_loose": lambda m: f"{m.middle.loose} {m.given.loose}".strip() if m.given.loose else None,
    "birth_year": lambda m: None if m.birth_date is None else str(m.birth_date.year),
    "birth_decade": _decade,
    "birth_date": lambda m: (
        None if m.birth_date is None or m.birth_date.precision != "day" else m.birth_date.isoformat()
    ),
    "sex": lambda m: m.sex,
    "ethnicity": lambda m: m.ethnicity,
    "residence": lambda m: m.residence,
    "spouse_given_ascii": lambda m: None if m.spouse is None else (m.spouse[1].ascii or None),
    "name_ascii": lambda m: joined_name(m).ascii or None,  # the whole name, no spaces nor diacritics
    "name_folded": lambda m: ocr_fold(joined_name(m).ascii) or None,  # … and OCR look-alikes folded
}
_FAMILY_ONLY: Final[frozenset[str]] = frozenset(
    {"family_ascii", "sex", "ethnicity", "residence", "birth_decade"}
)


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Mentions agreeing on all ``fields`` share a block."""

    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return "+".join(self.fields)

    def key(self, mention: Mention) -> str | None:
        values = []
        for f in self.fields:
            value = BLOCKING_FIELDS[f](mention)
            if value is None:
                return None
            values.append(value)
        return f"{self.name}={'|'.join(values)}"


def block_on(*fields: str) -> BlockingRule:
    """A blocking rule on the given mention fields (see :data:`BLOCKING_FIELDS`)."""
    example = 'block_on("given_ascii", "birth_year")'
    if not fields:
        raise BlockingError(f"block_on() needs at least one field name, e.g. {example}")
    if len(fields) == 1 and isinstance(fields[0], (list, tuple)):
        raise BlockingError(
            f"pass field names as separate arguments, not a list: block_on(*{list(fields[0])!r})"
        )
    unknown = [f for f in fields if f not in BLOCKING_FIELDS]
    if unknown:
        raise BlockingError(
            f"unknown blocking field(s) {unknown}; choose from {sorted(BLOCKING_FIELDS)}, e.g. {example}"
        )
    if len(set(fields)) != len(fields):
        raise BlockingError(f"a field is repeated in block_on{fields!r}; name each field once")
    if set(fields) <= _FAMILY_ONLY:
        raise BlockingError(
            f"block_on{fields!r} blocks on the family name or coarse fields alone, which makes giant blocks "
            f"(38% of people are Nguyễn); add a given-name or birth-date field, e.g. "
            f'block_on("given_ascii", "family_ascii", "birth_decade")'
        )
    return BlockingRule(tuple(fields))


DEFAULT_RULES: Final[tuple[BlockingRule, ...]] = (
    block_on("given_ascii", "birth_year"),
    block_on("given_ascii", "family_ascii", "birth_decade"),
    block_on("birth_date", "sex"),
    block_on("middle_given_loose", "residence"),
    block_on("given_ascii", "family_ascii", "spouse_given_ascii"),
    block_on("name_folded"),
)


def blocking_keys(mention: Mention, rules: Sequence[BlockingRule]) -> list[str]:
    """The block keys of a mention under a union of rules."""
    keys = (rule.key(mention) for rule in rules)
    return [k for k in keys if k is not None]
