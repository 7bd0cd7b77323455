"""The official partition: the final values of approved records, and loading them (state ``loaded``).

Approval (:func:`loaders.approval.approve`) writes a record's :class:`OfficialRecord` row — final values by
field key, registration number and date, who approved it and when — in the same transaction as the state
``approved``; the official partition is never written by OCR. :func:`load_approved` then takes the
approved records of an office (and of the offices under it) one at a time, **one transaction per record**:
it makes sure the official row exists (rebuilding it from the approval's audit row for a record approved
by another path), stamps ``loaded_at``, moves the record to ``loaded`` and audits it. A rerun loads
nothing new (``UNIQUE(record_id)``, and only ``approved`` records are taken); two loaders running at once
never load a record twice (the record's version is the lock).

``OfficialRecord.fields`` maps every field key to ``{"value": <typed value as JSON>, "text": <canonical
text>}``, the ``{value|text}`` shape reports/ reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from loaders.audit import audit, snapshot
from loaders.models import (
    AuditLog,
    Book,
    Office,
    OfficialRecord,
    Record,
    RecordState,
    User,
    utcnow,
)
from loaders.registry import get_office
from sohoa.errors import SohoaError, StateError

log = logging.getLogger(__name__)

APPROVE_ACTION = "approve"
LOAD_ACTION = "load"


@dataclass
class LoadResult:
    """What one :func:`load_approved` run did."""

    loaded: int = 0
    already: int = 0  # loaded meanwhile by another run
    books: list[int] = field(default_factory=list)  # books with newly loaded records, in id order
    problems: list[str] = field(default_factory=list)  # records left approved, with the reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "already": self.already,
            "books": self.books,
            "problems": self.problems,
        }


# --------------------------------------------------------------------------- offices
def offices_under(session: Session, code: str) -> set[str]:
    """``code`` and every office below it (districts and communes of a province, communes of a district)."""
    children: dict[str, list[str]] = {}
    for child, parent in session.execute(select(Office.code, Office.parent_code)):
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found = {code}
    todo = [code]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# --------------------------------------------------------------------------- final values
def final_fields(fields: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``Record.fields`` → the official ``{key: {"value", "text"}}`` (text: the canonical display text)."""
    out: dict[str, dict[str, Any]] = {}
    for key, entry in fields.items():
        if not isinstance(entry, Mapping):
            out[key] = {"value": None, "text": "" if entry is None else str(entry)}
            continue
        text = entry.get("display") or entry.get("text") or ""
        out[key] = {"value": entry.get("value"), "text": str(text)}
    return out


def registration_number(final: Mapping[str, Any]) -> str | None:
    """The registration number (số) as text, or None when the record has none."""
    entry = final.get("registration.number")
    if not isinstance(entry, Mapping):
        return None
    value = entry.get("value")
    text = str(value) if value is not None else str(entry.get("text") or "").strip()
    return text[:64] or None


def registration_date(final: Mapping[str, Any]) -> dt.date | None:
    """The registration date when it is known to the day, else None."""
    entry = final.get("registration.date")
    value = entry.get("value") if isinstance(entry, Mapping) else None
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def official_row(
    record: Record, office_code: str, approved_by: int, approved_at: dt.datetime
) -> OfficialRecord:
    """The official row of an approved ``record`` (not added to any session)."""
    final = final_fields(record.fields)
    return OfficialRecord(
        record_id=record.id,
        book_id=record.book_id,
        book_type=record.book_type,
        era=record.era,
        office_code=office_code,
        registration_number=registration_number(final),
        registration_date=registration_date(final),
        fields=final,
        approved_by=approved_by,
        approved_at=approved_at,
        loaded_at=None,
    )


# --------------------------------------------------------------------------- loading
def approved_record_ids(session: Session, offices: Collection[str]) -> list[int]:
    """Ids of the records in state ``approved`` of books of ``offices``, in id order."""
    query = (
        select(Record.id)
        .join(Book, Book.id == Record.book_id)
        .where(Record.state == RecordState.APPROVED, Book.office_code.in_(list(offices)))
        .order_by(Record.id)
    )
    return list(session.scalars(query))


def _approval_from_audit(session: Session, record: Record) -> tuple[int, dt.datetime]:
    """(approver's user id, approval time) from the latest ``approve`` audit row of ``record``."""
    row = session.scalars(
        select(AuditLog)
        .where(
            AuditLog.entity == "record",
            AuditLog.entity_id == str(record.id),
            AuditLog.action == APPROVE_ACTION,
        )
        .order_by(desc(AuditLog.id))
        .limit(1)
    ).first()
    approver = row.after.get("approved_by") if row is not None and row.after else None
    if row is not None and not isinstance(approver, int):
        approver = session.scalar(select(User.id).where(User.username == row.actor))
    if row is None or approver is None:
        raise StateError(
            f"bản ghi {record.id} đã duyệt, nhưng nhật ký không có lần duyệt nào của người dùng đã biết",
            hint="nhờ người duyệt xem lại lịch sử bản ghi; bản ghi vẫn ở trạng thái đã duyệt và không được nạp",
        )
    return approver, row.at


def ensure_official(session: Session, record: Record, actor: str) -> OfficialRecord:
    """The record's official row; built from the audit trail (and audited) when approval did not write it."""
    official = session.scalars(select(OfficialRecord).where(OfficialRecord.record_id == record.id)).first()
    if official is not None:
        return official
    approved_by, approved_at = _approval_from_audit(session, record)
    official = official_row(record, record.book.office_code, approved_by, approved_at)
    session.add(official)
    session.flush()
    audit(session, actor, "create", "official_record", official.id, after=snapshot(official))
    return official


def _load_one(session: Session, record_id: int, actor: str, now: dt.datetime) -> int | None:
    """Load one approved record (in the session's current transaction); its book id, or None if not approved."""
    record = session.get(Record, record_id, populate_existing=True)
    if record is None or record.state != RecordState.APPROVED:
        return None
    official = ensure_official(session, record, actor)
    before = {"state": record.state, "version": record.version}
    official.loaded_at = now
    record.state = RecordState.LOADED
    session.flush()
    after = {"state": record.state, "version": record.version, "official_id": official.id, "loaded_at": now}
    audit(session, actor, LOAD_ACTION, "record", record.id, before=before, after=after)
    return record.book_id


def load_approved(
    session: Session, office_code: str, *, actor: str, now: dt.datetime | None = None
) -> LoadResult:
    """Load the approved records of ``office_code`` and the offices under it, committing each record alone.

    Commits ``session`` after every record (and once before the first: pass a session without pending
    changes). A record that cannot be loaded (see :func:`_approval_from_audit`) is rolled back, left
    approved and reported in ``problems``; a database failure rolls back the record in hand and is raised,
    the records loaded before it stay loaded, and a rerun goes on from there.
    """
    get_office(session, office_code)
    ids = approved_record_ids(session, offices_under(session, office_code))
    session.commit()
    result = LoadResult()
    books: set[int] = set()
    for record_id in ids:
        try:
            book_id = _load_one(session, record_id, actor, now or utcnow())
            session.commit()
        except StaleDataError:  # another loader took it first
            session.rollback()
            book_id = None
        except SohoaError as exc:
            session.rollback()
            result.problems.append(str(exc))
            log.warning("record %s not loaded: %s", record_id, exc)
            continue
        except BaseException:
            session.rollback()
            raise
        if book_id is None:
            result.already += 1
            continue
        result.loaded += 1
        books.add(book_id)
    result.books = sorted(books)
    log.info("office %s: %s", office_code, result.to_dict())
    return result
