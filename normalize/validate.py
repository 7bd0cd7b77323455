"""Record-level checks: every rule runs, and every problem found is returned (never only the first).

Rules (the era's figures come from ``configs/eras.yaml`` through ``sohoa.config.era``):
* the registration date lies inside the era and inside the book's years;
* no event (birth, death, a person's birth year) is after the registration;
* births and deaths: on time or late against the era's deadline, compared with the book's own tick box
  ``registration.timeliness`` where it has one;
* marriages: each spouse's age against the era's minimum, read as completed years or, under the
  ``entered`` rule, as past the birthday before (``child_marriage``);
* births: the mother aged 14–50 at the birth; deaths: death not before birth.

Dates known only to the month or the year are compared by their earliest and latest possible days, so a
rule fires only when the problem is certain (or, for ages, says that it is uncertain).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final, Literal

from normalize.dates import PartialDate
from normalize.result import Issue, Normalized, issue
from sohoa.config import Era, era
from sohoa.errors import SohoaError

Timeliness = Literal["on_time", "late"]
MOTHER_MIN_AGE: Final[int] = 14
MOTHER_MAX_AGE: Final[int] = 50
_TIMELINESS_TEXT: Final[dict[str, str]] = {"on_time": "Đúng hạn", "late": "Quá hạn"}
_EVENT_WHAT: Final[dict[str, str]] = {
    "birth_date": "Ngày sinh của {role}",
    "birth_year": "Năm sinh của {role}",
    "death_date": "Ngày chết của {role}",
}
_ROLE_TEXT: Final[dict[str, str]] = {
    "child": "người được khai sinh", "mother": "người mẹ", "father": "người cha",
    "declarant": "người đi khai", "bride": "bên nữ", "groom": "bên nam", "parent": "cha/mẹ",
    "person": "người được cấp", "applicant": "người yêu cầu", "deceased": "người chết",
    "subject": "người được đăng ký", "guardian": "người giám hộ", "ward": "người được giám hộ",
}  # fmt: skip


def _raw_value(value: Any) -> Any:
    return value.value if isinstance(value, Normalized) else value


def as_partial_date(value: Any) -> PartialDate | None:
    """A PartialDate from a Normalized, a PartialDate, a date, or a year (int)."""
    value = _raw_value(value)
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999:
        return PartialDate(value)
    return None


def _birth(values: Mapping[str, Any], role: str) -> tuple[PartialDate | None, str]:
    for attr in ("birth_date", "birth_year"):
        found = as_partial_date(values.get(f"{role}.{attr}"))
        if found is not None:
            return found, f"{role}.{attr}"
    return None, f"{role}.birth_date"


def completed_years(born: dt.date, on: dt.date) -> int:
    """Age in completed years on ``on`` of somebody born on ``born``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_bounds(born: PartialDate, on: PartialDate) -> tuple[int, int]:
    """(youngest, oldest) possible age in completed years, for dates known only in part."""
    return completed_years(born.latest(), on.earliest()), completed_years(born.earliest(), on.latest())


def deadline_days(book_type: str, era_rules: Any, *, remote_area: bool = True) -> int | None:
    """The registration deadline of births or deaths in an era (None if the era has none)."""
    if book_type == "birth":
        remote = getattr(era_rules, "birth_deadline_days_remote", None)
        return int(remote) if remote_area and remote else int(era_rules.birth_deadline_days)
    if book_type == "death":
        days = getattr(era_rules, "death_deadline_days", None)
        return int(days) if days else None
    return None


def timeliness(
    book_type: str,
    era_id: str,
    event_date: Any,
    registration_date: Any,
    *,
    remote_area: bool = True,
) -> Timeliness | None:
    """``on_time`` or ``late`` by the era's deadline; None when it cannot be told (dates, era, book type)."""
    event, reg = as_partial_date(event_date), as_partial_date(registration_date)
    if event is None or reg is None or event.precision != "day" or reg.precision != "day":
        return None
    try:
        rules = era(era_id).rules
    except SohoaError:
        return None
    limit = deadline_days(book_type, rules, remote_area=remote_area)
    if limit is None:
        return None
    days = (reg.earliest() - event.earliest()).days
    return "on_time" if days <= limit else "late"


def validate_record(
    book_type: str,
    era_id: str,
    values: Mapping[str, Normalized[Any] | Any],
    book_years: tuple[int, int] | None = None,
    *,
    remote_area: bool = True,
    include_field_issues: bool = False,
) -> list[Issue]:
    """Every record-level problem of one record (see the module docstring for the rules).

    ``values`` maps field keys to normalized values (``Normalized``, or plain PartialDate/date/int/str).
    ``remote_area``: use the era's deadline for mountain and remote areas where it has one (all of Cao
    Bằng qualifies). ``include_field_issues`` adds the issues already attached to each field.
    """
    issues: list[Issue] = []
    if include_field_issues:
        for v in values.values():
            if isinstance(v, Normalized):
                issues.extend(v.issues)
    try:
        the_era: Era | None = era(era_id)
    except SohoaError:
        the_era = None
        issues.append(issue("era_unknown", None, era=era_id))
    reg = as_partial_date(values.get("registration.date"))
    if reg is None:
        issues.append(issue("registration_date_missing", "registration.date"))
    else:
        issues += _check_registration(reg, the_era, book_years)
        issues += _check_events(values, reg)
    issues += _check_death_after_birth(values)
    if reg is not None and the_era is not None:
        if book_type in ("birth", "death"):
            issues += _check_timeliness(book_type, the_era, values, reg, remote_area)
        if book_type == "marriage":
            issues += _check_marriage_age(the_era, values, reg)
    if book_type == "birth":
        issues += _check_mother_age(values)
    return issues


