"""Dates: digits in every common layout, ``ngày … tháng … năm …``, dates in words, years; never guessed.

Accepted (with or without diacritics, any case): ``05/03/1987``, ``5/3/87``, ``5-3-87``, ``5.3.1987``,
``1987-03-05``, ``05031987``, ``ngày 5 tháng 3 năm 1987``, ``5 tháng 3 năm 1987``, ``tháng 3/1987``,
``năm 1987``, ``1987`` and dates in words (``Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám``,
with mốt/một, lăm/năm/nhăm, tư/bốn, linh/lẻ, nghìn/ngàn, mồng/mùng, tháng giêng/chạp). A two-digit year is
resolved by the caller's pivot (the registration year: the latest year not after it). An impossible date
(31/02/1990) is flagged and its value left empty. Letters OCR reads for digits (O→0, l/I→1, S→5, B→8 …)
are fixed inside digit groups, with a lower confidence and an issue saying what was changed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from normalize.result import Issue, Normalized, clamp, empty, issue
from normalize.text import clean, strip_diacritics

Precision = Literal["day", "month", "year"]
MIN_YEAR: Final[int] = 1800
MAX_YEAR: Final[int] = 2100


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A calendar date known to the day, the month or only the year."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def to_date(self) -> dt.date | None:
        """The exact date, or None when only the month or the year is known."""
        if self.month is None or self.day is None:
            return None
        return dt.date(self.year, self.month, self.day)

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(self.year, self.month, self.day)

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def display(self) -> str:
        """``05/03/1987``, ``03/1987`` or ``1987``."""
        if self.month is None:
            return f"{self.year}"
        if self.day is None:
            return f"{self.month:02d}/{self.year}"
        return f"{self.day:02d}/{self.month:02d}/{self.year}"

    @classmethod
    def from_date(cls, day: dt.date) -> PartialDate:
        return cls(day.year, day.month, day.day)

    def same_as(self, other: PartialDate) -> bool:
        """Equal where both are known (a year-only date agrees with any day of that year)."""
        if self.year != other.year:
            return False
        if self.month is None or other.month is None:
            return True
        if self.month != other.month:
            return False
        return self.day is None or other.day is None or self.day == other.day


# ------------------------------------------------------------------------------------ OCR digit slips
_OCR_DIGITS: Final[dict[str, str]] = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0",
    "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "J": "1", "L": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5",
    "G": "6", "b": "6",
    "T": "7",
    "B": "8",
    "g": "9", "q": "9",
}  # fmt: skip
_DIGITISH: Final[str] = "0-9" + re.escape("".join(_OCR_DIGITS))
_SEP: Final[str] = r"\s*[/\-.\\]\s*"
# Matched case-insensitively on text that keeps its case, so that B (8) and b (6) stay apart.
_NUMERIC = re.compile(
    rf"^(?:ngay\s*)?(?P<d>[{_DIGITISH}]{{1,2}}){_SEP}(?P<m>[{_DIGITISH}]{{1,2}}){_SEP}(?P<y>[{_DIGITISH}]{{2,4}})$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_COMPACT = re.compile(r"^\d{8}$")
_MONTH_YEAR = re.compile(
    rf"^(?:thang\s*)?(?P<m>[{_DIGITISH}]{{1,2}}){_SEP}(?P<y>[{_DIGITISH}]{{4}})$", re.IGNORECASE
)
_YEAR = re.compile(rf"^(?:nam\s*)?(?P<y>[{_DIGITISH}]{{4}})$", re.IGNORECASE)
_PUNCT = re.compile(r"[,;:()\[\]\"“”'`]+")


def fix_digits(token: str) -> str:
    """Read letters that look like digits as those digits (``l987`` → ``1987``)."""
    return "".join(_OCR_DIGITS.get(c, c) for c in token)


# ------------------------------------------------------------------------------------ numbers in words
_UNITS: Final[dict[str, int]] = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "nham": 5,
    "sau": 6, "bay": 7, "bey": 7, "tam": 8, "chin": 9,
}  # fmt: skip
_AFTER_TENS_ONLY: Final[frozenset[str]] = frozenset({"lam", "nham"})
_TEN_WORDS: Final[frozenset[str]] = frozenset({"muoi"})
_HUNDRED: Final[frozenset[str]] = frozenset({"tram"})
_THOUSAND: Final[frozenset[str]] = frozenset({"nghin", "ngan"})
_ZERO_TENS: Final[frozenset[str]] = frozenset({"linh", "le"})
NUMBER_WORDS: Final[frozenset[str]] = frozenset(_UNITS) | _TEN_WORDS | _HUNDRED | _THOUSAND | _ZERO_TENS


def words_to_int(tokens: list[str]) -> int | None:
    """Read a Vietnamese number written in words (diacritics already removed); None if malformed.

    ``hai nghin khong tram muoi tam`` → 2018; ``mot chin tam bay`` (digit by digit) → 1987.
    """
    if not tokens:
        return None
    if len(tokens) == 4 and all(t in _UNITS and t not in _AFTER_TENS_ONLY for t in tokens):
        return int("".join(str(_UNITS[t]) for t in tokens))
    total = 0
    group = 0
    last_unit: int | None = None
    last_kind = ""
    for t in tokens:
        if t in _UNITS:
            if last_kind == "unit" or (t in _AFTER_TENS_ONLY and last_kind != "tens"):
                return None
            group += _UNITS[t]
            last_unit = _UNITS[t]
            last_kind = "unit"
        elif t in _TEN_WORDS:
            if last_kind == "unit" and last_unit is not None and last_unit >= 1:
                group += last_unit * 9  # "hai mươi": the unit just read counts tens
            elif last_kind == "tens":
                return None
            else:
                group += 10  # "mười"
            last_kind = "tens"
        elif t in _HUNDRED:
            if last_kind == "unit" and last_unit is not None:
                group += last_unit * 99
            elif last_kind == "":
                group += 100
            else:
                return None
            last_kind = "hundreds"
        elif t in _THOUSAND:
            total += (group or 1) * 1000
            group = 0
            last_kind = "thousands"
        elif t in _ZERO_TENS:
            if last_kind not in ("hundreds", "thousands"):
                return None
            last_kind = "linh"
        else:
            return None
    return total + group


_UNIT_WORDS: Final[tuple[str, ...]] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _two_digits_words(n: int) -> str:
    tens, unit = divmod(n, 10)
    if tens == 0:
        return _UNIT_WORDS[unit]
    head = "mười" if tens == 1 else f"{_UNIT_WORDS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 1:
        tail = "mốt" if tens >= 2 else "một"
    elif unit == 4:
        tail = "tư" if tens >= 2 else "bốn"
    elif unit == 5:
        tail = "lăm"
    else:
        tail = _UNIT_WORDS[unit]
    return f"{head} {tail}"


def int_to_words(n: int) -> str:
    """Vietnamese words for 0 ≤ n < 10000, as civil-registry forms write them."""
    if not 0 <= n < 10000:
        raise ValueError(f"{n} is outside 0..9999")
    if n < 100:
        return _two_digits_words(n)
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    parts: list[str] = []
    if thousands:
        parts.append(f"{_UNIT_WORDS[thousands]} nghìn")
        if rest == 0:
            return " ".join(parts)
        parts.append(f"{_UNIT_WORDS[hundreds]} trăm")
    elif hundreds:
        parts.append(f"{_UNIT_WORDS[hundreds]} trăm")
    if below == 0:
        return " ".join(parts)
    if below < 10:
        parts.append(f"linh {_UNIT_WORDS[below]}")
    else:
        parts.append(_two_digits_words(below))
    return " ".join(parts)


_MONTH_WORDS: Final[dict[int, str]] = {1: "một", 4: "tư"}


def date_to_words(value: PartialDate) -> str:
    """``Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám`` (as the 2016+ forms write it)."""
    year = f"năm {int_to_words(value.year)}"
    if value.month is None:
        return year[0].upper() + year[1:]
    month = f"tháng {_MONTH_WORDS.get(value.month, _two_digits_words(value.month))} {year}"
    if value.day is None:
        return month[0].upper() + month[1:]
    return f"Ngày {_two_digits_words(value.day)} {month}"


# ------------------------------------------------------------------------------------ parsing
@dataclass(frozen=True, slots=True)
class _Parsed:
    year: int | None
    month: int | None
    day: int | None
    two_digit: str | None = None  # the yy written, when the year had two digits
    fixes: tuple[tuple[str, str], ...] = ()
    words: bool = False


def _number(token: str) -> tuple[int | None, tuple[str, str] | None]:
    """A digit group with OCR slips fixed: (value, (before, after) when something was fixed)."""
    fixed = fix_digits(token)
    if not fixed.isdigit() or not fixed.isascii():
        return None, None
    return int(fixed), ((token, fixed) if fixed != token else None)


def _from_groups(d: str | None, m: str | None, y: str) -> _Parsed | None:
    real_digits = sum(c.isdigit() for part in (d, m, y) if part for c in part)
    if real_digits < min(3, len(y)):
        return None
    fixes: list[tuple[str, str]] = []
    values: list[int | None] = []
    for part in (d, m, y):
        if part is None:
            values.append(None)
            continue
        n, fix = _number(part)
        if n is None:
            return None
        if fix:
            fixes.append(fix)
        values.append(n)
    day, month, year = values
    yy = fix_digits(y)
    two = yy if len(yy) == 2 else None
    if year is not None and len(yy) == 3:
        return None
    return _Parsed(year, month, day, two, tuple(fixes))


def _parse_words(cased: list[str]) -> _Parsed | None:
    """``ngay ... thang ... nam ...`` with parts in words or digits (tokens without diacritics).

    Keywords and number words are compared in lowercase; digit groups keep their case for OCR fixes.
    """
    kept = [t for t in cased if t.lower() not in ("mong", "mung")]
    tokens = [t.lower() for t in kept]
    n = len(tokens)

    def phrase(start: int, end: int, kind: str) -> tuple[int | None, tuple[str, str] | None, bool]:
        """(value, OCR fix, read from words) of tokens[start:end]."""
        part = tokens[start:end]
        if not part:
            return None, None, False
        if len(part) == 1 and any(c.isdigit() for c in part[0]):
            value, fix = _number(kept[start])
            return value, fix, False
        if kind == "month" and len(part) == 1 and part[0] in ("gieng", "chap"):
            return (1 if part[0] == "gieng" else 12), None, True
        return words_to_int(part), None, True

    if "thang" in tokens:
        t = tokens.index("thang")
        first = 1 if t > 0 and tokens[0] == "ngay" else 0
        day, day_fix, day_words = phrase(first, t, "day") if t > first else (None, None, False)
        if t > first and day is None:
            return None
        found: tuple[int | None, int | None, str | None, list[tuple[str, str] | None], bool] | None = None
        for k in range(t + 2, n):
            if tokens[k] != "nam":
                continue
            month, month_fix, month_words = phrase(t + 1, k, "month")
            year, year_fix, year_words = phrase(k + 1, n, "year")
            if month is not None and 1 <= month <= 12 and year is not None:
                two = fix_digits(kept[k + 1]) if k + 2 == n and len(fix_digits(kept[k + 1])) == 2 else None
                words = day_words or month_words or year_words
                found = (year, month, two, [day_fix, month_fix, year_fix], words)
                break
        if found is None:
            month, month_fix, month_words = phrase(t + 1, n, "month")
            if month is None or not 1 <= month <= 12:
                return None
            found = (None, month, None, [day_fix, month_fix], day_words or month_words)
        year, month, two, fixes, words = found
        return _Parsed(year, month, day, two, tuple(f for f in fixes if f), words)
    if tokens and tokens[0] == "nam":
        tokens = tokens[1:]
    if len(tokens) > 1 and all(t in NUMBER_WORDS for t in tokens):
        year = words_to_int(tokens)
        if year is not None and year >= 100:
            return _Parsed(year, None, None, None, (), True)
    return None


def _parse(text: str) -> _Parsed | None:
    folded = _PUNCT.sub(" ", strip_diacritics(text)).strip().rstrip(".").strip()
    cased = " ".join(folded.split())
    if m := _ISO.match(cased):
        return _from_groups(m["d"], m["m"], m["y"])
    if _COMPACT.match(cased):
        d, mo, y = int(cased[:2]), int(cased[2:4]), int(cased[4:])
        if not (1 <= mo <= 12 and 1 <= d <= 31) and 1 <= int(cased[4:6]) <= 12:
            return _Parsed(int(cased[:4]), int(cased[4:6]), int(cased[6:]))  # yyyymmdd
        return _Parsed(y, mo, d)
    if m := _NUMERIC.match(cased):
        return _from_groups(m["d"], m["m"], m["y"])
    if m := _MONTH_YEAR.match(cased):
        return _from_groups(None, m["m"], m["y"])
    if m := _YEAR.match(cased):
        return _from_groups(None, None, m["y"])
    tokens = cased.replace("/", " / ").split()
    if "/" in tokens:
        return None
    return _parse_words(tokens)


def resolve_two_digit_year(yy: int, pivot_year: int) -> int:
    """The latest year ending in ``yy`` that is not after ``pivot_year`` (87 with 1995 → 1987)."""
    year = (pivot_year // 100) * 100 + yy
    return year - 100 if year > pivot_year else year


def _build(
    raw: str, text: str, pivot_year: int | None, field: str | None, words_mode: bool
) -> Normalized[PartialDate]:
    parsed = _parse(text)
    if parsed is None:
        return Normalized(raw, None, text, 0.0, [issue("date_unparsed", field, text=text)])
    issues: list[Issue] = []
    confidence = 0.95 if parsed.words else 0.98
    if parsed.fixes:
        for before, after in parsed.fixes:
            issues.append(issue("date_ocr_fixed", field, before=before, after=after))
        confidence = 0.7
    year = parsed.year
    if year is None:
        return Normalized(raw, None, text, 0.2, [*issues, issue("date_incomplete", field, text=text)])
    if parsed.two_digit is not None:
        yy = int(parsed.two_digit)
        if pivot_year is not None:
            year = resolve_two_digit_year(yy, pivot_year)
            issues.append(issue("date_two_digit_year", field, yy=parsed.two_digit, year=year))
            confidence = min(confidence, 0.9)
        else:
            year = resolve_two_digit_year(yy, dt.date.today().year)
            issues.append(issue("date_two_digit_year_assumed", field, yy=parsed.two_digit, year=year))
            confidence = min(confidence, 0.6)
    if not MIN_YEAR <= year <= MAX_YEAR:
        return Normalized(raw, None, text, 0.1, [*issues, issue("date_out_of_range", field, year=year)])
    month, day = parsed.month, parsed.day
    try:
        if month is not None:
            dt.date(year, month, 1 if day is None else day)
    except ValueError:
        shown = f"{day:02d}/{month:02d}/{year}" if day is not None else f"{month:02d}/{year}"
        return Normalized(raw, None, text, 0.0, [*issues, issue("date_impossible", field, text=shown)])
    value = PartialDate(year, month, day)
    shown = date_to_words(value) if words_mode else value.display()
    if value.precision != "day":
        confidence = min(confidence, 0.95)
    return Normalized(raw, value, shown, clamp(confidence), issues)


@lru_cache(maxsize=262144)
def _cached(text: str, pivot_year: int | None, words_mode: bool) -> Normalized[PartialDate]:
    return _build(text, text, pivot_year, None, words_mode)


_LABEL_WORDS: Final[frozenset[str]] = frozenset({"ngay", "thang", "nam", "mong", "mung", "sinh"})


def _is_blank(text: str) -> bool:
    """Nothing written: empty, dots and dashes, or only the printed labels (``ngày … tháng … năm …``)."""
    words = _PUNCT.sub(" ", strip_diacritics(text)).lower().replace(".", " ").replace("…", " ").split()
    return not text.strip(".-_/…· ") or all(
        w.strip("-_/") in _LABEL_WORDS or not w.strip("-_/") for w in words
    )


def _run(raw: Any, pivot_year: int | None, field: str | None, words_mode: bool) -> Normalized[PartialDate]:
    raw_text = raw if isinstance(raw, str) else ""
    text = clean(raw_text).strip(" .,;:")
    if not text or _is_blank(text):
        return empty(raw_text)
    pivot = pivot_year if isinstance(pivot_year, int) and MIN_YEAR <= pivot_year <= MAX_YEAR else None
    base = _cached(text, pivot, words_mode)
    result = Normalized(raw_text, base.value, base.text, base.confidence, list(base.issues))
    return result.for_field(field)


def normalize_date(
    raw: str, *, pivot_year: int | None = None, field: str | None = None
) -> Normalized[PartialDate]:
    """A date in digits or words; text ``dd/mm/yyyy`` (``mm/yyyy``, ``yyyy`` when less is known)."""
    return _run(raw, pivot_year, field, words_mode=False)


def normalize_date_words(
    raw: str, *, pivot_year: int | None = None, field: str | None = None
) -> Normalized[PartialDate]:
    """A date written in words (the 2016+ "ghi bằng chữ" line); text is the canonical words form."""
    return _run(raw, pivot_year, field, words_mode=True)


def _as_date(value: Any) -> PartialDate | None:
    if isinstance(value, Normalized):
        value = value.value
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    return None


def cross_check(date_value: Any, words_value: Any, *, field: str | None = None) -> list[Issue]:
    """An issue when the date in digits and the same date in words disagree (nothing if one is missing)."""
    a, b = _as_date(date_value), _as_date(words_value)
    if a is None or b is None or a.same_as(b):
        return []
    return [issue("date_words_mismatch", field, digits=a.display(), words=b.display())]


# ------------------------------------------------------------------------------------ years
_TWO = re.compile(rf"[{_DIGITISH}]{{2}}")
_AGE = re.compile(rf"^(?P<n>[{_DIGITISH}]{{1,3}})\s*tuoi$")
_YEAR_PREFIX = re.compile(r"^(?:sinh\s+nam|nam\s+sinh|sinh|sn|nam)\s*", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _year_cached(text: str, pivot: int | None) -> Normalized[int]:
    cased = _YEAR_PREFIX.sub("", " ".join(_PUNCT.sub(" ", strip_diacritics(text)).split())).strip(" .")
    folded = cased.lower()
    if age := _AGE.match(folded):
        n, fix = _number(cased[age.start("n") : age.end("n")])
        if n is not None and pivot is not None and 0 <= n <= 120:
            year = pivot - n
            notes = [issue("year_from_age", text=text, year=year)]
            if fix:
                notes.append(issue("date_ocr_fixed", before=fix[0], after=fix[1]))
            return Normalized(text, year, str(year), 0.6, notes)
        return Normalized(text, None, text, 0.0, [issue("date_unparsed", text=text)])
    if _TWO.fullmatch(cased) and any(c.isdigit() for c in cased):
        n, fix = _number(cased)
        if n is not None:
            year = resolve_two_digit_year(n, pivot if pivot is not None else dt.date.today().year)
            code = "date_two_digit_year" if pivot is not None else "date_two_digit_year_assumed"
            notes = [issue(code, yy=fix_digits(cased), year=year)]
            if fix:
                notes.append(issue("date_ocr_fixed", before=fix[0], after=fix[1]))
            return Normalized(text, year, str(year), 0.9 if pivot is not None else 0.6, notes)
    parsed = _cached(cased or text, pivot, False)
    if parsed.value is None:
        return Normalized(text, None, text, parsed.confidence, list(parsed.issues))
    value = parsed.value
    notes = list(parsed.issues)
    if value.precision != "year":
        notes.append(issue("year_from_date", text=text, year=value.year))
    return Normalized(text, value.year, str(value.year), parsed.confidence, notes)


def normalize_year(raw: str, *, pivot_year: int | None = None, field: str | None = None) -> Normalized[int]:
    """A year of birth: ``1987``, ``năm 1987``, ``l987``, ``87`` (with a pivot), in words, or ``35 tuổi``."""
    raw_text = raw if isinstance(raw, str) else ""
    text = clean(raw_text).strip(" .,;:")
    if not text or _is_blank(text):
        return empty(raw_text)
    pivot = pivot_year if isinstance(pivot_year, int) and MIN_YEAR <= pivot_year <= MAX_YEAR else None
    base = _year_cached(text, pivot)
    return Normalized(raw_text, base.value, base.text, base.confidence, list(base.issues)).for_field(field)
