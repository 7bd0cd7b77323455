"""Reports against a database of sample records with a known mix of states, on SQLite and PostgreSQL.

Every expected figure is counted here from what the test wrote (states, pages, audit rows) and from the
samples' ground truth (true birth and death dates of the persons), never with the reports' own code.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from loaders.db import make_engine, session_scope, upgrade
from loaders.models import (
    AuditLog,
    Book,
    OfficialRecord,
    Page,
    PageStatus,
    Record,
    RecordState,
    RejectReason,
    User,
    UserRole,
)
from loaders.registry import register_book, register_page, sync_offices
from reports import Scope, build_report
from reports.render import render_html, to_csv, to_xlsx
from samples.population import Population, SampleRecord, simulate_for
from sohoa import config
from sohoa.cli import app

AS_OF = dt.date(2026, 3, 31)
SEED = 7
ROWS_PER_PAGE = 10
STATES = [
    RecordState.STAGED,
    RecordState.STAGED,
    RecordState.IN_REVIEW,
    RecordState.REJECTED,
    RecordState.APPROVED,
    RecordState.APPROVED,
    RecordState.APPROVED,
    RecordState.LOADED,
    RecordState.LOADED,
    RecordState.LOADED,
]
REASONS = [RejectReason.ILLEGIBLE, RejectReason.RESCAN, RejectReason.NOT_A_RECORD]
OFFICIAL = (RecordState.APPROVED, RecordState.LOADED)


# --------------------------------------------------------------------------- ground truth
def _true_under_age(pop: Population, person_id: str, day: dt.date, era_id: str) -> bool:
    person = pop.persons[person_id]
    rules = config.era(era_id).rules
    years = rules.marriage_min_age_male if person.sex == "Nam" else rules.marriage_min_age_female
    years -= 1 if rules.marriage_age_rule == "entered" else 0
    born = person.birth_date
    legal = dt.date(born.year + years, born.month, min(born.day, 28 if born.month == 2 else born.day))
    return day < legal


def _pick(pop: Population) -> list[SampleRecord]:
    """A mix of book types and eras, with child marriages and divorce notes sure to be present."""
    chosen: list[SampleRecord] = []
    chosen += pop.records("birth", "2006-2015")[:150]
    chosen += pop.records("birth", "2016+")[:40]
    chosen += pop.records("death", "2006-2015")[:80]
    for era in ("1999-2005", "2006-2015"):
        marriages = pop.records("marriage", era)
        young = [
            r
            for r in marriages
            if any(
                _true_under_age(pop, r.persons[role], r.registration_date, era) for role in ("bride", "groom")
            )
        ]
        chosen += marriages[:50] + [r for r in young[:12] if r not in marriages[:50]]
    others = pop.records("other", "2006-2015")
    divorces = [r for r in others if r.fields["registration.kind"] == "divorce_note"]
    chosen += others[:30] + [r for r in divorces[:10] if r not in others[:30]]
    return chosen


@pytest.fixture(scope="module")
def samples() -> tuple[Population, list[SampleRecord]]:
    needs = {
        ("birth", "2006-2015"): 150,
        ("birth", "2016+"): 40,
        ("death", "2006-2015"): 80,
        ("marriage", "1999-2005"): 50,
        ("marriage", "2006-2015"): 50,
        ("other", "2006-2015"): 40,
    }
    pop = simulate_for(SEED, needs)
    return pop, _pick(pop)


# --------------------------------------------------------------------------- the database
@dataclass
class Written:
    """What the test wrote, to count expected figures from."""

    records: list[tuple[SampleRecord, RecordState, int]] = field(default_factory=list)  # sample, state, book
    books: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id -> office, era, type
    pages: dict[int, Counter[str]] = field(default_factory=dict)  # book -> status counts
    approved_at: dict[int, dt.datetime] = field(default_factory=dict)  # index in records -> when
    confidences: list[float] = field(default_factory=list)
    confidence_by_attr: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    edits: list[list[str]] = field(default_factory=list)  # changed keys of each edit row
    spot_checks: list[tuple[str, list[str]]] = field(default_factory=list)


def _confidence(i: int, key: str) -> float:
    return ((i * 31 + len(key) * 7) % 100) / 100


def _sha(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _approved_at(i: int) -> dt.datetime:
    day = AS_OF - dt.timedelta(days=i % 45)
    return dt.datetime.combine(day, dt.time(8 + i % 5, (i * 7) % 60), tzinfo=dt.UTC)


def _write_pages(session: Any, written: Written, book_id: int, count: int) -> list[int]:
    book = session.get(Book, book_id)
    pages = []
    statuses: Counter[str] = Counter()
    for n in range(math.ceil(count / ROWS_PER_PAGE) + 1):  # one more page, quarantined, without records
        page, _ = register_page(session, book, n + 1, f"p{n + 1:04d}.png", _sha(book_id, n), 2480, 3508)
        status = (
            PageStatus.QUARANTINED
            if n % 4 == 3 or n == math.ceil(count / ROWS_PER_PAGE)
            else PageStatus.STAGED
        )
        session.execute(update(Page).where(Page.id == page.id).values(status=status))
        statuses[status.value] += 1
        pages.append(page.id)
    written.pages[book_id] = statuses
    return pages


def _record_fields(i: int, sample: SampleRecord, written: Written) -> dict[str, Any]:
    out = {}
    for key, text in sample.fields.items():
        conf = _confidence(i, key)
        written.confidences.append(conf)
        written.confidence_by_attr[key.partition(".")[2] or key].append(conf)
        out[key] = {"text": text, "value": text, "confidence": conf}
    return out


def _audit_rows(
    i: int, record: Record, sample: SampleRecord, state: RecordState, written: Written
) -> list[AuditLog]:
    rows = []
    at = _approved_at(i)
    if state in OFFICIAL:
        rows.append(
            AuditLog(
                at=at, actor=f"rv{i % 2 + 1}", action="approve", entity="record", entity_id=str(record.id)
            )
        )
    if i % 7 == 0:
        keys = [k for k in sample.fields if k.endswith("full_name")][:1]
        keys += ["registration.date"] if i % 14 == 0 else []
        before = {k: {"text": sample.fields[k], "confidence": 0.5} for k in keys}
        after = {k: {"text": sample.fields[k] + " (sửa)", "confidence": 1.0} for k in keys}
        after["note"] = {
            "text": sample.fields.get("note", ""),
            "confidence": 1.0,
        }  # same value: not a correction
        before["note"] = {"text": sample.fields.get("note", ""), "confidence": 0.2}
        rows.append(
            AuditLog(at=at, actor="rv1", action="edit", entity="record", entity_id=str(record.id),
                     before={"fields": before}, after={"fields": after})
        )  # fmt: skip
        written.edits.append(keys)
    if i % 11 == 0:
        wrong = ["child.full_name"] if i % 22 == 0 else []
        result = {"result": "error", "fields": wrong} if wrong else {"result": "ok"}
        rows.append(
            AuditLog(
                at=at,
                actor="sup",
                action="spot_check",
                entity="record",
                entity_id=str(record.id),
                after=result,
            )
        )
        written.spot_checks.append(("sup", wrong))
    return rows


def _official(
    record: Record, sample: SampleRecord, state: RecordState, user_id: int, office: str, i: int
) -> OfficialRecord:
    return OfficialRecord(
        record_id=record.id,
        book_id=record.book_id,
        book_type=record.book_type,
        era=record.era,
        office_code=office,
        registration_date=sample.registration_date,
        fields=dict(sample.fields),
        approved_by=user_id,
        approved_at=_approved_at(i),
        loaded_at=_approved_at(i) if state is RecordState.LOADED else None,
    )


def populate(engine: Engine, records: list[SampleRecord]) -> Written:
    written = Written()
    by_book: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for r in records:
        by_book[(r.office, r.era, r.book_type)].append(r)
    with session_scope(engine) as session:
        sync_offices(session, config.offices())
        user = User(username="rv1", password_hash="x", role=UserRole.REVIEWER)
        session.add(user)
        session.flush()
        i = 0
        for (office, era, book_type), items in sorted(by_book.items()):
            book = register_book(session, office, book_type, era, "1")
            written.books[book.id] = (office, era, book_type)
            pages = _write_pages(session, written, book.id, len(items))
            states = [STATES[(i + n) % len(STATES)] for n in range(len(items))]
            new_records = [
                Record(
                    page_id=pages[n // ROWS_PER_PAGE],
                    row_no=n % ROWS_PER_PAGE + 1,
                    book_id=book.id,
                    book_type=book_type,
                    era=era,
                    state=state,
                    reject_reason=REASONS[(i + n) % 3] if state is RecordState.REJECTED else None,
                    fields=_record_fields(i + n, sample, written),
                    issues=[],
                )
                for n, (sample, state) in enumerate(zip(items, states, strict=True))
            ]
            session.add_all(new_records)
            session.flush()
            for sample, state, record in zip(items, states, new_records, strict=True):
                if state in OFFICIAL:
                    written.approved_at[i] = _approved_at(i)
                    session.add(_official(record, sample, state, user.id, office, i))
                session.add_all(_audit_rows(i, record, sample, state, written))
                written.records.append((sample, state, book.id))
                i += 1
    return written


@pytest.fixture
def filled(engine: Engine, samples: tuple[Population, list[SampleRecord]]) -> Written:
    return populate(engine, samples[1])


def _report(engine: Engine, kind: str, scope: Scope | None = None) -> Any:
    with session_scope(engine) as session:
        return build_report(session, kind, scope, AS_OF)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- progress
def _expected_counts(written: Written) -> dict[tuple[str, str, str], Counter[str]]:
    """Per (office, era, group) of the book's own office: record states, pages, recent approvals."""
    out: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for idx, (_sample, state, book_id) in enumerate(written.records):
        key = written.books[book_id]
        out[key][state.value] += 1
        out[key]["records_extracted"] += 1
        if idx in written.approved_at and written.approved_at[idx].date() > AS_OF - dt.timedelta(days=30):
            out[key]["recent"] += 1
    for book_id, statuses in written.pages.items():
        key = written.books[book_id]
        out[key]["pages_scanned"] += sum(statuses.values())
        out[key]["pages_quarantined"] += statuses["quarantined"]
    return out


