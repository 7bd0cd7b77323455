"""Slips Tesseract makes on civil-registry values, undone after recognition, per field type.

Applied by :func:`ocr.read.read_page` to every field after :func:`ocr.read.clean_value` and before the
confidence is computed (the calibration is fitted on corrected text: ``scripts/fit_ocr_calibration.py``
applies :func:`correct` again to stored observations). Each rule only rewrites text that cannot be right as
read, and only into what the page almost surely says (measured on sample pages, see the final report of
issue 3):

- ``H Mông``, ``HMông``: the apostrophe of ``H'Mông`` is lost;
- a family name with a wrong tone mark (``Đỉnh`` for ``Đinh``): the first syllable of a name that is not a
  known family name while the same letters with another tone are (the most frequent one is taken; a
  syllable read without a tone mark is left alone: ``Ha`` is as often a misread ``Ma`` as a ``Hà``);
- dates, numbers and years: a trailing dot or speck (``27/01/2004.``, ``24/12/2000 l``), a space inside a
  date (``09/08/1 985``), punctuation before a number (``„20``);
- names: a trailing one-letter speck (``Hoàng Thị Hợi l``); places: a dot after the last word;
- free text starting in lower case (``ốm đau``): books capitalize the first word of an entry; free text of
  one letter (a speck read as ``J``) is dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from normalize.names import _lists as _name_lists
from normalize.text import comparison_key, place_tone, split_tone, title_word

_HMONG = re.compile(r"^H\s*[-'’ʼ`]?\s*M[ôo]ng$", re.IGNORECASE)
_DIGIT_KINDS: Final[frozenset[str]] = frozenset({"date", "number", "year", "id_number"})
#: Kinds whose values never end with a dot (places and free text may: abbreviations).
_NO_DOT_KINDS: Final[frozenset[str]] = frozenset(
    {"date", "number", "year", "id_number", "sex", "ethnicity", "nationality"}
)
#: One-character tokens a rule fragment or a speck at the end of a cell is read as.
_SPECKS: Final[frozenset[str]] = frozenset({"l", "i", "ì", "í", "ï", "I", "Ï", "Ì", "Í", "|", "!", "°", "'"})
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


def correct(text: str, kind: str) -> str:
    """``text`` (already cleaned) of a field of type ``kind`` with the slips above undone."""
    if not text:
        return text
    if kind in _DIGIT_KINDS:
        return _digits(text, kind)
    if kind in _NO_DOT_KINDS:
        text = text.rstrip(".").rstrip()
    if kind == "place" and text.endswith(".") and len(text.rstrip(".").split()[-1].strip(",")) > 2:
        text = text.rstrip(".")  # "tỉnh Cao Bằng.": a dot after a word, not an abbreviation ("TP.")
    if kind == "ethnicity" and _HMONG.match(text):
        return "H'Mông"
    if kind == "name":
        return _name(text)
    if kind == "text" and len(text) == 1 and text.isalpha():
        return ""  # a speck read as a letter: no entry is one letter
    if kind == "text" and text[0].isalpha() and text[0].islower():
        return text[0].upper() + text[1:]
    return text


def _digits(text: str, kind: str) -> str:
    tokens = text.replace("⁄", "/").split()
    while len(tokens) > 1 and not any(ch.isdigit() for ch in tokens[-1]):
        tokens.pop()  # "24/12/2000 l": a speck after the value
    out = " ".join(tokens).rstrip(".").rstrip()
    if kind == "date" and " " in out and _DATE.match(out.replace(" ", "")):
        out = out.replace(" ", "")  # "09/08/1 985"
    if kind == "number":
        out = out.lstrip(",.„‚'\"`-_~").rstrip(",.)")
    return out


def _name(text: str) -> str:
    tokens = text.split()
    if len(tokens) > 2 and tokens[-1] in _SPECKS:
        tokens.pop()
    if len(tokens) >= 2:
        tokens[0] = _family_tone(tokens[0])
    return " ".join(tokens)


@lru_cache(maxsize=16_384)
def _family_tone(word: str) -> str:
    """``word`` (the first syllable of a name), or the known family name it is with another tone mark."""
    family = _name_lists().family
    if comparison_key(word) in family:
        return word
    parts = split_tone(word.lower())
    if parts is None:
        return word
    base, tone = parts
    if tone == 0:  # "Ha" for "Ma" in a hand that writes M like H: adding a tone mark is a guess too far
        return word
    candidates = []
    for tone in range(6):
        syllable = place_tone(base, tone)
        if syllable is not None and comparison_key(syllable) in family:
            candidates.append((family[comparison_key(syllable)], syllable))
    if not candidates:
        return word
    return title_word(max(candidates)[1])
