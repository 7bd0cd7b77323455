"""Field-batch mode: every doubtful value of one field of a book, as a grid of crops corrected in place."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loaders import review_views
from loaders.approval import REVIEW_ROLES, edit_fields, sees_office
from loaders.limits import TooLongError
from loaders.models import Book, Record, RecordState, User, utcnow
from review.routes.common import (
    FormDep,
    PathId,
    int_field,
    parse_id,
    settings_of,
    text_field,
    too_long_message,
    why_not_saved,
)
from review.security import DbDep, UserDep, flash, require_csrf
from review.templating import render
from sohoa.errors import ConflictError, InputError, NotFoundError, StateError
from sohoa.fields import is_valid_key

log = logging.getLogger(__name__)
router = APIRouter()

MAX_ITEMS = 300


def _book(db: Session, book_id: int, user: User) -> Book:
    book = db.get(Book, book_id)
    if book is None or not sees_office(db, user, book.office_code):
        raise NotFoundError(f"không có sổ {book_id}", hint="bạn chỉ thấy sổ của cơ quan mình")
    return book


def _held_by_other(record: Record, user: User) -> bool:
    return (
        record.state == RecordState.IN_REVIEW
        and record.claimed_by not in (None, user.id)
        and record.claimed_until is not None
        and record.claimed_until > utcnow()
    )


@router.get("/books/{book_id}/batch")
def batch_page(
    request: Request,
    book_id: PathId,
    user: UserDep,
    db: DbDep,
    field: str = "",
) -> Response:
    book = _book(db, book_id, user)
    below = settings_of(request).doubtful_below
    counts = review_views.doubtful_field_counts(db, book.id, below)
    items = []
    if field:
        if not is_valid_key(field, str(book.book_type)):
            raise NotFoundError(f"{field!r} không phải trường của sổ này")
        for record in review_views.doubtful_records(db, book.id, field, below)[:MAX_ITEMS]:
            entry = record.fields.get(field) or {}
            items.append(
                {
                    "record": record,
                    "entry": entry,
                    "locked": _held_by_other(record, user),
                    "has_crop": isinstance(entry.get("bbox"), list),
                    "conf": min(
                        (
                            v
                            for v in (entry.get("confidence"), entry.get("norm_confidence"))
                            if isinstance(v, int | float)
                        ),
                        default=None,
                    ),
                }
            )
    return render(
        request,
        "batch.html",
        book=book,
        field=field,
        counts=counts,
        items=items,
        can_edit=user.role in REVIEW_ROLES,
    )


@router.post("/books/{book_id}/batch", dependencies=[Depends(require_csrf)])
def batch_save(
    request: Request,
    book_id: PathId,
    form: FormDep,
    user: UserDep,
    db: DbDep,
) -> Response:
    book = _book(db, book_id, user)
    field = text_field(form, "field")
    if not is_valid_key(field, str(book.book_type)):
        raise InputError(f"{field!r} không phải trường của sổ này", hint="chọn một trường trong danh sách")
    saved, problems = 0, []
    for name, value in form.multi_items():
        if not name.startswith("v:") or not isinstance(value, str):
            continue
        record_id = parse_id(name[2:])
        version = int_field(form, f"ver:{record_id}")
        if record_id is None or version is None:
            continue
        record = db.get(Record, record_id)
        if record is None or record.book_id != book.id:
            continue
        current = (record.fields.get(field) or {}).get("text") or ""
        if value.strip() == str(current).strip():
            continue
        try:
            edit_fields(db, record_id, user, version, {field: value})
            db.commit()
            saved += 1
        except (ConflictError, StateError) as exc:
            db.rollback()
            problems.append(f"Hồ sơ {record_id} {why_not_saved(exc)}: chưa lưu «{value}»")
        except TooLongError as exc:
            db.rollback()
            problems.append(f"Hồ sơ {record_id}: {too_long_message(exc)}")
    if saved:
        flash(request, f"Đã lưu {saved} giá trị.", "success")
    for problem in problems[:10]:
        flash(request, f"{problem} — hãy xem lại rồi nhập lại.", "error")
    if not saved and not problems:
        flash(request, "Không có giá trị nào thay đổi.", "info")
    return RedirectResponse(f"/books/{book.id}/batch?field={field}", status_code=303)
