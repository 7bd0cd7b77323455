"""Corrections after approval: a supervisor changes fields of an approved or loaded record, with a reason.

The design's rule: the official partition is written only by approval, and a change after approval is a
correction with its own audit trail. :func:`correct_record` is that change:

* only a supervisor or an admin of the record's office (or an office above it) corrects, and only records
  in state ``approved`` or ``loaded`` (staged and in-review records are edited in review);
* a reason is required (at most ``loaders.limits.REASON`` characters); it is kept in both audit rows;
* the record's fields are changed as a reviewer's edit would change them (the OCR's reading stays in
  ``ocr_text``, ``edited_by`` names the supervisor, everything is normalized again), under the same
  optimistic lock (a stale ``version`` is a :class:`~loaders.approval.RecordConflictError`);
* the record's official row gets the new final values, registration number and date, in the same
  transaction; the record keeps its state (a loaded record stays loaded);
* two audit rows, action ``correct``: one on the record (fields before and after), one on the official row
  (final values before and after). A book's export package lists a digest of each record's final values,
  so the next ``sohoa load`` writes the corrected book's package again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session

from loaders import limits
from loaders.approval import (
    OVERSEER_ROLES,
    check_changes,
    check_version,
    flush_record,
    get_record,
    require_role,
    with_texts,
)
from loaders.audit import audit
from loaders.limits import check_length
from loaders.models import OfficialRecord, Record, RecordState, User, utcnow
from loaders.official import ensure_official, final_fields, registration_date, registration_number
from sohoa.errors import InputError, StateError

CORRECT_ACTION: Final[str] = "correct"
CORRECTABLE: Final[tuple[RecordState, ...]] = (RecordState.APPROVED, RecordState.LOADED)
MAX_REASON: Final[int] = limits.REASON


def can_correct(user: User, record: Record) -> bool:
    """True when ``user`` may correct ``record`` (its office already checked): an unlocked supervisor or admin,
    and the record approved or loaded."""
    return not user.locked and user.role in OVERSEER_ROLES and record.state in CORRECTABLE


def _require_corrector(user: User) -> None:
    require_role(
        user,
        OVERSEER_ROLES,
        "chỉ giám sát viên hoặc quản trị viên được đính chính bản ghi đã duyệt",
        "nhờ giám sát viên của cơ quan đính chính",
    )


def _official_values(official: OfficialRecord, keys: list[str]) -> dict[str, Any]:
    return {
        "fields": {key: official.fields.get(key) for key in keys},
        "registration_number": official.registration_number,
        "registration_date": official.registration_date,
    }


def correct_record(
    session: Session,
    record_id: int,
    user: User,
    version: int,
    changes: Mapping[str, Any],
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Record:
    """Correct fields (field key → text) of an approved or loaded record; see the module's docstring.

    Texts equal to the current ones change nothing (no new version, no audit row). Never commits.
    """
    _require_corrector(user)
    record = get_record(session, record_id, user)
    check_version(session, record, version)
    if record.state not in CORRECTABLE:
        raise StateError(
            f"bản ghi {record.id} đang ở trạng thái {record.state}: chỉ đính chính bản ghi đã duyệt hoặc đã nạp",
            hint="bản ghi chưa duyệt thì sửa ngay khi duyệt",
        )
    why = check_length(
        " ".join(str(reason or "").split()), MAX_REASON, what="correction_reason", kind="reason"
    )
    if not why:
        raise InputError("đính chính cần có lý do", hint="ghi rõ vì sao sửa bản ghi đã duyệt")
    changed = check_changes(record, changes)
    if not changed:
        return record
    new_fields, issues, touched = with_texts(record, changed, user)
    official = ensure_official(session, record, user.username)
    final = final_fields(new_fields)
    official_before = _official_values(official, touched)
    before = {"fields": {key: record.fields.get(key) for key in touched}, "version": record.version}

    record.fields, record.issues = new_fields, issues
    official.fields = final
    official.registration_number = registration_number(final)
    official.registration_date = registration_date(final)
    flush_record(session, record, version)
    at = now or utcnow()
    after = {
        "fields": {key: new_fields[key] for key in touched},
        "version": record.version,
        "reason": why,
        "official_id": official.id,
        "corrected_at": at,
    }
    audit(session, user.username, CORRECT_ACTION, "record", record.id, before=before, after=after)
    official_after = {**_official_values(official, touched), "reason": why, "record_id": record.id}
    audit(
        session,
        user.username,
        CORRECT_ACTION,
        "official_record",
        official.id,
        before=official_before,
        after=official_after,
    )
    return record