def _expected_target(communes: list[str], office: str, era: str, group: str) -> int:
    total = next(p for p in config.plan().eras if p.era == era).targets_by_group[group]
    base, extra = divmod(total, len(communes))
    return base + (1 if communes.index(office) < extra else 0)


def test_progress_rows_match_what_was_written(engine: Engine, filled: Written) -> None:
    report = _report(engine, "progress")
    rows = {(r["office_code"], r["era"], r["book_group"]): r for r in report.primary.rows}
    offices = config.offices()
    assert len(rows) == len(offices) * 4 * 6
    expected = _expected_counts(filled)
    parents = {o.code: o.parent_code for o in offices}
    rolled: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for (office, era, group), counts in expected.items():
        code: str | None = office
        while code is not None:
            rolled[(code, era, group)].update(counts)
            code = parents[code]
    for key, counts in rolled.items():
        row = rows[key]
        for column in ("staged", "in_review", "approved", "rejected", "loaded"):
            assert row[column] == counts[column], (key, column)
        for column in ("records_extracted", "pages_scanned", "pages_quarantined"):
            assert row[column] == counts[column], (key, column)
    untouched = next(k for k in rows if k not in rolled)
    assert rows[untouched]["records_extracted"] == 0 and rows[untouched]["approved"] == 0


