"""A deterministic synthetic population of Cao Bằng, 1950–2025, and the civil-registry records it leaves.

Every record carries the true text of every field of its book type (``sohoa.fields.FIELDS_BY_BOOK_TYPE``)
and the ground-truth person id behind every role it names, so the same person can be followed across
books and eras (a bride becomes a mother, a child becomes the deceased of a death record).

How it works
------------
Communes are simulated one at a time, each with its own random stream (seeded by the seed and the commune
code), so a commune's people do not depend on which other communes are simulated; only the running id
counters (person ids, CMND/CCCD serials) continue from one commune to the next.

1. *Founders*: households alive on 1 January of ``start_year`` (couples with young children, elderly
   couples, young single adults), their ethnic group drawn from the district's mix (``data/ethnic_mix.tsv``).
2. *Life course* (an event queue): deaths (infant and child mortality by period, Gompertz adult mortality,
   accidents), first marriages (ages by period and group; a few child marriages, mostly Mông/Dao in old
   eras), unions with local partners or with spouses from elsewhere (other communes, other provinces, a few
   Chinese husbands from the border), births (parities falling from ~6 to ~2), births to unmarried mothers,
   divorces, remarriages, out-migration that keeps the commune near its target size.
3. *Registration*: each vital event is registered (or not) by the commune of residence: on time within
   the era's deadline (``configs/eras.yaml``), late (weeks to years; old births especially in the
   1999–2005 campaigns), re-registered after a lost book ("Đăng ký lại"; the lost original is dropped).
   Unions are sometimes left unregistered and registered years later (the 2001–2003 campaign for de facto
   marriages); children born before are registered without a father and later recognized
   (``parent_recognition``), often followed by a change of family name (``other``). Marital-status
   certificates, guardianships, divorce notes, changes of name and ethnicity redeterminations complete
   the six book groups. Recognitions and "other" records that the law gives to the district are
   registered by the district office.

Rare events happen far more often than in life (``Rates``, and per-commune ``boosts``) so that one
commune's era fills a book: this is test data, not demography.

Text conventions (contracts with the renderer; see also :mod:`samples.vn_text`)
-------------------------------------------------------------------------------
* ``full_name`` "Nông Văn Hùng" (NFC, title case per syllable); books of 1976–2015 write some names and
  places with the old tone placement ("Hoà", "Thuỷ"); 2016+ books print names in the new style and place
  names as the GSO catalogue (``configs/offices.yaml``) spells them.
* dates ``dd/mm/yyyy``; a person born before 1945 whose day is unknown has only the year ("1932") in every
  ``*.birth_date`` field; ``birth_year`` "1987"; ``birth_date_words`` as :func:`samples.vn_text.date_to_words`.
* ``sex`` "Nam"/"Nữ"; ``nationality`` "Việt Nam" (or "Trung Quốc"); ethnic groups as written at the time
  ("Tày", older "Thổ"; "Mông", older "H'Mông"/"Mèo"; "Dao"; "Nùng"; "Kinh"; "Sán Chay"; "Lô Lô"; "Hoa").
* places "xã Hưng Đạo, huyện Hoà An, tỉnh Cao Bằng"; older rows abbreviate ("X. Hưng Đạo, H. Hoà An, Cao
  Bằng") or drop the kinds ("Hưng Đạo, Hoà An, Cao Bằng"); residences may start with the hamlet
  ("xóm Nà Rị, …", "tổ 5, …"); the provincial capital is "thị xã Cao Bằng" before 25/09/2012.
* ``relationship``: the declarant's / guardian's / applicant's relation to the record's subject (child,
  deceased, ward, certificate holder): "Cha", "Mẹ", "Ông nội", "Bà ngoại", "Anh ruột", "Vợ", "Con trai",
  "Cháu nội", "Bản thân", "Trưởng xóm" …; ``parent.relationship`` "Cha"/"Mẹ".
* ``id_number``: CMND (9 digits) or CCCD / personal number (12 digits: province of birth "004", sex and
  century digit, two year digits, 6 digits) as held on the registration date, else "".
* tick-box fields hold option keys: ``registration.timeliness`` on_time | late | re_registration;
  ``registration.kind`` as documented in ``sohoa/fields.py``.
* ``registration.number``, ``.volume``, ``.page`` are "" (the book assembler fills them); anything not
  applicable is "" (an unknown father makes every ``father.*`` field "").

Registrations run up to 30/06/2025 at the latest: ``configs/offices.yaml`` describes the units in force
until the July 2025 reorganisation.

API and sizing
--------------
* :func:`simulate` (``seed``, ``communes`` = 4 by default, ``scale`` = 1.0 ≈ 5,000–6,500 residents and
  ~17,000 persons over 75 years per commune, ``boosts`` for the rare book types) → :class:`Population`
  with ``persons``, ``unions``, ``communes``, :meth:`Population.records` and :meth:`Population.counts`.
* :func:`simulate_for` (``seed``, ``{(book_type, era): records_per_book | (count, records_per_book)}``)
  sizes the communes (scale and boosts) so that :func:`draw_books` can take every requested book without
  growing. Example: 2 books × 400 records of every book type in each ledger era plus 2 × 20 in 2016+
  needs 2 communes of scale ≈1.5 (~50,000 persons), about 3–4 s of CPU, and ~0.5 s to draw the books.
* :func:`draw_books` takes contiguous runs of one office's records in date order, from different offices
  where the existing ones have enough records (several disjoint runs of one office otherwise); when the
  population is too small it grows by simulating further communes (sized and boosted for the need):
  the same call sequence on the same seed always gives the same books.
* A scale-1.0 commune yields per era roughly (1976–1999 / 1999–2005 / 2006–2015 / 2016+): births 7000 /
  1000 / 1200 / 1000, deaths 1800 / 500 / 650 / 650, marriages 1000 / 400 / 350 / 350, marital-status
  certificates 500 / 500 / 750 / 700, recognitions 300 / 140 / 100 / 90 and "other" records 500 / 170 /
  220 / 190 (most "other" records go to the district office).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from samples import vn_text
from sohoa import config
from sohoa.errors import ConfigError
from sohoa.fields import BOOK_TYPES, FIELDS_BY_BOOK_TYPE

__all__ = [
    "Person",
    "Population",
    "Rates",
    "SampleBook",
    "SampleRecord",
    "Union",
    "documented_ethnic_mix",
    "documented_family_names",
    "draw_books",
    "simulate",
    "simulate_for",
]

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"
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
            raise ConfigError("configs/offices.yaml lists no commune", hint="add the province's communes")
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
        raise ConfigError(f"no era contains the date {day.isoformat()}", hint="check configs/eras.yaml")


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
class Population:
    """Persons, unions and the registered events of the simulated communes."""

    def __init__(
        self, seed: int, *, start_year: int = 1950, end_year: int = 2025, rates: Rates | None = None
    ):
        if end_year < start_year + 10:
            raise ValueError("simulate at least ten years")
        self.seed = seed
        self.start = dt.date(start_year, 1, 1)
        self.end = min(dt.date(end_year, 12, 31), LAST_DAY)
        self.rates = rates or Rates()
        self.persons: dict[str, Person] = {}
        self.unions: list[Union] = []
        self.runs: list[_CommuneRun] = []
        self._geo = _Geo()
        self.eras = _Eras()
        self._order = self._commune_order()
        self._events: list[_Event] = []
        self._index: dict[tuple[str, str], dict[str, list[int]]] = {}
        self._sorted: set[tuple[str, str]] = set()
        self._rendered: dict[int, SampleRecord] = {}
        self._renderer = _Renderer(self)
        self._next_person = 1
        self._cmnd_counter = 0
        self._cccd_counters: dict[tuple[str, int, int], int] = {}
        self._passport_counter = 0

    # ------------------------------------------------------------------ communes
    def _commune_order(self) -> list[str]:
        """All communes, round-robin over the districts, each district's communes in a seeded order."""
        rng = random.Random(f"sohoa.order:{self.seed}")
        queues = []
        for dcode in sorted(self._geo.districts):
            codes = list(self._geo.districts[dcode])
            rng.shuffle(codes)
            queues.append(codes)
        rng.shuffle(queues)
        order: list[str] = []
        while any(queues):
            for q in queues:
                if q:
                    order.append(q.pop(0))
        return order

    @property
    def communes(self) -> list[str]:
        """Codes of the simulated communes, in simulation order."""
        return [r.code for r in self.runs]

    def add_commune(self, *, scale: float = 1.0, boosts: Mapping[str, float] | None = None) -> str:
        """Simulate the next commune of the deterministic order; returns its code."""
        done = {r.code for r in self.runs}
        todo = [c for c in self._order if c not in done]
        if not todo:
            raise ConfigError(
                "every commune of the province is already simulated",
                hint="ask for fewer or smaller books, or raise the scale of the communes",
            )
        unknown = set(boosts or {}) - set(RARE_BOOK_TYPES)
        if unknown or scale <= 0:
            raise ValueError(
                f"scale must be > 0 and boosts keys among {RARE_BOOK_TYPES}, not {sorted(unknown)}"
            )
        run = _CommuneRun(todo[0], float(scale), tuple(sorted((boosts or {}).items())))
        self.runs.append(run)
        _CommuneSim(self, run).run()
        return run.code

    # ------------------------------------------------------------------ ids
    def _new_person_id(self) -> str:
        if self._next_person > 9_999_999:
            raise ConfigError(
                "more than 9,999,999 simulated persons", hint="simulate fewer or smaller communes"
            )
        pid = f"P{self._next_person:07d}"
        self._next_person += 1
        return pid

    def _new_cmnd(self, prefix: str) -> str:
        self._cmnd_counter += 1
        return f"{prefix}{(self._cmnd_counter * 7919 + 1_234_567) % 10_000_000:07d}"

    def _new_cccd(self, province: str, sex: str, birth_year: int) -> str:
        century = (birth_year // 100) - 19
        digit = 2 * max(century, 0) + (0 if sex == NAM else 1)
        yy = birth_year % 100
        key = (province, digit, yy)
        k = self._cccd_counters.get(key, 0) + 1
        self._cccd_counters[key] = k
        serial = (k * 7919 + 104_729 * yy + int(province)) % 1_000_000
        return f"{province}{digit}{yy:02d}{serial:06d}"

    def _new_passport(self) -> str:
        self._passport_counter += 1
        return f"E{(self._passport_counter * 7919 + 31_337) % 100_000_000:08d}"

    # ------------------------------------------------------------------ events
    def _add_event(
        self,
        book_type: str,
        reg: dt.date,
        office: str,
        origin: str,
        roles: dict[str, str],
        info: dict[str, Any],
    ) -> _Event | None:
        if reg < self.start or reg > self.end:
            return None
        era = self.eras.at(reg).id
        ev = _Event(len(self._events), book_type, reg, office, origin, era, roles, info)
        self._events.append(ev)
        self._index.setdefault((book_type, era), {}).setdefault(office, []).append(ev.seq)
        self._sorted.discard((book_type, era))
        return ev

    def _office_lists(self, book_type: str, era: str) -> dict[str, list[int]]:
        key = (book_type, era)
        lists = self._index.get(key, {})
        if key not in self._sorted:
            for seqs in lists.values():
                seqs.sort(key=lambda s: (self._events[s].reg, s))
            self._sorted.add(key)
        return lists

    def counts(self, book_type: str, era: str) -> dict[str, int]:
        """Number of records of a book type and era per registering office."""
        _check(book_type, era)
        return {office: len(seqs) for office, seqs in sorted(self._office_lists(book_type, era).items())}

    def records(self, book_type: str, era: str, office: str | None = None) -> list[SampleRecord]:
        """Every record of a book type and era (of one office, if given), by registration date."""
        _check(book_type, era)
        lists = self._office_lists(book_type, era)
        if office is not None:
            seqs = list(lists.get(office, []))
        else:
            seqs = sorted((s for v in lists.values() for s in v), key=lambda s: (self._events[s].reg, s))
        return [self._render(s) for s in seqs]

    def _render(self, seq: int) -> SampleRecord:
        """The record of an event (a fresh copy: callers may fill in registration numbers)."""
        record = self._rendered.get(seq)
        if record is None:
            record = self._rendered[seq] = self._renderer.render(self._events[seq])
        return dataclasses.replace(record, fields=dict(record.fields), persons=dict(record.persons))


def _check(book_type: str, era: str) -> None:
    if book_type not in BOOK_TYPES:
        raise ConfigError(f"unknown book type {book_type!r}", hint=f"use one of: {', '.join(BOOK_TYPES)}")
    config.era(era)


# =========================================================================== one commune's life
_DEATH, _PLAN, _BIRTH, _DIVORCE = 0, 1, 2, 3


class _CommuneSim:
    """Simulates one commune: founders, life course, then the registrations."""

    def __init__(self, pop: Population, run: _CommuneRun) -> None:
        self.pop = pop
        self.geo = pop._geo
        self.code = run.code
        self.commune = self.geo.communes[run.code]
        self.district = self.commune.district_code
        self.scale = run.scale
        self.boost = dict(run.boosts)
        self.rates = pop.rates
        boosts = ",".join(f"{k}={v!r}" for k, v in run.boosts)
        self.rng = random.Random(f"sohoa.population:{pop.seed}:{run.code}:{run.scale!r}:{boosts}")
        self.start = pop.start
        self.end = pop.end
        self.end_ordinal = pop.end.toordinal()
        self.hamlets = self.geo.hamlets(run.code)
        table = _ethnic_mix()
        mix = table.get(vn_text.tone_key(self.commune.district_name), table["*"])
        groups, cum = mix[0], mix[1]
        if self.commune.kind != "xã":  # towns and wards: more Kinh
            weights = [b - a for a, b in zip((0.0, *cum), cum, strict=False)]
            cum = _cumulative(
                w + (10.0 if g == "Kinh" else 0.0) for g, w in zip(groups, weights, strict=True)
            )
        self.mix_groups, self.mix_cum = groups, cum
        self.heap: list[tuple[int, int, int, str]] = []
        self.hseq = 0
        self.members: list[str] = []  # everyone who ever lived here (creation order)
        self.born_here: list[str] = []
        self.resident: dict[str, bool] = {}
        self.current: dict[str, int] = {}  # person id -> active union index
        self.bachelors: dict[int, list[str]] = {}  # birth year -> unmarried resident men
        self.n = 0
        self.union_ids: list[int] = []
        self.divorces: list[tuple[int, dt.date]] = []
        self.pending_certificates: list[tuple[str, dt.date, str]] = []
        self.birth_reg: dict[str, dt.date] = {}
        self.resident_at_death: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def b(self, name: str) -> float:
        return self.boost.get(name, 1.0)

    def target(self, year: int) -> float:
        points = ((1900, 0.45), (1950, 0.55), (1975, 0.8), (2000, 1.0), (2030, 1.06))
        for (y0, v0), (y1, v1) in itertools.pairwise(points):
            if year <= y1:
                t = max(0.0, (year - y0) / (y1 - y0))
                return BASE_POPULATION * self.scale * (v0 + t * (v1 - v0))
        return BASE_POPULATION * self.scale * points[-1][1]

    def push(self, day: dt.date, kind: int, pid: str) -> None:
        if day <= self.end:
            self.hseq += 1
            heapq.heappush(self.heap, (day.toordinal(), self.hseq, kind, pid))

    def draw_ethnicity(self) -> str:
        return _choice_weighted(self.rng, self.mix_groups, self.mix_cum)

    def other_commune(self, same_district: bool) -> str:
        pool = self.geo.districts[self.district] if same_district else list(self.geo.communes)
        choices = [c for c in pool if c != self.code]
        return self.rng.choice(choices) if choices else self.code

    # ------------------------------------------------------------------ names
    def family_for(self, ethnicity: str) -> str:
        names, cum = _names().family.get(ethnicity, _names().family["Kinh"])
        return _choice_weighted(self.rng, names, cum)

    def given_for(self, sex: str, ethnicity: str, year: int) -> tuple[str, str]:
        rng, names = self.rng, _names()
        s = "M" if sex == NAM else "F"
        period = _period(year)
        group = _name_group(ethnicity)
        mnames, mcum = names.middle[(s, group, period)]
        middle = _choice_weighted(rng, mnames, mcum)
        pools: list[tuple[str, ...]] = []
        if group in ("mong", "dao"):
            own = {"old": 0.9, "mid": 0.75, "modern": 0.45}[period]
            if rng.random() < own:
                pools.append(names.given[(s, group, "any")])
        if not pools:
            if ethnicity in ("Tày", "Nùng") and period != "modern" and rng.random() < 0.25:
                pools.append(names.given[(s, "tay_nung", period)])
            elif (
                period == "modern" and middle in ("Thị", "Văn") and rng.random() < (0.2 if s == "F" else 0.08)
            ):
                pools.append(names.given[(s, "compound", "modern")])
            else:
                pools.append(names.given[(s, "common", "any")])
                specific = names.given.get((s, "common", period))
                if specific and rng.random() < 0.5:
                    pools = [specific]
        given = rng.choice(pools[0])
        for _ in range(5):
            if middle not in given.split():
                break
            given = rng.choice(pools[0])
        else:
            middle = ""
        return middle, given

    # ------------------------------------------------------------------ people
    def new_person(
        self,
        *,
        sex: str,
        birth: dt.date,
        ethnicity: str,
        family: str,
        birth_place: str,
        father: Person | None,
        mother: Person | None,
        home_town: str,
        nationality: str = VIETNAM,
        known_date: bool = True,
        residence: list[tuple[dt.date, str, str]] | None = None,
        alive_at: dt.date | None = None,
    ) -> Person:
        pop = self.pop
        middle, given = self.given_for(sex, ethnicity, birth.year)
        if nationality != VIETNAM:
            middle, given = self.rng.choice(_CHINESE_MIDDLE), self.rng.choice(_CHINESE_GIVEN)
        person = Person(
            id=pop._new_person_id(),
            sex=sex,
            family_name=family,
            middle_name=middle,
            given_name=given,
            birth_date=birth,
            birth_date_known=known_date,
            birth_commune=birth_place if birth_place[:1].isdigit() else "",
            birth_place=birth_place,
            ethnicity=ethnicity,
            nationality=nationality,
            father_id=father.id if father else None,
            mother_id=mother.id if mother else None,
            home_town=home_town,
        )
        person.residences = residence or [(birth, self.code, "")]
        death, cause = self.sample_death(person, alive_at)
        if death is not None and death <= self.end:
            person.death_date, person.death_cause = death, cause
        self.assign_ids(person)
        pop.persons[person.id] = person
        if father is not None:
            father.children.append(person.id)
        if mother is not None:
            mother.children.append(person.id)
        self.members.append(person.id)
        return person

    def sample_death(self, p: Person, alive_at: dt.date | None) -> tuple[dt.date | None, str]:
        for _ in range(30):
            days, cause = self._death_age(p)
            death = _d(p.birth_date.toordinal() + days)
            if alive_at is None or death > alive_at:
                return death, cause
        return None, ""

    def _death_age(self, p: Person) -> tuple[int, str]:
        rng, year = self.rng, p.birth_date.year
        q0 = (
            0.13
            if year < 1960
            else 0.09
            if year < 1975
            else 0.06
            if year < 1990
            else 0.035
            if year < 2005
            else 0.02
        )
        if p.ethnicity in _HIGHLAND:
            q0 *= 1.4
        u = rng.random()
        if u < q0:
            return int(rng.random() ** 2 * 365), rng.choice(DEATH_CAUSES_INFANT)
        if u < q0 * 1.6:
            cause = rng.choice(DEATH_CAUSES_CHILD[:4] if year >= 1990 else DEATH_CAUSES_CHILD)
            return _ri(rng, 365, 5 * 365), cause
        if u < q0 * 1.6 + 0.012:
            return _ri(rng, 5 * 365, 15 * 365), rng.choice(DEATH_CAUSES_CHILD[:4])
        mode = 66.0 if year < 1920 else 70.0 if year < 1950 else 74.0 if year < 1975 else 77.0
        mode += 4.0 if p.sex == NU else 0.0
        mode -= 3.0 if p.ethnicity in _HIGHLAND else 0.0
        b = 0.09
        a = b * math.exp(-b * mode)
        age = math.log(math.exp(b * 15) - (b / a) * math.log(1.0 - rng.random())) / b
        age = min(age, 104.5)
        accident_age = 15 + rng.expovariate(0.0012 * (1.6 if p.sex == NAM else 0.6))
        if accident_age < age and accident_age < 70:
            death_year = year + int(accident_age)
            if death_year >= 1990 and rng.random() < 0.55:
                cause = "Tai nạn giao thông"
            else:
                cause = rng.choice(("Đuối nước", "Tai nạn lao động", "Đuối nước"))
            return _years(accident_age), cause
        if age >= 60:
            cause = _choice_weighted(rng, _OLD_CAUSES, _OLD_CAUSES_CUM)
        else:
            pool = DEATH_CAUSES_ADULT if year + age < 1995 else DEATH_CAUSES_ADULT[:-1]
            cause = rng.choice(pool)
        return _years(age), cause

    def assign_ids(self, p: Person) -> None:
        rng, pop = self.rng, self.pop
        if p.nationality != VIETNAM:
            p.cccd, p.cccd_from = pop._new_passport(), p.birth_date
            return
        prefix, province = "08", self.geo.cccd_code
        if p.birth_place.startswith("X"):
            place = _outside_places()[int(p.birth_place[1:])]
            prefix, province = place.cmnd_prefix, place.province_code
        born = p.birth_date.toordinal()
        death = p.death_date.toordinal() if p.death_date is not None else _FAR
        end = self.end_ordinal
        if p.birth_date.year >= 1900:  # the 12-digit scheme starts with the 20th century
            p.cccd = pop._new_cccd(province, p.sex, p.birth_date.year)
        at14 = born + _AGE14
        if at14 >= death or at14 > end:
            return
        highland = p.ethnicity in _HIGHLAND
        # CMND: from 18 (14 from 1999), rolled out slowly in the mountains
        if rng.random() > (0.25 if highland else 0.12):
            due = at14 if at14 >= _ORD_1999 else max(born + _AGE18, _ORD_1978)
            issued = due + int(rng.expovariate(0.2 if highland else 0.5) * _YEAR)
            if issued < death and issued <= end:
                p.cmnd_issued, p.cmnd = _d(issued), pop._new_cmnd(prefix)
        # CCCD (chip cards mostly in 2021)
        u = rng.random()
        first, last = _CCCD_WAVES[0 if u < 0.1 else 1 if u < 0.6 else 2 if u < 0.8 else 3]
        when = max(first + int(rng.random() * (last - first + 1)), at14)
        if p.cccd and when < death and when <= end:
            p.cccd_from = _d(when)

    # ------------------------------------------------------------------ rates
    def marriage_age(self, sex: str, ethnicity: str, year: int) -> float | None:
        rng = self.rng
        if rng.random() < (0.04 if sex == NU else 0.06):
            return None
        if ethnicity == "Mông":
            base = 16.8 if year < 1970 else 17.5 if year < 1990 else 18.5
        elif ethnicity == "Dao":
            base = 17.6 if year < 1970 else 18.3 if year < 1990 else 19.3
        else:
            base = 18.8 if year < 1960 else 20.0 if year < 1980 else 21.5
        if sex == NAM:
            return max(16.0, rng.gauss(base + (2.5 if ethnicity in _CLAN_EXOGAMY else 3.5), 2.5))
        return max(14.5, rng.gauss(base, 2.0))

    def parity(self, year: int, highland: bool) -> int:
        if self.rng.random() < 0.03:
            return 0
        mean = 5.5 if year < 1975 else 4.5 if year < 1990 else 3.0 if year < 2005 else 2.2
        mean += (1.5 if year < 2005 else 1.0) if highland else 0.0
        return max(0, round(self.rng.gauss(mean, 1.3)))

    def unregistered_share(self, year: int, groups: set[str]) -> float:
        if groups & {"Mông", "Dao"}:
            share = 0.7 if year < 1976 else 0.6 if year < 1999 else 0.5 if year < 2016 else 0.4
        elif groups == {"Kinh"}:
            share = 0.2 if year < 1976 else 0.12 if year < 1999 else 0.08 if year < 2016 else 0.06
        else:
            share = 0.3 if year < 1976 else 0.25 if year < 1999 else 0.2 if year < 2016 else 0.15
        return min(0.85, share * self.rates.unregistered_union * math.sqrt(self.b("parent_recognition")))

    def emigration(self, day: dt.date) -> float:
        y = day.year
        base = 0.08 if y < 1976 else 0.12 if y < 1991 else 0.22 if y < 2006 else 0.28
        return min(0.9, max(0.01, base * self.pressure(day) ** 4))

    def pressure(self, day: dt.date) -> float:
        """Residents over the target size (1.0 on target)."""
        return self.n / max(1.0, self.target(day.year))

    # ------------------------------------------------------------------ founders
    def founders(self) -> None:
        rng, start = self.rng, self.start
        goal = self.target(start.year)
        while self.n < goal:
            u = rng.random()
            if u < 0.72:
                self.founder_household(rng.uniform(16, 45))
            elif u < 0.9:
                self.founder_household(rng.uniform(46, 82), elderly=True)
            else:
                self.founder_single()

    def founder_person(self, sex: str, age: float, ethnicity: str, *, from_elsewhere: bool) -> Person:
        rng, start = self.rng, self.start
        birth = _d(start.toordinal() - _years(age) - _ri(rng, 0, 364))
        origin = self.other_commune(same_district=True) if from_elsewhere else self.code
        hamlet = rng.choice(self.hamlets)
        residence = [(birth, origin, rng.choice(self.geo.hamlets(origin)))] if from_elsewhere else []
        residence.append((birth if not from_elsewhere else _add_years(birth, 18), self.code, hamlet))
        p = self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=self.family_for(ethnicity),
            birth_place=origin,
            father=None,
            mother=None,
            home_town=origin,
            known_date=birth.year >= 1945 or rng.random() < 0.75,
            residence=residence,
            alive_at=start,
        )
        self.arrive(p)
        return p

    def arrive(self, p: Person) -> None:
        self.resident[p.id] = True
        self.n += 1
        self.push_death(p)

    def push_death(self, p: Person) -> None:
        if p.death_date is not None:
            self.push(p.death_date, _DEATH, p.id)

    def founder_household(self, wife_age: float, *, elderly: bool = False) -> None:
        rng, start = self.rng, self.start
        eth_h = self.draw_ethnicity()
        eth_w = eth_h if rng.random() < 0.85 else self.draw_ethnicity()
        husband = self.founder_person(NAM, wife_age + max(-2.0, rng.gauss(4, 3)), eth_h, from_elsewhere=False)
        wife = self.founder_person(NU, wife_age, eth_w, from_elsewhere=rng.random() < 0.5)
        hamlet = husband.residences[-1][2]
        wife.residences[-1] = (wife.residences[-1][0], self.code, hamlet)
        age = self.marriage_age(NU, eth_w, wife.birth_date.year) or 19.0
        union_start = min(_add_years(wife.birth_date, age), _d(start.toordinal() - 30))
        if elderly and rng.random() < 0.35:  # a widow or widower: the other spouse died before
            survivor, gone = (wife, husband) if rng.random() < 0.6 else (husband, wife)
            gone_death = _between(rng, union_start, _d(start.toordinal() - 1))
            gone.death_date, gone.death_cause = gone_death, "Ốm đau"
            gone.cmnd, gone.cmnd_issued, gone.cccd_from = "", None, None
            self.resident[gone.id] = False
            self.n -= 1
            del survivor
        u = self.new_union(husband, wife, union_start, registered=union_start, office="")
        if husband.death_date is not None and husband.death_date < start:
            self.end_union(u, husband.death_date, "death")
        elif wife.death_date is not None and wife.death_date < start:
            self.end_union(u, wife.death_date, "death")
        if not elderly:
            self.schedule_births(u, founders=True)

    def founder_single(self) -> None:
        sex = NAM if self.rng.random() < 0.5 else NU
        p = self.founder_person(sex, self.rng.uniform(15, 24), self.draw_ethnicity(), from_elsewhere=False)
        self.plan_first_marriage(p, earliest=self.start)

    # ------------------------------------------------------------------ unions
    def new_union(
        self,
        husband: Person,
        wife: Person,
        start: dt.date,
        *,
        registered: dt.date | None,
        office: str,
        foreign: bool = False,
    ) -> Union:
        u = Union(len(self.pop.unions), husband.id, wife.id, start, registered, office, foreign)
        self.pop.unions.append(u)
        self.union_ids.append(u.index)
        husband.unions.append(u.index)
        wife.unions.append(u.index)
        self.current[husband.id] = u.index
        self.current[wife.id] = u.index
        return u

    def end_union(self, u: Union, day: dt.date, reason: str) -> None:
        if u.end is not None:
            return
        u.end, u.end_reason = day, reason
        for pid in (u.husband, u.wife):
            if self.current.get(pid) == u.index:
                del self.current[pid]

    def schedule_births(self, u: Union, *, founders: bool = False) -> None:
        rng = self.rng
        wife = self.pop.persons[u.wife]
        husband = self.pop.persons[u.husband]
        highland = bool({wife.ethnicity, husband.ethnicity} & _HIGHLAND)
        children = self.parity(u.start.year, highland)
        day = u.start.toordinal() + _ri(rng, 290, 700)
        limit = _birthday(wife.birth_date, 46).toordinal()
        for _ in range(children):
            if day > limit:
                break
            when = _d(day)
            if founders and when < self.start:
                self.founder_child(u, when)
            else:
                self.push(when, _BIRTH, f"U{u.index}")
            day += _ri(rng, 480 if u.start.year < 1975 else 600, 1300)

    def founder_child(self, u: Union, birth: dt.date) -> None:
        child = self.make_child(self.pop.persons[u.wife], self.pop.persons[u.husband], u, birth, founder=True)
        if child.death_date is not None and child.death_date < self.start:
            self.resident[child.id] = False
            return
        self.arrive(child)

    # ------------------------------------------------------------------ births
    def make_child(
        self, mother: Person, father: Person | None, u: Union | None, birth: dt.date, *, founder: bool = False
    ) -> Person:
        rng = self.rng
        sex = NAM if rng.random() < 0.515 else NU
        if father is None or father.nationality != VIETNAM:
            ethnicity = mother.ethnicity
        elif father.ethnicity == mother.ethnicity or rng.random() < 0.8:
            ethnicity = father.ethnicity
        else:
            ethnicity = mother.ethnicity
        on_record = False
        if father is not None and u is not None:
            if u.foreign or (u.registered is not None and u.registered <= birth):
                on_record = True
            elif birth < dt.date(2006, 1, 1):
                on_record = rng.random() < 0.5
            else:
                on_record = rng.random() < 0.05
        from_father = (
            father is not None and (on_record or rng.random() < 0.35) and father.nationality == VIETNAM
        )
        if father is not None and father.nationality != VIETNAM:
            from_father = rng.random() < 0.5
        family = father.family_name if (father is not None and from_father) else mother.family_name
        home_town = father.home_town if (father is not None and from_father) else mother.home_town
        hamlet = mother.residence_on(birth)[1] or rng.choice(self.hamlets)
        child = self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=family,
            birth_place=self.code,
            father=father,
            mother=mother,
            home_town=home_town,
            residence=[(birth, self.code, hamlet)],
        )
        child.father_on_birth_record = on_record
        child.birth_facility = self.birth_facility(birth.year, ethnicity)
        self.born_here.append(child.id)
        if not founder:
            self.arrive(child)
        self.plan_first_marriage(child, earliest=self.start)
        return child

    def birth_facility(self, year: int, ethnicity: str) -> str:
        rng = self.rng
        share = 0.08 if year < 1990 else 0.3 if year < 2006 else 0.7 if year < 2016 else 0.9
        if ethnicity in _HIGHLAND:
            share *= 0.6
        if rng.random() >= share:
            return ""
        u = rng.random()
        return "station" if u < 0.5 else "district" if u < 0.85 else "province"

    def on_birth(self, key: str, day: dt.date) -> None:
        persons = self.pop.persons
        if key.startswith("U"):
            u = self.pop.unions[int(key[1:])]
            mother = persons[u.wife]
            father: Person | None = persons[u.husband]
            if u.end is not None and (u.end_reason == "divorce" or u.end < _d(day.toordinal() - 270)):
                return
            if u.end is not None and u.end_reason == "death" and mother.death_date == u.end:
                return
            union: Union | None = u
        else:  # a mother without a union: "M<mother id>"
            mother = persons[key[1:]]
            union = None
            father = self.find_bachelor(mother, day, strict=False) if self.rng.random() < 0.7 else None
        if not self.resident.get(mother.id) or not mother.alive_on(day):
            return
        if father is not None and not father.alive_on(_d(day.toordinal() - 270)):
            father = None if union is None else father
        self.make_child(mother, father, union, day)

    # ------------------------------------------------------------------ marriage
    def plan_first_marriage(self, p: Person, earliest: dt.date) -> None:
        rng = self.rng
        age = self.marriage_age(p.sex, p.ethnicity, p.birth_date.year)
        if p.sex == NAM:
            self.bachelors.setdefault(p.birth_date.year, []).append(p.id)
        if age is None:
            if p.sex == NU and rng.random() < 0.3:  # a single mother
                for _ in range(rng.choice((1, 1, 2))):
                    self.push(_add_years(p.birth_date, rng.uniform(19, 35)), _BIRTH, f"M{p.id}")
            return
        when = _add_years(p.birth_date, age)
        if when < earliest:
            when = _between(rng, earliest, _add_years(earliest, 2))
        self.push(when, _PLAN, p.id)
        premarital = self.rates.premarital_birth * self.b("parent_recognition")
        if p.sex == NU and age > 17.5 and rng.random() < min(0.4, premarital):
            birth = _add_years(p.birth_date, rng.uniform(16.5, age - 0.5))
            if birth >= earliest:
                self.push(birth, _BIRTH, f"M{p.id}")

    def related(self, a: Person, b: Person) -> bool:
        if a.father_id and a.father_id == b.father_id:
            return True
        return bool(a.mother_id and a.mother_id == b.mother_id)

    def find_bachelor(self, woman: Person, day: dt.date, *, strict: bool = True) -> Person | None:
        rng, persons = self.rng, self.pop.persons
        gap = min(12.0, max(-2.0, rng.gauss(3.5, 2.5)))
        center = woman.birth_date.year - round(gap)
        for offset in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6):
            bucket = self.bachelors.get(center + offset)
            if not bucket:
                continue
            for _ in range(6):
                if not bucket:
                    break
                i = rng.randrange(len(bucket))
                pid = bucket[i]
                man = persons[pid]
                gone = man.death_date is not None and man.death_date <= day
                if gone or not self.resident.get(pid) or pid in self.current:
                    bucket[i] = bucket[-1]
                    bucket.pop()
                    continue
                if man.age_on(day) < 16.5 or self.related(man, woman):
                    continue
                if strict and woman.ethnicity in _CLAN_EXOGAMY and man.family_name == woman.family_name:
                    continue
                if strict:
                    bucket[i] = bucket[-1]
                    bucket.pop()
                return man
        return None

    def outsider(self, sex: str, near: Person, day: dt.date, *, chinese: bool = False) -> Person:
        """A spouse from elsewhere (another commune, another province, or China)."""
        rng = self.rng
        gap = min(15.0, max(-2.0, rng.gauss(3.5, 3.0)))
        age = near.age_on(day) + (gap if sex == NAM else -gap)
        age = max(16.0, age)
        birth = _d(day.toordinal() - _years(age) - _ri(rng, 0, 200))
        if chinese:
            return self.new_person(
                sex=sex,
                birth=birth,
                ethnicity="Hoa",
                family=rng.choice(_CHINESE_FAMILY),
                birth_place=CHINA_PLACE,
                father=None,
                mother=None,
                home_town=CHINA_PLACE,
                nationality=CHINA,
                residence=[(birth, CHINA_PLACE, "")],
                alive_at=day,
            )
        u = rng.random()
        if u < 0.6:
            origin = self.other_commune(same_district=True)
        elif u < 0.9:
            origin = self.other_commune(same_district=False)
        else:
            origin = f"X{rng.randrange(len(_outside_places()))}"
        if origin.startswith("X"):
            ethnicity = "Kinh" if rng.random() < 0.7 else near.ethnicity
        else:
            ethnicity = near.ethnicity if rng.random() < 0.6 else self.draw_ethnicity()
        hamlet = rng.choice(self.geo.hamlets(origin)) if origin[:1].isdigit() else ""
        return self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=self.family_for(ethnicity),
            birth_place=origin,
            father=None,
            mother=None,
            home_town=origin,
            known_date=birth.year >= 1945 or rng.random() < 0.75,
            residence=[(birth, origin, hamlet)],
            alive_at=day,
        )

    def on_plan(self, pid: str, day: dt.date, *, first: bool) -> None:
        rng, persons = self.rng, self.pop.persons
        p = persons[pid]
        if not self.resident.get(pid) or not p.alive_on(day):
            return
        if pid in self.current:
            return
        if first and p.age_on(day) < 30 and rng.random() < self.emigration(day):
            self.leave(p, day)
            return
        if p.sex == NU:
            husband = None if rng.random() < 0.3 else self.find_bachelor(p, day)
            if husband is not None:
                self.marry(husband, p, day, leaves=None)
                return
            chinese = day.year >= 1992 and rng.random() < 0.08
            husband = self.outsider(NAM, p, day, chinese=chinese)
            if chinese:
                self.marry(husband, p, day, leaves=p if rng.random() < 0.3 else None, foreign=True)
            else:
                bride_leaves = rng.random() < min(0.85, max(0.2, 0.5 * self.pressure(day) ** 2))
                self.marry(husband, p, day, leaves=p if bride_leaves else husband)
        else:
            if rng.random() < min(0.9, max(0.3, 0.75 / self.pressure(day))):
                wife = self.outsider(NU, p, day)
                self.marry(p, wife, day, leaves=wife)
            elif first:
                self.push(_add_years(day, rng.uniform(1, 4)), _PLAN, pid)

    def leave(self, p: Person, day: dt.date) -> None:
        rng = self.rng
        u = rng.random()
        if u < 0.5:
            dest = self.other_commune(same_district=u < 0.25)
            hamlet = rng.choice(self.geo.hamlets(dest))
        else:
            dest, hamlet = f"X{rng.randrange(len(_outside_places()))}", ""
        p.residences.append((day, dest, hamlet))
        self.resident[p.id] = False
        self.n -= 1

    def marry(
        self, husband: Person, wife: Person, day: dt.date, *, leaves: Person | None, foreign: bool = False
    ) -> None:
        """``leaves``: the spouse who moves (an outsider moving in, or a local moving away), or None."""
        rng = self.rng
        local_leaves = leaves is not None and self.resident.get(leaves.id, False)
        newcomer = leaves if (leaves is not None and not local_leaves) else None
        groups = {husband.ethnicity, wife.ethnicity}
        registered: dt.date | None
        office = self.code
        if foreign:
            registered, office = day, ""
            if day.year >= 1999:
                self.pending_certificates.append(
                    (wife.id, _d(day.toordinal() - _ri(rng, 10, 120)), "foreign")
                )
        elif rng.random() < self.unregistered_share(day.year, groups):
            registered = None
            boost = self.b("parent_recognition")
            if day < _DE_FACTO[0] and rng.random() < 0.5:
                registered = _between(rng, _DE_FACTO[0], _DE_FACTO[1])
            elif rng.random() < min(0.95, 0.5 + 0.15 * (boost - 1.0)):  # boosted: most register later
                registered = _add_years(day, rng.expovariate(1 / 4.0))
        else:
            registered = _d(day.toordinal() + _ri(rng, 0, 45))
        if registered is not None and not foreign:
            registered = self.legal_registration(husband, wife, registered)
        if leaves is not None and local_leaves and not foreign and rng.random() < 0.3:
            office = ""  # registered in the other spouse's commune: a certificate from here first
            if day.year >= 1990:
                asked = _d(day.toordinal() - _ri(rng, 5, 90))
                self.pending_certificates.append((leaves.id, asked, "domestic"))
        u = self.new_union(husband, wife, day, registered=registered, office=office, foreign=foreign)
        if newcomer is not None:
            stay = husband if newcomer is wife else wife
            newcomer.residences.append(
                (day, self.code, stay.residence_on(day)[1] or rng.choice(self.hamlets))
            )
            self.arrive(newcomer)
        elif leaves is None and not foreign:
            # both local: the wife moves to the husband's hamlet
            hamlet = husband.residence_on(day)[1]
            if hamlet and wife.residence_on(day)[1] != hamlet:
                wife.residences.append((day, self.code, hamlet))
        if local_leaves and leaves is not None:
            other = husband if leaves is wife else wife
            dest = other.residences[-1][1]
            moved = _d(day.toordinal() + _ri(rng, 0, 60))
            leaves.residences.append((moved, dest, other.residences[-1][2]))
            self.resident[leaves.id] = False
            self.n -= 1
        if self.resident.get(wife.id):
            self.schedule_births(u)
        divorce_p = (0.02 if day.year < 1986 else 0.05 if day.year < 2006 else 0.1) * self.rates.divorce
        divorce_p *= math.sqrt(self.b("other"))
        if rng.random() < min(0.5, divorce_p):
            self.push(_add_years(day, rng.uniform(1.5, 20)), _DIVORCE, f"U{u.index}")

    def legal_registration(self, husband: Person, wife: Person, day: dt.date) -> dt.date:
        """The registration date, postponed to the legal age unless this is one of the child marriages."""
        rng = self.rng
        eras = self.pop.eras
        legal = max(_legal_age_date(eras, husband, day), _legal_age_date(eras, wife, day))
        if day >= legal:
            return day
        highland = bool({husband.ethnicity, wife.ethnicity} & _CLAN_EXOGAMY)
        p_child = (0.3 if day.year < 2000 else 0.1) if highland else (0.06 if day.year < 2000 else 0.02)
        if rng.random() < p_child:
            return day
        return _d(legal.toordinal() + _ri(rng, 0, 400))

    def on_divorce(self, key: str, day: dt.date) -> None:
        u = self.pop.unions[int(key[1:])]
        if u.end is not None:
            return
        self.end_union(u, day, "divorce")
        if u.registered is not None and u.registered <= day:
            self.divorces.append((u.index, day))
        self.maybe_remarry(u, day)

    def maybe_remarry(self, u: Union, day: dt.date) -> None:
        rng, persons = self.rng, self.pop.persons
        for pid in (u.husband, u.wife):
            p = persons[pid]
            if not self.resident.get(pid) or not p.alive_on(day) or p.age_on(day) > 50:
                continue
            if rng.random() < (0.55 if p.sex == NAM else 0.35):
                if p.sex == NAM:
                    self.bachelors.setdefault(p.birth_date.year, []).append(pid)
                self.push(_add_years(day, rng.uniform(1, 4)), _PLAN, "R" + pid)

    def on_death(self, pid: str, day: dt.date) -> None:
        if self.resident.get(pid):
            self.n -= 1
            self.resident[pid] = False
            self.resident_at_death.add(pid)
        idx = self.current.get(pid)
        if idx is not None:
            u = self.pop.unions[idx]
            self.end_union(u, day, "death")
            self.maybe_remarry(u, day)

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        self.founders()
        while self.heap:
            ordinal, _seq, kind, key = heapq.heappop(self.heap)
            day = _d(ordinal)
            if kind == _DEATH:
                self.on_death(key, day)
            elif kind == _BIRTH:
                self.on_birth(key, day)
            elif kind == _PLAN:
                if key.startswith("R"):
                    self.on_plan(key[1:], day, first=False)
                else:
                    self.on_plan(key, day, first=True)
            elif kind == _DIVORCE:
                self.on_divorce(key, day)
        _Registrar(self).run()


