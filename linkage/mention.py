"""Person mentions: one person named in one role of one record, with the normalized values linking needs.

:func:`mentions_from_record` turns a record's raw field texts (``child.full_name`` → text) into mentions,
using normalize/ for names, dates, sex, ethnicity and places. Declarants and applicants are left out by
default: they carry a bare name, too little to link on (see :data:`LINKED_ROLES`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from normalize import (
    PartialDate,
    ascii_key,
    comparison_key,
    loose_key,
    normalize_date,
    normalize_ethnicity,
    normalize_id_number,
    normalize_name,
    normalize_place,
    normalize_sex,
    normalize_year,
)
from sohoa.fields import ROLES_BY_BOOK_TYPE

__all__ = [
    "LINKED_ROLES",
    "Mention",
    "NamePart",
    "joined_name",
    "mentions_from_record",
    "repair_date",
    "tone_free",
]

# Roles whose mentions are linked to persons (the others only name someone, with no other detail).
LINKED_ROLES: Final[frozenset[str]] = frozenset(
    {
        "child",
        "mother",
        "father",
        "bride",
        "groom",
        "deceased",
        "parent",
        "person",
        "subject",
        "guardian",
        "ward",
    }
)
# Sex implied by the role where the law fixes it (a record's own sex field wins when present).
_ROLE_SEX: Final[dict[str, str]] = {"mother": "female", "bride": "female", "father": "male", "groom": "male"}
# A recognition's parent.relationship ("Cha" / "Mẹ") gives the parent's sex.
_RELATIONSHIP_SEX: Final[dict[str, str]] = {"cha": "male", "mẹ": "female"}
# Roles whose record gives the birth date of their child (age and alive-at-the-birth constraints).
PARENT_ROLES: Final[frozenset[str]] = frozenset({"mother", "father", "parent"})
# Role → the role of the spouse named on the same record (pair evidence).
SPOUSE_ROLE: Final[dict[str, str]] = {
    "mother": "father",
    "father": "mother",
    "bride": "groom",
    "groom": "bride",
}
_TONE_MARKS: Final[frozenset[str]] = frozenset({"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"})


@lru_cache(maxsize=262144)
def tone_free(key: str) -> str:
    """``key`` without tone marks, keeping vowel marks (``hùng`` → ``hung``, ``hưng`` → ``hưng``)."""
    decomposed = unicodedata.normalize("NFD", key)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


_VOWEL_MARKS: Final[frozenset[str]] = frozenset({"\u0302", "\u0306", "\u031b"})  # circumflex, breve, horn


@lru_cache(maxsize=262144)
def markless(key: str) -> str:
    """``key`` without its vowel marks, tones kept (``dần`` → ``dàn``, ``quẩy`` → ``quảy``)."""
    decomposed = unicodedata.normalize("NFD", key)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _VOWEL_MARKS))


# Letters handwriting OCR reads for one another, each class folded to one letter (on diacritics-free keys).
_OCR_FOLDS: Final[tuple[tuple[str, str], ...]] = (
    ("rn", "m"),
    ("cl", "d"),
    ("1", "l"),
    ("i", "l"),
    ("0", "o"),
    ("u", "n"),
    ("b", "h"),
    ("e", "c"),
)


@lru_cache(maxsize=262144)
def ocr_fold(ascii_text: str) -> str:
    """A diacritics-free key with the letters OCR confuses folded together (rn→m, cl→d, i/1→l, 0→o, u→n,
    b→h, e→c) and spaces dropped: two readings of one handwritten name often agree here."""
    out = ascii_text.replace(" ", "")
    for source, target in _OCR_FOLDS:
        out = out.replace(source, target)
    return out


@dataclass(frozen=True, slots=True)
class NamePart:
    """One part of a name (family, middle or given) under the keys the comparisons use."""

    key: str  # comparison key (tone placement and case ignored); "" when absent
    tone_free: str  # key without tone marks
    ascii: str  # no diacritics at all
    loose: str  # comparison key with final y read as i (Sỹ/Sĩ)

    @classmethod
    def of(cls, text: str) -> NamePart:
        key = comparison_key(text) if text else ""
        return cls(key, tone_free(key), ascii_key(key) if key else "", loose_key(key) if key else "")

    @property
    def has_marks(self) -> bool:
        """True when the text carries any diacritic (a diacritics-free text may have lost them)."""
        return self.key != self.ascii


EMPTY_PART: Final[NamePart] = NamePart("", "", "", "")


@lru_cache(maxsize=262144)
def _joined(parts: tuple[NamePart, ...]) -> NamePart:
    return NamePart(
        "".join(p.key for p in parts).replace(" ", ""),
        "".join(p.tone_free for p in parts).replace(" ", ""),
        "".join(p.ascii for p in parts).replace(" ", ""),
        "".join(p.loose for p in parts).replace(" ", ""),
    )


def joined_name(m: Mention) -> NamePart:
    """The whole name with its spaces dropped, under each key (``triệuthịnái``): the same for a name whose
    syllables OCR merged or split."""
    return _joined((m.family, m.middle, m.given))


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named in one role of one record."""

    id: str
    record_id: str
    book_type: str
    role: str
    name: str = ""  # the name as normalized for display
    family: NamePart = EMPTY_PART
    middle: NamePart = EMPTY_PART
    given: NamePart = EMPTY_PART
    era: str = ""
    registration_date: dt.date | None = None
    sex: str | None = None  # "male" | "female"
    birth_date: PartialDate | None = None
    ethnicity: str | None = None  # ethnic group code
    residence: str | None = None  # commune code
    death_date: PartialDate | None = None  # deceased of a death record
    marriage_date: dt.date | None = None  # bride and groom: the registration date of the marriage
    child_birth_date: PartialDate | None = None  # mother and father: the child's birth date
    spouse: tuple[NamePart, NamePart] | None = None  # (family, given) of the spouse named on the record
    spouse_name: NamePart | None = None  # the spouse's whole name, spaces dropped (see joined_name)
    office: str | None = None  # code of the registering office (a commune's code places the person)
    id_number: str | None = None  # "cmnd:123456789" or "cccd:004…" (the kind, then the digits)

    @property
    def birth_year(self) -> int | None:
        return None if self.birth_date is None else self.birth_date.year

    @property
    def given_full(self) -> str:
        """Comparison key of middle + given (``văn nam``)."""
        return " ".join(p for p in (self.middle.key, self.given.key) if p)