def test_progress_levels_and_targets(engine: Engine, filled: Written) -> None:
    rows = _report(engine, "progress").primary.rows
    levels = Counter(r["level"] for r in rows)
    assert levels == {"province": 24, "district": 10 * 24, "commune": 161 * 24}
    plan = {p.era: p.targets_by_group for p in config.plan().eras}
    communes = sorted(o.code for o in config.offices() if o.level == "commune")
    for row in rows:
        if row["level"] == "province":
            assert row["target"] == plan[row["era"]][row["book_group"]]
        if row["level"] == "commune":
            assert row["target"] == _expected_target(
                communes, row["office_code"], row["era"], row["book_group"]
            )
    district_sums: Counter[tuple[str, str, str]] = Counter()
    parents = {o.code: o.parent_code for o in config.offices()}
    for row in rows:
        if row["level"] == "commune":
            district_sums[(parents[row["office_code"]] or "", row["era"], row["book_group"])] += row["target"]
    for row in rows:
        if row["level"] == "district":
            assert row["target"] == district_sums[(row["office_code"], row["era"], row["book_group"])]


def test_progress_throughput_and_estimate(engine: Engine, filled: Written) -> None:
    report = _report(engine, "progress")
    expected = _expected_counts(filled)
    province = {(r["era"], r["book_group"]): r for r in report.primary.rows if r["level"] == "province"}
    firsts: dict[tuple[str, str], dt.date] = {}
    for idx, when in filled.approved_at.items():
        _office, era, group = filled.books[filled.records[idx][2]]
        firsts[(era, group)] = min(firsts.get((era, group), when.date()), when.date())
    for (era, group), first in firsts.items():
        recent = sum(c["recent"] for (o, e, g), c in expected.items() if (e, g) == (era, group))
        done = sum(c["approved"] + c["loaded"] for (o, e, g), c in expected.items() if (e, g) == (era, group))
        per_day = recent / min(30, (AS_OF - first).days + 1)
        row = province[(era, group)]
        assert row["per_day"] == pytest.approx(per_day, abs=0.005)
        assert row["pct_of_target"] == pytest.approx(done / row["target"])
        completion = AS_OF + dt.timedelta(days=math.ceil((row["target"] - done) / per_day))
        assert row["estimated_completion"] == completion
        assert row["late"] is (completion.year > row["plan_year"])
    assert province[("1976-1999", "birth")]["late"] is True  # nothing approved: flagged
    approvals_per_day = Counter(w.date() for w in filled.approved_at.values())
    series = {r["period"]: r["approved"] for r in report.view("throughput").rows}
    assert series == dict(approvals_per_day)
    eras = {r["era"]: r for r in report.view("eras").rows}
    assert eras["2006-2015"]["approved"] == sum(
        c["approved"] for (o, e, g), c in expected.items() if e == "2006-2015"
    )


