"""Small value types: free text, numbers, sex, nationality, tick boxes, choices, ID numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from rapidfuzz import fuzz, process

from normalize.dates import fix_digits
from normalize.result import Issue, Normalized, clamp, empty, issue
from normalize.text import ascii_key, clean, comparison_key

Sex = Literal["male", "female"]
SEX_TEXT: Final[dict[str, str]] = {"male": "Nam", "female": "Nữ"}


def _text_of(raw: Any) -> str:
    return raw if isinstance(raw, str) else ""


def _blank(text: str) -> bool:
    return not text or not text.strip(".-_/…· ")


# ------------------------------------------------------------------------------------ text
def normalize_text(raw: str, *, field: str | None = None) -> Normalized[str]:
    """Free text (notes, relationships): NFC and folded whitespace, nothing else changed."""
    raw_text = _text_of(raw)
    text = clean(raw_text)
    if _blank(text):
        return empty(raw_text)
    return Normalized(raw_text, text, text, 1.0, []).for_field(field)


# ------------------------------------------------------------------------------------ numbers
_NUMBER = re.compile(
    r"^(?:số\s*:?\s*|so\s*:?\s*|no\.?\s*)?(?P<n>[0-9OoIlSsBZz|]+)(?P<rest>\s*/\s*\S.*)?$", re.I
)


def normalize_number(raw: str, *, field: str | None = None) -> Normalized[int]:
    """A registration number: ``123``, ``Số: 123``, ``15/2016`` (value 15); letters read as digits fixed."""
    raw_text = _text_of(raw)
    text = clean(raw_text).strip(" .,;:")
    if _blank(text):
        return empty(raw_text)
    m = _NUMBER.match(text)
    if m is None or not any(c.isdigit() for c in m["n"]):
        return Normalized(raw_text, None, text, 0.0, [issue("number_invalid", field, text=text)])
    digits = fix_digits(m["n"])
    if not digits.isdigit():
        return Normalized(raw_text, None, text, 0.0, [issue("number_invalid", field, text=text)])
    rest = re.sub(r"\s*/\s*", "/", m["rest"] or "")
    issues = []
    confidence = 0.99
    if digits != m["n"]:
        issues.append(issue("number_ocr_fixed", field, before=m["n"], after=digits))
        confidence = 0.7
    shown = str(int(digits)) + rest
    return Normalized(raw_text, int(digits), shown, confidence, issues)


# ------------------------------------------------------------------------------------ sex
_SEX_WORDS: Final[dict[str, Sex]] = {
    "nam": "male", "trai": "male", "nam giới": "male", "con trai": "male", "male": "male", "m": "male",
    "nữ": "female", "gái": "female", "nữ giới": "female", "con gái": "female", "female": "female", "f": "female",
}  # fmt: skip
_SEX_ASCII: Final[dict[str, Sex]] = {
    "nam": "male", "trai": "male", "nam gioi": "male", "nu": "female", "gai": "female", "nu gioi": "female",
}  # fmt: skip


@lru_cache(maxsize=1024)
def _sex(text: str) -> tuple[Sex | None, float, tuple[Issue, ...]]:
    key = comparison_key(text).strip(" .,:;")
    if key in _SEX_WORDS:
        return _SEX_WORDS[key], 0.99, ()
    folded = ascii_key(key).replace("rn", "m")
    if folded in _SEX_ASCII:
        sex = _SEX_ASCII[folded]
        return sex, 0.9, (issue("sex_fuzzy", text=text, name=SEX_TEXT[sex]),)
    compact = folded.replace(" ", "")
    best = process.extractOne(compact, ("nam", "nu", "trai", "gai"), scorer=fuzz.ratio, score_cutoff=66)
    if best is not None and len(compact) >= 2:
        sex = _SEX_ASCII[best[0]]
        others = [
            s for s in process.extract(compact, ("nam", "nu", "trai", "gai"), scorer=fuzz.ratio, limit=4)
        ]
        rivals = [o for o in others if _SEX_ASCII[o[0]] != sex and o[1] >= best[1] - 10]
        if not rivals:
            return sex, 0.7, (issue("sex_fuzzy", text=text, name=SEX_TEXT[sex]),)
    return None, 0.0, (issue("sex_unknown", text=text),)


def normalize_sex(raw: str, *, field: str | None = None) -> Normalized[Sex]:
    """``Nam``/``Nữ`` (also Trai/Gái, ``Nu``, ``Nừ``): value ``male`` or ``female``, text Nam or Nữ."""
    raw_text = _text_of(raw)
    text = clean(raw_text)
    if _blank(text):
        return empty(raw_text)
    sex, confidence, issues = _sex(text)
    shown = SEX_TEXT[sex] if sex is not None else text
    result: Normalized[Sex] = Normalized(raw_text, sex, shown, clamp(confidence), list(issues))
    return result.for_field(field)


def sex_of(value: Any) -> Sex | None:
    """``male``/``female`` from a Normalized, a code or any written form; None if unknown."""
    if isinstance(value, Normalized):
        value = value.value
    if value in ("male", "female"):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        found: Sex | None = normalize_sex(value).value
        return found
    return None


# ------------------------------------------------------------------------------------ nationality
_NATIONALITIES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "VN": (
        "Việt Nam",
        ("việt nam", "vn", "v.n", "v.n.", "vietnam", "viet nam", "việt", "cộng hòa xhcn việt nam"),
    ),
    "CN": ("Trung Quốc", ("trung quốc", "tq", "china", "trung hoa")),
    "LA": ("Lào", ("lào", "laos", "cộng hòa dcnd lào")),
    "KH": ("Campuchia", ("campuchia", "cam-pu-chia", "cambodia", "cam pu chia")),
    "KR": ("Hàn Quốc", ("hàn quốc", "korea", "đại hàn")),
    "TW": ("Đài Loan", ("đài loan", "taiwan")),
    "JP": ("Nhật Bản", ("nhật bản", "nhật", "japan")),
    "TH": ("Thái Lan", ("thái lan", "thailand")),
    "US": ("Hoa Kỳ", ("hoa kỳ", "mỹ", "usa", "hợp chủng quốc hoa kỳ")),
    "FR": ("Pháp", ("pháp", "france")),
    "RU": ("Nga", ("nga", "liên bang nga", "russia")),
    "AU": ("Úc", ("úc", "australia", "ốt-xtrây-li-a")),
    "DE": ("Đức", ("đức", "germany", "cộng hòa liên bang đức")),
    "GB": ("Anh", ("anh", "vương quốc anh", "united kingdom")),
    "CA": ("Canada", ("canada", "ca-na-đa")),
    "SG": ("Singapore", ("singapore", "xinh-ga-po")),
    "MY": ("Malaysia", ("malaysia", "ma-lai-xi-a")),
    "CZ": ("Séc", ("séc", "cộng hòa séc", "tiệp khắc")),
    "PL": ("Ba Lan", ("ba lan", "poland")),
    "STATELESS": ("Không quốc tịch", ("không quốc tịch", "không có quốc tịch")),
}
_NAT_EXACT: Final[dict[str, str]] = {
    comparison_key(alias): code for code, (_, aliases) in _NATIONALITIES.items() for alias in aliases
}
_NAT_ASCII: Final[dict[str, str]] = {ascii_key(k): code for k, code in _NAT_EXACT.items()}
_NAT_KEYS: Final[tuple[str, ...]] = tuple(k for k in _NAT_EXACT if len(k) >= 4)
_NAT_ASCII_KEYS: Final[tuple[str, ...]] = tuple(k for k in _NAT_ASCII if len(k) >= 4)


@lru_cache(maxsize=1024)
def _nationality(text: str) -> tuple[str | None, float, tuple[Issue, ...]]:
    key = comparison_key(text).strip(" .,:;")
    key = re.sub(r"^quốc tịch\s*:?\s*", "", key)
    if key in _NAT_EXACT:
        return _NAT_EXACT[key], 0.99, ()
    folded = ascii_key(key)
    for candidate in (folded, folded.replace("rn", "m")):
        if candidate in _NAT_ASCII:
            code = _NAT_ASCII[candidate]
            return code, 0.9, (issue("nationality_fuzzy", text=text, name=_NATIONALITIES[code][0]),)
    if len(key) >= 4:
        hits = process.extract(folded, _NAT_ASCII_KEYS, scorer=fuzz.ratio, limit=3, score_cutoff=75)
        codes = {_NAT_ASCII[h[0]] for h in hits}
        if len(codes) == 1:
            code = codes.pop()
            return code, 0.75, (issue("nationality_fuzzy", text=text, name=_NATIONALITIES[code][0]),)
        hits = process.extract(key, _NAT_KEYS, scorer=fuzz.ratio, limit=2, score_cutoff=75)
        codes = {_NAT_EXACT[h[0]] for h in hits}
        if len(codes) == 1:
            code = codes.pop()
            return code, 0.75, (issue("nationality_fuzzy", text=text, name=_NATIONALITIES[code][0]),)
    return None, 0.0, (issue("nationality_unknown", text=text),)


def normalize_nationality(raw: str, *, field: str | None = None) -> Normalized[str]:
    """Nationality: value an ISO 3166 code (``VN``) or ``STATELESS``; text the Vietnamese name."""
    raw_text = _text_of(raw)
    text = clean(raw_text)
    if _blank(text):
        return empty(raw_text)
    code, confidence, issues = _nationality(text)
    shown = _NATIONALITIES[code][0] if code is not None else text
    return Normalized(raw_text, code, shown, clamp(confidence), list(issues)).for_field(field)


# ------------------------------------------------------------------------------------ tick boxes
CHECKED_RATIO: Final[float] = 0.20
UNCHECKED_RATIO: Final[float] = 0.10


def _box_confidence(ratio: float, checked: float, unchecked: float) -> float:
    if ratio >= checked:
        return min(0.99, 0.8 + (ratio - checked) * 2)
    if ratio <= unchecked:
        return min(0.99, 0.8 + (unchecked - ratio) * 2)
    return 0.4


def normalize_checkbox(
    ratios: float | Mapping[str, float],
    *,
    labels: Mapping[str, str] | None = None,
    checked: float = CHECKED_RATIO,
    unchecked: float = UNCHECKED_RATIO,
    field: str | None = None,
) -> Normalized[Any]:
    """Tick boxes from their ink fill ratios (0..1, the share of dark pixels inside the box).

    One box (a float): value True/False, None in the doubtful band between ``unchecked`` and ``checked``.
    A group (option → ratio): value the one ticked option key; an issue when none or several are ticked.
    """
    if not isinstance(ratios, Mapping):
        try:
            ratio = float(ratios)
        except (TypeError, ValueError):
            return Normalized(str(ratios), None, "", 0.0, [issue("unreadable", field, text=str(ratios))])
        if ratio != ratio:  # NaN
            return Normalized(str(ratios), None, "", 0.0, [issue("unreadable", field, text=str(ratios))])
        raw = f"{ratio:.3f}"
        conf = _box_confidence(ratio, checked, unchecked)
        if ratio >= checked:
            return Normalized(raw, True, "Có", conf, [])
        if ratio <= unchecked:
            return Normalized(raw, False, "Không", conf, [])
        return Normalized(raw, None, "", conf, [issue("checkbox_faint", field, option="☐", ratio=ratio)])
    clean_ratios: dict[str, float] = {}
    for k, v in ratios.items():
        try:
            r = float(v)
        except (TypeError, ValueError):
            continue
        if r == r:
            clean_ratios[str(k)] = r
    raw = ", ".join(f"{k}={v:.3f}" for k, v in clean_ratios.items())
    names = dict(labels or {})
    ticked = [k for k, r in clean_ratios.items() if r >= checked]
    if len(ticked) == 1:
        key = ticked[0]
        conf = min(
            _box_confidence(clean_ratios[key], checked, unchecked),
            *[_box_confidence(r, checked, unchecked) for k, r in clean_ratios.items() if k != key],
            0.99,
        )
        return Normalized(raw, key, names.get(key, key), clamp(conf), []).for_field(field)
    if len(ticked) > 1:
        options = ", ".join(names.get(k, k) for k in ticked)
        return Normalized(raw, None, "", 0.2, [issue("checkbox_multiple", field, options=options)])
    faint = sorted(((r, k) for k, r in clean_ratios.items() if r > unchecked), reverse=True)
    if len(faint) == 1:
        ratio, key = faint[0]
        note = issue("checkbox_faint", field, option=names.get(key, key), ratio=ratio)
        return Normalized(raw, key, names.get(key, key), 0.4, [note])
    return Normalized(raw, None, "", 0.6 if not faint else 0.2, [issue("checkbox_none", field)])


_RATIO = re.compile(r"^[01]?(?:[.,]\d+)?$")


def normalize_choice(
    raw: str,
    *,
    options: Mapping[str, str] | None = None,
    ratios: Mapping[str, float] | None = None,
    field: str | None = None,
) -> Normalized[Any]:
    """One option of a closed list, from its written label or from tick-box fill ratios.

    ``options`` maps option keys to their printed labels (``{"on_time": "Đúng hạn", ...}``). The text may be
    the label, the key, or (with no options) a fill ratio such as ``0.42``.
    """
    if ratios is not None:
        return normalize_checkbox(ratios, labels=options, field=field)
    raw_text = _text_of(raw)
    text = clean(raw_text)
    if _blank(text):
        return empty(raw_text)
    if not options:
        if _RATIO.match(text) and any(c.isdigit() for c in text):
            result = normalize_checkbox(float(text.replace(",", ".")), field=field)
            return Normalized(raw_text, result.value, result.text, result.confidence, result.issues)
        return Normalized(raw_text, text, text, 0.9, [])
    by_key: dict[str, str] = {}
    for key, label in options.items():
        by_key[comparison_key(str(key))] = str(key)
        by_key[comparison_key(str(label))] = str(key)
    key = comparison_key(text).strip(" .,:;")
    if key in by_key:
        chosen = by_key[key]
        return Normalized(raw_text, chosen, str(options[chosen]), 0.99, []).for_field(field)
    folded = {ascii_key(k): v for k, v in by_key.items()}
    if ascii_key(key) in folded:
        chosen = folded[ascii_key(key)]
        return Normalized(raw_text, chosen, str(options[chosen]), 0.85, []).for_field(field)
    hit = process.extract(key, list(by_key), scorer=fuzz.ratio, limit=2, score_cutoff=75)
    chosen_keys = {by_key[h[0]] for h in hit}
    if len(chosen_keys) == 1:
        chosen = chosen_keys.pop()
        return Normalized(raw_text, chosen, str(options[chosen]), 0.7, []).for_field(field)
    listed = ", ".join(str(v) for v in options.values())
    return Normalized(raw_text, None, text, 0.0, [issue("choice_unknown", field, text=text, options=listed)])


# ------------------------------------------------------------------------------------ ID numbers
# Province codes at the head of a 12-digit CCCD / personal identification number (Thông tư 07/2016/TT-BCA,
# now Thông tư 59/2021/TT-BCA): the GSO province code on three digits.
_PROVINCE_CODES: Final[str] = (
    "01 02 04 06 08 10 11 12 14 15 17 19 20 22 24 25 26 27 30 31 33 34 35 36 37 38 40 42 44 45 46 48 "
    "49 51 52 54 56 58 60 62 64 66 67 68 70 72 74 75 77 79 80 82 83 84 86 87 89 91 92 93 94 95 96"
)
CCCD_PROVINCES: Final[frozenset[str]] = frozenset(f"{int(c):03d}" for c in _PROVINCE_CODES.split())
IdKind = Literal["cmnd", "cccd", "passport"]


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A 9-digit CMND or a 12-digit CCCD / số định danh cá nhân (and the 12-digit CMND of 2012–2016), or a
    passport number (a foreigner's, or a Vietnamese one: one or two letters and 6–9 digits)."""

    kind: IdKind
    number: str
    province_code: str | None = None  # GSO province code (2 digits) of a 12-digit number
    birth_year: int | None = None  # decoded from a 12-digit number
    sex: Sex | None = None  # decoded from a 12-digit number


