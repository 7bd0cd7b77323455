"""Quality of the digitized data: confidence, corrections, rejections, reviewers, spot checks.

Sources and conventions (the review app, a later issue, must write these audit rows):
* confidence: ``records.fields`` maps a field key to ``{text, value, confidence, …}``; a field is
  *confident* when its confidence is at least :data:`CONFIDENT` (0.9). Counted in the database with
  ``json_each`` (SQLite) / ``jsonb_each`` (PostgreSQL), grouped by era, book group and field key.
* corrections: audit rows ``entity='record'`` with an action in :data:`EDIT_ACTIONS`; ``before`` and
  ``after`` hold the record's fields (a ``{"fields": {...}}`` snapshot or the changed keys themselves).
  A field counts as corrected when its value (``value``, else ``text``, else the plain value) differs.
  The field type is the attribute part of the key (``full_name`` of ``child.full_name``).
* rejections: records in state ``rejected``, by ``reject_reason``.
* reviewer productivity: audit rows ``entity='record', action='approve'`` per actor; approvals per
  active hour (clock hours in which the reviewer approved at least one record).
* spot checks: audit rows whose action starts with ``spot_check`` (``loaders.spot_checks``), per reviewer whose
  approval was checked (``after.reviewer``), a finding being ``after.result`` other than ``ok`` (or a
  non-empty ``after.fields`` list of wrong keys).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, String, case, cast, distinct, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from loaders.models import AuditLog, Record, RecordState
from reports.model import Column, Report, View, ratio
from reports.scope import Registry, Scope, book_filter, check_scope, era_ids, group_ids, load_registry

CONFIDENT = 0.9
EDIT_ACTIONS = ("edit", "correct", "correction")
APPROVE_ACTION = "approve"
SPOT_CHECK_PREFIX = "spot_check"
REASON_LABELS = {
    "illegible": "Không đọc được",
    "not_a_record": "Không phải bản ghi",
    "rescan": "Cần quét lại",
}


# --------------------------------------------------------------------------- queries
def _confidence_query(dialect: str) -> Select[Any]:
    if dialect == "postgresql":
        each = func.jsonb_each(Record.fields).table_valued("key", "value").alias("f")
        conf: ColumnElement[Any] = cast(each.c.value.op("->>")("confidence"), Float)
    else:
        each = func.json_each(Record.fields).table_valued("key", "value", "type").alias("f")
        conf = case((each.c.type == "object", func.json_extract(each.c.value, "$.confidence")))
    confident = func.sum(case((conf >= CONFIDENT, 1), else_=0))
    return (
        select(Record.era, Record.book_type, each.c.key, func.count(conf), confident)
        .select_from(Record)
        .join(each, true())
        .group_by(Record.era, Record.book_type, each.c.key)
    )


def fetch_confidence(
    session: Session, registry: Registry, scope: Scope
) -> list[tuple[str, str, str, int, int]]:
    """(era, book group, field key, fields with a confidence, confident ones)."""
    query = _confidence_query(session.get_bind().dialect.name)
    query = query.where(*book_filter(Record.book_id, registry, scope))
    return [
        (era, str(bt), key, n, int(ok or 0)) for era, bt, key, n, ok in session.connection().execute(query)
    ]


def fetch_rejections(session: Session, registry: Registry, scope: Scope) -> dict[str, int]:
    query = (
        select(Record.reject_reason, func.count())
        .where(Record.state == RecordState.REJECTED, *book_filter(Record.book_id, registry, scope))
        .group_by(Record.reject_reason)
    )
    return {
        str(reason) if reason is not None else "unknown": n
        for reason, n in session.connection().execute(query)
    }


def _audit_scope(registry: Registry, scope: Scope) -> list[ColumnElement[bool]]:
    limits = book_filter(Record.book_id, registry, scope)
    if not limits:
        return []
    ids = select(cast(Record.id, String)).where(*limits)
    return [AuditLog.entity_id.in_(ids)]


@dataclass(frozen=True)
class ReviewerFigures:
    reviewer: str
    approvals: int
    active_hours: int
    first_at: dt.datetime
    last_at: dt.datetime


def fetch_reviewers(session: Session, registry: Registry, scope: Scope) -> list[ReviewerFigures]:
    if session.get_bind().dialect.name == "postgresql":
        hour: ColumnElement[Any] = func.date_trunc("hour", AuditLog.at)
    else:
        hour = func.strftime("%Y-%m-%d %H", AuditLog.at)
    query = (
        select(
            AuditLog.actor,
            func.count(),
            func.count(distinct(hour)),
            func.min(AuditLog.at),
            func.max(AuditLog.at),
        )
        .where(AuditLog.entity == "record", AuditLog.action == APPROVE_ACTION, *_audit_scope(registry, scope))
        .group_by(AuditLog.actor)
        .order_by(AuditLog.actor)
    )
    return [ReviewerFigures(*row) for row in session.connection().execute(query)]


def fetch_audit_payloads(
    session: Session,
    registry: Registry,
    scope: Scope,
    actions: Iterable[str] = (),
    prefix: str = "",
    *,
    latest_per_record: bool = False,
) -> list[tuple[str, Any, Any]]:
    """(actor, before, after) of record audit rows with one of ``actions`` or an action starting ``prefix``
    (only each record's latest such row with ``latest_per_record``)."""
    match = AuditLog.action.in_(list(actions)) if actions else AuditLog.action.startswith(prefix)
    query = (
        select(AuditLog.entity_id, AuditLog.actor, AuditLog.before, AuditLog.after)
        .where(AuditLog.entity == "record", match, *_audit_scope(registry, scope))
        .order_by(AuditLog.id)
    )
    rows = [
        (entity_id, (actor, before, after))
        for entity_id, actor, before, after in session.connection().execute(query)
    ]
    if latest_per_record:  # a record checked again: its latest finding stands
        return list(dict(rows).values())
    return [payload for _id, payload in rows]


# --------------------------------------------------------------------------- pure computations
def attribute_of(key: str) -> str:
    """The field type of a key: ``full_name`` for ``child.full_name``, ``note`` for ``note``."""
    return key.partition(".")[2] or key


def confidence_rows(raw: list[tuple[str, str, str, int, int]]) -> list[dict[str, Any]]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for era, group, _key, n, ok in raw:
        totals[(era, group)][0] += n
        totals[(era, group)][1] += ok
    eras, groups = era_ids(), group_ids()

    def order(key: tuple[str, str]) -> tuple[int, int, str, str]:
        era, group = key
        rank_era = eras.index(era) if era in eras else len(eras)
        rank_group = groups.index(group) if group in groups else len(groups)
        return rank_era, rank_group, era, group

    return [
        {"era": era, "book_group": group, "fields": n, "confident": ok, "share": ratio(ok, n)}
        for (era, group), (n, ok) in sorted(totals.items(), key=lambda kv: order(kv[0]))
    ]


def confidence_by_field_rows(raw: list[tuple[str, str, str, int, int]]) -> list[dict[str, Any]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _era, _group, key, n, ok in raw:
        totals[attribute_of(key)][0] += n
        totals[attribute_of(key)][1] += ok
    return [
        {"field_type": attr, "fields": n, "confident": ok, "share": ratio(ok, n)}
        for attr, (n, ok) in sorted(totals.items(), key=lambda kv: (ratio(kv[1][1], kv[1][0]) or 0, kv[0]))
        if n
    ]


def _comparable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("value", value.get("text"))
    return value


def _field_map(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        return {}
    inner = payload.get("fields")
    return dict(inner) if isinstance(inner, Mapping) else dict(payload)


def changed_fields(before: Any, after: Any) -> list[str]:
    """Field keys whose value differs between two audit payloads (confidence changes do not count)."""
    old, new = _field_map(before), _field_map(after)
    return sorted(k for k in set(old) | set(new) if _comparable(old.get(k)) != _comparable(new.get(k)))


def correction_rows(payloads: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = defaultdict(int)
    edits: dict[str, int] = defaultdict(int)
    for _actor, before, after in payloads:
        changed = {attribute_of(k) for k in changed_fields(before, after)}
        for key in changed_fields(before, after):
            counts[attribute_of(key)] += 1
        for attr in changed:
            edits[attr] += 1
    return [
        {"field_type": attr, "corrections": n, "edits": edits[attr]}
        for attr, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def rejection_rows(rejections: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(rejections.values())
    return [
        {"reason": reason, "label": REASON_LABELS.get(reason, reason), "records": n, "share": ratio(n, total)}
        for reason, n in sorted(rejections.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def reviewer_rows(reviewers: list[ReviewerFigures]) -> list[dict[str, Any]]:
    return [
        {
            "reviewer": r.reviewer,
            "approvals": r.approvals,
            "active_hours": r.active_hours,
            "per_hour": round(r.approvals / r.active_hours, 2) if r.active_hours else None,
            "first_at": r.first_at,
            "last_at": r.last_at,
        }
        for r in reviewers
    ]


def _finding_keys(after: Any) -> list[str] | None:
    """The wrong keys a spot check found ([] when it found none), or None when it was not conclusive."""
    if not isinstance(after, Mapping):
        return None
    wrong = after.get("fields")
    keys = [str(k) for k in wrong] if isinstance(wrong, list) else []
    if after.get("result") not in (None, "ok") and not keys:
        keys = ["?"]
    return keys


def spot_check_rows(payloads: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    """Per reviewer whose approvals were checked (``after.reviewer``, as the review app writes it; the
    checker for rows without one): checks, checks with findings, wrong fields."""
    per_actor: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for actor, _before, after in payloads:
        keys = _finding_keys(after) or []
        checked = after.get("reviewer") if isinstance(after, Mapping) else None
        figures = per_actor[checked if isinstance(checked, str) and checked else actor]
        figures[0] += 1
        figures[1] += 1 if keys else 0
        figures[2] += len(keys)
    return [
        {"reviewer": a, "checks": c, "with_findings": f, "fields_wrong": w, "share": ratio(f, c)}
        for a, (c, f, w) in sorted(per_actor.items())
    ]


# --------------------------------------------------------------------------- report
CONFIDENCE_COLUMNS = (
    Column("era", "Giai đoạn"),
    Column("book_group", "Nhóm sổ"),
    Column("fields", "Số trường", "int"),
    Column("confident", "Trường tin cậy (≥ 0,9)", "int"),
    Column("share", "Tỷ lệ tin cậy", "pct"),
)
BY_FIELD_COLUMNS = (
    Column("field_type", "Loại trường"),
    Column("fields", "Số trường", "int"),
    Column("confident", "Trường tin cậy (≥ 0,9)", "int"),
    Column("share", "Tỷ lệ tin cậy", "pct"),
)
CORRECTION_COLUMNS = (
    Column("field_type", "Loại trường"),
    Column("corrections", "Số lần sửa", "int"),
    Column("edits", "Lượt chỉnh sửa có trường này", "int"),
)
REJECTION_COLUMNS = (
    Column("reason", "Mã lý do"),
    Column("label", "Lý do từ chối"),
    Column("records", "Số bản ghi", "int"),
    Column("share", "Tỷ lệ", "pct"),
)
REVIEWER_COLUMNS = (
    Column("reviewer", "Người duyệt"),
    Column("approvals", "Số phê duyệt", "int"),
    Column("active_hours", "Giờ làm việc", "int"),
    Column("per_hour", "Phê duyệt/giờ", "float"),
    Column("first_at", "Đầu tiên", "date"),
    Column("last_at", "Gần nhất", "date"),
)
SPOT_CHECK_COLUMNS = (
    Column("reviewer", "Người duyệt được kiểm tra"),
    Column("checks", "Số lần kiểm tra", "int"),
    Column("with_findings", "Có sai sót", "int"),
    Column("fields_wrong", "Trường sai", "int"),
    Column("share", "Tỷ lệ có sai sót", "pct"),
)


def build_quality(session: Session, scope: Scope | None = None) -> Report:
    scope = scope or Scope()
    registry = load_registry(session)
    check_scope(registry, scope)
    raw = fetch_confidence(session, registry, scope)
    edits = fetch_audit_payloads(session, registry, scope, actions=EDIT_ACTIONS)
    checks = fetch_audit_payloads(session, registry, scope, prefix=SPOT_CHECK_PREFIX, latest_per_record=True)
    views = [
        View("confidence", "Độ tin cậy theo giai đoạn và nhóm sổ", CONFIDENCE_COLUMNS, confidence_rows(raw)),
        View(
            "confidence_by_field",
            "Độ tin cậy theo loại trường",
            BY_FIELD_COLUMNS,
            confidence_by_field_rows(raw),
        ),
        View("corrections", "Sửa lỗi theo loại trường", CORRECTION_COLUMNS, correction_rows(edits)),
        View(
            "rejections",
            "Từ chối theo lý do",
            REJECTION_COLUMNS,
            rejection_rows(fetch_rejections(session, registry, scope)),
        ),
        View(
            "reviewers",
            "Năng suất người duyệt",
            REVIEWER_COLUMNS,
            reviewer_rows(fetch_reviewers(session, registry, scope)),
        ),
        View(
            "spot_checks",
            "Kiểm tra xác suất",
            SPOT_CHECK_COLUMNS,
            spot_check_rows(checks),
            note="Chưa có bảng riêng: đếm từ nhật ký (hành động spot_check*).",
        ),
    ]
    return Report(
        kind="quality",
        title="Báo cáo chất lượng số hóa",
        generated_at=dt.datetime.now(dt.UTC),
        filters=scope.labels(),
        views=views,
        notes=[f"Một trường là tin cậy khi độ tin cậy OCR ≥ {CONFIDENT}."],
    )