_CHINESE_FAMILY: Final[tuple[str, ...]] = (
    "Hoàng",
    "Lý",
    "Lương",
    "Nông",
    "Lục",
    "Trần",
    "Vương",
    "Trương",
    "Lưu",
)
_CHINESE_MIDDLE: Final[tuple[str, ...]] = ("Chí", "Kiến", "Minh", "Quốc", "Vĩnh", "Hải", "Gia", "Văn")
_CHINESE_GIVEN: Final[tuple[str, ...]] = (
    "Cường",
    "Quân",
    "Huy",
    "Bình",
    "Hoa",
    "Lâm",
    "Phong",
    "Thành",
    "Vũ",
)


# =========================================================================== registrations
class _Registrar:
    """Turns one commune's life events into registered records."""

    def __init__(self, sim: _CommuneSim) -> None:
        self.sim = sim
        self.pop = sim.pop
        self.persons = sim.pop.persons
        self.rng = random.Random(f"sohoa.registrar:{sim.pop.seed}:{sim.code}:{sim.rng.random()!r}")
        self.code = sim.code
        self.district = sim.district
        self.start = sim.start
        self.end = sim.end
        self.end_ordinal = sim.end.toordinal()
        self.rates = sim.rates
        self.combined: dict[str, dt.date] = {}

    def add(
        self, book_type: str, reg: dt.date, roles: dict[str, str], info: dict[str, Any], office: str = ""
    ) -> bool:
        return self.pop._add_event(book_type, reg, office or self.code, self.code, roles, info) is not None

    def window(self, p: Person, first: int, from_age: float, to_age: float) -> tuple[int, int]:
        """Ordinal days [lo, hi) when ``p`` is alive, between two ages and inside the simulation."""
        born = p.birth_date.toordinal()
        death = p.death_date.toordinal() if p.death_date is not None else _FAR
        return max(first, born + round(from_age * _YEAR)), min(
            self.end_ordinal, born + round(to_age * _YEAR), death
        )

    def resident_on(self, p: Person, day: dt.date) -> bool:
        return p.residence_on(day)[0] == self.code and p.alive_on(day)

    def run(self) -> None:
        self.marriages()
        self.births()
        self.recognitions()
        self.deaths()
        self.divorce_notes()
        self.guardianships()
        self.name_changes()
        self.ethnicity_changes()
        self.certificates()

    # ------------------------------------------------------------------ relations
    def relation(self, who: Person, of: Person) -> str:
        """What ``who`` is to ``of`` ("Cha", "Bà nội", "Anh ruột", "Vợ", "Con trai" …), "" if unrelated."""
        P = self.persons
        if who.id == of.id:
            return "Bản thân"
        if who.id == of.father_id:
            return "Cha"
        if who.id == of.mother_id:
            return "Mẹ"
        for idx in of.unions:
            u = self.pop.unions[idx]
            if who.id in (u.husband, u.wife):
                return "Vợ" if who.sex == NU else "Chồng"
        if of.id in (who.father_id, who.mother_id):
            return "Con trai" if who.sex == NAM else "Con gái"
        for parent_id, side in ((of.father_id, "nội"), (of.mother_id, "ngoại")):
            if parent_id and who.id in (P[parent_id].father_id, P[parent_id].mother_id):
                return f"{'Ông' if who.sex == NAM else 'Bà'} {side}"
        if (of.father_id and of.father_id == who.father_id) or (
            of.mother_id and of.mother_id == who.mother_id
        ):
            if who.birth_date < of.birth_date:
                return "Anh ruột" if who.sex == NAM else "Chị ruột"
            return "Em ruột"
        for child_id in of.children:
            c = P[child_id]
            if who.id in c.children:
                return "Cháu nội" if c.sex == NAM else "Cháu ngoại"
        for parent_id, side in ((of.father_id, "father"), (of.mother_id, "mother")):
            if not parent_id:
                continue
            parent = P[parent_id]
            if (parent.father_id and parent.father_id == who.father_id) or (
                parent.mother_id and parent.mother_id == who.mother_id
            ):
                older = who.birth_date < parent.birth_date
                if side == "father":
                    if who.sex == NAM:
                        return "Bác ruột" if older else "Chú ruột"
                    return "Bác ruột" if older else "Cô ruột"
                return "Cậu ruột" if who.sex == NAM else ("Bác ruột" if older else "Dì ruột")
        return ""

    def kin(self, p: Person) -> list[Person]:
        """Relatives of ``p`` (spouses, children, parents, siblings, grandparents, grandchildren, uncles)."""
        P = self.persons
        ids: list[str] = []
        for idx in p.unions:
            u = self.pop.unions[idx]
            ids.append(u.wife if u.husband == p.id else u.husband)
        ids += p.children
        parents = [x for x in (p.father_id, p.mother_id) if x]
        ids += parents
        for parent_id in parents:
            parent = P[parent_id]
            ids += [c for c in parent.children if c != p.id]
            grand = [x for x in (parent.father_id, parent.mother_id) if x]
            ids += grand
            for g in grand:
                ids += [c for c in P[g].children if c != parent_id]
        for c in p.children:
            ids += P[c].children
        seen: set[str] = set()
        out = []
        for x in ids:
            if x not in seen:
                seen.add(x)
                out.append(P[x])
        return out

    def hamlet_head(self, day: dt.date) -> Person | None:
        rng = self.rng
        members = self.sim.members
        for _ in range(40):
            p = self.persons[members[rng.randrange(len(members))]]
            if p.sex == NAM and self.resident_on(p, day) and 30 <= p.age_on(day) <= 70:
                return p
        return None

    # ------------------------------------------------------------------ marriages
    def marriages(self) -> None:
        rng = self.rng
        for idx in self.sim.union_ids:
            u = self.pop.unions[idx]
            if u.registered is None:
                continue
            if u.end is not None and u.registered >= u.end:
                u.registered = None  # the couple split (or one died) before registering
                continue
            if u.foreign:
                self.foreign_marriage_note(u)
                continue
            if u.office != self.code:
                continue
            husband, wife = self.persons[u.husband], self.persons[u.wife]
            reg, info = u.registered, {"kind": "first", "note": "", "union": idx}
            if not (self.resident_on(husband, reg) or self.resident_on(wife, reg) or reg <= u.start):
                u.office = ""  # both live elsewhere by then: registered there
                continue
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book:
                later = _between(rng, max(dt.date(2006, 1, 1), reg), self.end)
                if u.active_on(later) and self.resident_on(husband, later) and self.resident_on(wife, later):
                    reg, info = later, {"kind": "re_registration", "note": NOTE_REREGISTRATION, "union": idx}
            self.add("marriage", reg, {"bride": wife.id, "groom": husband.id}, info)

    def foreign_marriage_note(self, u: Union) -> None:
        rng = self.rng
        wife = self.persons[u.wife]
        reg = _d(u.start.toordinal() + _ri(rng, 60, 5 * 365))
        if reg < _LAW_2016 or not self.resident_on(wife, reg) or not u.active_on(reg):
            return
        note = (
            f"Ghi chú việc kết hôn đã đăng ký tại cơ quan có thẩm quyền của Trung Quốc ngày "
            f"{vn_text.format_date(u.start)}"
        )
        info = {"kind": "note", "note": note, "union": u.index}
        self.add("marriage", reg, {"bride": wife.id, "groom": u.husband}, info, office=self.district)

    # ------------------------------------------------------------------ births
    def births(self) -> None:
        rng = self.rng
        for pid in self.sim.born_here:
            child = self.persons[pid]
            reg, timeliness = self.birth_registration(child)
            if reg is None:
                continue
            note = ""
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book:
                later = _between(rng, max(dt.date(2006, 1, 1), _add_years(reg, 1)), self.end)
                if self.resident_on(child, later):
                    reg, timeliness, note = later, "re_registration", NOTE_REREGISTRATION
            self.sim.birth_reg[pid] = reg
            if self.combined_recognition(child, reg):
                self.combined[pid] = reg
            if child.birth_date >= _LAW_2016 and (reg >= dt.date(2020, 7, 1) or rng.random() < 0.6):
                child.cccd_from = min(reg, child.cccd_from or reg)
            declarant = self.birth_declarant(child, reg)
            roles = {"child": pid, "mother": child.mother_id or ""}
            if child.father_on_birth_record and child.father_id:
                roles["father"] = child.father_id
            info: dict[str, Any] = {"timeliness": timeliness, "note": note}
            if declarant is not None:
                roles["declarant"] = declarant.id
                info["declarant_relationship"] = self.relation(declarant, child)
            self.add("birth", reg, {k: v for k, v in roles.items() if v}, info)

    def combined_recognition(self, child: Person, reg: dt.date) -> bool:
        """Birth and recognition by the father registered together (from 2006, mostly 2016+)."""
        if child.father_on_birth_record or not child.father_id or reg < dt.date(2006, 1, 1):
            return False
        father = self.persons[child.father_id]
        if father.nationality != VIETNAM or not father.alive_on(reg):
            return False
        share = (
            self.rates.combined_recognition
            * self.sim.b("parent_recognition")
            * (1.0 if reg >= _LAW_2016 else 0.6)
        )
        if self.rng.random() >= min(0.8, share):
            return False
        child.father_on_birth_record = True
        return True

    def birth_registration(self, child: Person) -> tuple[dt.date | None, str]:
        rng = self.rng
        birth = child.birth_date
        y = birth.year
        timely = 0.55 if y < 1966 else 0.7 if y < 1986 else 0.8 if y < 1999 else 0.88 if y < 2006 else 0.93
        if y >= 2016:
            timely = 0.97
        if child.ethnicity in _HIGHLAND:
            timely -= 0.15 if y < 2006 else 0.05
        if birth >= self.start and rng.random() < timely:
            deadline = self.pop.eras.at(birth).birth_deadline
            if rng.random() < 0.9:
                reg = _d(birth.toordinal() + _ri(rng, 1, deadline))
            else:
                reg = _d(birth.toordinal() + deadline + 1 + int(rng.expovariate(1 / 120)))
            reg = min(reg, _d(birth.toordinal() + 3 * 365))
        else:
            if rng.random() > 0.7:
                return None, ""
            u = rng.random()
            if birth < _CAMPAIGN[0] and u < 0.2:
                reg = _between(rng, max(_CAMPAIGN[0], birth), _CAMPAIGN[1])
            elif u < 0.8:
                reg = _add_years(birth, rng.uniform(5.5, 6.8))
            else:
                reg = _add_years(birth, rng.uniform(14, 25))
            if not self.resident_on(child, reg):
                return None, ""
        if reg > self.end or reg < self.start:
            return None, ""
        deadline = self.pop.eras.at(reg).birth_deadline
        return reg, ("on_time" if (reg - birth).days <= deadline else "late")

    def birth_declarant(self, child: Person, reg: dt.date) -> Person | None:
        rng, P = self.rng, self.persons
        if child.age_on(reg) >= 16:
            return child
        options: list[Person] = []
        father = P[child.father_id] if child.father_id and child.father_on_birth_record else None
        mother = P[child.mother_id] if child.mother_id else None
        u = rng.random()
        if father is not None and father.alive_on(reg) and u < 0.55:
            return father
        if mother is not None and mother.alive_on(reg) and u < 0.88:
            return mother
        for parent in (father, mother):
            if parent is None:
                continue
            options += [P[g] for g in (parent.father_id, parent.mother_id) if g and P[g].alive_on(reg)]
        if options:
            return rng.choice(options)
        for parent in (father, mother):
            if parent is not None and parent.alive_on(reg):
                return parent
        return self.hamlet_head(reg)

    # ------------------------------------------------------------------ recognitions
    def recognitions(self) -> None:
        rng, P = self.rng, self.persons
        boost = self.sim.b("parent_recognition")
        for pid in self.sim.born_here:
            child = P[pid]
            if not child.father_id or pid not in self.sim.birth_reg:
                continue
            father = P[child.father_id]
            if father.nationality != VIETNAM:
                continue
            b_reg = self.sim.birth_reg[pid]
            if pid in self.combined:
                self.recognition(child, father, b_reg, "parent_recognizes_child")
                continue
            if child.father_on_birth_record:
                continue
            if rng.random() >= min(0.95, self.rates.recognition * boost):
                continue
            parents_union = self.union_of(father, P[child.mother_id]) if child.mother_id else None
            if parents_union is not None and parents_union.registered is not None:
                reg = _d(max(b_reg, parents_union.registered).toordinal() + _ri(rng, 0, 90))
            else:
                reg = _add_years(b_reg, rng.expovariate(1 / 3.0))
            if reg > self.end:
                continue
            if father.alive_on(reg) and self.resident_on(child, reg) and child.age_on(reg) < 30:
                self.recognition(child, father, reg, "parent_recognizes_child")
            elif child.age_on(reg) >= 18 and self.resident_on(child, reg):
                self.recognition(child, father, reg, "child_recognizes_parent")

    def union_of(self, a: Person, b: Person) -> Union | None:
        for idx in a.unions:
            u = self.pop.unions[idx]
            if b.id in (u.husband, u.wife):
                return u
        return None

    def recognition(self, child: Person, parent: Person, reg: dt.date, kind: str) -> None:
        rng = self.rng
        declarant = parent if kind == "parent_recognizes_child" else child
        office = self.district if rng.random() < 0.15 else self.code
        roles = {"parent": parent.id, "child": child.id, "declarant": declarant.id}
        info = {
            "kind": kind,
            "parent_relationship": "Cha" if parent.sex == NAM else "Mẹ",
            "declarant_relationship": self.relation(declarant, child),
            "note": "",
        }
        if not self.add("parent_recognition", reg, roles, info, office=office):
            return
        new_family = parent.family_name
        if child.family_name_on(reg) == new_family:
            return
        p = min(0.9, self.rates.family_name_change * self.sim.b("other"))
        if rng.random() < p:
            when = _d(reg.toordinal() + _ri(rng, 5, 180))
            if when <= self.end and self.resident_on(child, when):
                self.change_name(child, when, family=new_family)

    # ------------------------------------------------------------------ changes of name / ethnicity
    def change_name(
        self, p: Person, reg: dt.date, *, family: str | None = None, given: str | None = None
    ) -> None:
        before = p.name_on(reg)
        fam = family or p.family_name_on(reg)
        current = [x for x in p.name_changes if x[0] <= reg]
        middle = current[-1][2] if current else p.middle_name
        giv = given or (current[-1][3] if current else p.given_name)
        after = _join_name(fam, middle, giv)
        if after == before:
            return
        what = "họ" if family else "tên"
        note = f"Thay đổi {what} từ {before} thành {after}"
        office = self.code if p.age_on(reg) < 14 else self.district
        info = {"kind": "change_correction", "note": note}
        if self.add("other", reg, {"subject": p.id}, info, office=office):
            p.name_changes.append((_d(reg.toordinal() + 1), fam, middle, giv))
            p.name_changes.sort()

    def name_changes(self) -> None:
        rng, P = self.rng, self.persons
        rate = self.rates.given_name_change * self.sim.b("other") / _YEAR
        first = max(self.start, dt.date(1976, 1, 1)).toordinal()
        for pid in self.sim.members:
            p = P[pid]
            lo, hi = self.window(p, first, 1, 60)
            if hi <= lo or p.nationality != VIETNAM or _poisson(rng, rate * (hi - lo)) == 0:
                continue
            reg = _d(lo + int(rng.random() * (hi - lo)))
            if not self.resident_on(p, reg) or (p.name_changes and p.name_changes[-1][0] > reg):
                continue  # changes are registered in date order (keeps the name history simple)
            _middle, given = self.sim.given_for(p.sex, p.ethnicity, max(p.birth_date.year, 1995))
            self.change_name(p, reg, given=given)

    def ethnicity_changes(self) -> None:
        rng, P = self.rng, self.persons
        p_change = min(0.9, self.rates.ethnicity_change * self.sim.b("other"))
        for pid in self.sim.born_here:
            p = P[pid]
            if not (p.father_id and p.mother_id):
                continue
            f, m = P[p.father_id], P[p.mother_id]
            if f.ethnicity == m.ethnicity or f.nationality != VIETNAM or rng.random() >= p_change:
                continue
            new = m.ethnicity if p.ethnicity == f.ethnicity else f.ethnicity
            reg = _add_years(p.birth_date, rng.uniform(3, 30))
            if reg > self.end or reg < self.start or not self.resident_on(p, reg):
                continue
            note = f"Xác định lại dân tộc từ {p.ethnicity_on(reg)} thành {new}"
            if self.add(
                "other", reg, {"subject": pid}, {"kind": "ethnicity_change", "note": note}, self.district
            ):
                p.ethnicity_changes.append((_d(reg.toordinal() + 1), new))

    # ------------------------------------------------------------------ guardianship
    def guardianships(self) -> None:
        rng, P = self.rng, self.persons
        p_orphan = min(0.95, self.rates.guardianship * self.sim.b("other"))
        for pid in self.sim.born_here:
            child = P[pid]
            mother = P[child.mother_id] if child.mother_id else None
            father = P[child.father_id] if child.father_id and child.father_on_birth_record else None
            deaths = [x.death_date for x in (mother, father) if x is not None]
            if mother is None or any(d is None for d in deaths):
                continue
            orphaned = max(d for d in deaths if d is not None)
            adult = _birthday(child.birth_date, 18)
            if orphaned >= adult or rng.random() >= p_orphan:
                continue
            reg = _d(orphaned.toordinal() + _ri(rng, 15, 365))
            if reg >= adult:
                continue
            self.guardian_for(child, reg, adult_ward=False)
        rate = self.rates.adult_guardianship * self.sim.b("other") / _YEAR
        first = self.start.toordinal()
        for pid in self.sim.members:
            p = P[pid]
            lo, hi = self.window(p, first, 18.05, 75)
            if hi <= lo or _poisson(rng, rate * (hi - lo)) == 0:
                continue
            self.guardian_for(p, _d(lo + int(rng.random() * (hi - lo))), adult_ward=True)

    def guardian_for(self, ward: Person, reg: dt.date, *, adult_ward: bool) -> None:
        rng = self.rng
        if reg < self.start or reg > self.end or not self.resident_on(ward, reg):
            return
        parents = (
            () if adult_ward else (ward.father_id, ward.mother_id)
        )  # an orphan's guardian is not a parent
        candidates = [
            k
            for k in self.kin(ward)
            if k.alive_on(reg)
            and k.age_on(reg) >= 21
            and k.nationality == VIETNAM
            and k.id not in parents
            and self.relation(k, ward)
        ]
        if not candidates:
            return
        guardian = rng.choice(candidates)
        info = {
            "kind": "guardianship",
            "note": "",
            "guardian_relationship": self.relation(guardian, ward),
        }
        if not self.add("other", reg, {"subject": ward.id, "guardian": guardian.id}, info):
            return
        if adult_ward:
            return
        adult = _birthday(ward.birth_date, 18)
        end = _d(adult.toordinal() + _ri(rng, 0, 365))
        reason = "Người được giám hộ đã đủ 18 tuổi"
        if guardian.death_date is not None and guardian.death_date < adult:
            end, reason = _d(guardian.death_date.toordinal() + _ri(rng, 15, 200)), "Người giám hộ đã chết"
        if end <= self.end and rng.random() < 0.6 and self.resident_on(ward, end):
            info = {
                "kind": "end_guardianship",
                "note": reason,
                "guardian_relationship": info["guardian_relationship"],
            }
            self.add("other", end, {"subject": ward.id, "guardian": guardian.id}, info)

    # ------------------------------------------------------------------ divorces
    def divorce_notes(self) -> None:
        rng, geo = self.rng, self.sim.geo
        district = geo.communes[self.code]
        court = f"Tòa án nhân dân {district.district_kind} {district.district_name}"
        for idx, day in self.sim.divorces:
            u = self.pop.unions[idx]
            spouses = [self.persons[u.wife], self.persons[u.husband]]
            if rng.random() < 0.4:
                spouses.reverse()
            count = 2 if rng.random() < 0.25 else 1
            number = _ri(rng, 1, 120)
            kind = "QĐST-HNGĐ" if rng.random() < 0.6 else "HNGĐ-ST"
            paper = "Quyết định" if kind.startswith("QĐ") else "Bản án"
            note = f"Ly hôn theo {paper} số {number}/{day.year}/{kind} ngày {vn_text.format_date(day)} của {court}"
            for spouse in spouses[:count]:
                reg = _d(day.toordinal() + _ri(rng, 10, 365))
                if reg <= self.end and self.resident_on(spouse, reg):
                    self.add(
                        "other",
                        reg,
                        {"subject": spouse.id},
                        {"kind": "divorce_note", "note": note},
                        self.district,
                    )

    # ------------------------------------------------------------------ deaths
    def deaths(self) -> None:
        rng, P = self.rng, self.persons
        for pid in sorted(self.sim.resident_at_death, key=lambda x: int(x[1:])):
            p = P[pid]
            death = p.death_date
            if death is None or death < self.start or death > self.end:
                continue
            y = death.year
            share = 0.5 if y < 1976 else 0.65 if y < 1999 else 0.8 if y < 2006 else 0.88 if y < 2016 else 0.95
            if p.ethnicity in _HIGHLAND:
                share *= 0.85
            timeliness, note = "on_time", ""
            if rng.random() < share:
                deadline = self.pop.eras.at(death).death_deadline
                reg = _d(
                    death.toordinal() + (_ri(rng, 0, deadline) if rng.random() < 0.9 else _ri(rng, 16, 400))
                )
            elif rng.random() < self.rates.late_death_registration:
                if death < _CAMPAIGN[0] and rng.random() < 0.25:
                    reg = _between(rng, _CAMPAIGN[0], _CAMPAIGN[1])
                else:
                    reg = _add_years(death, rng.expovariate(1 / 6.0))
            else:
                continue
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book / 2:
                reg, note = _between(rng, dt.date(2006, 1, 1), self.end), NOTE_REREGISTRATION
            if reg > self.end:
                continue
            declarant = self.death_declarant(p, reg)
            if declarant is None:
                continue
            if note:
                timeliness = "re_registration"
            else:
                timeliness = (
                    "on_time" if (reg - death).days <= self.pop.eras.at(reg).death_deadline else "late"
                )
            relationship = self.relation(declarant, p) or (
                "Trưởng xóm" if self.sim.commune.kind == "xã" else "Tổ trưởng tổ dân phố"
            )
            info = {
                "timeliness": timeliness,
                "note": note,
                "declarant_relationship": relationship,
                "death_place": self.death_place(p),
            }
            self.add("death", reg, {"deceased": pid, "declarant": declarant.id}, info)

    def death_place(self, p: Person) -> str:
        u = self.rng.random()
        year = p.death_date.year if p.death_date else 2000
        if year < 1990 or u < 0.7 or p.death_cause in ("Đuối nước", "Tai nạn lao động"):
            return "home"
        return "station" if u < 0.75 else "district" if u < 0.88 else "province"

    def death_declarant(self, p: Person, reg: dt.date) -> Person | None:
        rng = self.rng
        kin = [k for k in self.kin(p) if k.alive_on(reg) and k.age_on(reg) >= 16 and k.nationality == VIETNAM]
        local = [k for k in kin if self.resident_on(k, reg)]
        pool = local or kin
        if pool and rng.random() < 0.93:
            spouses = [k for k in pool if self.relation(k, p) in ("Vợ", "Chồng")]
            if spouses and rng.random() < 0.45:
                return spouses[0]
            return rng.choice(pool)
        return self.hamlet_head(reg)

    # ------------------------------------------------------------------ marital-status certificates
    def certificates(self) -> None:
        rng, P = self.rng, self.persons
        for pid, day, kind in self.sim.pending_certificates:
            p = P[pid]
            if day < self.start or not self.resident_on(p, day):
                continue
            purpose = PURPOSE_FOREIGN if kind == "foreign" else PURPOSE_MARRIAGE
            self.certificate(
                p, day, "foreign_marriage" if kind == "foreign" else "domestic_marriage", purpose
            )
        rate = self.rates.certificate * self.sim.b("marital_status") / _YEAR
        first = self.start.toordinal()
        for pid in self.sim.members:
            p = P[pid]
            if p.nationality != VIETNAM:
                continue
            lo, hi = self.window(p, first, 18.05, 70)
            if hi <= lo:
                continue
            for _ in range(_poisson(rng, rate * (hi - lo))):
                day = _d(lo + int(rng.random() * (hi - lo)))
                factor = 0.15 if day.year < 1990 else 0.35 if day.year < 1999 else 1.0
                if rng.random() >= factor or not self.resident_on(p, day):
                    continue
                if self.registered_spouse(p, day) is None and rng.random() < 0.35 and p.age_on(day) < 40:
                    self.certificate(p, day, "domestic_marriage", PURPOSE_MARRIAGE)
                else:
                    self.certificate(p, day, "other_purpose", rng.choice(PURPOSES_OTHER))

    def registered_spouse(self, p: Person, day: dt.date) -> Union | None:
        for idx in p.unions:
            u = self.pop.unions[idx]
            if u.registered_on(day) and not u.foreign:
                return u
        return None

    def certificate(self, p: Person, day: dt.date, kind: str, purpose: str) -> None:
        rng = self.rng
        info: dict[str, Any] = {"kind": kind, "purpose": purpose, "note": ""}
        current = self.registered_spouse(p, day)
        past = []
        for i in p.unions:
            u = self.pop.unions[i]
            if u.registered is not None and u.registered <= day and u.end is not None and u.end <= day:
                past.append(u)
        if current is not None:
            if kind != "other_purpose":
                return  # a married person cannot ask for a certificate to marry
            info["status"] = "married"
            info["spouse"] = current.wife if current.husband == p.id else current.husband
        elif past:
            last = max(past, key=lambda u: u.end or dt.date.min)
            info["spouse"] = last.wife if last.husband == p.id else last.husband
            info["status"] = "divorced" if last.end_reason == "divorce" else "widowed"
        else:
            info["status"] = "single"
        applicant = p
        if rng.random() < 0.12:
            parents = [
                self.persons[x] for x in (p.father_id, p.mother_id) if x and self.persons[x].alive_on(day)
            ]
            if parents:
                applicant = rng.choice(parents)
        info["applicant_relationship"] = self.relation(applicant, p)
        self.add("marital_status", day, {"person": p.id, "applicant": applicant.id}, info)