def _decode_cccd(number: str) -> tuple[str | None, int | None, Sex | None]:
    prefix = number[:3]
    gender_century = int(number[3])
    century = 1900 + 100 * (gender_century // 2)
    sex: Sex = "male" if gender_century % 2 == 0 else "female"
    province = f"{int(prefix):02d}" if prefix in CCCD_PROVINCES else None
    return province, century + int(number[4:6]), sex


#: A passport number: one or two letters, then 6–9 characters that read as digits (OCR's O/I/S… fixed).
PASSPORT = re.compile(r"([A-Za-z]{1,2})(\w{6,9})")
#: A passport number cannot be checked against anything: never more confident than this.
PASSPORT_CONFIDENCE = 0.9


def _passport(compact: str) -> IdNumber | None:
    """``compact`` as a passport number, or None when it does not look like one."""
    match = PASSPORT.fullmatch(compact)
    if match is None:
        return None
    tail = fix_digits(match[2])
    if not (tail.isdigit() and tail.isascii()):
        return None
    return IdNumber("passport", match[1].upper() + tail)


def normalize_id_number(
    raw: str,
    *,
    sex: Any = None,
    birth_year: int | None = None,
    field: str | None = None,
) -> Normalized[IdNumber]:
    """CMND (9 digits) or CCCD (12 digits); for 12 digits the province prefix, and the century/sex digit
    and year digits against ``sex`` and ``birth_year`` when they are given. A text that is neither but reads
    as a passport number (letters, then digits: "E00070932", "B1234567") is one, with a capped confidence."""
    raw_text = _text_of(raw)
    text = clean(raw_text)
    text = re.sub(
        r"^(?:cmnd|cccd|cmt|số|so|sđdcn|số định danh|hộ chiếu|ho chieu|hc)\s*[:.]?\s*", "", text, flags=re.I
    )
    if _blank(text):
        return empty(raw_text)
    compact = re.sub(r"[\s.\-–_/]", "", text)
    digits = fix_digits(compact)
    national = digits.isdigit() and digits.isascii() and len(digits) in (9, 12)
    if not national and (passport := _passport(compact)) is not None:
        return Normalized(raw_text, passport, passport.number, PASSPORT_CONFIDENCE).for_field(field)
    issues: list[Issue] = []
    confidence = 0.99
    if not digits.isdigit() or not any(c.isdigit() for c in compact) or not digits.isascii():
        return Normalized(raw_text, None, text, 0.0, [issue("id_length", field, text=text, length=0)])
    if digits != compact:
        issues.append(issue("id_ocr_fixed", field, before=compact, after=digits))
        confidence = 0.7
    if len(digits) == 9:
        value = IdNumber("cmnd", digits)
        return Normalized(raw_text, value, digits, confidence, issues).for_field(field)
    if len(digits) != 12:
        note = issue("id_length", field, text=digits, length=len(digits))
        return Normalized(raw_text, None, digits, 0.0, [*issues, note])
    province, year, id_sex = _decode_cccd(digits)
    if province is None:
        issues.append(issue("id_province_unknown", field, prefix=digits[:3]))
        confidence = min(confidence, 0.4)
    given_sex = sex_of(sex)
    if given_sex is not None and id_sex is not None and given_sex != id_sex:
        issues.append(issue("id_sex_mismatch", field, id_sex=SEX_TEXT[id_sex], sex=SEX_TEXT[given_sex]))
        confidence = min(confidence, 0.4)
    if isinstance(birth_year, int) and year is not None and birth_year != year:
        issues.append(issue("id_birth_year_mismatch", field, id_year=year, year=birth_year))
        confidence = min(confidence, 0.4)
    value = IdNumber("cccd", digits, province, year, id_sex)
    return Normalized(raw_text, value, digits, confidence, issues).for_field(field)
