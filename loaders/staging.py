"""Staging: OCR results of a registered page → ``Record`` rows in state ``staged``, each audited.

:func:`stage_records` takes the records of the design's "OCR result" contract (one dict per record:
``page``, ``row``, ``book_type``, ``era``, ``fields`` of ``{text, confidence, bbox}``, ``quality``) for a
page registered with :func:`loaders.registry.register_page`, normalizes and validates them (normalize/)
and writes one ``Record`` per row. ``Record.fields`` maps every field key to::

    {"text": <the OCR text, as read>, "value": <typed value as JSON, or null>, "display": <canonical text>,
     "confidence": <OCR confidence>, "norm_confidence": <normalization confidence>, "bbox": [x, y, w, h],
     "issues": [{"code", "message", "severity"}, ...]}

``Record.issues`` holds the record-level validation issues and the page's quality flags (``source``
``"validate"`` or ``"ocr"``). ``text`` is what linking reads and what a reviewer corrects.

Idempotent on (page, row): a row already staged is left exactly as it is (it may be in review), so a rerun
of a page (after a crash, or a second run of a finished batch) adds and changes nothing. Inserts use
``INSERT … ON CONFLICT DO NOTHING``: two workers staging the same page cannot create duplicates.
Works inside the caller's session and never commits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loaders.audit import audit, jsonable, snapshot
from loaders.models import Book, Page, PageStatus, Record, RecordState, utcnow
from normalize import Issue, Normalized, normalize_record, validate_record
from sohoa import config
from sohoa.errors import InputError, SohoaError, StateError

log = logging.getLogger(__name__)

OCR_FLAG_MESSAGE = "Chất lượng ảnh trang: {flag} (cần kiểm tra kỹ hơn)."


@dataclass(frozen=True)
class LayoutInfo:
    """What normalization needs from a layout: each field's type and the captions of tick boxes."""

    types: dict[str, str]
    options: dict[str, dict[str, str]]


@dataclass(frozen=True)
class StageResult:
    """What one :func:`stage_records` call did: rows created, rows already there, every record's id."""

    created: int = 0
    unchanged: int = 0
    record_ids: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- layout
def _other_era_options(book_type: str, key: str) -> dict[str, str]:
    """Tick-box captions of ``key`` in any era's layout of ``book_type`` (ledgers write them in words)."""
    found: dict[str, str] = {}
    for era in config.eras():
        try:
            other = config.layout(book_type, era.id)
        except SohoaError:
            continue
        for box in other.checkboxes:
            if box.field == key:
                found.update(box.options)
    return found


def layout_info(book_type: str, era: str, path: Path | None = None) -> LayoutInfo:
    """Field types and tick-box options of a book's layout (``path``: the office's own layout file)."""
    lay = config.layout(book_type, era, path)
    types = {c.field: c.type for c in lay.columns}
    types.update({f.field: f.type for f in lay.fields})
    options = {box.field: dict(box.options) for box in lay.checkboxes}
    types.update({key: "choice" for key in options})
    for key, kind in types.items():
        if kind == "choice" and key not in options:
            options[key] = _other_era_options(book_type, key)
    return LayoutInfo(types=types, options=options)


# --------------------------------------------------------------------------- JSON values
def json_value(value: Any) -> Any:
    """A normalized value (PartialDate, PersonName, Place, …) as plain JSON; dates as ISO text."""
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat) and not isinstance(value, str):
        return isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return jsonable(value)


def issue_dict(found: Issue, source: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": found.code,
        "message": found.message,
        "field": found.field,
        "severity": found.severity,
    }
    if source is not None:
        out["source"] = source
    return out


# --------------------------------------------------------------------------- one record
def _check_record(raw: Mapping[str, Any], book: Book) -> tuple[int, dict[str, Any]]:
    """The row number and the fields of one OCR result, after checking it belongs to ``book``."""
    where = f"OCR record (page {raw.get('page')}, row {raw.get('row')})"
    row = raw.get("row")
    if not isinstance(row, int) or isinstance(row, bool) or row < 0:
        raise InputError(f"{where} không có số dòng hợp lệ", hint="truyền các kết quả OCR của ocr.read")
    fields = raw.get("fields")
    if not isinstance(fields, Mapping):
        raise InputError(f"{where} không có bảng 'fields'", hint="truyền các kết quả OCR của ocr.read")
    for key, expected in (("book_type", str(book.book_type)), ("era", book.era)):
        got = raw.get(key, expected)
        if got != expected:
            raise InputError(
                f"{where} là bản ghi có {key} {got!r}, nhưng sổ {book.id} là {expected!r}",
                hint="đưa bản ghi của trang vào đúng sổ của trang đó (kiểm tra --book-type và --era)",
            )
    return row, {str(k): v for k, v in fields.items()}


