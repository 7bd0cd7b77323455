"""Places: ``xã …, huyện …, tỉnh …`` (abbreviated, OCR-damaged, old or new names) matched to a gazetteer.

Gazetteer (built once):
* the 63 provinces before 1/7/2025 and the 34 after, with common aliases, and the merged provinces of
  1976–1996 (``normalize/data/provinces.json``);
* Cao Bằng's districts and communes in force until 30/6/2025, from ``sohoa.config.offices()``;
* Cao Bằng's former units: the districts abolished in 2020 (Thông Nông, Trà Lĩnh, Quảng Uyên, Phục Hòa)
  and communes merged or renamed in 2019–2020 (``normalize/data/cao_bang_former.json``);
* Cao Bằng's 56 commune-level units from 1/7/2025 (``normalize/data/cao_bang_2025.json``).

Names are compared on :func:`normalize.text.loose_key` (case, tone placement and final y/i ignored), then
without diacritics, then with rapidfuzz on those keys. Outside Cao Bằng only the province is checked.
An unknown place keeps its text and gets the issue ``place_unknown``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from rapidfuzz import fuzz, process

from normalize.dates import PartialDate
from normalize.result import Issue, Normalized, clamp, empty, issue
from normalize.text import (
    clean,
    comparison_key,
    loose_key,
    modern_tone_placement,
    strip_diacritics,
    title_word,
)

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"
CAO_BANG: Final[str] = "04"
REFORM_2025: Final[dt.date] = dt.date(2025, 7, 1)

Level = Literal["province", "district", "commune"]
Period = Literal["pre2025", "former", "2025"]
Hint = Literal["commune", "district", "city", "province", "detail"]
_LEVEL_WORD: Final[dict[str, str]] = {"province": "tỉnh", "district": "huyện", "commune": "xã"}


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative unit of the gazetteer."""

    code: str
    name: str  # display spelling (modern tone placement)
    kind: str  # xã | phường | thị trấn | huyện | quận | thị xã | thành phố | tỉnh
    level: Level
    parent: str | None  # district code of a commune (None for 2025 communes), province code of a district
    period: Period

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Place:
    """A place resolved against the gazetteer. Codes are GSO codes of the unit's period."""

    province_code: str | None
    district_code: str | None
    commune_code: str | None
    name: str  # canonical full text, e.g. "xã Hưng Đạo, huyện Bảo Lạc, tỉnh Cao Bằng"
    period: Period | None = None  # period of the most precise unit found
    detail: str | None = None  # village, street or facility before the units (verbatim)


# ----------------------------------------------------------------------------------------- gazetteer
def place_key(name: str) -> str:
    """Key of a unit name: case, tone placement, hyphens and final y/i ignored (``Hồng Sỹ`` = ``hồng sĩ``)."""
    return loose_key(name.replace("-", " ").replace("–", " "))


class _Pool:
    """Units searchable by name: exact key, diacritics-free key, then fuzzy."""

    def __init__(self, units: Iterable[tuple[str, Unit]]) -> None:
        self.exact: dict[str, list[Unit]] = {}
        self.folded: dict[str, list[Unit]] = {}
        for name, unit in units:
            key = place_key(name)
            for table, k in ((self.exact, key), (self.folded, strip_diacritics(key))):
                bucket = table.setdefault(k, [])
                if unit not in bucket:
                    bucket.append(unit)
        self.keys: tuple[str, ...] = tuple(self.exact)

    def match(self, name: str, *, fuzzy: bool = True) -> tuple[list[Unit], float, str]:
        """Units named ``name``: exactly, then without diacritics, then (``fuzzy``) by rapidfuzz ratio."""
        key = place_key(name)
        if not key:
            return [], 0.0, ""
        if key in self.exact:
            return list(self.exact[key]), 0.98, "exact"
        folded = strip_diacritics(key)
        if folded in self.folded:
            return list(self.folded[folded]), 0.85, "folded"
        if not fuzzy or len(key) < 4 or not self.keys:
            return [], 0.0, ""
        cutoff = 85 if len(key) >= 8 else 90
        hits = process.extract(key, self.keys, scorer=fuzz.ratio, limit=4, score_cutoff=cutoff)
        if not hits:
            return [], 0.0, ""
        best = hits[0][1]
        units: list[Unit] = []
        for hit_key, score, _ in hits:
            if score >= best - 5:
                units.extend(u for u in self.exact[hit_key] if u not in units)
        return units, 0.85 * best / 100, "fuzzy"