# =========================================================================== rendering
_ETHNICITY_OLD: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    # written form of a group by registration period: ((form, weight), ...)
    "Mông": (("Mèo", 0.7), ("H'Mông", 0.3)),
    "Tày": (("Thổ", 0.4), ("Tày", 0.6)),
}


class _Renderer:
    """Writes the true text of every field of an event, in the style of its era."""

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self.P = pop.persons
        self.geo = pop._geo
        self.rng = random.Random(0)
        self.day = dt.date.min
        self.style, self.old_tones, self.hamlet_share, self.form = "full", False, 0.0, True

    def render(self, ev: _Event) -> SampleRecord:
        self.rng = random.Random((self.pop.seed * 1_000_003 + ev.seq) * 31 + ev.reg.toordinal())
        self.day = ev.reg
        rng, era = self.rng, ev.era
        form = self.pop.eras.at(ev.reg).start >= _LAW_2016
        if form:
            self.style, self.old_tones, self.hamlet_share = "full", False, 0.6
        else:
            y = ev.reg.year
            weights = (40, 35, 25) if y < 1999 else (55, 30, 15) if y < 2006 else (70, 25, 5)
            self.style = _choice_weighted(rng, ("full", "abbr", "short"), _cumulative(weights))
            self.old_tones = rng.random() < (0.6 if y < 1999 else 0.45 if y < 2006 else 0.25)
            self.hamlet_share = 0.2 if y < 2006 else 0.3
        self.form = form
        f = dict.fromkeys(FIELDS_BY_BOOK_TYPE[ev.book_type], "")
        f["registration.date"] = vn_text.format_date(ev.reg)
        getattr(self, f"_{ev.book_type}")(f, ev)
        if not form:
            for k, v in f.items():
                if v and k.endswith(_TONED):
                    f[k] = vn_text.old_tone_style(v) if self.old_tones else vn_text.new_tone_style(v)
        return SampleRecord(
            book_type=ev.book_type,
            era=era,
            office=ev.office,
            registration_date=ev.reg,
            fields=f,
            persons=dict(sorted(ev.roles.items())),
        )

    # ------------------------------------------------------------------ values
    def name(self, pid: str) -> str:
        return self.P[pid].name_on(self.day)

    def date(self, pid: str) -> str:
        p = self.P[pid]
        return vn_text.format_date(p.birth_date) if p.birth_date_known else str(p.birth_date.year)

    def ethnicity(self, pid: str) -> str:
        group = self.P[pid].ethnicity_on(self.day)
        y = self.day.year
        if group == "Mông":
            if y < 1980:
                return _choice_weighted(self.rng, ("Mèo", "H'Mông"), (0.7, 1.0))
            if y < 2006:
                return "H'Mông" if self.rng.random() < 0.6 else "Mông"
            if y < 2016:
                return "H'Mông" if self.rng.random() < 0.2 else "Mông"
            return "Mông"
        if group == "Tày" and y < 1980 and self.rng.random() < 0.4:
            return "Thổ"
        return group

    def place(self, key: str, *, hamlet: str = "") -> str:
        return self.geo.text(key, self.style, self.day, hamlet)

    def residence(self, pid: str) -> str:
        key, hamlet = self.P[pid].residence_on(self.day)
        show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
        return self.place(key, hamlet=show)

    def facility(self, kind: str, key: str) -> str:
        if not kind or not key[:1].isdigit():
            return self.place(key)
        c = self.geo.communes[key]
        style = self.style
        province = f"tỉnh {self.geo.province_name}" if style == "full" else self.geo.province_name
        district_kind = c.district_kind
        if district_kind == "thành phố" and self.day < _CITY_DATE:
            district_kind = "thị xã"
        dk = district_kind if style == "full" else _ABBR.get(district_kind, district_kind)
        if kind == "station":
            ck = c.kind if style == "full" else _ABBR.get(c.kind, c.kind)
            return f"Trạm y tế {ck} {c.name}, {dk} {c.district_name}, {province}"
        if kind == "district":
            if vn_text.tone_key(c.district_name) == vn_text.tone_key(self.geo.province_name):
                return f"Bệnh viện đa khoa {province}"
            label = "Trung tâm Y tế" if self.day.year >= 2018 else "Bệnh viện đa khoa"
            return f"{label} {dk} {c.district_name}, {province}"
        return f"Bệnh viện đa khoa {province}"

    def nationality(self, pid: str) -> str:
        return self.P[pid].nationality

    # ------------------------------------------------------------------ book types
    def _birth(self, f: dict[str, str], ev: _Event) -> None:
        child = self.P[ev.roles["child"]]
        f["registration.timeliness"] = ev.info["timeliness"]
        f["child.full_name"] = self.name(child.id)
        f["child.birth_date"] = vn_text.format_date(child.birth_date)
        f["child.birth_date_words"] = vn_text.date_to_words(child.birth_date)
        f["child.sex"] = child.sex
        f["child.ethnicity"] = self.ethnicity(child.id)
        f["child.nationality"] = child.nationality
        f["child.birth_place"] = self.facility(child.birth_facility, child.birth_place)
        f["child.home_town"] = self.place(child.home_town)
        f["child.id_number"] = child.id_number_on(self.day) if self.form else ""
        for role in ("mother", "father"):
            pid = ev.roles.get(role)
            if not pid:
                continue
            f[f"{role}.full_name"] = self.name(pid)
            f[f"{role}.birth_year"] = str(self.P[pid].birth_date.year)
            f[f"{role}.ethnicity"] = self.ethnicity(pid)
            f[f"{role}.nationality"] = self.nationality(pid)
            f[f"{role}.residence"] = self.residence(pid)
        self.declarant(f, ev)
        f["note"] = ev.info.get("note", "") or self.later_changes(child)

    def later_changes(self, child: Person) -> str:
        """Margin note on a birth record: a later change of family name or ethnicity."""
        notes = []
        for when, family, middle, given in child.name_changes:
            if family != child.family_name and when > self.day:
                notes.append(f"Thay đổi họ từ {child.full_name} thành {_join_name(family, middle, given)}")
                break
        for when, group in child.ethnicity_changes:
            if when > self.day:
                notes.append(f"Xác định lại dân tộc từ {child.ethnicity} thành {group}")
                break
        if not notes or self.rng.random() < 0.3:
            return ""
        return "; ".join(notes)

    def declarant(self, f: dict[str, str], ev: _Event) -> None:
        pid = ev.roles.get("declarant")
        if pid:
            f["declarant.full_name"] = self.name(pid)
            f["declarant.relationship"] = ev.info.get("declarant_relationship", "")

    def _marriage(self, f: dict[str, str], ev: _Event) -> None:
        u = self.pop.unions[ev.info["union"]]
        f["registration.kind"] = ev.info["kind"]
        before = _d(u.start.toordinal() - 1) if (ev.reg - u.start).days <= 180 else ev.reg
        for role in ("bride", "groom"):
            p = self.P[ev.roles[role]]
            f[f"{role}.full_name"] = self.name(p.id)
            f[f"{role}.birth_date"] = self.date(p.id)
            f[f"{role}.ethnicity"] = self.ethnicity(p.id)
            f[f"{role}.nationality"] = p.nationality
            key, hamlet = p.residence_on(before if ev.info["kind"] == "first" else ev.reg)
            show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
            f[f"{role}.residence"] = self.place(key, hamlet=show)
            f[f"{role}.id_number"] = p.id_number_on(self.day)
        f["note"] = ev.info["note"]

    def _parent_recognition(self, f: dict[str, str], ev: _Event) -> None:
        f["registration.kind"] = ev.info["kind"]
        parent, child = self.P[ev.roles["parent"]], self.P[ev.roles["child"]]
        f["parent.full_name"] = self.name(parent.id)
        f["parent.birth_date"] = self.date(parent.id)
        f["parent.ethnicity"] = self.ethnicity(parent.id)
        f["parent.nationality"] = parent.nationality
        f["parent.residence"] = self.residence(parent.id)
        f["parent.id_number"] = parent.id_number_on(self.day)
        f["parent.relationship"] = ev.info["parent_relationship"]
        f["child.full_name"] = self.name(child.id)
        f["child.birth_date"] = self.date(child.id)
        f["child.sex"] = child.sex
        f["child.ethnicity"] = self.ethnicity(child.id)
        f["child.nationality"] = child.nationality
        f["child.residence"] = self.residence(child.id)
        self.declarant(f, ev)
        f["note"] = ev.info["note"]

    def _marital_status(self, f: dict[str, str], ev: _Event) -> None:
        p = self.P[ev.roles["person"]]
        f["registration.kind"] = ev.info["kind"]
        f["person.full_name"] = self.name(p.id)
        f["person.birth_date"] = self.date(p.id)
        f["person.sex"] = p.sex
        f["person.ethnicity"] = self.ethnicity(p.id)
        f["person.nationality"] = p.nationality
        f["person.residence"] = self.residence(p.id)
        f["person.id_number"] = p.id_number_on(self.day)
        status = ev.info["status"]
        if status == "single":
            text = STATUS_SINGLE
        elif status == "divorced":
            text = STATUS_DIVORCED
        else:
            spouse = self.P[ev.info["spouse"]]
            word = "vợ" if spouse.sex == NU else "chồng"
            if status == "married":
                text = f"Đang có {word} là {self.name(spouse.id)}"
            else:
                year = spouse.death_date.year if spouse.death_date else self.day.year
                text = f"Có {word} là {self.name(spouse.id)} (đã chết năm {year})"
        f["person.marital_status"] = text
        f["person.purpose"] = ev.info["purpose"]
        applicant = ev.roles["applicant"]
        f["applicant.full_name"] = self.name(applicant)
        f["applicant.relationship"] = ev.info["applicant_relationship"]
        f["note"] = ev.info["note"]

    def _death(self, f: dict[str, str], ev: _Event) -> None:
        p = self.P[ev.roles["deceased"]]
        death = p.death_date or ev.reg
        f["registration.timeliness"] = ev.info["timeliness"]
        f["deceased.full_name"] = self.name(p.id)
        f["deceased.birth_date"] = self.date(p.id)
        f["deceased.sex"] = p.sex
        f["deceased.ethnicity"] = self.ethnicity(p.id)
        f["deceased.nationality"] = p.nationality
        f["deceased.id_number"] = p.id_number_on(min(death, ev.reg))
        f["deceased.death_date"] = vn_text.format_date(death)
        key, hamlet = p.residence_on(death)
        kind = ev.info["death_place"]
        if kind == "home":
            show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
            f["deceased.death_place"] = self.place(key, hamlet=show)
        else:
            f["deceased.death_place"] = self.facility(kind, key)
        f["deceased.death_cause"] = p.death_cause
        self.declarant(f, ev)
        f["note"] = ev.info["note"]

    def _other(self, f: dict[str, str], ev: _Event) -> None:
        f["registration.kind"] = ev.info["kind"]
        subject = self.P[ev.roles["subject"]]
        f["subject.full_name"] = self.name(subject.id)
        f["subject.birth_date"] = self.date(subject.id)
        f["subject.sex"] = subject.sex
        f["subject.residence"] = self.residence(subject.id)
        guardian = ev.roles.get("guardian")
        if guardian:
            f["guardian.full_name"] = self.name(guardian)
            f["guardian.birth_date"] = self.date(guardian)
            f["guardian.residence"] = self.residence(guardian)
            f["guardian.relationship"] = ev.info["guardian_relationship"]
        f["note"] = ev.info["note"]