def _check_registration(
    reg: PartialDate, the_era: Era | None, book_years: tuple[int, int] | None
) -> list[Issue]:
    out: list[Issue] = []
    key = "registration.date"
    if the_era is not None:
        inside = the_era.contains(reg.earliest()) or the_era.contains(reg.latest())
        if not inside:
            out.append(
                issue(
                    "registration_outside_era", key, date=reg.display(), era=the_era.id, label=the_era.label
                )
            )
    if book_years is not None:
        start, end = book_years
        if reg.latest().year < start or reg.earliest().year > end:
            out.append(issue("registration_outside_book", key, date=reg.display(), start=start, end=end))
    return out


def _check_events(values: Mapping[str, Any], reg: PartialDate) -> list[Issue]:
    out: list[Issue] = []
    for key in sorted(values):
        role, _, attr = key.partition(".")
        if attr not in _EVENT_WHAT or role == "registration":
            continue
        event = as_partial_date(values[key])
        if event is None or event.earliest() <= reg.latest():
            continue
        what = _EVENT_WHAT[attr].format(role=_ROLE_TEXT.get(role, role))
        out.append(
            issue("event_after_registration", key, what=what, date=event.display(), registered=reg.display())
        )
    return out


def _check_death_after_birth(values: Mapping[str, Any]) -> list[Issue]:
    out: list[Issue] = []
    for key in sorted(values):
        role, _, attr = key.partition(".")
        if attr != "death_date":
            continue
        death = as_partial_date(values[key])
        birth, _ = _birth(values, role)
        if death is None or birth is None:
            continue
        if birth.earliest() > death.latest():
            out.append(issue("death_before_birth", key, death=death.display(), birth=birth.display()))
    return out


def _tick(values: Mapping[str, Any]) -> str | None:
    tick = _raw_value(values.get("registration.timeliness"))
    return tick if isinstance(tick, str) else None


def _check_timeliness(
    book_type: str, the_era: Era, values: Mapping[str, Any], reg: PartialDate, remote_area: bool
) -> list[Issue]:
    key = "child.birth_date" if book_type == "birth" else "deceased.death_date"
    event = as_partial_date(values.get(key))
    limit = deadline_days(book_type, the_era.rules, remote_area=remote_area)
    if event is None or limit is None or event.precision != "day" or reg.precision != "day":
        return []
    days = (reg.earliest() - event.earliest()).days
    if days < 0:
        return []  # reported as an event after the registration
    computed: Timeliness = "on_time" if days <= limit else "late"
    tick = _tick(values)
    if tick == "re_registration":
        return []
    if tick in _TIMELINESS_TEXT and tick != computed:
        return [
            issue(
                "timeliness_mismatch",
                "registration.timeliness",
                ticked=_TIMELINESS_TEXT[tick],
                computed=_TIMELINESS_TEXT[computed],
                days=days,
                deadline=limit,
            )
        ]
    if computed == "late" and tick is None:
        return [issue("registration_late", "registration.date", days=days, deadline=limit)]
    return []


def _check_marriage_age(the_era: Era, values: Mapping[str, Any], reg: PartialDate) -> list[Issue]:
    rules = the_era.rules
    out: list[Issue] = []
    for role, minimum in (("bride", rules.marriage_min_age_female), ("groom", rules.marriage_min_age_male)):
        birth, key = _birth(values, role)
        if birth is None:
            continue
        youngest, oldest = age_bounds(birth, reg)
        # "entered": "from 20" read as past the 19th birthday, i.e. 19 completed years suffice
        needed = minimum - 1 if rules.marriage_age_rule == "entered" else minimum
        rule_text = (
            f"từ {minimum} tuổi, tức đã qua sinh nhật thứ {minimum - 1}"
            if rules.marriage_age_rule == "entered"
            else f"đủ {minimum} tuổi"
        )
        who = _ROLE_TEXT[role]
        if oldest < needed:
            out.append(
                issue(
                    "child_marriage", key, role=who.capitalize(), age=oldest, minimum=minimum, rule=rule_text
                )
            )
        elif youngest < needed:
            out.append(
                issue(
                    "marriage_age_uncertain",
                    key,
                    role=who.capitalize(),
                    min_age=youngest,
                    max_age=oldest,
                    minimum=minimum,
                )
            )
    return out


def _check_mother_age(values: Mapping[str, Any]) -> list[Issue]:
    child = as_partial_date(values.get("child.birth_date"))
    mother, key = _birth(values, "mother")
    if child is None or mother is None:
        return []
    youngest, oldest = age_bounds(mother, child)
    if oldest < MOTHER_MIN_AGE:
        return [issue("mother_age_implausible", key, age=oldest)]
    if youngest > MOTHER_MAX_AGE:
        return [issue("mother_age_implausible", key, age=youngest)]
    return []
