"""The synthetic population's vocabulary: constants, the public data classes, the reference data
(names, places, eras, ethnic mixes) and small helpers shared by the simulation modules."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from samples import vn_text
from sohoa import config
from sohoa.errors import ConfigError
from sohoa.fields import BOOK_TYPES

DATA_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "data"
LAST_DAY: Final[dt.date] = dt.date(2025, 6, 30)  # last day of the 3-level units of configs/offices.yaml
BASE_POPULATION: Final[int] = 5000  # residents of a scale-1.0 commune around the year 2000
DEFAULT_COMMUNES: Final[int] = 4
RARE_BOOK_TYPES: Final[tuple[str, ...]] = ("parent_recognition", "marital_status", "other")

NAM: Final[str] = "Nam"
NU: Final[str] = "Nữ"
VIETNAM: Final[str] = "Việt Nam"
CHINA: Final[str] = "Trung Quốc"
CHINA_PLACE: Final[str] = "CN"

ETHNIC_GROUPS: Final[tuple[str, ...]] = ("Tày", "Nùng", "Mông", "Dao", "Kinh", "Sán Chay", "Lô Lô", "Hoa")
_HIGHLAND: Final[frozenset[str]] = frozenset({"Mông", "Dao", "Lô Lô"})
_CLAN_EXOGAMY: Final[frozenset[str]] = frozenset({"Mông", "Dao"})

DEATH_CAUSES_INFANT: Final[tuple[str, ...]] = ("Ốm đau", "Sốt cao", "Viêm phổi", "Tiêu chảy", "Sinh non")
DEATH_CAUSES_CHILD: Final[tuple[str, ...]] = ("Ốm đau", "Sốt cao", "Viêm phổi", "Đuối nước", "Sốt rét", "Sởi")
DEATH_CAUSES_ADULT: Final[tuple[str, ...]] = (
    "Ốm đau",
    "Ung thư",
    "Lao phổi",
    "Bệnh tim",
    "Xơ gan",
    "Tai biến mạch máu não",
    "Sốt rét",
)
DEATH_CAUSES_OLD: Final[tuple[tuple[str, int], ...]] = (
    ("Bệnh già", 40),
    ("Ốm đau", 20),
    ("Ung thư", 10),
    ("Tai biến mạch máu não", 10),
    ("Cao huyết áp", 6),
    ("Bệnh tim", 6),
    ("Viêm phổi", 8),
)
_OLD_CAUSES: Final[tuple[str, ...]] = tuple(c for c, _w in DEATH_CAUSES_OLD)
_OLD_CAUSES_CUM: Final[tuple[float, ...]] = tuple(
    float(sum(w for _c, w in DEATH_CAUSES_OLD[: i + 1])) for i in range(len(DEATH_CAUSES_OLD))
)
PURPOSE_MARRIAGE: Final[str] = "Để làm thủ tục đăng ký kết hôn"
PURPOSE_FOREIGN: Final[str] = "Để làm thủ tục kết hôn với người nước ngoài"
PURPOSES_OTHER: Final[tuple[str, ...]] = (
    "Để bổ sung hồ sơ vay vốn",
    "Để bổ sung hồ sơ vay vốn ngân hàng",
    "Để làm thủ tục chuyển nhượng quyền sử dụng đất",
    "Để làm thủ tục mua bán nhà đất",
    "Để bổ sung hồ sơ xin việc",
    "Để bổ sung hồ sơ đi xuất khẩu lao động",
    "Để làm thủ tục nhận thừa kế",
)
STATUS_SINGLE: Final[str] = "Chưa đăng ký kết hôn với ai"
STATUS_DIVORCED: Final[str] = "Đã ly hôn, chưa kết hôn lại"
NOTE_REREGISTRATION: Final[str] = "Đăng ký lại"

_ABBR: Final[dict[str, str]] = {
    "xã": "X.",
    "phường": "P.",
    "thị trấn": "TT.",
    "huyện": "H.",
    "quận": "Q.",
    "thị xã": "TX.",
    "thành phố": "TP.",
    "tỉnh": "",
}
_CITY_DATE: Final[dt.date] = dt.date(2012, 9, 25)  # thị xã Cao Bằng became thành phố Cao Bằng (NQ 60/NQ-CP)
_CAMPAIGN: Final[tuple[dt.date, dt.date]] = (dt.date(1999, 1, 1), dt.date(2005, 12, 31))
_DE_FACTO: Final[tuple[dt.date, dt.date]] = (dt.date(2001, 1, 1), dt.date(2003, 12, 31))
_LAW_2016: Final[dt.date] = dt.date(2016, 1, 1)
_YEAR: Final[float] = 365.2425
_FAR: Final[int] = dt.date.max.toordinal()
_AGE14: Final[int] = round(14 * _YEAR)
_AGE18: Final[int] = round(18 * _YEAR)
_ORD_1978: Final[int] = dt.date(1978, 1, 1).toordinal()
_ORD_1999: Final[int] = dt.date(1999, 1, 1).toordinal()
_CCCD_WAVES: Final[tuple[tuple[int, int], ...]] = tuple(
    (dt.date(a, 1, 1).toordinal(), dt.date(*b).toordinal())
    for a, b in (
        (2016, (2020, 12, 31)),
        (2021, (2021, 12, 31)),
        (2022, (2022, 12, 31)),
        (2023, (2025, 6, 30)),
    )
)


# =========================================================================== public data classes
@dataclass(eq=False, slots=True)
class Person:
    """One simulated person: the ground truth behind the names in the books.

    Names, ethnicity and residence can change over time: use :meth:`name_on`, :meth:`ethnicity_on`,
    :meth:`residence_on`, :meth:`id_number_on` for the value on a given day.
    """

    id: str  # "P" + 7 digits
    sex: str  # "Nam" | "Nữ"
    family_name: str
    middle_name: str  # "" when none
    given_name: str  # one or two syllables
    birth_date: dt.date
    birth_date_known: bool  # False: only the year is known (records write "yyyy")
    birth_commune: str  # office code of the commune of birth, "" when born outside the province
    birth_place: str  # place key: a commune code, "X<n>" (data/places_outside.tsv) or "CN" (China)
    ethnicity: str  # group at birth (see ethnicity_on)
    nationality: str
    father_id: str | None  # biological father (None: unknown)
    mother_id: str | None
    home_town: str  # place key of the quê quán
    death_date: dt.date | None = None  # None: alive on the last simulated day
    death_cause: str = ""
    birth_facility: str = ""  # "" at home, "station", "district", "province"
    father_on_birth_record: bool = True  # False: the birth record leaves the father blank
    cmnd: str = ""  # 9-digit identity card number ("" if never issued)
    cmnd_issued: dt.date | None = None
    cccd: str = ""  # 12-digit personal identification number (also the CCCD number); "" if born before 1900
    cccd_from: dt.date | None = None  # first day it is written in records (CCCD issue or 2016+ birth)
    name_changes: list[tuple[dt.date, str, str, str]] = field(
        default_factory=list
    )  # (from, family, middle, given)
    ethnicity_changes: list[tuple[dt.date, str]] = field(default_factory=list)  # (from, group)
    residences: list[tuple[dt.date, str, str]] = field(default_factory=list)  # (from, place key, hamlet)
    children: list[str] = field(default_factory=list)
    unions: list[int] = field(default_factory=list)  # indices into Population.unions

    @property
    def full_name(self) -> str:
        """The name at birth."""
        return _join_name(self.family_name, self.middle_name, self.given_name)

    @property
    def residence_commune(self) -> str:
        """The last commune of residence in the province ("" if the person left the province)."""
        key = self.residences[-1][1] if self.residences else ""
        return key if key[:1].isdigit() else ""

    @property
    def birth_year(self) -> int:
        return self.birth_date.year

    def name_on(self, day: dt.date) -> str:
        family, middle, given = self.family_name, self.middle_name, self.given_name
        for start, f, m, g in self.name_changes:
            if start <= day:
                family, middle, given = f, m, g
        return _join_name(family, middle, given)

    def family_name_on(self, day: dt.date) -> str:
        family = self.family_name
        for start, f, _m, _g in self.name_changes:
            if start <= day:
                family = f
        return family

    def ethnicity_on(self, day: dt.date) -> str:
        group = self.ethnicity
        for start, g in self.ethnicity_changes:
            if start <= day:
                group = g
        return group

    def residence_on(self, day: dt.date) -> tuple[str, str]:
        """(place key, hamlet) on ``day`` (the first residence before it)."""
        key, hamlet = self.residences[0][1], self.residences[0][2]
        for start, k, h in self.residences:
            if start > day:
                break
            key, hamlet = k, h
        return key, hamlet

    def alive_on(self, day: dt.date) -> bool:
        return self.birth_date <= day and (self.death_date is None or day < self.death_date)

    def age_on(self, day: dt.date) -> float:
        return (day.toordinal() - self.birth_date.toordinal()) / _YEAR

    def id_number_on(self, day: dt.date) -> str:
        if self.cccd_from is not None and day >= self.cccd_from:
            return self.cccd
        if self.cmnd_issued is not None and day >= self.cmnd_issued:
            return self.cmnd
        return ""


@dataclass(eq=False, slots=True)
class Union:
    """A couple living together; ``registered`` is the date of the marriage registration (None: never)."""

    index: int
    husband: str
    wife: str
    start: dt.date
    registered: dt.date | None
    office: str  # office that registered it ("" elsewhere, abroad or before the simulation)
    foreign: bool = False  # registered abroad (China); recorded by a "ghi chú kết hôn"
    end: dt.date | None = None
    end_reason: str = ""  # "" | "death" | "divorce"

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def registered_on(self, day: dt.date) -> bool:
        return self.registered is not None and self.registered <= day and self.active_on(day)


@dataclass(frozen=True)
class SampleRecord:
    book_type: str  # one of sohoa.fields.BOOK_TYPES
    era: str  # era id
    office: str  # registering office code (commune or district)
    registration_date: dt.date
    fields: dict[str, str]  # every key of FIELDS_BY_BOOK_TYPE[book_type] -> true text
    persons: dict[str, str]  # role -> ground-truth person id, for every role that names a person


@dataclass(frozen=True)
class SampleBook:
    office: str
    book_type: str
    era: str
    records: list[SampleRecord]  # sorted by registration date, all registered by `office`, inside the era


@dataclass(frozen=True)
class Rates:
    """Knobs of the simulation. Rare events are deliberately frequent (test data, not demography)."""

    unregistered_union: float = 1.0  # multiplier of the share of unions not registered at once
    recognition: float = 0.7  # chance that a child born without a father on record is recognized
    combined_recognition: float = 0.5  # 2016+: birth and recognition registered together
    premarital_birth: float = 0.05  # chance that a woman has a child before her first union
    family_name_change: float = 0.55  # after a recognition, change to the father's family name
    given_name_change: float = 0.004  # per person-year (ages 1-60, from 1976)
    ethnicity_change: float = 0.1  # chance for a child of a mixed couple
    guardianship: float = 0.7  # chance that an orphan gets a registered guardian
    adult_guardianship: float = 0.0012  # per adult person-year
    divorce: float = 1.0  # multiplier of divorce probabilities
    certificate: float = 0.02  # marital-status certificates per adult person-year (from 1999)
    late_death_registration: float = 0.35  # chance that an unregistered death is registered later
    lost_book: float = 0.04  # chance that a record before 2006 is lost and registered again


# =========================================================================== small helpers
def _join_name(family: str, middle: str, given: str) -> str:
    return " ".join(p for p in (family, middle, given) if p)


def _d(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


def _years(value: float) -> int:
    return round(value * _YEAR)


def _add_years(day: dt.date, years: float) -> dt.date:
    return _d(day.toordinal() + _years(years))


def _birthday(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _ri(rng: random.Random, a: int, b: int) -> int:
    """A uniform integer in [a, b] (``randint`` without its overhead)."""
    return a + int(rng.random() * (b - a + 1))


def _between(rng: random.Random, a: dt.date, b: dt.date) -> dt.date:
    lo, hi = a.toordinal(), b.toordinal()
    if hi <= lo:
        return a
    return _d(lo + int(rng.random() * (hi - lo + 1)))


def _choice_weighted(rng: random.Random, items: tuple[str, ...], cum: tuple[float, ...]) -> str:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _cumulative(weights: Iterable[float]) -> tuple[float, ...]:
    out: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _period(year: int) -> str:
    return "old" if year < 1975 else ("mid" if year < 1995 else "modern")


def _name_group(ethnicity: str) -> str:
    return "mong" if ethnicity == "Mông" else ("dao" if ethnicity == "Dao" else "common")


# =========================================================================== data files
@dataclass(frozen=True)
class _Names:
    family: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]
    given: dict[tuple[str, str, str], tuple[str, ...]]
    middle: dict[tuple[str, str, str], tuple[tuple[str, ...], tuple[float, ...]]]


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([vn_text.nfc(c.strip()) for c in line.split("\t")])
    return rows


@cache
def _names() -> _Names:
    fam: dict[str, tuple[list[str], list[float]]] = {}
    for eth, name, weight in _rows("family_names.tsv"):
        names, weights = fam.setdefault(eth, ([], []))
        names.append(name)
        weights.append(float(weight))
    given: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for sex, group, period, names_text in _rows("given_names.tsv"):
        given[(sex, group, period)] = tuple(n.strip() for n in names_text.split(",") if n.strip())
    middle: dict[tuple[str, str, str], tuple[tuple[str, ...], tuple[float, ...]]] = {}
    for sex, group, period, spec in _rows("middle_names.tsv"):
        pairs = [p.strip().split("=") for p in spec.split(",") if p.strip()]
        middle[(sex, group, period)] = (
            tuple("" if n == "-" else n for n, _w in pairs),
            _cumulative(float(w) for _n, w in pairs),
        )
    return _Names(
        family={k: (tuple(v[0]), _cumulative(v[1])) for k, v in fam.items()},
        given=given,
        middle=middle,
    )


@dataclass(frozen=True)
class _OutsidePlace:
    province_code: str  # 3 digits, as in the CCCD
    cmnd_prefix: str
    commune_kind: str
    commune: str
    district_kind: str
    district: str
    province_kind: str
    province: str


@cache
def _outside_places() -> tuple[_OutsidePlace, ...]:
    return tuple(_OutsidePlace(*row) for row in _rows("places_outside.tsv"))


@cache
def _hamlet_names() -> tuple[str, ...]:
    return tuple(r[0] for r in _rows("hamlets.txt"))


@cache
def _ethnic_mix() -> dict[str, tuple[tuple[str, ...], tuple[float, ...], float]]:
    """district key (tone_key of the name, or "*") -> (groups, cumulative weights, population)."""
    out: dict[str, tuple[tuple[str, ...], tuple[float, ...], float]] = {}
    for row in _rows("ethnic_mix.tsv"):
        pairs = [c.split("=") for c in row[2:]]
        out[vn_text.tone_key(row[0])] = (
            tuple(g for g, _p in pairs),
            _cumulative(float(p) for _g, p in pairs),
            float(row[1]),
        )
    return out


def documented_ethnic_mix(district_name: str | None = None) -> dict[str, float]:
    """The documented share (0..1) of each group in a district (or, for None, the province)."""
    table = _ethnic_mix()
    groups, cum, _pop = table.get(vn_text.tone_key(district_name or "*"), table["*"])
    shares, prev = {}, 0.0
    for g, c in zip(groups, cum, strict=True):
        shares[g] = (c - prev) / cum[-1]
        prev = c
    return shares


def documented_family_names(ethnicity: str) -> dict[str, float]:
    """The documented share (0..1) of each family name within an ethnic group."""
    names, cum = _names().family[ethnicity]
    shares, prev = {}, 0.0
    for n, c in zip(names, cum, strict=True):
        shares[n] = (c - prev) / cum[-1]
        prev = c
    return shares


# =========================================================================== geography
@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    kind: str
    district_code: str
    district_name: str
    district_kind: str


class _Geo:
    """The province of configs/offices.yaml, as places are written in books."""

    def __init__(self) -> None:
        prov = config.province()
        self.province_name = prov.name
        self.province_kind = prov.kind
        self.province_code = prov.code
        self.communes: dict[str, _Commune] = {}
        self.districts: dict[str, list[str]] = {}
        self.district_names: dict[str, str] = {}
        for d in prov.districts:
            self.districts[d.code] = [c.code for c in d.communes]
            self.district_names[d.code] = d.name
            for c in d.communes:
                self.communes[c.code] = _Commune(c.code, c.name, c.kind, d.code, d.name, d.kind)
        if not self.communes:
            raise ConfigError(
                "configs/offices.yaml không có xã, phường nào", hint="thêm các xã, phường của tỉnh"
            )
        self.cccd_code = f"{int(prov.code):03d}" if prov.code.isdigit() else "004"
        self._hamlets: dict[str, tuple[str, ...]] = {}

    def hamlets(self, code: str) -> tuple[str, ...]:
        if code not in self._hamlets:
            rng = random.Random(f"sohoa.hamlets:{code}")
            commune = self.communes[code]
            if commune.kind == "xã":
                names = rng.sample(_hamlet_names(), rng.randint(5, 10))
                self._hamlets[code] = tuple(f"xóm {n}" for n in names)
            else:
                self._hamlets[code] = tuple(f"tổ {i}" for i in range(1, rng.randint(6, 15) + 1))
        return self._hamlets[code]

    def district_of(self, code: str) -> str:
        return self.communes[code].district_code

    def text(self, key: str, style: str, day: dt.date, hamlet: str = "") -> str:
        """A place written in ``style`` (full | abbr | short) as of ``day``; "" for an empty key."""
        if not key:
            return ""
        if key == CHINA_PLACE:
            return "Quảng Tây, Trung Quốc"
        if key.startswith("X"):
            p = _outside_places()[int(key[1:])]
            parts = [
                (p.commune_kind, p.commune),
                (p.district_kind, p.district),
                (p.province_kind, p.province),
            ]
        else:
            c = self.communes[key]
            dkind = c.district_kind
            if dkind == "thành phố" and vn_text.tone_key(c.district_name) == vn_text.tone_key(
                self.province_name
            ):
                dkind = "thị xã" if day < _CITY_DATE else dkind
            parts = [(c.kind, c.name), (dkind, c.district_name), (self.province_kind, self.province_name)]
        if style == "full":
            words = [f"{k} {n}" for k, n in parts]
        elif style == "abbr":
            words = [f"{_ABBR.get(k, k)} {n}".strip() for k, n in parts]
        else:
            words = [n for _k, n in parts]
        if hamlet:
            if style == "short" and hamlet.startswith("xóm "):
                hamlet = hamlet[4:]
            words.insert(0, hamlet)
        return ", ".join(words)


# =========================================================================== eras
@dataclass(frozen=True)
class _EraInfo:
    id: str
    start: dt.date
    end: dt.date
    birth_deadline: int
    death_deadline: int
    min_age_male: int
    min_age_female: int
    completed: bool


def _era_table() -> tuple[_EraInfo, ...]:
    out = []
    for e in config.eras():
        r = e.rules
        out.append(
            _EraInfo(
                id=e.id,
                start=e.registered_from or dt.date.min,
                end=e.registered_to or dt.date.max,
                birth_deadline=r.birth_deadline_days_remote or r.birth_deadline_days,
                death_deadline=r.death_deadline_days or 15,
                min_age_male=r.marriage_min_age_male,
                min_age_female=r.marriage_min_age_female,
                completed=r.marriage_age_rule == "completed",
            )
        )
    return tuple(sorted(out, key=lambda e: e.start))


class _Eras:
    """The eras of configs/eras.yaml, looked up by registration date (fast: called for every event)."""

    def __init__(self) -> None:
        self.table = _era_table()
        self.starts = [e.start for e in self.table]

    def at(self, day: dt.date) -> _EraInfo:
        i = bisect.bisect_right(self.starts, day) - 1
        if i >= 0 and self.table[i].start <= day <= self.table[i].end:
            return self.table[i]
        raise ConfigError(
            f"không giai đoạn nào chứa ngày {day.isoformat()}", hint="kiểm tra configs/eras.yaml"
        )


def _legal_age_date(eras: _Eras, person: Person, day: dt.date) -> dt.date:
    """The first day on which ``person`` may marry under the rules in force on ``day``."""
    e = eras.at(day)
    years = e.min_age_male if person.sex == NAM else e.min_age_female
    return _birthday(person.birth_date, years if e.completed else years - 1)


# =========================================================================== events
@dataclass(slots=True)
class _Event:
    seq: int
    book_type: str
    reg: dt.date
    office: str
    origin: str  # the simulated commune whose people it concerns
    era: str
    roles: dict[str, str]
    info: dict[str, Any]


@dataclass(frozen=True)
class _CommuneRun:
    code: str
    scale: float
    boosts: tuple[tuple[str, float], ...]


# =========================================================================== the population


def _check(book_type: str, era: str) -> None:
    if book_type not in BOOK_TYPES:
        raise ConfigError(f"không có loại sổ {book_type!r}", hint=f"dùng một trong: {', '.join(BOOK_TYPES)}")
    config.era(era)