def test_progress_filters_office_and_era(engine: Engine, filled: Written) -> None:
    office, era, group = next(iter(filled.books.values()))
    district = next(o.parent_code for o in config.offices() if o.code == office)
    assert district is not None
    report = _report(engine, "progress", Scope(office=district, era=era))
    codes = {r["office_code"] for r in report.primary.rows}
    assert district in codes and office in codes and "04" not in codes
    assert {r["era"] for r in report.primary.rows} == {era}
    commune_row = next(
        r for r in report.primary.rows if (r["office_code"], r["book_group"]) == (office, group)
    )
    assert (
        commune_row["records_extracted"]
        == _expected_counts(filled)[(office, era, group)]["records_extracted"]
    )


def test_progress_csv_and_xlsx(engine: Engine, filled: Written, tmp_path: Path) -> None:
    report = _report(engine, "progress")
    parsed = list(csv.DictReader(io.StringIO(to_csv(report.primary))))
    assert len(parsed) == len(report.primary.rows)
    assert {
        "level",
        "office_code",
        "office_name",
        "era",
        "book_group",
        "target",
        "approved",
        "loaded",
    } <= set(parsed[0])
    province_birth = next(
        r
        for r in parsed
        if r["level"] == "province" and r["era"] == "2006-2015" and r["book_group"] == "birth"
    )
    source = next(
        r
        for r in report.primary.rows
        if r["level"] == "province" and r["era"] == "2006-2015" and r["book_group"] == "birth"
    )
    assert (
        int(province_birth["approved"]) == source["approved"]
        and int(province_birth["target"]) == source["target"]
    )
    path = to_xlsx(report, tmp_path / "progress.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Tiến độ số hóa", "Theo giai đoạn", "Năng suất phê duyệt"]
    sheet = book["Tiến độ số hóa"]
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["Cấp", "Mã cơ quan", "Cơ quan đăng ký", "Giai đoạn", "Nhóm sổ"]
    assert sheet.max_row == len(report.primary.rows) + 1
    col = {h: i for i, h in enumerate(headers)}
    second = [c.value for c in sheet[2]]
    first_row = report.primary.rows[0]
    assert second[col["Chỉ tiêu"]] == first_row["target"]
    assert sheet.cell(row=2, column=col["Chỉ tiêu"] + 1).number_format == "#,##0"
    assert sheet.cell(row=2, column=col["% chỉ tiêu"] + 1).number_format == "0.0%"
    assert second[col["% chỉ tiêu"]] == pytest.approx(first_row["pct_of_target"])


