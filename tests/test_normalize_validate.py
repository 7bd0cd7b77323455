"""Record validation: each rule with a record that passes and one that fails; all problems collected."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from normalize import PartialDate, age_bounds, normalize_date, timeliness, validate_record
from sohoa import config

D = PartialDate


def codes(
    book_type: str, era_id: str, values: dict[str, Any], book_years: tuple[int, int] | None = None
) -> list[str]:
    return [i.code for i in validate_record(book_type, era_id, values, book_years)]


def birth(reg: PartialDate, born: PartialDate, **extra: Any) -> dict[str, Any]:
    return {"registration.date": reg, "child.birth_date": born, **extra}


# ------------------------------------------------------------------------------------ registration date
def test_registration_inside_era() -> None:
    assert "registration_outside_era" not in codes("birth", "2016+", birth(D(2018, 5, 1), D(2018, 4, 1)))
    assert "registration_outside_era" in codes("birth", "2016+", birth(D(2010, 5, 1), D(2010, 4, 1)))
    assert "registration_outside_era" in codes("birth", "1999-2005", birth(D(1998, 12, 31), D(1998, 12, 1)))
    assert "registration_outside_era" not in codes("birth", "1976-1999", birth(D(1960, 1, 5), D(1960, 1, 1)))


def test_registration_inside_book_years() -> None:
    values = birth(D(2012, 5, 1), D(2012, 4, 20))
    assert "registration_outside_book" not in codes("birth", "2006-2015", values, (2011, 2013))
    assert "registration_outside_book" in codes("birth", "2006-2015", values, (2013, 2014))


def test_missing_registration_date_and_unknown_era() -> None:
    assert codes("birth", "2016+", {}) == ["registration_date_missing"]
    assert "era_unknown" in codes("birth", "1890-1900", birth(D(2018, 5, 1), D(2018, 4, 1)))


# ------------------------------------------------------------------------------------ events and registration
def test_event_not_after_registration() -> None:
    assert "event_after_registration" not in codes("birth", "2016+", birth(D(2018, 5, 1), D(2018, 5, 1)))
    found = validate_record("birth", "2016+", birth(D(2018, 5, 1), D(2018, 5, 2)))
    assert [i.field for i in found if i.code == "event_after_registration"] == ["child.birth_date"]
    death = {"registration.date": D(2018, 5, 1), "deceased.death_date": D(2018, 6, 1)}
    assert "event_after_registration" in codes("death", "2016+", death)
    parent = birth(D(2018, 5, 1), D(2018, 4, 1), **{"mother.birth_year": 2019})
    assert "event_after_registration" in codes("birth", "2016+", parent)


def test_partial_dates_fire_only_when_certain() -> None:
    # born "2018" registered on 1/5/2018: may be before, so no issue
    assert "event_after_registration" not in codes("birth", "2016+", birth(D(2018, 5, 1), D(2018)))
    assert "event_after_registration" in codes("birth", "2016+", birth(D(2018, 5, 1), D(2019)))


# ------------------------------------------------------------------------------------ timeliness
def test_birth_on_time_or_late_against_tick_box() -> None:
    on_time = birth(D(2018, 3, 1), D(2018, 1, 15), **{"registration.timeliness": "on_time"})
    assert codes("birth", "2016+", on_time) == []
    ticked_on_time_but_late = birth(D(2018, 5, 1), D(2018, 1, 15), **{"registration.timeliness": "on_time"})
    assert codes("birth", "2016+", ticked_on_time_but_late) == ["timeliness_mismatch"]
    ticked_late_but_on_time = birth(D(2018, 2, 1), D(2018, 1, 15), **{"registration.timeliness": "late"})
    assert codes("birth", "2016+", ticked_late_but_on_time) == ["timeliness_mismatch"]
    ticked_late = birth(D(2018, 5, 1), D(2018, 1, 15), **{"registration.timeliness": "late"})
    assert codes("birth", "2016+", ticked_late) == []
    re_registered = birth(D(2018, 5, 1), D(1990, 1, 15), **{"registration.timeliness": "re_registration"})
    assert codes("birth", "2016+", re_registered) == []


def test_late_without_tick_box_is_noted() -> None:
    found = validate_record("birth", "2006-2015", birth(D(2010, 5, 1), D(2010, 1, 1)))
    assert [(i.code, i.severity) for i in found] == [("registration_late", "info")]
    assert codes("birth", "2006-2015", birth(D(2010, 2, 1), D(2010, 1, 1))) == []


def test_deadline_by_era() -> None:
    # 45 days: late under the 30-day rule before 1999, on time under the remote 60-day rule of NĐ 83/1998
    assert timeliness("birth", "1976-1999", D(1990, 1, 1), D(1990, 2, 15)) == "late"
    assert timeliness("birth", "1999-2005", D(2000, 1, 1), D(2000, 2, 15)) == "on_time"
    assert timeliness("birth", "1999-2005", D(2000, 1, 1), D(2000, 2, 15), remote_area=False) == "late"
    assert timeliness("death", "2016+", D(2018, 1, 1), D(2018, 1, 10)) == "on_time"
    assert timeliness("death", "2016+", D(2018, 1, 1), D(2018, 1, 20)) == "late"
    assert timeliness("death", "1976-1999", D(1990, 1, 1), D(1990, 5, 1)) is None  # no deadline known
    assert timeliness("birth", "2016+", D(2018), D(2018, 5, 1)) is None  # day unknown


def test_death_timeliness_against_tick_box() -> None:
    values = {
        "registration.date": D(2018, 2, 1),
        "deceased.death_date": D(2018, 1, 1),
        "registration.timeliness": "on_time",
    }
    assert codes("death", "2016+", values) == ["timeliness_mismatch"]
    values["registration.date"] = D(2018, 1, 10)
    assert codes("death", "2016+", values) == []


# ------------------------------------------------------------------------------------ marriage age
def marriage(reg: PartialDate, bride: PartialDate, groom: PartialDate) -> dict[str, Any]:
    return {"registration.date": reg, "bride.birth_date": bride, "groom.birth_date": groom}


def test_marriage_age_completed_years() -> None:
    adult = marriage(D(2018, 6, 1), D(2000, 6, 1), D(1998, 6, 1))  # exactly 18 and 20
    assert codes("marriage", "2016+", adult) == []
    child = marriage(D(2018, 6, 1), D(2000, 6, 2), D(1998, 6, 2))  # a day short of 18 and 20
    found = validate_record("marriage", "2016+", child)
    assert [(i.code, i.field) for i in found] == [
        ("child_marriage", "bride.birth_date"),
        ("child_marriage", "groom.birth_date"),
    ]


def test_marriage_age_entered_rule() -> None:
    # under NĐ 83/1998 and NĐ 158/2005 "from 18" means past the 17th birthday
    entered = marriage(D(2003, 6, 1), D(1985, 12, 1), D(1983, 12, 1))  # 17 and 19 completed years
    assert codes("marriage", "1999-2005", entered) == []
    assert codes("marriage", "2016+", marriage(D(2017, 6, 1), D(1999, 12, 1), D(1996, 1, 1))) == [
        "child_marriage"
    ]
    too_young = marriage(D(2003, 6, 1), D(1986, 7, 1), D(1983, 12, 1))  # 16
    assert codes("marriage", "1999-2005", too_young) == ["child_marriage"]


def test_marriage_age_uncertain_with_a_year_only() -> None:
    values = marriage(D(2017, 6, 1), D(1999), D(1990))
    found = validate_record("marriage", "2016+", values)
    assert [(i.code, i.severity) for i in found] == [("marriage_age_uncertain", "info")]
    assert age_bounds(D(1999), D(2017, 6, 1)) == (17, 18)


# ------------------------------------------------------------------------------------ mother's age, death after birth
@pytest.mark.parametrize(
    ("mother_year", "flagged"), [(1960, True), (1968, False), (1990, False), (2005, True)]
)
def test_mother_aged_14_to_50(mother_year: int, flagged: bool) -> None:
    values = birth(D(2018, 3, 1), D(2018, 2, 1), **{"mother.birth_year": mother_year})
    assert ("mother_age_implausible" in codes("birth", "2016+", values)) is flagged


def test_death_after_birth() -> None:
    ok = {
        "registration.date": D(2010, 6, 1),
        "deceased.birth_date": D(1930),
        "deceased.death_date": D(2010, 5, 25),
    }
    assert codes("death", "2006-2015", ok) == []
    bad = {
        "registration.date": D(2010, 6, 1),
        "deceased.birth_date": D(2010, 5, 30),
        "deceased.death_date": D(2010, 5, 25),
    }
    assert "death_before_birth" in codes("death", "2006-2015", bad)


# ------------------------------------------------------------------------------------ all problems, inputs
def test_all_problems_are_collected() -> None:
    values = {
        "registration.date": D(2010, 5, 1),
        "child.birth_date": D(2010, 6, 1),
        "mother.birth_year": 2000,
        "registration.timeliness": "late",
    }
    found = codes("birth", "2016+", values, (2016, 2016))
    assert {"registration_outside_era", "registration_outside_book", "event_after_registration"} <= set(found)
    assert "mother_age_implausible" in found


def test_accepts_normalized_dates_and_field_issues() -> None:
    values = {
        "registration.date": normalize_date("01/05/2018"),
        "child.birth_date": normalize_date("31/02/2018"),
    }
    assert codes("birth", "2016+", values) == []
    found = validate_record("birth", "2016+", values, include_field_issues=True)
    assert [i.code for i in found] == ["date_impossible"]
    plain = {"registration.date": dt.date(2018, 5, 1), "child.birth_date": dt.date(2018, 6, 1)}
    assert "event_after_registration" in codes("birth", "2016+", plain)


def test_rules_follow_the_era_config() -> None:
    rules = config.era("2016+").rules
    assert rules.marriage_age_rule == "completed"
    assert rules.birth_deadline_days == 60
