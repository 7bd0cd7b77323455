"""Digitization progress per office × era × book group against the plan, rolled up to the province.

How the figures are made
------------------------
* Counts come from four GROUP BY queries (records by book and state, pages by book and status,
  approvals by book, approvals by day); everything after that works on a few thousand numbers.
* ``level`` says which kind of row it is: ``commune`` rows count the commune office's own books;
  a ``district`` row counts the district office's own books *and* those of its communes; the
  ``province`` row counts every book of the province (including the provincial office's own).
* Targets: ``configs/plan.yaml`` gives the province's target per era and book group only. Each
  target is split **equally over the commune-level offices** in the database (largest remainder, by
  office code, so the shares add up exactly to the plan); a district's target is the sum of its
  communes', the province's is the plan's. Records registered by district offices count towards
  their district's target. Replace this with the province's own inventory (plan II.2) when it exists.
* ``approved`` and ``loaded`` are records in those states; both are in the official partition, so
  ``pct_of_target`` = (approved + loaded) / target.
* The throughput chart counts approvals per day (per week beyond four months) over the last 26 weeks.
* Throughput: approvals (``official_records.approved_at``) in the last 30 days up to ``as_of``
  (or since the first approval, if that is more recent), per day. The estimated completion date is
  ``as_of`` + remaining / throughput; ``late`` flags an estimate after the plan's last year for the
  era, or no throughput at all while records remain.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from loaders.models import OfficialRecord, Page, PageStatus, Record, RecordState
from reports.model import ChartSpec, Column, Report, Series, View, ratio
from reports.scope import (
    Registry,
    Scope,
    book_filter,
    check_scope,
    era_ids,
    group_ids,
    load_registry,
    sort_codes,
)
from sohoa import config

WINDOW_DAYS = 30
HISTORY_DAYS = 182  # the throughput chart shows the last 26 weeks
WEEKLY_AFTER_DAYS = 120  # throughput chart: days up to this span, weeks beyond


# --------------------------------------------------------------------------- counts
@dataclass(frozen=True)
class Counts:
    pages_scanned: int = 0
    pages_quarantined: int = 0
    records_extracted: int = 0
    staged: int = 0
    in_review: int = 0
    approved: int = 0
    rejected: int = 0
    loaded: int = 0
    approved_recent: int = 0
    first_approved: dt.date | None = None

    def __add__(self, other: Counts) -> Counts:
        firsts = [d for d in (self.first_approved, other.first_approved) if d is not None]
        summed = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name != "first_approved"
        }
        return Counts(**summed, first_approved=min(firsts) if firsts else None)

    @property
    def done(self) -> int:
        return self.approved + self.loaded


@dataclass(frozen=True)
class BookFigures:
    """What the database says about each book, from the aggregate queries."""

    records: dict[int, dict[str, int]]
    pages: dict[int, dict[str, int]]
    approvals: dict[int, tuple[int, dt.date | None]]  # book -> (approved in the window, first day)
    per_day: list[tuple[dt.date, int]]


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _records_by_book(session: Session, where: list[ColumnElement[bool]]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    query = (
        select(Record.book_id, Record.state, func.count())
        .where(*where)
        .group_by(Record.book_id, Record.state)
    )
    for book_id, state, n in session.connection().execute(query):
        out[book_id][str(state)] = n
    return dict(out)


def _pages_by_book(session: Session, where: list[ColumnElement[bool]]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    query = select(Page.book_id, Page.status, func.count()).where(*where).group_by(Page.book_id, Page.status)
    for book_id, status, n in session.connection().execute(query):
        out[book_id][str(status)] = n
    return dict(out)


def _approvals_by_book(
    session: Session, where: list[ColumnElement[bool]], as_of: dt.date
) -> dict[int, tuple[int, dt.date | None]]:
    """Per book: approvals in the throughput window ending on ``as_of``, and the day of the first one."""
    since, until = (
        _midnight(as_of - dt.timedelta(days=WINDOW_DAYS - 1)),
        _midnight(as_of + dt.timedelta(days=1)),
    )
    recent = func.count().filter(OfficialRecord.approved_at >= since, OfficialRecord.approved_at < until)
    query = (
        select(OfficialRecord.book_id, recent, func.min(OfficialRecord.approved_at))
        .where(*where)
        .group_by(OfficialRecord.book_id)
    )
    return {book_id: (n, _as_date(first)) for book_id, n, first in session.connection().execute(query)}


def _approvals_by_day(
    session: Session, where: list[ColumnElement[bool]], as_of: dt.date
) -> list[tuple[dt.date, int]]:
    """Approvals per day over the chart's history (a range: fewer rows to group)."""
    day = func.date(OfficialRecord.approved_at)
    history = _midnight(as_of - dt.timedelta(days=HISTORY_DAYS - 1))
    until = _midnight(as_of + dt.timedelta(days=1))
    query = (
        select(day, func.count())
        .where(OfficialRecord.approved_at >= history, OfficialRecord.approved_at < until, *where)
        .group_by(day)
        .order_by(day)
    )
    return [(d, n) for raw, n in session.connection().execute(query) if (d := _as_date(raw)) is not None]


