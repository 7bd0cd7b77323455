"""The confidence of a field as reviewers see it: "probability that this text is exactly what the page says".

:func:`field_confidence` is applied once to every field :func:`ocr.read.read_page` returns, after the engine's
own confidence (the lowest word confidence, raw) and the cleaning of the text. It puts the field in a group,
``<field type>.<page class>/<grade>``, where the page class (:func:`page_class`) says whether the page's fields
were read with ease and the grade (:func:`grade`) what the text looks like to ``normalize/``:

- ``blank``: nothing written and the cell had no ink (the engine did not run: surely empty);
- ``empty``: nothing kept although something was there (specks, an unreadable cell);
- ``valid``: a value of its type exactly as written (a possible date, a name of valid Vietnamese syllables
  with a known family name, one of the 54 ethnic groups, a place the gazetteer knows, digits only, a 9- or
  12-digit id, Nam/Nữ, a known nationality, an option of the tick boxes);
- ``long``: free text (a note, a purpose) of more than a few words, each a valid syllable;
- ``rare``: a valid name whose given name is not in normalize/'s list (right, or a letter misread);
- ``odd``: readable as its type only after a correction or a guess (a fuzzy place, an unknown family name,
  a syllable that is not Vietnamese, a digit read as a letter, a proper name not capitalized, free text
  starting in lower case, a relationship that is not one of the usual ones);
- ``invalid``: not a value of its type (a date that does not parse or cannot exist, letters in a number).

The table in ``configs/ocr_calibration.yaml`` (:mod:`ocr.calibration`, fitted by
``scripts/fit_ocr_calibration.py`` on sample pages) maps (group, raw confidence) to the calibrated confidence;
it is loaded on first use. Fields at or above ``ocr.evaluate.CONFIDENT`` are meant to be at least 99.5% exact.
"""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Final

from normalize import comparison_key, is_valid_syllable, normalize_field
from normalize.result import Normalized
from ocr.calibration import Table, load_table
from sohoa.errors import ConfigError
from sohoa.paths import REPO_ROOT, config_dir

log = logging.getLogger(__name__)

FILE_NAME: Final[str] = "ocr_calibration.yaml"
GRADES: Final[tuple[str, ...]] = ("blank", "empty", "valid", "long", "rare", "odd", "invalid")
#: Free text of more words than this is graded ``long``: one wrong tone in a sentence goes unnoticed.
LONG_TEXT_WORDS: Final[int] = 3
#: Relationships of a declarant or guardian to the person registered, as books write them.
RELATIONSHIPS: Final[frozenset[str]] = frozenset(
    {
        "Cha",
        "Mẹ",
        "Bản thân",
        "Ông nội",
        "Ông ngoại",
        "Bà nội",
        "Bà ngoại",
        "Con",
        "Con đẻ",
        "Vợ",
        "Chồng",
        "Anh ruột",
        "Chị ruột",
        "Em ruột",
        "Cậu ruột",
        "Bác ruột",
        "Chú ruột",
        "Cô ruột",
        "Dì ruột",
        "Cháu",
        "Cháu ruột",
        "Người giám hộ",
    }
)
#: Administrative and institution words written in lower case inside a place ("xã", "trạm y tế").
_ADMIN_WORDS: Final[frozenset[str]] = frozenset(
    {
        "xã",
        "phường",
        "thị",
        "trấn",
        "huyện",
        "quận",
        "thành",
        "phố",
        "tỉnh",
        "thôn",
        "xóm",
        "bản",
        "tổ",
        "ấp",
        "làng",
        "khu",
        "dân",
        "số",
        "x",
        "h",
        "t",
        "tp",
        "tx",
        "tt",
        "trạm",
        "y",
        "tế",
        "bệnh",
        "viện",
        "đa",
        "khoa",
        "tại",
        "nhà",
        "hộ",
        "sinh",
    }
)
#: Administrative words that are never part of a name (so never capitalized).
_LOWER_WORDS: Final[frozenset[str]] = frozenset({"xã", "huyện", "tỉnh", "phường", "quận", "xóm", "thôn"})
#: Field types whose values are proper names, capitalized syllable by syllable.
_CASED_KINDS: Final[frozenset[str]] = frozenset({"name", "place", "ethnicity", "nationality"})
#: Median raw confidence of a page's read fields from which the page is ``clear`` (:func:`page_class`):
#: typed sample pages measure 0.959-0.967 (ledgers) and 0.908-0.967 (forms), handwriting-style ones 0-0.96.
PAGE_CLEAR: Final[float] = 0.955
#: Raw confidence engines give a crop without ink (see ``ocr.engines.base.OcrEngine._blank``).
BLANK_RAW: Final[float] = 0.999
#: Issues (of any severity) that make a readable value "odd": the text was guessed at or corrected.
_ODD_CODES: Final[frozenset[str]] = frozenset(
    {
        "name_family_unknown",
        "name_single_syllable",
        "place_fuzzy",
        "place_unknown",
        "place_part_unknown",
        "place_ambiguous",
        "place_inconsistent",
        "ethnicity_fuzzy",
        "ethnicity_variant",
        "nationality_fuzzy",
        "sex_fuzzy",
        "date_incomplete",
        "date_two_digit_year_assumed",
    }
)
#: Field types whose canonical text is how the value is written (a place or a date may be written otherwise).
_CANONICAL_KINDS: Final[frozenset[str]] = frozenset({"name", "sex", "ethnicity", "nationality"})
_OPTION_KEY = re.compile(r"^[a-z][a-z_]*$")
_WORD = re.compile(r"[^\W\d_]+")