@dataclass(frozen=True)
class _FormerProvince:
    name: str
    successors: tuple[str, ...]
    years: str


@dataclass
class _Gazetteer:
    provinces: _Pool
    province_by_code: dict[str, Unit]
    former_provinces: dict[str, _FormerProvince]
    districts: list[_Pool]  # pre2025 first, then former and other names
    communes_in_district: dict[str, list[_Pool]]
    communes: dict[Period, _Pool]
    district_by_code: dict[str, Unit]  # the pre-2025 district of a code, else its former one
    former_district_by_code: dict[str, Unit]  # the district a former commune belonged to


def _load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _current_cao_bang() -> tuple[list[Unit], list[Unit]]:
    """Districts and communes of configs/offices.yaml (empty when the config cannot be read)."""
    try:
        from sohoa.config import offices

        rows = offices()
    except Exception:  # a broken config must not break normalization
        return [], []
    districts = [
        Unit(o.code, modern_tone_placement(o.name), o.kind, "district", o.parent_code, "pre2025")
        for o in rows
        if o.level == "district"
    ]
    communes = [
        Unit(o.code, modern_tone_placement(o.name), o.kind, "commune", o.parent_code, "pre2025")
        for o in rows
        if o.level == "commune"
    ]
    return districts, communes


@cache
def gazetteer() -> _Gazetteer:
    prov_doc = _load("provinces.json")
    province_units = [
        Unit(p["code"], modern_tone_placement(p["name"]), p["kind"], "province", None, "pre2025")
        for p in prov_doc["provinces"]
    ]
    by_code = {u.code: u for u in province_units}
    names: list[tuple[str, Unit]] = [(u.name, u) for u in province_units]
    names += [(a["alias"], by_code[a["code"]]) for a in prov_doc["aliases"]]
    names += [(p["name"], by_code[p["code"]]) for p in prov_doc["provinces_2025"]]
    former = {
        place_key(p["name"]): _FormerProvince(p["name"], tuple(p["successor_codes"]), p["years"])
        for p in prov_doc["former_provinces"]
    }

    current_districts, current_communes = _current_cao_bang()
    old = _load("cao_bang_former.json")
    former_districts = [
        Unit(d["code"], modern_tone_placement(d["name"]), d["kind"], "district", CAO_BANG, "former")
        for d in old["former_districts"]
    ]
    alias_districts = [
        Unit(d["code"], modern_tone_placement(d["name"]), d["kind"], "district", CAO_BANG, "former")
        for d in old["district_aliases"]
    ]
    former_communes = [
        Unit(c["code"], modern_tone_placement(c["name"]), c["kind"], "commune", c["district_code"], "former")
        for c in old["former_communes"]
    ]
    new_doc = _load("cao_bang_2025.json")
    communes_2025 = [
        Unit(c["code"], modern_tone_placement(c["name"]), c["kind"], "commune", None, "2025")
        for c in new_doc["communes"]
    ]
    district_by_code = {u.code: u for u in former_districts}
    district_by_code.update({u.code: u for u in current_districts})
    in_district: dict[str, list[_Pool]] = {}
    for code in {u.code for u in current_districts + former_districts}:
        now = [(u.name, u) for u in current_communes if u.parent == code]
        then = [(u.name, u) for u in former_communes if u.parent == code]
        in_district[code] = [_Pool(now), _Pool(then)]
    return _Gazetteer(
        provinces=_Pool(names),
        province_by_code=by_code,
        former_provinces=former,
        districts=[
            _Pool((u.name, u) for u in current_districts),
            _Pool((u.name, u) for u in former_districts + alias_districts),
        ],
        communes_in_district=in_district,
        district_by_code=district_by_code,
        former_district_by_code={u.code: u for u in former_districts},
        communes={
            "pre2025": _Pool((u.name, u) for u in current_communes),
            "former": _Pool((u.name, u) for u in former_communes),
            "2025": _Pool((u.name, u) for u in communes_2025),
        },
    )


def units(level: Level | None = None) -> list[Unit]:
    """Every unit of the gazetteer (optionally of one level), for listings and tests."""
    g = gazetteer()
    seen: dict[tuple[str, str, str], Unit] = {}
    pools = [g.provinces, *g.districts, *g.communes.values()]
    for pool in pools:
        for bucket in pool.exact.values():
            for u in bucket:
                seen.setdefault((u.code, u.name, u.period), u)
    return [u for u in seen.values() if level is None or u.level == level]