# fields whose text may hold an "oa"/"oe"/"uy" syllable whose tone mark old books place differently
_TONED: Final[tuple[str, ...]] = (
    ".full_name",
    ".residence",
    ".birth_place",
    ".home_town",
    ".death_place",
    ".marital_status",
    "note",
)


# =========================================================================== entry points
def simulate(
    seed: int,
    *,
    communes: int | None = None,
    start_year: int = 1950,
    end_year: int = 2025,
    scale: float = 1.0,
    boosts: Mapping[str, float] | None = None,
    rates: Rates | None = None,
) -> Population:
    """Simulate ``communes`` communes (default 4) of about ``5000 × scale`` residents each.

    ``boosts`` multiplies the rates of the rare book types (keys: "parent_recognition", "marital_status",
    "other") in every simulated commune. The same arguments always give the same population.
    """
    pop = Population(seed, start_year=start_year, end_year=end_year, rates=rates)
    for _ in range(DEFAULT_COMMUNES if communes is None else communes):
        pop.add_commune(scale=scale, boosts=boosts)
    return pop


# records of the best office of one commune of scale 1.0, boost 1 (its own book, or for "other" its
# district's), the smallest of 6 communes of seed 0; only used to size a simulation before it runs
# (growth corrects any shortfall)
_YIELD: Final[dict[str, dict[str, float]]] = {
    "marriage": {"1976-1999": 960.0, "1999-2005": 384.0, "2006-2015": 316.0, "2016+": 327.0},
    "birth": {"1976-1999": 6900.0, "1999-2005": 1029.0, "2006-2015": 1130.0, "2016+": 948.0},
    "parent_recognition": {"1976-1999": 308.0, "1999-2005": 135.0, "2006-2015": 95.0, "2016+": 82.0},
    "marital_status": {"1976-1999": 473.0, "1999-2005": 470.0, "2006-2015": 748.0, "2016+": 686.0},
    "death": {"1976-1999": 1778.0, "1999-2005": 494.0, "2006-2015": 659.0, "2016+": 634.0},
    "other": {"1976-1999": 486.0, "1999-2005": 168.0, "2006-2015": 217.0, "2016+": 185.0},
}
MAX_SCALE: Final[float] = 4.0
MAX_BOOST: Final[float] = 12.0
# records of a rare book type grow about as boost ** response (pools of eligible people run out)
_RESPONSE: Final[dict[str, float]] = {"parent_recognition": 0.6, "other": 0.85, "marital_status": 1.0}


