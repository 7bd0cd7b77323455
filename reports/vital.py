"""Vital-statistics indicators of the national programme, from the official partition.

Source: ``official_records`` (written by approval: approved and loaded records), with the registering
office, the registration date and the final field values (a plain value, or ``{value|text, …}``).
Dates are ``dd/mm/yyyy``, ``yyyy-mm-dd`` or a bare year. Years are registration years; "commune" is the
registering office.

* births: on time = registered within the era's deadline after the birth (the remote-area deadline
  where the era has one: every commune of Cao Bằng qualifies); within one year = before the first
  birthday. Re-registrations ("Đăng ký lại", ``registration.timeliness = re_registration``) are
  counted apart and left out of both shares, as are births whose date cannot be read.
* deaths: the same against ``deceased.death_date`` and the era's death deadline (unknown before 1999:
  on time is left blank).
* child marriages: a bride or groom younger than the era's minimum age on the registration date
  (``completed`` rule: full years; ``entered`` rule: past the birthday one year earlier). A bare birth
  year counts only when even the latest possible birthday is too young.
* divorces: ``other`` records with ``registration.kind = divorce_note`` (Sổ ghi chú ly hôn).

The dates are in JSON text of mixed precision, so the classification runs in Python over a narrow
projection (five values per record) streamed from one query per book group; only the counts are kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.models import BookType, OfficialRecord
from reports.model import Column, Report, View, ratio
from reports.scope import Registry, Scope, book_filter, check_scope, load_registry
from sohoa import config
from sohoa.errors import ConfigError

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
TOTAL = "Tổng"


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Day:
    """A date read from a record; ``exact`` False when only the year is known (then day = 1 January)."""

    date: dt.date
    exact: bool


def parse_day(text: Any) -> Day | None:
    """``dd/mm/yyyy``, ``yyyy-mm-dd`` or ``yyyy``; None when it is none of them or not a real date."""
    if not isinstance(text, str):
        return None
    try:
        if m := _DMY.match(text):
            return Day(dt.date(int(m[3]), int(m[2]), int(m[1])), True)
        if m := _ISO.match(text):
            return Day(dt.date(int(m[1]), int(m[2]), int(m[3])), True)
        if m := _YEAR.match(text):
            return Day(dt.date(int(m[1]), 1, 1), False)
    except ValueError:
        return None
    return None


def value_of(fields: Any, key: str) -> Any:
    if not isinstance(fields, Mapping):
        return None
    value = fields.get(key)
    if isinstance(value, Mapping):
        return value.get("value", value.get("text"))
    return value


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- rules
def _rules(era_id: str) -> config.EraRules | None:
    try:
        return config.era(era_id).rules
    except ConfigError:  # an era unknown to this configuration: no rules to apply
        return None


def birth_deadline(era_id: str) -> int | None:
    rules = _rules(era_id)
    return None if rules is None else rules.birth_deadline_days_remote or rules.birth_deadline_days


def death_deadline(era_id: str) -> int | None:
    rules = _rules(era_id)
    return None if rules is None else rules.death_deadline_days


def under_age(birth: Day, registered: dt.date, era_id: str, sex: str) -> bool:
    """True when a spouse born on ``birth`` was below the era's minimum marriage age."""
    rules = _rules(era_id)
    if rules is None:
        return False
    years = rules.marriage_min_age_male if sex == "male" else rules.marriage_min_age_female
    if rules.marriage_age_rule == "entered":
        years -= 1
    if birth.exact:
        return registered < anniversary(birth.date, years)
    return registered.year - birth.date.year < years  # even a birthday on 31 December is too young


# --------------------------------------------------------------------------- classification
@dataclass
class Timeliness:
    registered: int = 0
    on_time: int = 0
    on_time_known: int = 0
    within_year: int = 0
    re_registered: int = 0
    unreadable: int = 0

    def add(
        self, event: Day | None, registered: dt.date, deadline: int | None, re_registration: bool
    ) -> None:
        if re_registration:
            self.re_registered += 1
            return
        if event is None or not event.exact or event.date > registered:
            self.unreadable += 1
            return
        self.registered += 1
        self.within_year += registered < anniversary(event.date, 1)
        if deadline is not None:
            self.on_time_known += 1
            self.on_time += (registered - event.date).days <= deadline


@dataclass
class Marriages:
    marriages: int = 0
    child: int = 0
    brides_under_age: int = 0
    grooms_under_age: int = 0


Row = tuple[str, str, dt.date, Any]  # office code, era, registration date, fields


def _rows(session: Session, registry: Registry, scope: Scope, book_type: BookType) -> Iterator[Row]:
    query = (
        select(
            OfficialRecord.office_code,
            OfficialRecord.era,
            OfficialRecord.registration_date,
            OfficialRecord.fields,
        )
        .where(OfficialRecord.book_type == book_type, *book_filter(OfficialRecord.book_id, registry, scope))
        .execution_options(yield_per=5000)
    )
    for office, era, registered, fields in session.execute(query):
        day = registered or (d.date if (d := parse_day(value_of(fields, "registration.date"))) else None)
        if day is not None:
            yield office, era, day, fields


def timeliness_by_year_office(
    rows: Iterator[Row], event_key: str, deadline_of: Any
) -> dict[tuple[int, str], Timeliness]:
    out: dict[tuple[int, str], Timeliness] = defaultdict(Timeliness)
    for office, era, registered, fields in rows:
        event = parse_day(value_of(fields, event_key))
        re_reg = value_of(fields, "registration.timeliness") == "re_registration"
        out[(registered.year, office)].add(event, registered, deadline_of(era), re_reg)
    return dict(out)