def _texts(fields: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, cell in fields.items():
        text = cell.get("text") if isinstance(cell, Mapping) else cell
        out[key] = "" if text is None else str(text)
    return out


def _field_entry(cell: Any, result: Normalized[Any] | None) -> dict[str, Any]:
    source = cell if isinstance(cell, Mapping) else {"text": cell}
    text = source.get("text")
    confidence = source.get("confidence")
    entry: dict[str, Any] = {
        "text": "" if text is None else str(text),
        "value": None,
        "display": "" if text is None else str(text),
        "confidence": float(confidence) if isinstance(confidence, int | float) else None,
        "norm_confidence": None,
        "bbox": jsonable(source.get("bbox")),
        "issues": [],
    }
    if result is not None:
        entry["value"] = json_value(result.value)
        entry["display"] = result.text
        entry["norm_confidence"] = result.confidence
        entry["issues"] = [issue_dict(i) for i in result.issues]
    return entry


def _record_values(
    book: Book, raw_fields: Mapping[str, Any], info: LayoutInfo
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``Record.fields`` and the record-level validation issues of one record."""
    texts = _texts(raw_fields)
    types = {key: info.types.get(key, "text") for key in texts}
    options = {k: v for k, v in info.options.items() if k in types and v}
    normalized = normalize_record(types, texts, options=options)
    fields = {key: _field_entry(cell, normalized.get(key)) for key, cell in raw_fields.items()}
    book_years = None
    if book.year_from is not None and book.year_to is not None:
        book_years = (book.year_from, book.year_to)
    found = validate_record(str(book.book_type), book.era, normalized, book_years)
    return fields, [issue_dict(i, "validate") for i in found]


def _quality_issues(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    quality = raw.get("quality")
    flags = quality.get("flags", []) if isinstance(quality, Mapping) else []
    return [
        {
            "code": f"ocr_{flag}",
            "message": OCR_FLAG_MESSAGE.format(flag=flag),
            "field": None,
            "severity": "warning",
            "source": "ocr",
        }
        for flag in flags
    ]


def _insert_record(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a record unless (page, row) exists; its new id, or None."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = insert(Record).values(**values).on_conflict_do_nothing(index_elements=["page_id", "row_no"])
        new_id: int | None = session.execute(stmt.returning(Record.__table__.c.id)).scalar_one_or_none()
        return new_id
    if _existing_id(session, values["page_id"], values["row_no"]) is not None:
        return None
    record = Record(**values)
    session.add(record)
    session.flush()
    return record.id


def _staged_rows(session: Session, page_id: int) -> dict[int, int]:
    """Row number → record id of the records of a page already staged."""
    found = session.execute(select(Record.row_no, Record.id).where(Record.page_id == page_id))
    return {row_no: record_id for row_no, record_id in found}


def _existing_id(session: Session, page_id: int, row_no: int) -> int | None:
    found: int | None = session.scalar(
        select(Record.id).where(Record.page_id == page_id, Record.row_no == row_no)
    )
    return found


def _stage_one(
    session: Session,
    page: Page,
    row: int,
    raw_fields: Mapping[str, Any],
    raw: Mapping[str, Any],
    info: LayoutInfo,
    actor: str,
) -> int | None:
    """Insert one staged record and audit it; None when (page, row) appeared meanwhile."""
    book = page.book
    fields, issues = _record_values(book, raw_fields, info)
    now = utcnow()
    values = {
        "page_id": page.id,
        "row_no": row,
        "book_id": book.id,
        "book_type": book.book_type,
        "era": book.era,
        "state": RecordState.STAGED,
        "fields": fields,
        "issues": issues + _quality_issues(raw),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    new_id = _insert_record(session, values)
    if new_id is None:
        return None
    audit(session, actor, "stage", "record", new_id, after={"id": new_id, **values})
    return new_id


# --------------------------------------------------------------------------- pages
def _mark_page_staged(session: Session, page: Page, actor: str) -> None:
    if page.status == PageStatus.STAGED:
        return
    before = snapshot(page)
    page.status = PageStatus.STAGED
    session.flush()
    audit(session, actor, "stage", "page", page.id, before=before, after=snapshot(page))


def stage_records(
    session: Session,
    page: Page,
    records: Iterable[Mapping[str, Any]],
    *,
    actor: str,
    layout_path: Path | None = None,
) -> StageResult:
    """Write the OCR records of ``page`` as staged ``Record`` rows; rows already staged are left alone.

    Every new record gets one audit row (action ``stage``); the page becomes ``staged`` (audited once).
    ``layout_path``: the office's own layout file, when the page was read with one.
    Raises :class:`InputError` for a record of another book type or era, or without a row number, and
    :class:`StateError` for a quarantined page; nothing is written then.
    """
    if page.status == PageStatus.QUARANTINED:
        raise StateError(
            f"trang {page.page_no} của sổ {page.book_id} đang bị cách ly ({page.quarantine_reason or 'không rõ lý do'})",
            hint="quét lại trang, hoặc đăng ký ảnh mới, trước khi đưa bản ghi của trang vào duyệt",
        )
    book = page.book
    items = list(records)
    checked = [_check_record(raw, book) for raw in items]
    rows = [row for row, _fields in checked]
    if len(rows) != len(set(rows)):
        raise InputError(
            f"trang {page.page_no} của sổ {book.id} có hai bản ghi OCR cùng một dòng",
            hint="mỗi dòng của trang chỉ truyền một lần",
        )
    info = layout_info(str(book.book_type), book.era, layout_path)
    staged = _staged_rows(session, page.id)
    created = unchanged = 0
    ids: list[int] = []
    with session.no_autoflush:  # audit rows go in one batch at the end, not one flush per record
        for raw, (row, raw_fields) in zip(items, checked, strict=True):
            existing = staged.get(row)
            new_id = (
                None if existing is not None else _stage_one(session, page, row, raw_fields, raw, info, actor)
            )
            if new_id is None:  # staged before (or by a concurrent worker just now)
                unchanged += 1
                found = existing if existing is not None else _existing_id(session, page.id, row)
                assert found is not None
                ids.append(found)
                continue
            created += 1
            ids.append(new_id)
    _mark_page_staged(session, page, actor)
    result = StageResult(created=created, unchanged=unchanged, record_ids=ids)
    log.info("page %s of book %s: %s", page.page_no, book.id, result)
    return result