# --------------------------------------------------------------------------- quality
def test_quality_figures(engine: Engine, filled: Written) -> None:
    report = _report(engine, "quality")
    confidence = report.view("confidence").rows
    assert sum(r["fields"] for r in confidence) == len(filled.confidences)
    assert sum(r["confident"] for r in confidence) == sum(c >= 0.9 for c in filled.confidences)
    by_field = {r["field_type"]: r for r in report.view("confidence_by_field").rows}
    for attr, values in filled.confidence_by_attr.items():
        assert by_field[attr]["confident"] == sum(c >= 0.9 for c in values), attr
    corrections = {r["field_type"]: r["corrections"] for r in report.view("corrections").rows}
    expected_corrections = Counter(k.partition(".")[2] for keys in filled.edits for k in keys)
    assert corrections == dict(expected_corrections)
    states = Counter(state for _s, state, _b in filled.records)
    rejections = {r["reason"]: r["records"] for r in report.view("rejections").rows}
    assert sum(rejections.values()) == states[RecordState.REJECTED]
    reviewers = {r["reviewer"]: r for r in report.view("reviewers").rows}
    approvals: dict[str, list[dt.datetime]] = defaultdict(list)
    for idx, when in filled.approved_at.items():
        approvals[f"rv{idx % 2 + 1}"].append(when)  # idx is the running index i of populate
    for name, times in approvals.items():
        hours = {t.replace(minute=0, second=0, microsecond=0) for t in times}
        assert reviewers[name]["approvals"] == len(times)
        assert reviewers[name]["active_hours"] == len(hours)
        assert reviewers[name]["per_hour"] == pytest.approx(len(times) / len(hours), abs=0.005)
    spot = report.view("spot_checks").rows[0]
    assert spot["checks"] == len(filled.spot_checks)
    assert spot["with_findings"] == sum(1 for _a, wrong in filled.spot_checks if wrong)


# --------------------------------------------------------------------------- vital
def _official_samples(written: Written) -> Iterator[SampleRecord]:
    return (s for s, state, _b in written.records if state in OFFICIAL)


def _expected_timeliness(
    pop: Population, written: Written, book_type: str, role: str
) -> dict[tuple[int, str], tuple[int, int, int]]:
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in _official_samples(written):
        if s.book_type != book_type or s.fields["registration.timeliness"] == "re_registration":
            continue
        person = pop.persons[s.persons[role]]
        event = person.birth_date if book_type == "birth" else person.death_date
        assert event is not None
        rules = config.era(s.era).rules
        deadline = (
            (rules.birth_deadline_days_remote or rules.birth_deadline_days)
            if book_type == "birth"
            else rules.death_deadline_days
        )
        assert deadline is not None
        figures = out[(s.registration_date.year, s.office)]
        figures[0] += 1
        figures[1] += (s.registration_date - event).days <= deadline
        figures[2] += s.registration_date < _first_birthday(event)
    return {k: (a, b, c) for k, (a, b, c) in out.items()}


def _first_birthday(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)


def test_vital_births_and_deaths(
    engine: Engine, filled: Written, samples: tuple[Population, list[SampleRecord]]
) -> None:
    pop = samples[0]
    report = _report(engine, "vital")
    for view, book_type, role in (("births", "birth", "child"), ("deaths", "death", "deceased")):
        expected = _expected_timeliness(pop, filled, book_type, role)
        got = {
            (r["year"], r["office_code"]): (r["registered"], r["on_time"], r["within_year"])
            for r in report.view(view).rows
            if r["office_code"] != "Tổng"
        }
        assert got == expected, view
        totals = {r["year"]: r["registered"] for r in report.view(view).rows if r["office_code"] == "Tổng"}
        assert sum(totals.values()) == sum(v[0] for v in expected.values())
    re_registered = sum(
        1
        for s in _official_samples(filled)
        if s.book_type == "birth" and s.fields["registration.timeliness"] == "re_registration"
    )
    assert (
        sum(r["re_registered"] for r in report.view("births").rows if r["office_code"] == "Tổng")
        == re_registered
    )


def test_vital_child_marriages_and_divorces(
    engine: Engine, filled: Written, samples: tuple[Population, list[SampleRecord]]
) -> None:
    pop = samples[0]
    report = _report(engine, "vital")
    child: Counter[int] = Counter()
    marriages: Counter[int] = Counter()
    divorces: Counter[int] = Counter()
    for s in _official_samples(filled):
        year = s.registration_date.year
        if s.book_type == "marriage":
            marriages[year] += 1
            young = [
                _true_under_age(pop, s.persons[r], s.registration_date, s.era) for r in ("bride", "groom")
            ]
            child[year] += any(young)
        if s.book_type == "other" and s.fields["registration.kind"] == "divorce_note":
            divorces[year] += 1
    rows = {r["year"]: r for r in report.view("child_marriages").rows}
    assert {y: r["marriages"] for y, r in rows.items()} == dict(marriages)
    assert {y: r["child_marriages"] for y, r in rows.items() if r["child_marriages"]} == {
        y: n for y, n in child.items() if n
    }
    assert sum(child.values()) > 0
    assert {r["year"]: r["divorces"] for r in report.view("divorces").rows} == dict(divorces)
    assert sum(divorces.values()) > 0


