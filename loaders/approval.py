"""What reviewers do to a record: claim the next one, correct its fields, approve or reject it.

The review app and the demo's scripted reviewer call these functions; each works inside the caller's
session, writes one audit row per change and never commits (a conflict rolls the session back, see below).

* **Claims.** :func:`claim_next` gives a reviewer the next free record of the offices they see, in the
  priority order: the plan's era order (``configs/plan.yaml``), then the book groups (marriage → birth →
  parent recognition → marital status → death → other), then book, page and row. The record becomes
  ``in_review`` with ``claimed_by`` / ``claimed_until``; a claim past its time is free again. Two reviewers
  never get the same record: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, and on every database an
  ``UPDATE`` that only succeeds while the record is still free and unchanged. A reviewer who already holds
  a claim gets that record back (renewed).
* **Optimistic locking.** Every change names the ``version`` the reviewer saw. A stale version raises
  :class:`RecordConflictError` (a :class:`~sohoa.errors.ConflictError`) saying who changed the record;
  nothing of the stale change is written, the other change stays, and the reviewer's input is still in
  their form.
* **Scope.** A reviewer sees the records of their own office; a supervisor or an admin also those of the
  offices under theirs (an admin without an office sees all). Another office's record is
  :class:`~sohoa.errors.NotFoundError`, the same as a record that does not exist.
* **Approval** writes the record's official row (:func:`loaders.official.official_row`) with the approver
  and the time; ``sohoa load`` later loads it. Approved, loaded and rejected records cannot be edited here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, desc, exists, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from loaders import limits
from loaders.audit import audit, jsonable
from loaders.limits import check_fields, check_length
from loaders.models import (
    AuditLog,
    Book,
    Office,
    Page,
    Record,
    RecordState,
    RejectReason,
    User,
    UserRole,
    utcnow,
)
from loaders.official import offices_under, official_row
from loaders.staging import issue_dict, json_value, layout_info
from normalize import Normalized, normalize_record, validate_record
from sohoa import config
from sohoa.errors import ConflictError, InputError, NotFoundError, StateError
from sohoa.fields import is_valid_key

log = logging.getLogger(__name__)

DEFAULT_CLAIM_TIMEOUT = dt.timedelta(minutes=30)
#: Candidates tried per book before moving on, when other reviewers keep taking them first (SQLite).
CLAIM_TRIES = 5
REVIEW_ROLES = frozenset({UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ADMIN})
OVERSEER_ROLES = frozenset({UserRole.SUPERVISOR, UserRole.ADMIN})
WORKABLE = (RecordState.STAGED, RecordState.IN_REVIEW)


class PermissionDenied(StateError):
    """The user's role or account does not allow the action."""


class RecordConflictError(ConflictError):
    """The record changed since the reviewer read it (``expected`` → ``current`` version)."""

    def __init__(self, record_id: int, expected: int, current: int | None, changed_by: str | None) -> None:
        who = f" bởi {changed_by}" if changed_by else ""
        now = f"hiện là {current}" if current is not None else "nay đã bị xóa"
        super().__init__(
            f"bản ghi {record_id} đã bị sửa{who} sau khi bạn mở (phiên bản của bạn {expected}, {now}); "
            "thay đổi của bạn chưa được lưu",
            hint="tải lại bản ghi, xem thay đổi kia, rồi sửa lại",
        )
        self.record_id = record_id
        self.expected = expected
        self.current = current
        self.changed_by = changed_by


@dataclass(frozen=True)
class _Candidate:
    id: int
    state: RecordState
    claimed_by: int | None
    claimed_until: dt.datetime | None
    version: int


# --------------------------------------------------------------------------- users and scope
def require_role(user: User, roles: Collection[UserRole], refusal: str, hint: str) -> None:
    """:class:`PermissionDenied` unless ``user`` is unlocked and has one of ``roles`` (``refusal`` says why)."""
    if user.locked:
        raise PermissionDenied(f"tài khoản {user.username} đang bị khóa", hint="đề nghị Sở Tư pháp mở khóa")
    if user.role not in roles:
        raise PermissionDenied(f"{user.username} có vai trò {user.role}: {refusal}", hint=hint)