def fetch_book_figures(session: Session, registry: Registry, scope: Scope, as_of: dt.date) -> BookFigures:
    """The four aggregate queries of the progress report (GROUP BY in the database)."""
    return BookFigures(
        records=_records_by_book(session, book_filter(Record.book_id, registry, scope)),
        pages=_pages_by_book(session, book_filter(Page.book_id, registry, scope)),
        approvals=_approvals_by_book(session, book_filter(OfficialRecord.book_id, registry, scope), as_of),
        per_day=_approvals_by_day(session, book_filter(OfficialRecord.book_id, registry, scope), as_of),
    )


def _book_values(figures: BookFigures, book_id: int) -> tuple[list[int], dt.date | None]:
    """The integer fields of :class:`Counts` for one book, in their order, and its first approval."""
    states = figures.records.get(book_id, {})
    statuses = figures.pages.get(book_id, {})
    recent, first = figures.approvals.get(book_id, (0, None))
    values = [
        sum(statuses.values()),
        statuses.get(PageStatus.QUARANTINED.value, 0),
        sum(states.values()),
        states.get(RecordState.STAGED.value, 0),
        states.get(RecordState.IN_REVIEW.value, 0),
        states.get(RecordState.APPROVED.value, 0),
        states.get(RecordState.REJECTED.value, 0),
        states.get(RecordState.LOADED.value, 0),
        recent,
    ]
    return values, first


Key = tuple[str, str, str]  # office code, era, book group


def _earliest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)


def rolled_up_counts(registry: Registry, figures: BookFigures) -> dict[Key, Counts]:
    """Counts per (office, era, group): each book adds to its office and to every office above it."""
    sums: dict[Key, list[int]] = {}
    firsts: dict[Key, dt.date | None] = {}
    for book in registry.books.values():
        values, first = _book_values(figures, book.id)
        for code in registry.ancestors(book.office_code):
            key = (code, book.era, book.book_type)
            acc = sums.setdefault(key, [0] * len(values))
            for i, v in enumerate(values):
                acc[i] += v
            firsts[key] = _earliest(firsts.get(key), first)
    return {key: _counts(acc, firsts[key]) for key, acc in sums.items()}


def _counts(values: list[int], first: dt.date | None) -> Counts:
    return Counts(**dict(zip(_INT_FIELDS, values, strict=True)), first_approved=first)  # type: ignore[arg-type]


_INT_FIELDS = tuple(f.name for f in fields(Counts) if f.name != "first_approved")


# --------------------------------------------------------------------------- targets
def split_evenly(total: int, codes: list[str]) -> dict[str, int]:
    """``total`` over ``codes`` in equal integer shares that add up exactly (largest remainder, by code)."""
    if not codes:
        return {}
    base, extra = divmod(total, len(codes))
    ordered = sorted(codes)
    return {code: base + (1 if i < extra else 0) for i, code in enumerate(ordered)}


def office_targets(registry: Registry, plan: config.PlanFile) -> dict[Key, int]:
    """Plan targets per (office, era, group), split over the communes and summed upwards."""
    communes = [c for c, o in registry.offices.items() if o.level == "commune"]
    receivers = communes or [c for c, o in registry.offices.items() if o.parent_code is None]
    targets: dict[Key, int] = defaultdict(int)
    for plan_era in plan.eras:
        for group, total in plan_era.targets_by_group.items():
            for code, share in split_evenly(total, receivers).items():
                for above in registry.ancestors(code):
                    targets[(above, plan_era.era, group)] += share
    return dict(targets)


# --------------------------------------------------------------------------- estimates
@dataclass(frozen=True)
class Estimate:
    per_day: float
    completion: dt.date | None
    late: bool