_UNSET: Final = object()
_table: Table | object | None = _UNSET


# --------------------------------------------------------------------------- features
def fold(text: str) -> str:
    """NFC with whitespace folded (how OCR text is compared)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def grade(text: str, kind: str, raw: float, key: str = "") -> str:
    """How ``text`` reads as a value of field type ``kind`` for field ``key`` (one of :data:`GRADES`)."""
    text = fold(text)
    if not text:
        return "blank" if raw >= BLANK_RAW else "empty"
    return _grade_text(text, kind, key.rpartition(".")[2])


@lru_cache(maxsize=65_536)
def _grade_text(text: str, kind: str, attribute: str) -> str:
    if kind == "choice":  # ocr.read turns a caption it recognizes into its option key
        return "valid" if _OPTION_KEY.match(text) else "invalid"
    if kind == "text":
        return _grade_free_text(text, attribute)
    result = normalize_field(kind, text)
    found = _grade_normalized(text, kind, result)
    if found == "valid" and kind in _CASED_KINDS and not _cased_like_a_name(text, kind):
        return "odd"
    if found == "valid" and kind == "name" and not _known_given_name(result.value):
        return "rare"
    return found


def _grade_free_text(text: str, attribute: str) -> str:
    """Free text: valid syllables, a capital first letter (relationships: one of the usual ones)."""
    if attribute == "relationship":
        return "valid" if text in RELATIONSHIPS else "odd"
    first = next((ch for ch in text if ch.isalpha()), "")
    if not _all_syllables(text) or (first and not first.isupper()) or _mixed_case(text):
        return "odd"
    return "long" if len(text.split()) > LONG_TEXT_WORDS else "valid"


def _mixed_case(text: str) -> bool:
    """A word with a capital after its first letter that is not all capitals ("BÌnh", "hOà")."""
    return any(any(ch.isupper() for ch in w[1:]) and not w.isupper() for w in _WORD.findall(text))


def _cased_like_a_name(text: str, kind: str) -> bool:
    """Proper names capitalize every syllable: in a place only administrative words ("xã", "huyện",
    "trạm y tế") may be in lower case, and abbreviations keep their dot ("H. Hà Quảng")."""
    if _mixed_case(text):
        return False
    if kind != "place":
        return True
    for token in text.replace(",", " ").split():
        word = token.strip(".()-;")
        if not word or not word[0].isalpha():
            continue
        if len(word) == 1 and word.isupper() != token.endswith("."):
            return False  # "H Hà Quảng", "x. Hồng An": abbreviations are a capital and a dot
        if word[0].islower() and word not in _ADMIN_WORDS:
            return False
        if word.lower() in _LOWER_WORDS and word[0].isupper():
            return False  # "Xã Tam Kim": books write the administrative level in lower case
    return True


def _known_given_name(value: object) -> bool:
    """The given name (last syllable) is in normalize/'s list of given names, and every middle syllable in
    its list of middle or given names ("Van" is a misread "Văn")."""
    given = str(getattr(value, "given", ""))
    middle = str(getattr(value, "middle", "")).split()
    given_names, middle_names = _name_lists()
    if not given or comparison_key(given.split()[-1]) not in given_names:
        return False
    return all(comparison_key(m) in middle_names or comparison_key(m) in given_names for m in middle)


@lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    from normalize.names import _lists  # the one list of names (comparison keys), weighted by frequency

    lists = _lists()
    return frozenset(lists.given), frozenset(lists.middle)


def _grade_normalized(text: str, kind: str, result: Normalized[object]) -> str:
    if result.value is None or any(i.severity == "error" for i in result.issues):
        return "invalid"
    if (
        any(i.severity == "warning" or i.code in _ODD_CODES for i in result.issues)
        or result.confidence < 0.75
    ):
        return "odd"
    if kind in _CANONICAL_KINDS and fold(result.text) != text:
        return "odd"
    return "valid"


def _all_syllables(text: str) -> bool:
    """Every run of letters is a valid Vietnamese syllable (or a short all-capital abbreviation)."""
    for word in _WORD.findall(text):
        if not (is_valid_syllable(word.lower()) or (word.isupper() and len(word) <= 5)):
            return False
    return True


def page_class(raws: Iterable[float]) -> str:
    """``clear`` when the median raw confidence of a page's read fields (those with text) is at least
    :data:`PAGE_CLEAR`, else ``other``: Tesseract reads a clean typed page with ease, a hand or a bad scan
    with effort, and the same raw confidence means less on the latter."""
    values = sorted(raws)
    if not values:
        return "other"
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return "clear" if median >= PAGE_CLEAR else "other"


def group(text: str, confidence: float, kind: str, key: str = "", page: str = "") -> str:
    """The calibration group of a field: ``<field type>.<page class>/<grade>`` (``<field type>/<grade>``
    without a page class)."""
    return f"{kind}{'.' + page if page else ''}/{grade(text, kind, confidence, key)}"


# --------------------------------------------------------------------------- the table
def calibration_path() -> Path:
    """``ocr_calibration.yaml`` in the configuration folder, else the bundled one."""
    path = config_dir() / FILE_NAME
    return path if path.is_file() else REPO_ROOT / "configs" / FILE_NAME


def table() -> Table | None:
    """The calibration in use, loaded on first call (None: raw confidences pass unchanged)."""
    global _table
    if _table is _UNSET:
        path = calibration_path()
        if not path.is_file():
            raise ConfigError(
                f"thiếu tệp hiệu chỉnh OCR {path}",
                hint="khôi phục configs/ocr_calibration.yaml hoặc chạy scripts/fit_ocr_calibration.py",
            )
        _table = load_table(path)
        log.debug("OCR calibration loaded from %s", path)
    return _table if isinstance(_table, Table) else None


def install(new: Table | None) -> None:
    """Use ``new`` from now on (None: no calibration, raw confidences pass unchanged)."""
    global _table
    _table = new


def reset() -> None:
    """Forget the table in use: the file is read again on next use."""
    global _table
    _table = _UNSET


@contextlib.contextmanager
def using(new: Table | None) -> Iterator[None]:
    """Use ``new`` inside the block (None: raw confidences, as the calibration fit needs them)."""
    global _table
    before = _table
    _table = new
    try:
        yield
    finally:
        _table = before


def field_confidence(text: str, confidence: float, kind: str, key: str, page: str = "") -> float:
    """The final confidence of field ``key`` (field type ``kind``) read as ``text`` with raw engine
    confidence ``confidence`` on a page of class ``page`` (:func:`page_class`; empty: unknown): the
    probability that ``text`` is exactly right."""
    current = table()
    if current is None:
        return confidence
    return current(group(text, confidence, kind, key, page), confidence)