def _require_reviewer(user: User) -> None:
    require_role(
        user,
        REVIEW_ROLES,
        "không được duyệt bản ghi",
        "đăng nhập bằng tài khoản người duyệt, giám sát viên hoặc quản trị viên",
    )


def office_scope(session: Session, user: User) -> set[str] | None:
    """Codes of the offices whose records ``user`` sees; None for an admin without an office (all)."""
    if user.office_code is None:
        return None if user.role == UserRole.ADMIN else set()
    if user.role in OVERSEER_ROLES:
        return offices_under(session, user.office_code)
    return {user.office_code}


def sees_office(session: Session, user: User, office_code: str) -> bool:
    """True when ``user`` may see the records of ``office_code`` (walks up the office tree)."""
    if user.office_code is None:
        return user.role == UserRole.ADMIN
    code: str | None = office_code
    while code is not None:
        if code == user.office_code:
            return True
        if user.role not in OVERSEER_ROLES:
            return False
        office = session.get(Office, code)
        code = office.parent_code if office is not None else None
    return False


def get_record(session: Session, record_id: int, user: User) -> Record:
    """The record ``record_id`` if ``user`` may see it, else :class:`NotFoundError` (either way alike)."""
    record = session.get(Record, record_id, populate_existing=True)
    if record is None or not sees_office(session, user, record.book.office_code):
        raise NotFoundError(
            f"không có bản ghi {record_id}",
            hint="kiểm tra mã bản ghi: bạn chỉ thấy bản ghi của cơ quan mình",
        )
    return record


# --------------------------------------------------------------------------- checks
def _free(now: dt.datetime) -> ColumnElement[bool]:
    """Records nobody holds: staged, or in review with a claim past its time."""
    expired = and_(
        Record.state == RecordState.IN_REVIEW,
        or_(Record.claimed_until.is_(None), Record.claimed_until <= now),
    )
    return or_(Record.state == RecordState.STAGED, expired)


def _last_change(session: Session, record_id: int) -> str | None:
    row = session.execute(
        select(AuditLog.actor, AuditLog.action)
        .where(
            AuditLog.entity == "record",
            AuditLog.entity_id == str(record_id),
            AuditLog.action != "spot_check",  # a look that changed nothing
        )
        .order_by(desc(AuditLog.id))
        .limit(1)
    ).first()
    return f"{row.actor} ({row.action})" if row is not None else None


def _conflict(session: Session, record_id: int, expected: int) -> RecordConflictError:
    current = session.scalar(select(Record.version).where(Record.id == record_id))
    return RecordConflictError(record_id, expected, current, _last_change(session, record_id))


def check_version(session: Session, record: Record, version: int) -> None:
    if record.version != version:
        raise _conflict(session, record.id, version)


def _check_workable(session: Session, record: Record, user: User, now: dt.datetime) -> None:
    """The record can still be changed, and no other reviewer holds it."""
    if record.state not in WORKABLE:
        raise StateError(
            f"bản ghi {record.id} đang ở trạng thái {record.state}, không sửa ở đây được nữa",
            hint="sửa sau khi đã duyệt là đính chính: hãy nhờ giám sát viên",
        )
    held = record.state == RecordState.IN_REVIEW and record.claimed_by not in (None, user.id)
    if held and record.claimed_until is not None and record.claimed_until > now:
        holder = session.get(User, record.claimed_by)
        name = holder.username if holder is not None else f"user {record.claimed_by}"
        raise ConflictError(
            f"bản ghi {record.id} đang được {name} duyệt đến {record.claimed_until:%H:%M} UTC",
            hint="chọn bản ghi khác, hoặc nhờ giám sát viên trả bản ghi về hàng chờ",
        )