# ----------------------------------------------------------------------------------------- parsing
_KEYWORDS: Final[dict[tuple[str, ...], Hint]] = {
    ("xã",): "commune", ("phường",): "commune", ("thị", "trấn"): "commune", ("tt",): "commune",
    ("tt.",): "commune", ("x.",): "commune", ("p.",): "commune",
    ("huyện",): "district", ("quận",): "district", ("thị", "xã"): "district", ("tx",): "district",
    ("tx.",): "district", ("h.",): "district", ("q.",): "district",
    ("thành", "phố"): "city", ("tp",): "city", ("tp.",): "city",
    ("tỉnh",): "province", ("t.",): "province",
}  # fmt: skip
_ASCII_KEYWORDS: Final[dict[tuple[str, ...], Hint]] = {
    ("xa",): "commune", ("phuong",): "commune", ("thi", "tran"): "commune",
    ("huyen",): "district", ("quan",): "district", ("thi", "xa"): "district",
    ("thanh", "pho"): "city", ("tinh",): "province",
}  # fmt: skip
_DETAIL_KEYWORDS: Final[frozenset[tuple[str, ...]]] = frozenset(
    tuple(k.split())
    for k in (
        "thôn", "xóm", "bản", "làng", "ấp", "tổ", "tổ dân phố", "khu", "khu phố", "khối", "phố", "số nhà",
        "số", "đường", "ngõ", "ngách", "hẻm", "bệnh viện", "bv", "bv.", "trạm y tế", "tyt", "trung tâm y tế",
        "ttyt", "nhà hộ sinh", "phòng khám", "tại nhà", "thon", "xom", "to",
    )
)  # fmt: skip
_KIND_WORD: Final[dict[tuple[str, ...], str]] = {
    ("tt",): "thị trấn", ("tt.",): "thị trấn", ("x.",): "xã", ("p.",): "phường", ("tx",): "thị xã",
    ("tx.",): "thị xã", ("h.",): "huyện", ("q.",): "quận", ("tp",): "thành phố", ("tp.",): "thành phố",
    ("t.",): "tỉnh", ("xa",): "xã", ("phuong",): "phường", ("thi", "tran"): "thị trấn", ("huyen",): "huyện",
    ("quan",): "quận", ("thi", "xa"): "thị xã", ("thanh", "pho"): "thành phố", ("tinh",): "tỉnh",
}  # fmt: skip
_MAX_KW = 4
_ABBREV = re.compile(r"(?i)(?<![^\s,;])(t\.p|tt|tx|tp|x|p|h|q|t)\.(?=[^\s.,;])")
_TP_DOTTED = re.compile(r"(?i)(?<![^\s,;])t\.p\.?(?=\s|$|[^\s.,;])")
_SEGMENTS = re.compile(r"[,;\n]+|\s+[-–—]\s+")
# Province names written with a dash, kept whole before dashes are read as separators.
_DASHED_NAMES = re.compile(
    r"(?i)\b(b[àa] r[ịi]a|th[ừu]a thi[êe]n|qu[ảa]ng nam|gia lai)\s*[-–]\s*"
    r"(?=v[ũu]ng t[àa]u|hu[ếe]|[đd][àa] n[ẵa]ng|kon tum)"
)
_EDGE: Final[str] = " .:-–—_/\\|()[]\"'“”"


@dataclass(frozen=True, slots=True)
class _Part:
    hint: Hint | None
    kind_word: str | None  # how the book named the level (xã, thị trấn …), for unknown parts
    name: str
    text: str  # the part as written (cleaned), for detail


def _keyword_at(keys: list[str], i: int, ascii_only: bool) -> tuple[tuple[str, ...], Hint] | None:
    """The level keyword starting at token ``i`` (longest first), if one is there and a name follows."""
    for size in range(min(_MAX_KW, len(keys) - i), 0, -1):
        cand = tuple(keys[i : i + size])
        hint: Hint | None = _KEYWORDS.get(cand)
        if hint is None and ascii_only:
            hint = _ASCII_KEYWORDS.get(cand)
        if hint is None and i == 0 and cand in _DETAIL_KEYWORDS:
            hint = "detail"
        if hint is not None and (i + size < len(keys) or hint == "detail"):
            return cand, hint
    return None


