"""Home, the queue and the record view: claim the next record, correct it, approve, reject or skip it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import desc, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from loaders import limits, review_views
from loaders.approval import (
    REVIEW_ROLES,
    WORKABLE,
    PermissionDenied,
    RecordConflictError,
    approve,
    claim_next,
    edit_fields,
    get_record,
    office_scope,
    reject,
    release_claim,
)
from loaders.corrections import can_correct, correct_record
from loaders.limits import TooLongError, check_length
from loaders.link_review import choose_person, confirm_link, record_links, reject_link
from loaders.models import AuditLog, Link, PersonMention, Record, RecordState, User, utcnow
from loaders.spot_checks import latest_results, record_spot_check
from review.images import valid_bbox
from review.routes.common import (
    FormDep,
    PathId,
    int_field,
    is_overseer,
    settings_of,
    text_field,
    too_long_message,
    why_not_saved,
)
from review.security import DbDep, UserDep, flash, require_csrf
from review.templating import render
from sohoa import config
from sohoa.errors import ConfigError, InputError, NotFoundError, StateError

log = logging.getLogger(__name__)
router = APIRouter()

FIELD_PREFIX = "f:"
ORIGINAL_PREFIX = "o:"
MAX_SKIPPED = 200


# --------------------------------------------------------------------------- home and queue
@router.get("/")
def home(request: Request, user: UserDep, db: DbDep) -> Response:
    scope = office_scope(db, user)
    counts = review_views.state_counts(db, scope)
    books = review_views.books(db, scope)
    mine = db.scalars(
        select(Record.id).where(
            Record.state == RecordState.IN_REVIEW,
            Record.claimed_by == user.id,
            Record.claimed_until > utcnow(),
        )
    ).all()
    return render(
        request, "home.html", counts=counts, books=books, mine=mine, can_review=user.role in REVIEW_ROLES
    )


def _skipped(request: Request) -> list[int]:
    return [int(i) for i in request.session.get("skipped", []) if isinstance(i, int)]


def _next(request: Request, db: Session, user: User) -> Response:
    """Claim the next record and go to it (or home when nothing is left)."""
    settings = settings_of(request)
    record = claim_next(db, user, exclude=_skipped(request), timeout=settings.claim_timeout)
    db.commit()
    if record is None:
        if _skipped(request):
            request.session["skipped"] = []
            flash(request, "Đã hết hồ sơ mới; các hồ sơ đã bỏ qua sẽ được đưa lại vào hàng đợi.", "info")
        else:
            flash(request, "Không còn hồ sơ nào chờ duyệt.", "success")
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/records/{record.id}", status_code=303)


@router.post("/queue/next", dependencies=[Depends(require_csrf)])
def queue_next(request: Request, user: UserDep, db: DbDep) -> Response:
    return _next(request, db, user)


# --------------------------------------------------------------------------- record view
def _layout_order(record: Record) -> list[str]:
    try:
        return config.layout(str(record.book_type), record.era).field_keys
    except ConfigError:
        return []


def _box(bbox: tuple[int, int, int, int] | None, width: int, height: int) -> dict[str, float] | None:
    if bbox is None or width <= 0 or height <= 0:
        return None
    x, y, w, h = bbox
    return {
        "left": round(100 * x / width, 3),
        "top": round(100 * y / height, 3),
        "width": round(100 * w / width, 3),
        "height": round(100 * h / height, 3),
    }


def _row_box(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _merged(
    key: str, stored: str, submitted: Mapping[str, str] | None, originals: Mapping[str, str]
) -> tuple[str, bool, bool]:
    """(text to show, changed by this reviewer, changed by someone else) of one field after a conflict.

    A field only the other person changed shows their value; a field this reviewer changed keeps theirs
    (and, if the other person changed it too, theirs is shown beside it). Without the form's original
    texts every difference counts as both.
    """
    if submitted is None or key not in submitted:
        return stored, False, False
    mine = submitted[key]
    original = originals.get(key)
    if original is None:
        differs = mine != stored
        return mine, differs, differs
    changed_by_me = mine != original
    changed_by_other = original != stored
    return (mine if changed_by_me else stored), changed_by_me, changed_by_other


def field_rows(
    record: Record, submitted: Mapping[str, str] | None = None, originals: Mapping[str, str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, float] | None]:
    """The record's fields for the template (layout order first) and the row's box on the page (in %)."""
    order = _layout_order(record)
    keys = [k for k in order if k in record.fields] + sorted(k for k in record.fields if k not in order)
    page = record.page
    rows: list[dict[str, Any]] = []
    boxes: list[tuple[int, int, int, int]] = []
    for i, key in enumerate(keys):
        entry = record.fields.get(key)
        entry = entry if isinstance(entry, Mapping) else {"text": "" if entry is None else str(entry)}
        bbox = valid_bbox(entry.get("bbox"))
        if bbox is not None:
            boxes.append(bbox)
        stored = str(entry.get("text") or "")
        text, mine, other = _merged(key, stored, submitted, originals or {})
        confidence = entry.get("confidence")
        norm = entry.get("norm_confidence")
        shown = min(v for v in (confidence, norm, 1.0) if isinstance(v, int | float))
        rows.append(
            {
                "index": i,
                "key": key,
                "text": text,
                "stored": stored,
                "changed_by_other": other and stored != text,
                "changed_by_me": mine,
                "ocr_text": entry.get("ocr_text", stored),
                "display": entry.get("display"),
                "value": entry.get("value"),
                "confidence": confidence,
                "norm_confidence": norm,
                "shown_confidence": shown if (confidence is not None or norm is not None) else None,
                "issues": list(entry.get("issues") or []),
                "edited_by": entry.get("edited_by"),
                "has_crop": bbox is not None,
                "box": _box(bbox, page.width, page.height),
            }
        )
    return rows, _box(_row_box(boxes), page.width, page.height)


def _holder(db: Session, record: Record) -> str | None:
    if record.state != RecordState.IN_REVIEW or record.claimed_by is None:
        return None
    if record.claimed_until is not None and record.claimed_until <= utcnow():
        return None
    holder = db.get(User, record.claimed_by)
    return holder.username if holder is not None else str(record.claimed_by)


def _history(db: Session, record_id: int) -> list[AuditLog]:
    query = (
        select(AuditLog)
        .where(AuditLog.entity == "record", AuditLog.entity_id == str(record_id))
        .order_by(desc(AuditLog.id))
        .limit(12)
    )
    return list(db.scalars(query))


def record_page(
    request: Request,
    db: Session,
    user: User,
    record: Record,
    *,
    submitted: Mapping[str, str] | None = None,
    originals: Mapping[str, str] | None = None,
    conflict: str | None = None,
    status: int = 200,
    reason: str = "",
    note: str = "",
    correction_reason: str = "",
) -> Response:
    rows, row_box = field_rows(record, submitted, originals)
    holder = _holder(db, record)
    editable = record.state in WORKABLE and user.role in REVIEW_ROLES and holder in (None, user.username)
    correctable = can_correct(user, record)
    return render(
        request,
        "record.html",
        status,
        record=record,
        book=record.book,
        page=record.page,
        rows=rows,
        row_box=row_box,
        record_issues=[i for i in record.issues or [] if isinstance(i, Mapping)],
        mentions=record_links(db, record.id),
        holder=holder,
        editable=editable,
        correctable=correctable,
        spot_check=latest_results(db, [record.id]).get(record.id) if correctable else None,
        conflict=conflict,
        history=_history(db, record.id),
        can_release=holder is not None and (holder == user.username or is_overseer(user)),
        reason=reason,
        note=note,
        correction_reason=correction_reason,
    )


@router.get("/records/{record_id}")
def show_record(request: Request, record_id: PathId, user: UserDep, db: DbDep) -> Response:
    record = get_record(db, record_id, user)
    return record_page(request, db, user, record)


def _originals(form: FormData) -> dict[str, str]:
    """The texts the form was rendered with (``o:<key>``), to tell whose change is whose after a conflict."""
    return {
        k[len(ORIGINAL_PREFIX) :]: v
        for k, v in form.multi_items()
        if k.startswith(ORIGINAL_PREFIX) and isinstance(v, str)
    }


def _changes(form: FormData) -> dict[str, str]:
    return {
        k[len(FIELD_PREFIX) :]: v
        for k, v in form.multi_items()
        if k.startswith(FIELD_PREFIX) and isinstance(v, str)
    }


def _edited_fields(changes: dict[str, str], originals: dict[str, str]) -> dict[str, str]:
    """The fields the reviewer changed: those whose text differs from what the form was rendered with.

    A field posted without its original text is kept (``edit_fields`` drops it if it equals the stored one).
    """
    return {key: text for key, text in changes.items() if originals.get(key) != text}


def _skip(request: Request, db: Session, user: User, record: Record) -> None:
    skipped = [*_skipped(request), record.id][-MAX_SKIPPED:]
    request.session["skipped"] = skipped
    if record.state == RecordState.IN_REVIEW and record.claimed_by == user.id:
        release_claim(db, record.id, user)


@router.post("/records/{record_id}", dependencies=[Depends(require_csrf)])
def record_action(
    request: Request,
    record_id: PathId,
    form: FormDep,
    user: UserDep,
    db: DbDep,
) -> Response:
    action = text_field(form, "action", "save")
    version = int_field(form, "version")
    changes = _changes(form)
    reason, note = text_field(form, "reason"), text_field(form, "note").strip()
    if version is None:
        raise InputError("biểu mẫu bị mất phiên bản của bản ghi", hint="tải lại bản ghi")
    try:
        if action == "skip":
            _skip(request, db, user, get_record(db, record_id, user))
            db.commit()
            return _next(request, db, user)
        if action == "release":
            release_claim(db, record_id, user)
            db.commit()
            flash(request, f"Đã trả hồ sơ {record_id} về hàng đợi.", "success")
            return RedirectResponse("/", status_code=303)
        if action == "reject":
            if not reason:
                record = get_record(db, record_id, user)
                return _reject_needs_reason(request, db, user, record, changes, note)
            reject(db, record_id, user, version, reason, note=note or None)
            flash(request, f"Đã từ chối hồ sơ {record_id}.", "success")
            return _next(request, db, user)  # the decision and the next claim commit together
        edits = _edited_fields(changes, _originals(form))
        if action == "correct":
            why = text_field(form, "correction_reason")
            return _correct(request, db, user, record_id, version, edits, _originals(form), why)
        if edits:
            version = edit_fields(db, record_id, user, version, edits).version
        if action == "approve":
            approve(db, record_id, user, version)
            flash(request, f"Đã duyệt hồ sơ {record_id}.", "success")
            return _next(request, db, user)
        db.commit()
        flash(request, "Đã lưu các sửa đổi.", "success")
        return RedirectResponse(f"/records/{record_id}", status_code=303)
    except TooLongError as exc:  # nothing saved; the form keeps what was typed
        db.rollback()
        return record_page(
            request,
            db,
            user,
            get_record(db, record_id, user),
            submitted=changes,
            originals=_originals(form),
            conflict=too_long_message(exc),
            status=400,
            reason=reason,
            note=note,
            correction_reason=text_field(form, "correction_reason"),
        )
    except StateError as exc:  # a conflict, or a record no longer open to changes
        db.rollback()
        current = get_record(db, record_id, user)
        log.info("conflict on record %s for %s: %s", record_id, user.username, exc)
        message = _conflict_message(exc)
        return record_page(
            request,
            db,
            user,
            current,
            submitted=changes,
            originals=_originals(form),
            conflict=message,
            status=409,
            reason=reason,
            note=note,
            correction_reason=text_field(form, "correction_reason"),
        )


def _correct(
    request: Request,
    db: Session,
    user: User,
    record_id: int,
    version: int,
    edits: dict[str, str],
    originals: dict[str, str],
    why: str,
) -> Response:
    """A supervisor's correction of an approved or loaded record (``loaders.corrections``)."""
    why = " ".join(why.split())
    if not why or not edits:
        db.rollback()
        flash(request, "Hãy sửa ít nhất một ô và ghi lý do sửa." if why else "Hãy ghi lý do sửa.", "error")
        record = get_record(db, record_id, user)
        return record_page(
            request, db, user, record, submitted=edits, originals=originals, status=400, correction_reason=why
        )
    correct_record(db, record_id, user, version, edits, why)
    db.commit()
    flash(request, f"Đã sửa hồ sơ {record_id} sau khi duyệt (lý do: {why}).", "success")
    return RedirectResponse(f"/records/{record_id}", status_code=303)