def _units(book_type: str, scale: float, boost: float) -> float:
    """How many scale-1.0, boost-1 communes' worth of records of ``book_type`` a commune gives."""
    return scale * boost ** _RESPONSE.get(book_type, 0.0)


def _boost_for(book_type: str, factor: float) -> float:
    """The boost that multiplies the records of a rare book type by ``factor``."""
    return min(MAX_BOOST, max(1.0, factor ** (1.0 / _RESPONSE[book_type])))


def _capacity(pop: Population, book_type: str, era: str, records_per_book: int) -> int:
    return sum(n // records_per_book for n in pop.counts(book_type, era).values())


def _yield(pop: Population, book_type: str, era: str) -> float:
    """Records of (book_type, era) in a commune's own book per unit of scale × boost (measured)."""
    counts = pop.counts(book_type, era)
    districts: dict[str, int] = {}
    for run in pop.runs:
        district = pop._geo.district_of(run.code)
        districts[district] = districts.get(district, 0) + 1
    units, records = 0.0, 0
    for run in pop.runs:
        units += _units(book_type, run.scale, dict(run.boosts).get(book_type, 1.0))
        district = pop._geo.district_of(run.code)
        own_district = counts.get(district, 0) if districts[district] == 1 else 0
        records += max(counts.get(run.code, 0), own_district)
    measured = records / units if units else 0.0
    return measured if measured > 0 else _YIELD.get(book_type, {}).get(era, 100.0)


def _ensure(pop: Population, book_type: str, era: str, count: int, records_per_book: int) -> None:
    """Add communes until ``count`` books of ``records_per_book`` records can be drawn."""
    _check(book_type, era)
    info = next(e for e in pop.eras.table if e.id == era)
    if info.end < pop.start or info.start > pop.end:
        raise ConfigError(
            f"era {era} lies outside the simulated years {pop.start.year}-{pop.end.year}",
            hint="simulate with start_year/end_year covering the era",
        )
    rare = book_type in RARE_BOOK_TYPES
    largest = _units(book_type, MAX_SCALE, MAX_BOOST) if rare else 2 * MAX_SCALE
    for _ in range(64):
        have = _capacity(pop, book_type, era, records_per_book)
        if have >= count:
            return
        per_unit = _yield(pop, book_type, era)
        need = records_per_book * 1.3 / per_unit  # units (see _units) for one more office
        if need > largest * 1.3:
            break
        if rare:
            most = _units(book_type, 1.0, MAX_BOOST)
            scale = min(MAX_SCALE, max(1.0, need / most))
            pop.add_commune(scale=scale, boosts={book_type: _boost_for(book_type, need / scale)})
        else:
            pop.add_commune(scale=min(largest, max(0.5, need)))
    raise ConfigError(
        f"could not simulate enough {book_type} records of era {era} for {count} books of {records_per_book}",
        hint="ask for fewer records per book",
    )


def simulate_for(
    seed: int,
    needs: Mapping[tuple[str, str], int | tuple[int, int]],
    *,
    start_year: int = 1950,
    end_year: int = 2025,
) -> Population:
    """A population from which :func:`draw_books` can take every book in ``needs`` without growing.

    ``needs`` maps (book_type, era) to ``records_per_book`` (one book) or ``(count, records_per_book)``.
    The communes are sized from the demographic needs (birth, marriage, death) and rare book types are
    boosted where needed; then communes are added until every need is met.
    """
    wanted: dict[tuple[str, str], tuple[int, int]] = {}
    for key, value in sorted(needs.items()):
        _check(*key)
        wanted[key] = (1, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
    communes = max([c for c, _r in wanted.values()] or [1])
    scale = 0.25
    boosts: dict[str, float] = {}
    for (book_type, era), (_count, per_book) in wanted.items():
        units = per_book * 1.15 / _YIELD[book_type][era]
        if book_type in RARE_BOOK_TYPES:
            boosts[book_type] = max(boosts.get(book_type, 1.0), units)
        else:
            scale = max(scale, units)
    scale = min(scale, MAX_SCALE)
    boosts = {k: _boost_for(k, v / scale) for k, v in boosts.items()}
    pop = simulate(
        seed, communes=communes, start_year=start_year, end_year=end_year, scale=scale, boosts=boosts
    )
    for (book_type, era), (count, per_book) in wanted.items():
        _ensure(pop, book_type, era, count, per_book)
    return pop


def draw_books(
    population: Population, seed: int, book_type: str, era: str, count: int, records_per_book: int
) -> list[SampleBook]:
    """``count`` books of one type and era, each with exactly ``records_per_book`` consecutive records.

    Books come from different offices where possible (several disjoint runs of one office otherwise).
    When the population cannot fill them it grows (more communes, deterministically): the persons of the
    returned records are then in ``population.persons``.
    """
    if count < 0 or records_per_book < 1:
        raise ValueError("count must be >= 0 and records_per_book >= 1")
    _check(book_type, era)
    if count == 0:
        return []
    _ensure(population, book_type, era, count, records_per_book)
    rng = random.Random(f"sohoa.draw:{seed}:{book_type}:{era}:{count}:{records_per_book}")
    lists = population._office_lists(book_type, era)
    offices = sorted(o for o, seqs in lists.items() if len(seqs) >= records_per_book)
    rng.shuffle(offices)
    taken: dict[str, int] = {}
    order: list[str] = []
    while len(order) < count:
        progressed = False
        for office in offices:
            if len(order) >= count:
                break
            if (taken.get(office, 0) + 1) * records_per_book <= len(lists[office]):
                taken[office] = taken.get(office, 0) + 1
                order.append(office)
                progressed = True
        if not progressed:  # cannot happen after _ensure
            raise ConfigError("not enough records to draw the books", hint="report this as a bug")
    books: list[SampleBook] = []
    runs: dict[str, list[list[int]]] = {}
    for office, n in sorted(taken.items()):
        seqs = lists[office]
        slack = len(seqs) - n * records_per_book
        offset = rng.randint(0, slack)
        runs[office] = [
            seqs[offset + i * records_per_book : offset + (i + 1) * records_per_book] for i in range(n)
        ]
    used: dict[str, int] = {}
    for office in order:
        i = used.get(office, 0)
        used[office] = i + 1
        records = [population._render(s) for s in runs[office][i]]
        books.append(SampleBook(office=office, book_type=book_type, era=era, records=records))
    return books
