"""Vietnamese text conventions of the sample ground truth: dates, numbers in words, names, tone marks.

These are contracts: the renderer prints exactly these strings and OCR is scored against them.

* Dates are ``dd/mm/yyyy``, zero-padded (:func:`format_date`).
* Numbers in words follow the usual administrative reading (:func:`number_to_words`):
  ``15`` → "mười lăm", ``21`` → "hai mươi mốt", ``24`` → "hai mươi tư", ``105`` → "một trăm linh năm",
  ``2005`` → "hai nghìn không trăm linh năm", ``1987`` → "một nghìn chín trăm tám mươi bảy".
  ``zero_tens="lẻ"`` gives the southern "lẻ" instead of "linh".
* A date in words (:func:`date_to_words`) is "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám";
  days 1–10 read "mồng một" … "mồng mười" (the administrative habit), months are "một" … "mười hai"
  (April is "tư").
* Names are NFC and title case per syllable (:func:`title_name`).
* Tone-mark placement: the new (reform) style puts the mark on the main vowel ("Hòa", "Thủy"); the old
  style puts it on the last vowel of "oa", "oe", "uy" ("Hoà", "Thuỷ"). :func:`old_tone_style` and
  :func:`new_tone_style` convert; :func:`tone_key` is a comparison key that ignores the difference.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Final, Literal

DIGITS: Final[tuple[str, ...]] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MONTHS: Final[tuple[str, ...]] = (
    "một",
    "hai",
    "ba",
    "tư",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
    "mười",
    "mười một",
    "mười hai",
)
_SCALES: Final[tuple[str, ...]] = ("", "nghìn", "triệu", "tỷ")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def format_date(day: dt.date) -> str:
    """``dd/mm/yyyy``, zero-padded."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _below_hundred(n: int, *, after_hundred: bool, zero_tens: str) -> list[str]:
    """Words for 0 < n < 100, inside a larger number when ``after_hundred`` (so 5 → "linh năm")."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return [zero_tens, DIGITS[unit]] if after_hundred else [DIGITS[unit]]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if unit == 0:
        return words
    if unit == 1:
        words.append("một" if tens == 1 else "mốt")
    elif unit == 4:
        words.append("bốn" if tens == 1 else "tư")
    elif unit == 5:
        words.append("lăm")
    else:
        words.append(DIGITS[unit])
    return words


def _below_thousand(n: int, *, full: bool, zero_tens: str) -> list[str]:
    """Words for 0 < n < 1000; ``full`` spells the hundreds even when zero ("không trăm")."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if rest:
        words += _below_hundred(rest, after_hundred=bool(words), zero_tens=zero_tens)
    return words


def number_to_words(n: int, *, zero_tens: Literal["linh", "lẻ"] = "linh") -> str:
    """A non-negative integer in Vietnamese words (lower case), e.g. 2005 → "hai nghìn không trăm linh năm"."""
    if n < 0:
        raise ValueError(f"number_to_words takes a non-negative integer, not {n}")
    if n == 0:
        return DIGITS[0]
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError("number_to_words handles numbers below 10^12")
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _below_thousand(group, full=index != top, zero_tens=zero_tens)
        if _SCALES[index]:
            words.append(_SCALES[index])
    return " ".join(words)


def day_words(day: int, *, mong: bool = True) -> str:
    """The day of a month in words: 5 → "mồng năm", 15 → "mười lăm", 21 → "hai mươi mốt"."""
    if not 1 <= day <= 31:
        raise ValueError(f"a day of the month is 1..31, not {day}")
    words = number_to_words(day)
    return f"mồng {words}" if mong and day <= 10 else words


def month_words(month: int) -> str:
    if not 1 <= month <= 12:
        raise ValueError(f"a month is 1..12, not {month}")
    return MONTHS[month - 1]


def date_to_words(day: dt.date, *, mong: bool = True) -> str:
    """15/03/2018 → "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"."""
    return (
        f"Ngày {day_words(day.day, mong=mong)} tháng {month_words(day.month)} năm {number_to_words(day.year)}"
    )


def title_name(text: str) -> str:
    """NFC, single spaces, each syllable capitalised ("nông văn hùng" → "Nông Văn Hùng")."""
    syllables = nfc(" ".join(text.split())).split(" ")
    return " ".join(s[:1].upper() + s[1:].lower() for s in syllables if s)


# --------------------------------------------------------------------------- tone-mark placement
# Only a bare o+a, o+e or u+y at the end of a syllable moves its mark: "hòa" (new) / "hoà" (old).
_MARKS: Final[tuple[str, ...]] = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _pairs() -> dict[str, str]:
    """new-style spelling -> old-style spelling of every affected pair, in lower, title and upper case."""
    table: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in _MARKS:
            new = unicodedata.normalize("NFC", first + mark + second)
            old = unicodedata.normalize("NFC", first + second + mark)
            for case in (str.lower, str.capitalize, str.upper):
                table[case(new)] = case(old)
    return table


_NEW_TO_OLD: Final[dict[str, str]] = _pairs()
_OLD_TO_NEW: Final[dict[str, str]] = {old: new for new, old in _NEW_TO_OLD.items()}
_END: Final[str] = r"(?![^\W\d_])"  # not followed by a letter
_NEW_RE: Final[re.Pattern[str]] = re.compile("(?<![qQ])(" + "|".join(sorted(_NEW_TO_OLD)) + ")" + _END)
_OLD_RE: Final[re.Pattern[str]] = re.compile("(?<![qQ])(" + "|".join(sorted(_OLD_TO_NEW)) + ")" + _END)


@lru_cache(maxsize=131072)
def old_tone_style(text: str) -> str:
    """Old tone placement: "Hòa" → "Hoà", "Thủy" → "Thuỷ", "Khỏe" → "Khoẻ"; other syllables unchanged."""
    return _NEW_RE.sub(lambda m: _NEW_TO_OLD[m.group(1)], nfc(text))


@lru_cache(maxsize=131072)
def new_tone_style(text: str) -> str:
    """New tone placement: "Hoà" → "Hòa", "Thuỷ" → "Thủy"; other syllables ("Quý") unchanged."""
    return _OLD_RE.sub(lambda m: _OLD_TO_NEW[m.group(1)], nfc(text))


def tone_key(text: str) -> str:
    """A key equal for the old and new tone placement of the same text (NFC, new style, case kept)."""
    return new_tone_style(text)