@lru_cache(maxsize=65536)
def _residence(text: str) -> str | None:
    place = normalize_place(text).value
    return None if place is None else place.commune_code


def _date(text: str) -> PartialDate | None:
    if not text.strip():
        return None
    value = normalize_date(text).value
    return value if value is not None else repair_date(text)


_DAMAGED_DATE: Final[re.Pattern[str]] = re.compile(r"(?:(\d{1,2})[/1l\-.](\d{1,2})[/1l\-.])?(\d{4})")
# Digits handwriting OCR reads for one another (both ways): 1↔7, 3↔8, 0↔6, 5↔6, 4↔9.
LOOKALIKE_DIGITS: Final[dict[str, str]] = {
    "1": "7", "7": "1", "3": "8", "8": "3", "0": "6", "6": "05", "5": "6", "4": "9", "9": "4"
}  # fmt: skip
_YEARS: Final[tuple[int, int]] = (1850, 2035)


def _readings(digits: str, valid: Callable[[int], bool]) -> set[int]:
    """``digits`` as read, if valid; else every valid number one look-alike digit away."""
    if valid(int(digits)):
        return {int(digits)}
    out = set()
    for k, digit in enumerate(digits):
        for other in LOOKALIKE_DIGITS.get(digit, ""):
            value = int(digits[:k] + other + digits[k + 1 :])
            if valid(value):
                out.add(value)
    return out


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def repair_date(text: str) -> PartialDate | None:
    """A date normalization refused (``79/02/1950``, ``22/16/1950``, ``24/1011929``, ``7929``), read the way
    OCR most likely damaged it: separators read as ``1``/``l``/``-``, one look-alike digit per part
    (1↔7, 3↔8, 0↔6, 5↔6, 4↔9). Linking evidence only, never a record's value: the one reading left, else
    the year alone when every reading agrees on it, else None."""
    found = _DAMAGED_DATE.fullmatch(text.strip())
    if found is None:
        return None
    day_text, month_text, year_text = found.groups()
    years = _readings(year_text, lambda y: _YEARS[0] <= y <= _YEARS[1])
    if day_text is None or month_text is None:
        return PartialDate(years.pop()) if len(years) == 1 else None
    months = _readings(month_text, lambda m: 1 <= m <= 12)
    days = _readings(day_text, lambda d: 1 <= d <= 31)
    dates = {(y, m, d) for y in years for m in months for d in days if _is_day(y, m, d)}
    if len(dates) == 1:
        y, m, d = dates.pop()
        return PartialDate(y, m, d)
    return PartialDate(years.pop()) if len(years) == 1 else None