def _segment_parts(tokens: list[str], ascii_only: bool) -> list[_Part]:
    keys = [comparison_key(t) for t in tokens]
    parts: list[_Part] = []
    hint: Hint | None = None
    kind: str | None = None
    names: list[str] = []
    start = 0

    def close(end: int) -> None:
        name = " ".join(names).strip(_EDGE)
        written = " ".join(tokens[start:end]).strip(_EDGE)
        if name or (hint == "detail" and written):
            parts.append(_Part(hint, kind, name, written))

    i = 0
    while i < len(tokens):
        # a keyword opens a new part at the start, or once the current part has a name
        found = _keyword_at(keys, i, ascii_only) if i == 0 or names else None
        if found is None:
            names.append(tokens[i])
            i += 1
            continue
        cand, new_hint = found
        if i > 0:
            close(i)
        start, hint, kind = i, new_hint, _KIND_WORD.get(cand, " ".join(cand))
        names = list(tokens[i : i + len(cand)]) if new_hint == "detail" else []
        i += len(cand)
    close(len(tokens))
    return parts


def _split_parts(text: str) -> list[_Part]:
    text = _DASHED_NAMES.sub(lambda m: m.group(1) + "-", text)
    text = _TP_DOTTED.sub("TP.", text)
    text = _ABBREV.sub(lambda m: m.group(0) + " ", text)
    ascii_only = text.isascii()
    parts: list[_Part] = []
    for segment in _SEGMENTS.split(text):
        tokens = segment.split()
        if tokens:
            parts.extend(_segment_parts(tokens, ascii_only))
    return parts


# ----------------------------------------------------------------------------------------- resolving
@dataclass
class _Resolution:
    province: Unit | None = None
    former_province: _FormerProvince | None = None
    district: Unit | None = None
    commune: Unit | None = None
    shown: dict[str, str] = field(default_factory=dict)  # level -> canonical text part
    detail: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    confidence: float = 1.0
    province_text: str | None = None  # written province that is outside the gazetteer
    unknown: int = 0


def _display_name(name: str) -> str:
    return " ".join(title_word(modern_tone_placement(w)) for w in name.split())


def _note_match(res: _Resolution, name: str, unit: Unit, conf: float, method: str) -> None:
    res.confidence = min(res.confidence, conf)
    if method == "fuzzy" or (method == "folded" and place_key(name) != place_key(unit.name)):
        res.issues.append(issue("place_fuzzy", name=name, canonical=unit.label))
    if unit.period == "former":
        res.issues.append(issue("place_former_unit", canonical=unit.label))


def _pick(units_found: list[Unit]) -> list[Unit]:
    """Distinct units (a code met under several names in one period counts once)."""
    out: dict[tuple[str, Period], Unit] = {}
    for u in units_found:
        out.setdefault((u.code, u.period), u)
    return list(out.values())


_CITY_PROVINCES: Final[frozenset[str]] = frozenset({"01", "31", "46", "48", "79", "92"})


def _match_province(res: _Resolution, part: _Part) -> bool:
    g = gazetteer()
    found, conf, method = g.provinces.match(part.name)
    found = _pick(found)
    if part.hint == "city":
        found = [u for u in found if u.code in _CITY_PROVINCES]
    if len(found) == 1:
        unit = found[0]
        res.province = unit
        _note_match(res, part.name, unit, conf, method)
        return True
    former = g.former_provinces.get(place_key(part.name))
    if former is not None and part.hint != "city":
        res.former_province = former
        successors = ", ".join(g.province_by_code[c].name for c in former.successors)
        res.issues.append(issue("place_former_province", name=former.name, successors=successors))
        res.confidence = min(res.confidence, 0.9)
        return True
    return False


def _in_cao_bang(res: _Resolution, default_province: str | None) -> bool:
    if res.province_text is not None:
        return False
    if res.province is not None:
        return res.province.code == CAO_BANG
    if res.former_province is not None:
        return CAO_BANG in res.former_province.successors
    return default_province == CAO_BANG


def _passes(pools: list[_Pool]) -> list[tuple[_Pool, bool]]:
    """Exact and diacritics-free matches in every pool before any fuzzy match."""
    return [(p, False) for p in pools] + [(p, True) for p in pools]


def _match_district(res: _Resolution, part: _Part) -> bool:
    for pool, fuzzy in _passes(gazetteer().districts):
        found, conf, method = pool.match(part.name, fuzzy=fuzzy)
        if fuzzy and method != "fuzzy":
            continue
        found = _pick(found)
        if part.hint == "city":
            found = [u for u in found if u.kind in ("thành phố", "thị xã")] or found
        if len(found) == 1:
            res.district = found[0]
            _note_match(res, part.name, found[0], conf, method)
            return True
        if len(found) > 1:
            break
    return False


