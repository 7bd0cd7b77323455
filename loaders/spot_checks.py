"""Spot checks: a supervisor compares an approved record with the paper page and records what they found.

The supervisor page draws a reproducible sample of each reviewer's approvals
(:func:`loaders.review_views.reviewer_stats`); for each record checked, :func:`record_spot_check` writes an
audit row (action ``spot_check`` on the record) naming the result (``ok``: the record matches the page;
``error``: it does not), a note, and the reviewer who approved it. Nothing else changes: a record found wrong
is fixed with a correction (:mod:`loaders.corrections`). The audit log being append-only, a second check of
the same record is another row; the latest one counts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from loaders.approval import OVERSEER_ROLES, PermissionDenied, get_record, require_role
from loaders.audit import audit
from loaders.corrections import CORRECTABLE
from loaders.models import AuditLog, User
from loaders.official import APPROVE_ACTION
from sohoa.errors import InputError, StateError

SPOT_CHECK_ACTION: Final[str] = "spot_check"
MAX_NOTE: Final[int] = 500


class SpotCheckResult(StrEnum):
    OK = "ok"  # the record matches the page
    ERROR = "error"  # the record differs from the page


def approver_of(session: Session, record_id: int) -> str | None:
    """The username of whoever approved the record last (from the audit trail), or None."""
    query = (
        select(AuditLog.actor)
        .where(
            AuditLog.entity == "record",
            AuditLog.entity_id == str(record_id),
            AuditLog.action == APPROVE_ACTION,
        )
        .order_by(desc(AuditLog.id))
        .limit(1)
    )
    return session.scalars(query).first()


def record_spot_check(
    session: Session, record_id: int, user: User, result: SpotCheckResult | str, note: str = ""
) -> AuditLog:
    """Record a supervisor's spot check of an approved or loaded record; the audit row written."""
    require_role(
        user,
        OVERSEER_ROLES,
        "không được ghi kiểm tra xác suất",
        "kiểm tra xác suất do giám sát viên hoặc quản trị viên làm",
    )
    try:
        outcome = SpotCheckResult(result)
    except ValueError:
        raise InputError(f"không có kết quả kiểm tra {result!r}", hint="dùng ok hoặc error") from None
    record = get_record(session, record_id, user)
    if record.state not in CORRECTABLE:
        raise StateError(
            f"bản ghi {record.id} đang ở trạng thái {record.state}: chỉ kiểm tra xác suất bản ghi đã duyệt hoặc đã nạp",
            hint="kiểm tra lại khi bản ghi đã được duyệt",
        )
    text = " ".join(note.split())[:MAX_NOTE]
    if outcome == SpotCheckResult.ERROR and not text:
        raise InputError("hãy ghi rõ chỗ khác với trang sổ", hint="viết ghi chú cho người duyệt")
    reviewer = approver_of(session, record.id)
    if reviewer == user.username:
        raise PermissionDenied(
            f"{user.username} đã duyệt bản ghi {record.id}: kiểm tra xác suất phải do người khác làm",
            hint="nhờ một giám sát viên khác kiểm tra",
        )
    after = {"result": outcome.value, "note": text, "reviewer": reviewer}
    return audit(session, user.username, SPOT_CHECK_ACTION, "record", record.id, after=after)


def latest_results(session: Session, record_ids: list[int]) -> dict[int, str]:
    """Record id → the result of its latest spot check, for the records that have one."""
    if not record_ids:
        return {}
    query = (
        select(AuditLog.entity_id, AuditLog.after)
        .where(
            AuditLog.entity == "record",
            AuditLog.action == SPOT_CHECK_ACTION,
            AuditLog.entity_id.in_([str(i) for i in record_ids]),
        )
        .order_by(AuditLog.id)
    )
    return {int(rid): str((after or {}).get("result")) for rid, after in session.execute(query)}