def estimate(counts: Counts, target: int, plan_year: int | None, as_of: dt.date) -> Estimate:
    """Throughput per day over the recent window and the day the target would be reached."""
    per_day = 0.0
    if counts.first_approved is not None:
        window = max(1, min(WINDOW_DAYS, (as_of - counts.first_approved).days + 1))
        per_day = counts.approved_recent / window
    remaining = max(target - counts.done, 0)
    if remaining == 0:
        return Estimate(per_day=per_day, completion=None, late=False)
    if per_day <= 0:
        return Estimate(per_day=0.0, completion=None, late=True)
    completion = as_of + dt.timedelta(days=math.ceil(remaining / per_day))
    late = plan_year is not None and completion.year > plan_year
    return Estimate(per_day=per_day, completion=completion, late=late)


# --------------------------------------------------------------------------- rows
PROGRESS_COLUMNS = (
    Column("level", "Cấp"),
    Column("office_code", "Mã cơ quan"),
    Column("office_name", "Cơ quan đăng ký"),
    Column("era", "Giai đoạn"),
    Column("book_group", "Nhóm sổ"),
    Column("target", "Chỉ tiêu", "int"),
    Column("pages_scanned", "Trang đã quét", "int"),
    Column("pages_quarantined", "Trang cách ly", "int"),
    Column("records_extracted", "Bản ghi đã trích", "int"),
    Column("staged", "Chờ duyệt", "int"),
    Column("in_review", "Đang duyệt", "int"),
    Column("approved", "Đã phê duyệt", "int"),
    Column("rejected", "Bị từ chối", "int"),
    Column("loaded", "Đã nạp", "int"),
    Column("pct_of_target", "% chỉ tiêu", "pct"),
    Column("per_day", "Bản ghi/ngày", "float"),
    Column("estimated_completion", "Dự kiến hoàn thành", "date"),
    Column("plan_year", "Năm kế hoạch", "year"),
    Column("late", "Chậm kế hoạch", "bool"),
)

TERMINAL_KEYS = (
    "office_code",
    "era",
    "book_group",
    "target",
    "records_extracted",
    "approved",
    "loaded",
    "pct_of_target",
    "per_day",
    "estimated_completion",
    "late",
)

ERA_COLUMNS = (
    Column("era", "Giai đoạn"),
    Column("target", "Chỉ tiêu", "int"),
    Column("records_extracted", "Bản ghi đã trích", "int"),
    Column("approved", "Đã phê duyệt", "int"),
    Column("loaded", "Đã nạp", "int"),
    Column("pct_of_target", "% chỉ tiêu", "pct"),
    Column("per_day", "Bản ghi/ngày", "float"),
    Column("estimated_completion", "Dự kiến hoàn thành", "date"),
    Column("plan_year", "Năm kế hoạch", "year"),
    Column("late", "Chậm kế hoạch", "bool"),
)

THROUGHPUT_COLUMNS = (
    Column("period", "Từ ngày", "date"),
    Column("days", "Số ngày", "int"),
    Column("approved", "Đã phê duyệt", "int"),
    Column("per_day", "Bản ghi/ngày", "float"),
)


def _figures_row(counts: Counts, target: int, plan_year: int | None, as_of: dt.date) -> dict[str, Any]:
    est = estimate(counts, target, plan_year, as_of)
    return {
        "target": target,
        "pages_scanned": counts.pages_scanned,
        "pages_quarantined": counts.pages_quarantined,
        "records_extracted": counts.records_extracted,
        "staged": counts.staged,
        "in_review": counts.in_review,
        "approved": counts.approved,
        "rejected": counts.rejected,
        "loaded": counts.loaded,
        "pct_of_target": ratio(counts.done, target),
        "per_day": round(est.per_day, 2),
        "estimated_completion": est.completion,
        "plan_year": plan_year,
        "late": est.late,
    }