def marriages_by_year(rows: Iterator[Row]) -> dict[int, Marriages]:
    out: dict[int, Marriages] = defaultdict(Marriages)
    for _office, era, registered, fields in rows:
        figures = out[registered.year]
        figures.marriages += 1
        bride = parse_day(value_of(fields, "bride.birth_date"))
        groom = parse_day(value_of(fields, "groom.birth_date"))
        bride_young = bride is not None and under_age(bride, registered, era, "female")
        groom_young = groom is not None and under_age(groom, registered, era, "male")
        figures.brides_under_age += bride_young
        figures.grooms_under_age += groom_young
        figures.child += bride_young or groom_young
    return dict(out)


def divorces_by_year(rows: Iterator[Row]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for _office, _era, registered, fields in rows:
        if value_of(fields, "registration.kind") == "divorce_note":
            out[registered.year] += 1
    return dict(out)


# --------------------------------------------------------------------------- views
TIMELINESS_COLUMNS = (
    Column("year", "Năm đăng ký", "year"),
    Column("office_code", "Mã cơ quan"),
    Column("office_name", "Cơ quan đăng ký"),
    Column("registered", "Số đăng ký", "int"),
    Column("on_time", "Đúng hạn", "int"),
    Column("pct_on_time", "% đúng hạn", "pct"),
    Column("within_year", "Trong vòng 1 năm", "int"),
    Column("pct_within_year", "% trong 1 năm", "pct"),
    Column("re_registered", "Đăng ký lại", "int"),
    Column("unreadable", "Thiếu ngày", "int"),
)
MARRIAGE_COLUMNS = (
    Column("year", "Năm đăng ký", "year"),
    Column("marriages", "Số kết hôn", "int"),
    Column("child_marriages", "Tảo hôn", "int"),
    Column("brides_under_age", "Vợ chưa đủ tuổi", "int"),
    Column("grooms_under_age", "Chồng chưa đủ tuổi", "int"),
    Column("pct_child", "% tảo hôn", "pct"),
)
DIVORCE_COLUMNS = (
    Column("year", "Năm đăng ký", "year"),
    Column("divorces", "Ghi chú ly hôn", "int"),
)


def _timeliness_row(year: int, code: str, name: str, t: Timeliness) -> dict[str, Any]:
    return {
        "year": year,
        "office_code": code,
        "office_name": name,
        "registered": t.registered,
        "on_time": t.on_time if t.on_time_known else None,
        "pct_on_time": ratio(t.on_time, t.on_time_known),
        "within_year": t.within_year,
        "pct_within_year": ratio(t.within_year, t.registered),
        "re_registered": t.re_registered,
        "unreadable": t.unreadable,
    }


def timeliness_rows(registry: Registry, figures: dict[tuple[int, str], Timeliness]) -> list[dict[str, Any]]:
    """Per year: one row per registering office, then the year's total row (office code ``Tổng``)."""
    rows = []
    for year in sorted({y for y, _ in figures}):
        total = Timeliness()
        for (y, code), t in sorted(figures.items()):
            if y != year:
                continue
            office = registry.offices.get(code)
            rows.append(_timeliness_row(year, code, office.name if office else code, t))
            for name in (
                "registered",
                "on_time",
                "on_time_known",
                "within_year",
                "re_registered",
                "unreadable",
            ):
                setattr(total, name, getattr(total, name) + getattr(t, name))
        rows.append(_timeliness_row(year, TOTAL, TOTAL, total))
    return rows


def marriage_rows(figures: dict[int, Marriages]) -> list[dict[str, Any]]:
    return [
        {
            "year": year,
            "marriages": m.marriages,
            "child_marriages": m.child,
            "brides_under_age": m.brides_under_age,
            "grooms_under_age": m.grooms_under_age,
            "pct_child": ratio(m.child, m.marriages),
        }
        for year, m in sorted(figures.items())
    ]


def build_vital(session: Session, scope: Scope | None = None) -> Report:
    scope = scope or Scope()
    registry = load_registry(session)
    check_scope(registry, scope)
    births = timeliness_by_year_office(
        _rows(session, registry, scope, BookType.BIRTH), "child.birth_date", birth_deadline
    )
    deaths = timeliness_by_year_office(
        _rows(session, registry, scope, BookType.DEATH), "deceased.death_date", death_deadline
    )
    marriages = marriages_by_year(_rows(session, registry, scope, BookType.MARRIAGE))
    divorces = divorces_by_year(_rows(session, registry, scope, BookType.OTHER))
    divorce_note = "" if divorces else "Chưa có ghi chú ly hôn nào được phê duyệt: 0."
    views = [
        View(
            "births",
            "Khai sinh: đúng hạn và trong vòng 1 năm",
            TIMELINESS_COLUMNS,
            timeliness_rows(registry, births),
        ),
        View(
            "deaths",
            "Khai tử: đúng hạn và trong vòng 1 năm",
            TIMELINESS_COLUMNS,
            timeliness_rows(registry, deaths),
            note="Trước 1999 không có thời hạn khai tử trong quy định: cột đúng hạn để trống.",
        ),
        View("child_marriages", "Tảo hôn theo năm", MARRIAGE_COLUMNS, marriage_rows(marriages)),
        View(
            "divorces",
            "Ly hôn được ghi chú",
            DIVORCE_COLUMNS,
            [{"year": y, "divorces": n} for y, n in sorted(divorces.items())],
            note=divorce_note,
        ),
    ]
    return Report(
        kind="vital",
        title="Chỉ tiêu thống kê hộ tịch (từ dữ liệu đã phê duyệt)",
        generated_at=dt.datetime.now(dt.UTC),
        filters=scope.labels(),
        views=views,
        notes=["Năm = năm đăng ký; đăng ký lại không tính vào tỷ lệ đúng hạn."],
    )