def _match_commune(res: _Resolution, part: _Part, prefer_2025: bool) -> bool:
    g = gazetteer()
    pools: list[_Pool]
    if res.district is not None:
        pools = g.communes_in_district.get(res.district.code, [])
    elif prefer_2025:
        pools = [g.communes["2025"], g.communes["pre2025"], g.communes["former"]]
    else:
        pools = [g.communes["pre2025"], g.communes["former"], g.communes["2025"]]
    for pool, fuzzy in _passes(pools):
        found, conf, method = pool.match(part.name, fuzzy=fuzzy)
        if fuzzy and method != "fuzzy":
            continue
        found = _pick(found)
        if part.hint == "commune" and part.kind_word in ("phường", "thị trấn", "xã") and len(found) > 1:
            same_kind = [u for u in found if u.kind == part.kind_word]
            found = same_kind or found
        if len(found) == 1:
            unit = found[0]
            res.commune = unit
            _note_match(res, part.name, unit, conf, method)
            if res.district is None and unit.parent is not None:
                older = g.former_district_by_code.get(unit.parent) if unit.period == "former" else None
                res.district = older or g.district_by_code.get(unit.parent)
            return True
        if len(found) > 1:
            where = ", ".join(
                f"{u.label} ({_district_name(u.parent)})" if u.parent else u.label for u in found[:4]
            )
            level = "xã"
            res.issues.append(issue("place_ambiguous", level=level, name=part.name, candidates=where))
            res.confidence = min(res.confidence, 0.4)
            res.shown["commune"] = f"{part.kind_word or 'xã'} {_display_name(part.name)}"
            return True
    return False


def _district_name(code: str | None) -> str:
    unit = gazetteer().district_by_code.get(code or "")
    return unit.label if unit is not None else (code or "")


def _unknown(res: _Resolution, part: _Part, level: str, conf: float) -> None:
    """Keep a part that is not in the gazetteer, as written (with its level word when it had one)."""
    name = _display_name(part.name)
    res.shown[level] = f"{part.kind_word} {name}" if part.kind_word else name
    res.unknown += 1
    res.confidence = min(res.confidence, conf)


def _known_exactly(name: str) -> bool:
    g = gazetteer()
    key = place_key(name)
    pools = [g.provinces, *g.districts, *g.communes.values()]
    return any(key in pool.exact for pool in pools)


def _split_run_on(parts: list[_Part]) -> list[_Part]:
    """Split names written without commas: ``phường Sông Hiến Cao Bằng`` → phường Sông Hiến | Cao Bằng."""
    g = gazetteer()
    out: list[_Part] = []
    for part in parts:
        tokens = part.name.split()
        if part.hint == "detail" or len(tokens) < 3 or _known_exactly(part.name):
            out.append(part)
            continue
        tail: list[_Part] = []
        for pools in ([g.provinces], g.districts):
            for size in range(min(4, len(tokens) - 1), 0, -1):
                suffix = " ".join(tokens[-size:])
                if any(place_key(suffix) in pool.exact for pool in pools):
                    tail.insert(0, _Part(None, None, suffix, suffix))
                    tokens = tokens[:-size]
                    break
            if len(tokens) < 2:
                break
        if not tail:
            out.append(part)
            continue
        head = " ".join(tokens)
        written = f"{part.kind_word} {head}" if part.kind_word else head
        out.extend([_Part(part.hint, part.kind_word, head, written), *tail])
    return out