def _reject_needs_reason(
    request: Request, db: Session, user: User, record: Record, changes: dict[str, str], note: str
) -> Response:
    db.rollback()
    flash(request, "Hãy chọn lý do từ chối.", "error")
    return record_page(request, db, user, record, submitted=changes, status=400, note=note)


def _conflict_message(exc: StateError) -> str:
    if isinstance(exc, RecordConflictError):
        who = f" bởi {exc.changed_by}" if exc.changed_by else ""
        return (
            f"Hồ sơ này đã được thay đổi{who} sau khi bạn mở nó, nên chưa có gì của bạn được lưu. Các ô bạn đã "
            "sửa vẫn giữ giá trị của bạn; các ô bạn chưa sửa đã được cập nhật theo thay đổi mới; ô cả hai cùng sửa "
            "có giá trị của người kia ở bên cạnh. Kiểm tra rồi bấm Lưu hoặc Duyệt lại."
        )
    return f"Không lưu được: hồ sơ {why_not_saved(exc)}. Các giá trị bạn nhập vẫn còn trong biểu mẫu."


@router.post("/records/{record_id}/spot-check", dependencies=[Depends(require_csrf)])
def spot_check(request: Request, record_id: PathId, form: FormDep, user: UserDep, db: DbDep) -> Response:
    """A supervisor's finding on an approved record: it matches the page (``ok``) or not (``error``)."""
    result = text_field(form, "result")
    note = check_length(text_field(form, "check_note"), limits.NOTE, what="check_note", kind="note")
    record_spot_check(db, record_id, user, result, note)
    db.commit()
    flash(request, f"Đã ghi kết quả kiểm tra hồ sơ {record_id}.", "success")
    return RedirectResponse("/supervisor", status_code=303)


