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
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Final

from linkage.comparisons import compare_name_part
from linkage.mention import LOOKALIKE_DIGITS, PARENT_ROLES, Mention

__all__ = [
    "FATHER_SLACK_DAYS",
    "LOOKALIKE_DIGITS",
    "MOTHER_AGE",
    "ONE_PER_PERSON",
    "misread_years",
    "pair_evidence",
    "pair_violation",
    "person_violation",
]

ONE_PER_PERSON: Final[frozenset[tuple[str, str]]] = frozenset({("birth", "child"), ("death", "deceased")})
MOTHER_AGE: Final[tuple[int, int]] = (14, 50)
FATHER_AGE: Final[tuple[int, int]] = (14, 90)
FATHER_SLACK_DAYS: Final[int] = 300
YEARS: Final[tuple[int, int]] = (1850, 2035)  # the years a person of these books can be born or act in
SPOUSE_WHOLE_MATCH: Final[float] = 0.85  # similarity of the spouses' whole names that counts as a match
SPOUSE_WHOLE_NEAR: Final[float] = 0.7  # below it the spouses differ (above, damage may explain it)
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


@lru_cache(maxsize=4096)
def misread_years(year: int) -> frozenset[int]:
    """``year`` and every year of the books (:data:`YEARS`) one handwritten look-alike digit away
    (1↔7, 3↔8, 0↔6, 5↔6, 4↔9)."""
    text = str(year)
    out = {year}
    for k, digit in enumerate(text):
        for other in LOOKALIKE_DIGITS.get(digit, ""):
            misread = int(text[:k] + other + text[k + 1 :])
            if YEARS[0] <= misread <= YEARS[1]:
                out.add(misread)
    return frozenset(out)


def _misread(first: int, second: int, fits: Callable[[int, int], bool]) -> bool:
    """True when ``fits`` holds once one of the two years is read with one look-alike digit changed."""
    return any(fits(y, second) for y in misread_years(first)) or any(
        fits(first, y) for y in misread_years(second)
    )


def _not_before(first: int, second: int) -> bool:
    return first >= second


def _after_death(x: Mention, y: Mention) -> str | None:
    assert x.death_date is not None
    death = x.death_date.latest()
    born = y.birth_date
    if born is not None and death < born.earliest() and not _misread(death.year, born.year, _not_before):
        return f"{x.id} died ({x.death_date.display()}) before {y.id} was born ({born.display()})"
    for day, slack in _acts(y):
        if day > death + dt.timedelta(days=slack):
            late = (day - dt.timedelta(days=slack)).year
            if not _misread(late, death.year, lambda a, d: a <= d):
                return f"{y.id} acts on {day.isoformat()} after {x.id} died ({x.death_date.display()})"
    return None


def _one_way(x: Mention, y: Mention) -> str | None:
    """A date constraint broken between ``x``'s dates and ``y``'s. A break that one misread year digit
    (see :func:`misread_years`) explains is not one: OCR damage, left to the birth-date comparison."""
    if x.death_date is not None:
        found = _after_death(x, y)
        if found is not None:
            return found
    if x.birth_date is not None and y.child_birth_date is not None and y.role in PARENT_ROLES:
        low, high = MOTHER_AGE if _is_mother(y) else FATHER_AGE

        def fits(child: int, parent: int) -> bool:
            return low - 1 <= child - parent <= high + 1  # ±1: years only

        child, parent = y.child_birth_date.year, x.birth_date.year
        if not fits(child, parent) and not _misread(child, parent, fits):
            return (
                f"{y.role} {y.id} would be aged {child - parent} at the child's birth (allowed {low}–{high})"
            )
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


def _whole_spouse(a: Mention, b: Mention) -> str | None:
    """The spouses' whole names (spaces dropped): ``match`` (at most an OCR slip apart), ``near`` (a few
    letters apart: maybe damage), ``far``; None when a side has none."""
    if a.spouse_name is None or b.spouse_name is None:
        return None
    if compare_name_part(a.spouse_name, b.spouse_name, threshold=SPOUSE_WHOLE_MATCH) in _MATCHING:
        return "match"
    near = compare_name_part(a.spouse_name, b.spouse_name, threshold=SPOUSE_WHOLE_NEAR) in _MATCHING
    return "near" if near else "far"


def _spouse_level(a: Mention, b: Mention) -> str | None:
    """``match`` / ``different`` / None (nothing to say) for the spouses named beside two mentions.

    The parts are compared as names are (given and family), and the whole names too, so that a syllable
    OCR merged or split (``Hoàng Vănnhân`` / ``Hoàng Văn Nhân``) still matches, and a spouse is called
    different only when the whole names are far apart (not a damaged copy)."""
    if a.spouse is None or b.spouse is None:
        return None
    family = compare_name_part(a.spouse[0], b.spouse[0])
    given = compare_name_part(a.spouse[1], b.spouse[1])
    whole = _whole_spouse(a, b)
    if (given in _MATCHING and family in _MATCHING | {"null"}) or whole == "match":
        return "match"
    if given == "different" and whole != "near":
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
