"""The pure parts of reports/: target split, estimates, date rules, diffs, formatting, SVG."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from reports.model import ChartSpec, Column, Report, Series, View
from reports.progress import Counts, estimate, split_evenly, throughput_rows
from reports.quality import attribute_of, changed_fields, correction_rows, spot_check_rows
from reports.render import cell_text, csv_value, to_csv
from reports.svg import chart_svg, nice_max
from reports.vital import Day, Timeliness, parse_day, under_age
from sohoa.errors import InputError

AS_OF = dt.date(2026, 3, 31)


def test_split_evenly_adds_up_and_is_stable() -> None:
    shares = split_evenly(10, ["c", "a", "b"])
    assert shares == {"a": 4, "b": 3, "c": 3}
    assert sum(split_evenly(409_152, [f"{i:05d}" for i in range(161)]).values()) == 409_152
    assert split_evenly(5, []) == {}


def test_estimate_uses_the_recent_window() -> None:
    counts = Counts(approved=50, loaded=50, approved_recent=60, first_approved=AS_OF - dt.timedelta(days=100))
    est = estimate(counts, target=400, plan_year=2026, as_of=AS_OF)
    assert est.per_day == pytest.approx(2.0)  # 60 in the last 30 days
    assert est.completion == AS_OF + dt.timedelta(days=150)
    assert est.late is False
    assert estimate(counts, target=4000, plan_year=2026, as_of=AS_OF).late is True


def test_estimate_short_history_and_edge_cases() -> None:
    young = Counts(approved=10, approved_recent=10, first_approved=AS_OF - dt.timedelta(days=4))
    assert estimate(young, 20, 2026, AS_OF).per_day == pytest.approx(2.0)  # 10 over 5 days, not 30
    nothing = estimate(Counts(), 20, 2030, AS_OF)
    assert (nothing.completion, nothing.late) == (None, True)
    done = estimate(Counts(loaded=20), 20, 2019, AS_OF)
    assert (done.completion, done.late) == (None, False)
    assert estimate(Counts(), 0, 2019, AS_OF).late is False


def test_counts_add() -> None:
    a = Counts(staged=1, first_approved=dt.date(2026, 1, 5))
    b = Counts(staged=2, loaded=3, first_approved=dt.date(2026, 1, 2))
    total = a + b
    assert (total.staged, total.loaded, total.done, total.first_approved) == (3, 3, 3, dt.date(2026, 1, 2))


def test_throughput_switches_to_weeks() -> None:
    days = [(dt.date(2026, 1, 1), 4), (dt.date(2026, 1, 2), 6)]
    assert [r["approved"] for r in throughput_rows(days)] == [4, 6]
    long = [(dt.date(2025, 1, 6), 7), (dt.date(2025, 1, 8), 7), (dt.date(2025, 12, 29), 14)]
    rows = throughput_rows(long)
    assert [(r["period"], r["approved"], r["per_day"]) for r in rows] == [
        (dt.date(2025, 1, 6), 14, 2.0),
        (dt.date(2025, 12, 29), 14, 2.0),
    ]
    assert throughput_rows([]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/06/1990", Day(dt.date(1990, 6, 5), True)),
        ("1990-06-05", Day(dt.date(1990, 6, 5), True)),
        ("1932", Day(dt.date(1932, 1, 1), False)),
        ("31/02/1990", None),
        ("", None),
        (None, None),
        ("ngày 5 tháng 6", None),
    ],
)
def test_parse_day(text: str | None, expected: Day | None) -> None:
    assert parse_day(text) == expected


def test_under_age_by_era_rule() -> None:
    born = Day(dt.date(2000, 6, 10), True)
    # 2016+ ("completed"): a woman needs her 18th birthday
    assert under_age(born, dt.date(2018, 6, 9), "2016+", "female") is True
    assert under_age(born, dt.date(2018, 6, 10), "2016+", "female") is False
    # 2006-2015 ("entered"): past the 17th birthday is enough
    assert under_age(born, dt.date(2017, 6, 10), "2006-2015", "female") is False
    assert under_age(born, dt.date(2017, 6, 9), "2006-2015", "female") is True
    assert under_age(born, dt.date(2019, 6, 10), "2006-2015", "male") is False  # 19 years: entered the 20th
    # a bare year counts only when even a 31 December birthday is too young
    assert under_age(Day(dt.date(2000, 1, 1), False), dt.date(2017, 3, 1), "2016+", "female") is True
    assert under_age(Day(dt.date(2000, 1, 1), False), dt.date(2018, 3, 1), "2016+", "female") is False


def test_timeliness_counts() -> None:
    t = Timeliness()
    t.add(Day(dt.date(2020, 1, 1), True), dt.date(2020, 2, 29), 60, False)  # 59 days: on time
    t.add(Day(dt.date(2020, 2, 29), True), dt.date(2021, 2, 27), 60, False)  # late, within a year
    t.add(Day(dt.date(2020, 2, 29), True), dt.date(2021, 2, 28), 60, False)  # first birthday: not within
    t.add(Day(dt.date(2020, 1, 1), True), dt.date(2020, 1, 2), 60, True)  # re-registration
    t.add(None, dt.date(2020, 1, 2), 60, False)
    t.add(Day(dt.date(2020, 1, 1), True), dt.date(2020, 1, 2), None, False)  # no deadline known
    assert (t.registered, t.on_time, t.on_time_known, t.within_year) == (4, 1, 3, 3)
    assert (t.re_registered, t.unreadable) == (1, 1)


def test_changed_fields_ignore_confidence() -> None:
    before = {"fields": {"child.full_name": {"text": "Nông Văn An", "confidence": 0.4}, "note": "x"}}
    after = {"fields": {"child.full_name": {"text": "Nông Văn Ân", "confidence": 1.0}, "note": "x"}}
    assert changed_fields(before, after) == ["child.full_name"]
    assert changed_fields({"mother.birth_year": "1970"}, {"mother.birth_year": "1971"}) == [
        "mother.birth_year"
    ]
    assert changed_fields(None, None) == []
    rows = correction_rows([("rv", before, after), ("rv", {"a.full_name": 1}, {"a.full_name": 2})])
    assert rows == [{"field_type": "full_name", "corrections": 2, "edits": 2}]
    assert attribute_of("note") == "note" and attribute_of("registration.date") == "date"


def test_spot_checks() -> None:
    rows = spot_check_rows(
        [("sup", None, {"result": "ok"}), ("sup", None, {"result": "error", "fields": ["a.b", "c.d"]}),
         ("sup", None, {"result": "error"})]
    )  # fmt: skip
    assert rows == [{"reviewer": "sup", "checks": 3, "with_findings": 2, "fields_wrong": 3, "share": 2 / 3}]
    # the review app names the reviewer whose approval was checked: the row is theirs, not the checker's
    attributed = spot_check_rows(
        [("sup", None, {"result": "error", "note": "x", "reviewer": "lan"}),
         ("sup", None, {"result": "ok", "note": "", "reviewer": "lan"})]
    )  # fmt: skip
    assert attributed == [
        {"reviewer": "lan", "checks": 2, "with_findings": 1, "fields_wrong": 1, "share": 0.5}
    ]


def test_cell_formats() -> None:
    assert cell_text(1234567, "int") == "1.234.567"
    assert cell_text(0.4567, "pct") == "45,7 %"
    assert cell_text(2.5, "float") == "2,50"
    assert cell_text(dt.date(2026, 3, 1), "date") == "01/03/2026"
    assert cell_text(None, "int") == ""
    assert cell_text(True, "bool") == "Có"
    assert csv_value(0.45678, "pct") == "0.4568"
    assert csv_value(dt.date(2026, 3, 1), "date") == "2026-03-01"
    assert csv_value(False, "bool") == "false"


def _report() -> Report:
    view = View("v", "Tiêu đề", (Column("a", "Cột A"), Column("n", "Số", "int")), [{"a": "x,y", "n": 3}])
    return Report(kind="quality", title="t", generated_at=dt.datetime.now(dt.UTC), filters={}, views=[view])


def test_csv_quotes_and_view_lookup() -> None:
    report = _report()
    assert to_csv(report.primary) == 'a,n\n"x,y",3\n'
    with pytest.raises(InputError, match="không có dạng xem 'nope'"):
        report.view("nope")


def test_svg_is_well_formed_and_escaped() -> None:
    bars = ChartSpec(
        "bars", "A & <B>", ["2016+", "x<y"], [Series("s1", [3.0, 7.0]), Series("s2", [1.0, 0.0])]
    )
    line = ChartSpec("line", "L", ["d1", "d2", "d3"], [Series("s", [1.0, 4.0, 2.0])])
    empty = ChartSpec("line", "E", [], [Series("s", [])])
    for spec in (bars, line, empty):
        root = ET.fromstring(chart_svg(spec))
        assert root.tag.endswith("svg")
    assert "A &amp; &lt;B&gt;" in chart_svg(bars)
    assert len(ET.fromstring(chart_svg(bars)).findall("{http://www.w3.org/2000/svg}rect")) >= 4


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1.0), (7, 10.0), (109_304, 200_000.0), (409_152, 500_000.0), (2.3, 2.5)]
)
def test_nice_max(value: float, expected: float) -> None:
    assert nice_max(value) == expected