# --------------------------------------------------------------------------- CLI and HTML
@pytest.fixture
def sqlite_filled(
    tmp_path: Path, samples: tuple[Population, list[SampleRecord]]
) -> Iterator[tuple[str, Written]]:
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    upgrade(url)
    engine = make_engine(url)
    written = populate(engine, samples[1])
    engine.dispose()
    yield url, written


def test_cli_formats(
    sqlite_filled: tuple[str, Written], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _written = sqlite_filled
    monkeypatch.setenv("SOHOA_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    result = runner.invoke(app, ["report", "progress", "--format", "csv", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(config.offices()) * 24
    missing_out = runner.invoke(app, ["report", "progress", "--format", "xlsx"])
    assert missing_out.exit_code == 5
    assert "--out" in missing_out.output
    xlsx = tmp_path / "q.xlsx"
    ok = runner.invoke(app, ["report", "quality", "--format", "xlsx", "--out", str(xlsx)])
    assert ok.exit_code == 0, ok.output
    assert len(load_workbook(xlsx).sheetnames) == 6
    html = tmp_path / "v.html"
    assert runner.invoke(app, ["report", "vital", "--format", "html", "--out", str(html)]).exit_code == 0
    assert "Tảo hôn theo năm" in html.read_text(encoding="utf-8")
    table = runner.invoke(app, ["report", "vital", "--era", "2006-2015"])
    assert table.exit_code == 0 and "Khai sinh" in table.stdout
    bad = runner.invoke(app, ["report", "progress", "--era", "1900"])
    assert bad.exit_code == 2 and "1900" in bad.output
    unknown = runner.invoke(app, ["report", "quality", "--office", "0126"])
    assert unknown.exit_code == 6 and "có phải ý bạn là" in unknown.output
    bad_day = runner.invoke(app, ["report", "progress", "--as-of", "31/03/2026"])
    assert bad_day.exit_code == 5 and "YYYY-MM-DD" in bad_day.output
    view = runner.invoke(app, ["report", "vital", "--format", "csv", "--view", "divorces"])
    assert view.exit_code == 0 and view.stdout.startswith("year,divorces")


def test_cli_progress_on_a_fresh_database_shows_the_plan_with_nothing_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOHOA_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = CliRunner().invoke(app, ["report", "progress", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(config.offices()) * 24
    province = [r for r in rows if r["level"] == "province"]
    assert {r["era"] for r in province} == {e.id for e in config.eras()}
    assert all(int(r["target"]) > 0 for r in province)
    assert {(r["approved"], r["loaded"], r["pages_scanned"]) for r in rows} == {("0", "0", "0")}


@pytest.mark.browser
def test_html_renders_in_chromium(sqlite_filled: tuple[str, Written], tmp_path: Path) -> None:
    """The screenshot goes to docs/reports/ only with SOHOA_UPDATE_DOCS=1 (a test run leaves the tree clean)."""
    import os

    from playwright.sync_api import sync_playwright

    from sohoa.paths import REPO_ROOT

    url, _written = sqlite_filled
    engine = make_engine(url)
    with session_scope(engine) as session:
        report = build_report(session, "progress", Scope(office="04"), AS_OF)
        district = build_report(session, "progress", Scope(office="043"), AS_OF)
    engine.dispose()
    page_html = render_html(report)
    docs = REPO_ROOT / "docs" / "reports"
    shot = docs / "progress.png" if os.environ.get("SOHOA_UPDATE_DOCS") == "1" else tmp_path / "progress.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_content(page_html)
        assert page.locator("svg.chart").count() == 2
        assert page.locator("section#progress tbody tr").count() == len(report.primary.rows)
        assert page.locator("svg.chart rect").count() > 8
        assert "Tiến độ theo giai đoạn" in page.inner_text("body")
        page.screenshot(path=str(shot), full_page=False)
        page.set_content(render_html(district))  # printing: a district's report (the province's is 170 pages)
        pdf = page.pdf(format="A4", landscape=True)
        browser.close()
    assert shot.stat().st_size > 10_000
    assert pdf[:4] == b"%PDF"