def workable_record(
    session: Session,
    record_id: int,
    user: User,
    version: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> Record:
    """The record, if ``user`` may change it in review now; the one rule of every change in review (field
    edits, approval, rejection, person-link decisions).

    ``user`` an unlocked reviewer, supervisor or admin (:class:`PermissionDenied`); the record in their offices
    (:class:`NotFoundError`); at ``version`` when one is given (:class:`RecordConflictError`); staged or in
    review (:class:`StateError`) and not held by another reviewer (:class:`ConflictError`).
    """
    _require_reviewer(user)
    record = get_record(session, record_id, user)
    if version is not None:
        check_version(session, record, version)
    _check_workable(session, record, user, now or utcnow())
    return record


def flush_record(session: Session, record: Record, expected: int) -> None:
    """Write the record's change; a concurrent change (version moved on) rolls back and raises a conflict."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _conflict(session, record.id, expected) from None


def _claim_state(record: Record | _Candidate) -> dict[str, Any]:
    return {
        "state": record.state,
        "claimed_by": record.claimed_by,
        "claimed_until": record.claimed_until,
        "version": record.version,
    }


# --------------------------------------------------------------------------- claims
def _era_rank() -> dict[str, int]:
    return {era: i for i, era in enumerate(config.plan().era_order)}


def _type_rank() -> dict[str, int]:
    return {group.id: i for i, group in enumerate(config.book_groups())}


def books_in_priority(
    session: Session, offices: Collection[str] | None, book_id: int | None = None
) -> list[Book]:
    """Books of ``offices`` (None: all) that have records to review, in the priority order."""
    work = exists().where(Record.book_id == Book.id, Record.state.in_(WORKABLE))
    query = select(Book).where(work)
    if offices is not None:
        query = query.where(Book.office_code.in_(list(offices)))
    if book_id is not None:
        query = query.where(Book.id == book_id)
    eras, types = _era_rank(), _type_rank()
    last = len(eras) + len(types)
    return sorted(
        session.scalars(query),
        key=lambda b: (
            eras.get(b.era, last),
            types.get(str(b.book_type), last),
            b.office_code,
            b.volume,
            b.id,
        ),
    )


def _candidates(
    session: Session, book_id: int, exclude: Collection[int], now: dt.datetime, limit: int
) -> list[_Candidate]:
    query = (
        select(Record.id, Record.state, Record.claimed_by, Record.claimed_until, Record.version)
        .join(Page, Page.id == Record.page_id)
        .where(Record.book_id == book_id, _free(now))
        .order_by(Page.page_no, Record.row_no, Record.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(Record.id.not_in(list(exclude)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Record)
    return [_Candidate(*row) for row in session.execute(query)]


def _take(session: Session, found: _Candidate, user: User, until: dt.datetime, now: dt.datetime) -> bool:
    """Claim ``found`` for ``user`` if it is still as read (free, same version); True when claimed."""
    stmt = (
        update(Record)
        .where(Record.id == found.id, Record.version == found.version, Record.state.in_(WORKABLE))
        .values(
            state=RecordState.IN_REVIEW,
            claimed_by=user.id,
            claimed_until=until,
            version=Record.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount == 1


def _claimed(session: Session, found: _Candidate, user: User, action: str) -> Record:
    record = session.get(Record, found.id, populate_existing=True)
    assert record is not None
    audit(
        session,
        user.username,
        action,
        "record",
        record.id,
        before=_claim_state(found),
        after=_claim_state(record),
    )
    return record


def _own_claim(session: Session, user: User, exclude: Collection[int], now: dt.datetime) -> _Candidate | None:
    query = select(Record.id, Record.state, Record.claimed_by, Record.claimed_until, Record.version).where(
        Record.state == RecordState.IN_REVIEW, Record.claimed_by == user.id, Record.claimed_until > now
    )
    if exclude:
        query = query.where(Record.id.not_in(list(exclude)))
    row = session.execute(query.order_by(Record.id).limit(1)).first()
    return _Candidate(*row) if row is not None else None


def claim_next(
    session: Session,
    user: User,
    *,
    offices: Collection[str] | None = None,
    book_id: int | None = None,
    exclude: Collection[int] = (),
    timeout: dt.timedelta = DEFAULT_CLAIM_TIMEOUT,
    now: dt.datetime | None = None,
) -> Record | None:
    """Claim the next record for ``user`` (see the module docstring); None when nothing is left to review.

    ``offices`` narrows the user's scope to those offices, ``book_id`` to one book; ``exclude``: record ids
    the reviewer skipped. The claim lasts ``timeout`` from ``now`` (default: the current time).
    """
    _require_reviewer(user)
    now = now or utcnow()
    until = now + timeout
    mine = _own_claim(session, user, exclude, now)
    if mine is not None and _take(session, mine, user, until, now):
        return _claimed(session, mine, user, "claim")
    scope = office_scope(session, user)
    if offices is not None:
        scope = set(offices) if scope is None else scope & set(offices)
    limit = 1 if session.get_bind().dialect.name == "postgresql" else CLAIM_TRIES
    for book in books_in_priority(session, scope, book_id):
        for found in _candidates(session, book.id, exclude, now, limit):
            if _take(session, found, user, until, now):
                log.debug("record %s claimed by %s until %s", found.id, user.username, until)
                return _claimed(session, found, user, "claim")
    return None


def release_claim(session: Session, record_id: int, user: User, *, now: dt.datetime | None = None) -> Record:
    """Give the record back to the queue (``staged``). Only its holder, a supervisor or an admin may."""
    record = get_record(session, record_id, user)
    if record.state != RecordState.IN_REVIEW:
        return record
    now = now or utcnow()
    expired = record.claimed_until is None or record.claimed_until <= now
    if record.claimed_by != user.id and user.role not in OVERSEER_ROLES and not expired:
        raise PermissionDenied(
            f"bản ghi {record_id} đang do người duyệt khác giữ",
            hint="chỉ người đang giữ, giám sát viên hoặc quản trị viên mới trả được bản ghi",
        )
    before = _claim_state(record)
    expected = record.version
    record.state, record.claimed_by, record.claimed_until = RecordState.STAGED, None, None
    flush_record(session, record, expected)
    audit(session, user.username, "release", "record", record.id, before=before, after=_claim_state(record))
    return record


# --------------------------------------------------------------------------- editing
def check_changes(record: Record, changes: Mapping[str, Any]) -> dict[str, str]:
    """The changed field texts, after checking every key belongs to the record's book type and every changed
    text fits its type (:class:`~loaders.limits.TooLongError`, see :mod:`loaders.limits`)."""
    wrong = [key for key in changes if not is_valid_key(key, str(record.book_type))]
    if wrong:
        raise InputError(
            f"{', '.join(sorted(wrong))} không phải trường của bản ghi {record.book_type}",
            hint="dùng mã trường của bản ghi (vai_trò.thuộc_tính, ví dụ child.full_name)",
        )
    texts = {key: "" if text is None else str(text).strip() for key, text in changes.items()}
    changed = {key: text for key, text in texts.items() if text != _text(record.fields.get(key))}
    if changed:
        check_fields(changed, layout_info(str(record.book_type), record.era).types)
    return changed


def _text(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return str(entry.get("text") or "")
    return "" if entry is None else str(entry)


def _edited(entry: Any, text: str, user: User) -> dict[str, Any]:
    """A field entry with the reviewer's text; the first OCR reading stays in ``ocr_text``."""
    old: dict[str, Any] = dict(entry) if isinstance(entry, Mapping) else {"text": _text(entry)}
    old.setdefault("confidence", None)
    old.setdefault("bbox", None)
    if "ocr_text" not in old:
        old["ocr_text"] = _text(entry)
    return {**old, "text": text, "edited_by": user.username}


def _with_normalized(entry: dict[str, Any], result: Normalized[Any] | None) -> dict[str, Any]:
    if result is None:
        return {**entry, "value": None, "display": entry["text"], "norm_confidence": None, "issues": []}
    return {
        **entry,
        "value": json_value(result.value),
        "display": result.text,
        "norm_confidence": result.confidence,
        "issues": [issue_dict(i) for i in result.issues],
    }


def renormalized(
    record: Record, fields: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """``fields`` with every value normalized again from its text, and the record's new issue list.

    Record-level issues from validation are recomputed; those from OCR (page quality) are kept.
    """
    info = layout_info(str(record.book_type), record.era)
    texts = {key: _text(entry) for key, entry in fields.items()}
    types = {key: info.types.get(key, "text") for key in texts}
    options = {key: opts for key, opts in info.options.items() if key in types and opts}
    normalized = normalize_record(types, texts, options=options)
    out = {key: _with_normalized(dict(entry), normalized.get(key)) for key, entry in fields.items()}
    book = record.book
    years = (book.year_from, book.year_to) if book.year_from and book.year_to else None
    found = validate_record(str(record.book_type), record.era, normalized, years)
    kept = [i for i in record.issues if isinstance(i, Mapping) and i.get("source") != "validate"]
    return out, kept + [issue_dict(i, "validate") for i in found]


def with_texts(
    record: Record, changed: Mapping[str, str], user: User
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The record's fields with ``changed`` texts set by ``user`` and everything normalized again; the new
    issue list; and the keys whose entry changed (the edited fields and those normalization moved)."""
    fields = {
        key: dict(entry) if isinstance(entry, Mapping) else {"text": _text(entry)}
        for key, entry in record.fields.items()
    }
    for key, text in changed.items():
        fields[key] = _edited(record.fields.get(key), text, user)
    new_fields, issues = renormalized(record, fields)
    touched = sorted(key for key in new_fields if new_fields[key] != record.fields.get(key))
    return new_fields, issues, touched


def edit_fields(
    session: Session,
    record_id: int,
    user: User,
    version: int,
    changes: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> Record:
    """Set the texts of some fields (field key → text) and normalize the record again; audited as ``edit``.

    The OCR's reading of each changed field stays in ``ocr_text``; ``edited_by`` names the reviewer. A
    record held by another reviewer, or no longer staged or in review, cannot be edited. Texts equal to
    the current ones change nothing (no new version, no audit row).
    """
    record = workable_record(session, record_id, user, version, now=now)
    changed = check_changes(record, changes)
    if not changed:
        return record
    new_fields, issues, touched = with_texts(record, changed, user)
    before = {"fields": {key: record.fields.get(key) for key in touched}, "version": record.version}
    record.fields, record.issues = new_fields, issues
    flush_record(session, record, version)
    after = {"fields": {key: new_fields[key] for key in touched}, "version": record.version}
    audit(session, user.username, "edit", "record", record.id, before=before, after=after)
    return record


# --------------------------------------------------------------------------- decisions
def _decide(
    session: Session, record_id: int, user: User, version: int, now: dt.datetime
) -> tuple[Record, dict[str, Any]]:
    """The record to approve or reject, checked, with its state before the decision."""
    record = workable_record(session, record_id, user, version, now=now)
    before = {**_claim_state(record), "reject_reason": record.reject_reason}
    return record, before


def approve(
    session: Session, record_id: int, user: User, version: int, *, now: dt.datetime | None = None
) -> Record:
    """Approve the record as it stands: state ``approved`` and its row in the official partition."""
    now = now or utcnow()
    record, before = _decide(session, record_id, user, version, now)
    record.state, record.claimed_by, record.claimed_until = RecordState.APPROVED, None, None
    official = official_row(record, record.book.office_code, user.id, now)
    session.add(official)
    flush_record(session, record, version)
    after = {**_claim_state(record), "approved_by": user.id, "approved_at": now, "official_id": official.id}
    audit(session, user.username, "approve", "record", record.id, before=before, after=after)
    return record


def reject_reason(reason: RejectReason | str) -> RejectReason:
    """``reason`` as a :class:`RejectReason`, or :class:`InputError` listing the valid ones."""
    try:
        return RejectReason(reason)
    except ValueError:
        known = ", ".join(r.value for r in RejectReason)
        raise InputError(f"không có lý do từ chối {reason!r}", hint=f"dùng một trong: {known}") from None


def reject(
    session: Session,
    record_id: int,
    user: User,
    version: int,
    reason: RejectReason | str,
    *,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Record:
    """Reject the record (``illegible``, ``not_a_record`` or ``rescan``), with an optional note in the audit."""
    why = reject_reason(reason)
    if note:
        check_length(note, limits.NOTE, what="reject_note", kind="note")
    record, before = _decide(session, record_id, user, version, now or utcnow())
    record.state, record.claimed_by, record.claimed_until = RecordState.REJECTED, None, None
    record.reject_reason = why
    flush_record(session, record, version)
    after = {**_claim_state(record), "reject_reason": why, "note": jsonable(note)}
    audit(session, user.username, "reject", "record", record.id, before=before, after=after)
    return record