# --------------------------------------------------------------------------- person links
def _record_of_link(db: Session, link_id: int) -> int:
    link = db.get(Link, link_id)
    mention = db.get(PersonMention, link.mention_id) if link is not None else None
    if mention is None:
        raise NotFoundError(f"không có liên kết {link_id}")
    return mention.record_id


@router.post("/links/{link_id}/{decision}", dependencies=[Depends(require_csrf)])
def decide_link(
    request: Request,
    link_id: PathId,
    decision: str,
    user: UserDep,
    db: DbDep,
) -> Response:
    record_id = _record_of_link(db, link_id)
    decide = {"confirm": confirm_link, "reject": reject_link}.get(decision)
    if decide is None:
        raise NotFoundError(f"không có quyết định {decision!r}")
    try:
        decide(db, link_id, user)
    except StateError as exc:
        return _link_refused(request, db, user, record_id, exc)
    db.commit()
    done = "Đã xác nhận liên kết người." if decision == "confirm" else "Đã bác bỏ gợi ý liên kết."
    flash(request, done, "success")
    return RedirectResponse(f"/records/{record_id}#links", status_code=303)


def _link_refused(request: Request, db: Session, user: User, record_id: int, exc: StateError) -> Response:
    """A person-link decision the record's state or claim forbids (the rule of field edits): nothing saved."""
    if isinstance(exc, PermissionDenied):
        raise exc  # the account may not review: 403 as for any change (nothing was changed)
    db.rollback()
    log.info("link decision on record %s refused for %s: %s", record_id, user.username, exc)
    record = get_record(db, record_id, user)
    message = f"Không lưu được quyết định liên kết người: hồ sơ {why_not_saved(exc)}."
    return record_page(request, db, user, record, conflict=message, status=409)


@router.post("/mentions/{mention_id}/person", dependencies=[Depends(require_csrf)])
def choose_other_person(
    request: Request,
    mention_id: PathId,
    form: FormDep,
    user: UserDep,
    db: DbDep,
) -> Response:
    mention = db.get(PersonMention, mention_id)
    if mention is None:
        raise NotFoundError(f"không có lần nhắc tên {mention_id}")
    get_record(db, mention.record_id, user)
    person_id = int_field(form, "person_id")
    if person_id is None:
        raise InputError("chưa nhập mã người", hint="nhập mã của người đó (Mã người)")
    try:
        choose_person(db, mention_id, person_id, user)
    except StateError as exc:
        return _link_refused(request, db, user, mention.record_id, exc)
    db.commit()
    flash(request, f"Đã liên kết với người số {person_id}.", "success")
    return RedirectResponse(f"/records/{mention.record_id}#links", status_code=303)
