"""Role and date constraints between mentions, and role-aware pair evidence.

Hard constraints forbid a link whatever the names say: two mentions of one record are two persons; one
birth record and one death record per person (one-to-one); nobody acts after death (a father may be named
on a birth up to 300 days after his death) or dies before being born; a mother is aged 14–50 at her
child's birth (a recognition's parent too, by the parent's sex). Soft evidence adds weight: the spouse named beside a mention (a birth's father beside the
mother, a marriage's groom beside the bride) agreeing on both sides, and the parents married before the
birth — evidence, never a rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

from linkage.comparisons import compare_name_part
from linkage.mention import PARENT_ROLES, Mention

__all__ = [
    "FATHER_SLACK_DAYS",
    "MOTHER_AGE",
    "ONE_PER_PERSON",
    "pair_evidence",
    "pair_violation",
    "person_violation",
]

ONE_PER_PERSON: Final[frozenset[tuple[str, str]]] = frozenset({("birth", "child"), ("death", "deceased")})
MOTHER_AGE: Final[tuple[int, int]] = (14, 50)
FATHER_AGE: Final[tuple[int, int]] = (14, 90)
FATHER_SLACK_DAYS: Final[int] = 300
_MATCHING: Final[frozenset[str]] = frozenset({"exact", "tone", "diacritics_lost", "ocr"})


def _is_mother(m: Mention) -> bool:
    return m.role == "mother" or (m.role == "parent" and m.sex == "female")


def _acts(m: Mention) -> list[tuple[dt.date, int]]:
    """Dates on which the person of ``m`` was alive (with the slack allowed after death, in days)."""
    out: list[tuple[dt.date, int]] = []
    if m.marriage_date is not None:
        out.append((m.marriage_date, 0))
    if m.child_birth_date is not None:
        slack = 0 if _is_mother(m) else FATHER_SLACK_DAYS
        out.append((m.child_birth_date.earliest(), slack))
    return out


def _one_way(x: Mention, y: Mention) -> str | None:
    if x.death_date is not None:
        death = x.death_date.latest()
        if y.birth_date is not None and death < y.birth_date.earliest():
            return f"{x.id} died ({x.death_date.display()}) before {y.id} was born ({y.birth_date.display()})"
        for day, slack in _acts(y):
            if day > death + dt.timedelta(days=slack):
                return f"{y.id} acts on {day.isoformat()} after {x.id} died ({x.death_date.display()})"
    if x.birth_date is not None and y.child_birth_date is not None and y.role in PARENT_ROLES:
        low, high = MOTHER_AGE if _is_mother(y) else FATHER_AGE
        age = y.child_birth_date.year - x.birth_date.year
        if not low - 1 <= age <= high + 1:  # ±1: years only
            return f"{y.role} {y.id} would be aged {age} at the child's birth (allowed {low}–{high})"
    return None


def pair_violation(a: Mention, b: Mention) -> str | None:
    """The hard constraint that forbids ``a`` and ``b`` being one person, or None."""
    if a.record_id == b.record_id:
        return f"{a.id} and {b.id} are two roles of one record"
    if (a.book_type, a.role) in ONE_PER_PERSON and (a.book_type, a.role) == (b.book_type, b.role):
        return f"one {a.book_type} record per person: {a.id} and {b.id} are both the {a.role}"
    return _one_way(a, b) or _one_way(b, a)


def person_violation(mention: Mention, person: Iterable[Mention]) -> str | None:
    """The first hard constraint violated by adding ``mention`` to a person's mentions, or None."""
    for other in person:
        found = pair_violation(mention, other)
        if found is not None:
            return found
    return None


def _spouse_level(a: Mention, b: Mention) -> str | None:
    if a.spouse is None or b.spouse is None:
        return None
    family = compare_name_part(a.spouse[0], b.spouse[0])
    given = compare_name_part(a.spouse[1], b.spouse[1])
    if given in _MATCHING and family in _MATCHING | {"null"}:
        return "match"
    if given == "different":
        return "different"
    return None


def pair_evidence(a: Mention, b: Mention, *, bonus: float, penalty: float) -> tuple[float, list[str]]:
    """Weight (bits) and notes from the spouses named beside both mentions and the order of events."""
    level = _spouse_level(a, b)
    if level is None:
        return 0.0, []
    if level == "different":
        return -penalty, [f"spouse differs ({a.id} vs {b.id})"]
    weight, notes = bonus, [f"spouse matches ({a.id} vs {b.id})"]
    for x, y in ((a, b), (b, a)):
        if x.marriage_date is not None and y.child_birth_date is not None:
            if x.marriage_date <= y.child_birth_date.latest():
                weight += 1.0
                notes.append("parents married before the birth")
            else:
                notes.append("birth before the marriage (allowed)")
    return weight, notes