def progress_rows(
    registry: Registry,
    counts: dict[Key, Counts],
    targets: dict[Key, int],
    plan: config.PlanFile,
    scope: Scope,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    """One row per office × era × book group of the scope, offices depth-first, eras in plan order."""
    plan_years = {p.era: p.year_to for p in plan.eras}
    eras = [e for e in era_ids() if scope.era is None or e == scope.era]
    groups = group_ids()
    rows = []
    for code in sort_codes(registry, registry.office_codes(scope)):
        office = registry.offices[code]
        for era in eras:
            for group in groups:
                key = (code, era, group)
                row = {
                    "level": office.level,
                    "office_code": code,
                    "office_name": office.name,
                    "era": era,
                    "book_group": group,
                }
                row.update(
                    _figures_row(counts.get(key, Counts()), targets.get(key, 0), plan_years.get(era), as_of)
                )
                rows.append(row)
    return rows


def era_rows(
    registry: Registry,
    counts: dict[Key, Counts],
    targets: dict[Key, int],
    plan: config.PlanFile,
    scope: Scope,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    """Per era, the top office of the scope (the province, or the chosen office), all groups together."""
    tops = [
        c
        for c in registry.office_codes(scope)
        if registry.offices[c].parent_code not in registry.office_codes(scope)
    ]
    plan_years = {p.era: p.year_to for p in plan.eras}
    groups = group_ids()
    rows = []
    for era in era_ids():
        if scope.era is not None and era != scope.era:
            continue
        total, target = Counts(), 0
        for code in tops:
            for group in groups:
                total = total + counts.get((code, era, group), Counts())
                target += targets.get((code, era, group), 0)
        figures = _figures_row(total, target, plan_years.get(era), as_of)
        rows.append({"era": era, **{c.key: figures.get(c.key) for c in ERA_COLUMNS if c.key != "era"}})
    return rows


def throughput_rows(per_day: list[tuple[dt.date, int]]) -> list[dict[str, Any]]:
    """Approvals per day, or per week (from Monday) when the days span more than four months."""
    if not per_day:
        return []
    span = (per_day[-1][0] - per_day[0][0]).days + 1
    weekly = span > WEEKLY_AFTER_DAYS
    buckets: dict[dt.date, int] = defaultdict(int)
    for day, n in per_day:
        start = day - dt.timedelta(days=day.weekday()) if weekly else day
        buckets[start] += n
    width = 7 if weekly else 1
    return [
        {"period": start, "days": width, "approved": n, "per_day": round(n / width, 2)}
        for start, n in sorted(buckets.items())
    ]


# --------------------------------------------------------------------------- charts and report
def _pct_label(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def progress_charts(eras: list[dict[str, Any]], throughput: list[dict[str, Any]]) -> list[ChartSpec]:
    bars = ChartSpec(
        kind="bars",
        title="Tiến độ theo giai đoạn (bản ghi)",
        labels=[r["era"] for r in eras],
        series=[
            Series("Chỉ tiêu", [float(r["target"]) for r in eras]),
            Series("Đã phê duyệt + đã nạp", [float(r["approved"] + r["loaded"]) for r in eras]),
        ],
        y_label="bản ghi",
        annotations=[_pct_label(r["pct_of_target"]) for r in eras],
    )
    line = ChartSpec(
        kind="line",
        title="Năng suất phê duyệt theo thời gian (bản ghi/ngày)",
        labels=[r["period"].isoformat() for r in throughput],
        series=[Series("Bản ghi/ngày", [float(r["per_day"]) for r in throughput])],
        y_label="bản ghi/ngày",
    )
    return [bars, line]


def build_progress(session: Session, scope: Scope | None = None, as_of: dt.date | None = None) -> Report:
    """The progress report of ``scope`` on ``as_of`` (default: today, UTC)."""
    scope = scope or Scope()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    registry = load_registry(session)
    check_scope(registry, scope)
    plan = config.plan()
    figures = fetch_book_figures(session, registry, scope, as_of)
    counts = rolled_up_counts(registry, figures)
    targets = office_targets(registry, plan)
    rows = progress_rows(registry, counts, targets, plan, scope, as_of)
    eras = era_rows(registry, counts, targets, plan, scope, as_of)
    throughput = throughput_rows(figures.per_day)
    views = [
        View("progress", "Tiến độ số hóa", PROGRESS_COLUMNS, rows, terminal_keys=TERMINAL_KEYS),
        View("eras", "Theo giai đoạn", ERA_COLUMNS, eras),
        View(
            "throughput",
            "Năng suất phê duyệt",
            THROUGHPUT_COLUMNS,
            throughput,
            note=f"{HISTORY_DAYS // 7} tuần gần nhất; theo tuần (từ thứ Hai) khi dài hơn {WEEKLY_AFTER_DAYS} ngày.",
        ),
    ]
    return Report(
        kind="progress",
        title=f"Báo cáo tiến độ số hóa sổ hộ tịch — {plan.source}",
        generated_at=dt.datetime.now(dt.UTC),
        filters={**scope.labels(), "Tính đến": as_of.strftime("%d/%m/%Y")},
        views=views,
        charts=progress_charts(eras, throughput),
        notes=[
            "Chỉ tiêu của kế hoạch chia đều cho các xã/phường/thị trấn; huyện = tổng các xã, tỉnh = kế hoạch.",
            f"Năng suất: số bản ghi phê duyệt trong {WINDOW_DAYS} ngày gần nhất chia cho số ngày.",
        ],
    )