def _resolve(parts: list[_Part], default_province: str | None, prefer_2025: bool) -> _Resolution:
    """Assign parts to levels from the right (province, district, commune); what is left is detail."""
    parts = _split_run_on(parts)
    res = _Resolution()
    level = "province"
    leftover: list[str] = []
    for part in reversed([p for p in parts if p.hint != "detail"]):
        if level == "detail":
            leftover.insert(0, part.text)
            continue
        hint = part.hint
        target = {"province": "province", "district": "district", "commune": "commune"}.get(hint or "", level)
        if hint == "city":
            target = "province" if level == "province" else "district"
        if target == "province":
            if _match_province(res, part):
                level = "district"
                continue
            if hint == "province":
                _unknown(res, part, "province", 0.6)
                res.province_text = part.name
                level = "district"
                continue
            target = level = "district"
        cb = _in_cao_bang(res, default_province)
        outside = not cb and (res.province is not None or res.province_text is not None)
        if target == "district":
            if cb and _match_district(res, part):
                level = "commune"
                continue
            if hint in ("district", "city") or outside:
                if cb:
                    res.issues.append(issue("place_part_unknown", level="huyện", name=part.name))
                _unknown(res, part, "district", 0.6 if cb else 0.8)
                level = "commune"
                continue
            target = level = "commune"
        if target == "commune":
            if cb and _match_commune(res, part, prefer_2025):
                level = "detail"
                continue
            if hint == "commune" or outside:
                if cb:
                    res.issues.append(issue("place_part_unknown", level="xã", name=part.name))
                _unknown(res, part, "commune", 0.6 if cb else 0.8)
                level = "detail"
                continue
        leftover.insert(0, part.text)
        level = "detail"
    res.detail = leftover + [p.text for p in parts if p.hint == "detail"]
    return res


def _canonical(res: _Resolution, default_province: str | None) -> tuple[Place | None, str]:
    g = gazetteer()
    province = res.province
    derived = res.district is not None or res.commune is not None
    if province is None and derived and (res.former_province is None or _in_cao_bang(res, default_province)):
        province = g.province_by_code.get(CAO_BANG)
    shown: list[str] = list(res.detail)
    if res.commune is not None:
        shown.append(res.commune.label)
    elif "commune" in res.shown:
        shown.append(res.shown["commune"])
    if res.district is not None and not (res.commune is not None and res.commune.period == "2025"):
        shown.append(res.district.label)
    elif "district" in res.shown:
        shown.append(res.shown["district"])
    if res.former_province is not None and res.province is None:
        shown.append(f"tỉnh {res.former_province.name}")
    elif province is not None:
        shown.append(province.label)
    elif "province" in res.shown:
        shown.append(res.shown["province"])
    text = ", ".join(s for s in shown if s)
    if province is None and res.district is None and res.commune is None and res.former_province is None:
        return None, text
    most = res.commune or res.district or province
    place = Place(
        province_code=province.code if province is not None else None,
        district_code=res.district.code if res.district is not None else None,
        commune_code=res.commune.code if res.commune is not None else None,
        name=text,
        period=most.period if most is not None else None,
        detail=", ".join(res.detail) or None,
    )
    return place, text


@lru_cache(maxsize=131072)
def _normalize_cached(
    text: str, default_province: str | None, prefer_2025: bool
) -> tuple[Place | None, str, float, tuple[Issue, ...]]:
    parts = _split_parts(text)
    res = _resolve(parts, default_province, prefer_2025)
    place, shown = _canonical(res, default_province)
    issues = list(res.issues)
    if place is None:
        kept = [i for i in issues if i.code != "place_part_unknown"]
        return None, text, 0.0, (*kept, issue("place_unknown", text=text))
    if place.province_code not in (None, CAO_BANG):
        province = gazetteer().province_by_code[place.province_code]
        if res.unknown or res.detail:
            issues.append(issue("place_outside_gazetteer", province=province.label))
    confidence = res.confidence
    if res.detail and place.commune_code is None and place.district_code is None:
        confidence = min(confidence, 0.8)
    return place, shown, clamp(confidence), tuple(issues)


def normalize_place(
    raw: str,
    *,
    default_province: str | None = CAO_BANG,
    on_date: dt.date | PartialDate | None = None,
    field: str | None = None,
) -> Normalized[Place]:
    """A place of birth, home town or residence. Never raises.

    ``default_province``: where to look for a district or commune written without a province (Cao Bằng).
    ``on_date``: the registration date; from 1/7/2025 a commune named without a district is first looked
    for among the 2025 units.
    """
    raw_text = raw if isinstance(raw, str) else ""
    text = clean(raw_text).strip(_EDGE + ",;")
    if not text or not text.strip(".-_/…· "):
        return empty(raw_text)
    when: dt.date | None = None
    if isinstance(on_date, PartialDate):
        when = on_date.earliest()
    elif isinstance(on_date, dt.date):
        when = on_date
    prefer_2025 = when is not None and when >= REFORM_2025
    place, shown, confidence, issues = _normalize_cached(text, default_province, prefer_2025)
    return Normalized(raw_text, place, shown, confidence, list(issues)).for_field(field)