def _birth(fields: Mapping[str, str], role: str) -> PartialDate | None:
    found = _date(fields.get(f"{role}.birth_date", ""))
    if found is not None:
        return found
    year_text = fields.get(f"{role}.birth_year", "").strip()
    year = normalize_year(year_text).value if year_text else None
    return None if year is None else PartialDate(year)


def _id_number(text: str) -> str | None:
    if not text.strip():
        return None
    value = normalize_id_number(text).value
    return None if value is None else f"{value.kind}:{value.number}"


def _sex(fields: Mapping[str, str], role: str, middle: NamePart) -> str | None:
    """The record's sex field, else the sex the role or a parent's relationship implies, else Thị → female."""
    sex_text = fields.get(f"{role}.sex", "")
    sex: str | None = normalize_sex(sex_text).value if sex_text.strip() else None
    if sex is None:
        sex = _ROLE_SEX.get(role)
    if sex is None and role == "parent":
        sex = _RELATIONSHIP_SEX.get(fields.get("parent.relationship", "").strip().lower())
    if sex is None and middle.key == "thị":
        sex = "female"
    return sex


def _name_parts(text: str) -> tuple[str, NamePart, NamePart, NamePart] | None:
    normalized = normalize_name(text)
    value = normalized.value
    if value is None or not value.given:
        return None
    return normalized.text, NamePart.of(value.family), NamePart.of(value.middle), NamePart.of(value.given)


def mentions_from_record(
    book_type: str,
    fields: Mapping[str, str],
    record_id: str,
    *,
    era: str = "",
    registration_date: dt.date | None = None,
    roles: Iterable[str] | None = None,
    office: str | None = None,
) -> list[Mention]:
    """The mentions of one record, one per role that names a person (roles without a name are skipped).

    ``fields`` maps field keys to raw texts (as OCR read them or as a reviewer approved them).
    ``roles`` restricts the roles (default: the roles of :data:`LINKED_ROLES` the book type has).
    ``office`` is the registering office's code: a commune office places the persons of its records
    (people register where they live), evidence where a record gives no residence.
    """
    if book_type not in ROLES_BY_BOOK_TYPE:
        raise ValueError(f"unknown book type {book_type!r}; use one of {sorted(ROLES_BY_BOOK_TYPE)}")
    wanted = [
        r for r in ROLES_BY_BOOK_TYPE[book_type] if (r in LINKED_ROLES if roles is None else r in roles)
    ]
    if registration_date is None:
        reg = _date(fields.get("registration.date", ""))
        registration_date = None if reg is None else reg.to_date()
    names = {role: _name_parts(fields.get(f"{role}.full_name", "")) for role in ROLES_BY_BOOK_TYPE[book_type]}
    child_birth = (
        _date(fields.get("child.birth_date", "")) if book_type in ("birth", "parent_recognition") else None
    )
    out: list[Mention] = []
    for role in wanted:
        parts = names.get(role)
        if parts is None:
            continue
        display, family, middle, given = parts
        sex = _sex(fields, role, middle)
        ethnic_text = fields.get(f"{role}.ethnicity", "")
        group = normalize_ethnicity(ethnic_text).value if ethnic_text.strip() else None
        residence_text = fields.get(f"{role}.residence", "").strip()
        spouse_parts = names.get(SPOUSE_ROLE.get(role, ""))
        out.append(
            Mention(
                id=f"{record_id}:{role}",
                record_id=record_id,
                book_type=book_type,
                role=role,
                name=display,
                family=family,
                middle=middle,
                given=given,
                era=era,
                registration_date=registration_date,
                sex=sex,
                birth_date=_birth(fields, role),
                ethnicity=None if group is None else group.code,
                residence=_residence(residence_text) if residence_text else None,
                death_date=_date(fields.get(f"{role}.death_date", "")) if role == "deceased" else None,
                marriage_date=registration_date if book_type == "marriage" else None,
                child_birth_date=child_birth if role in PARENT_ROLES else None,
                spouse=None if spouse_parts is None else (spouse_parts[1], spouse_parts[3]),
                spouse_name=None if spouse_parts is None else _joined(tuple(spouse_parts[1:])),
                office=office or None,
                id_number=_id_number(fields.get(f"{role}.id_number", "")),
            )
        )
    return out
