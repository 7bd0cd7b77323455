"""Registering offices, books and pages: idempotent writes, each change audited.

Every function works inside the caller's session (see ``loaders.db.session_scope``) and never commits.
Inserts use ``INSERT … ON CONFLICT DO NOTHING`` so concurrent workers registering the same book or
page get the existing row instead of an error.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loaders.audit import SYSTEM, audit, snapshot
from loaders.models import (
    Base,
    Book,
    BookStatus,
    BookType,
    Office,
    OfficeLevel,
    Page,
    PageStatus,
    Record,
    RecordState,
    utcnow,
)
from sohoa import config
from sohoa.errors import InputError, NotFoundError, SohoaError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Base)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NUMBER = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class BookSummary:
    """One book with its page count and record counts by state (every state present, zero if none)."""

    book_id: int
    office_code: str
    office_name: str
    book_type: str
    era: str
    volume: str
    status: str
    pages: int
    records: dict[str, int] = field(default_factory=dict)
    page_states: dict[str, int] = field(default_factory=dict)
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # {page, image, reason}

    def to_dict(self) -> dict[str, Any]:
        return {
            "book_id": self.book_id,
            "office": self.office_code,
            "office_name": self.office_name,
            "book_type": self.book_type,
            "era": self.era,
            "volume": self.volume,
            "status": self.status,
            "pages": self.pages,
            "pages_ok": self.pages - self.page_states.get(PageStatus.QUARANTINED.value, 0),
            "pages_by_state": self.page_states,
            "quarantined": self.quarantined,
            "records": self.records,
        }

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


# --------------------------------------------------------------------------- helpers
def _insert_ignore(
    session: Session, model: type[M], values: dict[str, Any], unique: Sequence[str]
) -> int | None:
    """Insert a row unless one with the same ``unique`` columns exists; the new id, or None."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique))
        new_id: int | None = session.execute(stmt.returning(model.__table__.c.id)).scalar_one_or_none()
        return new_id
    where = [getattr(model, col) == values[col] for col in unique]
    if session.scalars(select(model).where(*where)).first() is not None:
        return None
    obj = model(**values)
    session.add(obj)
    session.flush()
    return int(obj.id)  # type: ignore[attr-defined]


def get_office(session: Session, code: str) -> Office:
    """The office with ``code``, or :class:`NotFoundError` with the closest known codes."""
    office = session.get(Office, code)
    if office is not None:
        return office
    codes = list(session.scalars(select(Office.code)))
    if not codes:
        hint = "chưa có cơ quan nào trong cơ sở dữ liệu: hãy nạp chúng từ configs/offices.yaml trước"
    else:
        close = difflib.get_close_matches(code, codes, n=3, cutoff=0.6)
        hint = (
            f"có phải ý bạn là {', '.join(close)}?"
            if close
            else "dùng một mã cơ quan trong configs/offices.yaml"
        )
    raise NotFoundError(f"không có mã cơ quan {code!r}", hint=hint)


def _book_type(value: str) -> BookType:
    try:
        return BookType(value)
    except ValueError:
        known = ", ".join(t.value for t in BookType)
        raise InputError(f"không có loại sổ {value!r}", hint=f"dùng một trong: {known}") from None


# --------------------------------------------------------------------------- offices
def sync_offices(session: Session, offices: Iterable[config.Office], actor: str = SYSTEM) -> SyncResult:
    """Insert or update offices (e.g. ``sohoa.config.offices()``); running it twice changes nothing.

    Offices missing from ``offices`` are kept: books and users may refer to them.
    """
    created = updated = unchanged = 0
    items = list(offices)
    for level in OfficeLevel:  # province, district, commune: parents before children
        for item in (o for o in items if o.level == level):
            wanted = {"name": item.name, "level": level, "kind": item.kind, "parent_code": item.parent_code}
            office = session.get(Office, item.code)
            if office is None:
                office = Office(code=item.code, **wanted)
                session.add(office)
                audit(session, actor, "create", "office", item.code, after=snapshot(office))
                created += 1
                continue
            before = snapshot(office)
            if all(getattr(office, k) == v for k, v in wanted.items()):
                unchanged += 1
                continue
            for k, v in wanted.items():
                setattr(office, k, v)
            audit(session, actor, "update", "office", item.code, before=before, after=snapshot(office))
            updated += 1
        session.flush()  # parents exist before their children are inserted
    result = SyncResult(created=created, updated=updated, unchanged=unchanged)
    log.info("offices synced: %s", result)
    return result


# --------------------------------------------------------------------------- books
def normalize_volume(volume: object) -> str:
    """The one spelling of a book's volume (quyển số): a number as at least two digits ("1", "01", " 001 "
    → "01"; "12" → "12"), anything else trimmed, its spaces folded and upper-cased ("2a" → "2A").

    Every path that names a book goes through it: :func:`register_book` (the CLI's scan, the campaign, the
    review app's book registration) and ``flows.settings.BookRef``. The samples and the demo write "01".
    """
    text = " ".join(str(volume).split()).upper()
    if _NUMBER.match(text):
        return f"{int(text):02d}"
    return text


def find_book(session: Session, office_code: str, book_type: str, era: str, volume: str) -> Book | None:
    """The book (office, type, era, volume) if registered: its volume compared in :func:`normalize_volume`'s
    form, so a book registered before volumes were normalized (say "1") is still found for "01"."""
    canonical = normalize_volume(volume)
    same = [Book.office_code == office_code, Book.book_type == book_type, Book.era == era]
    exact = session.scalars(select(Book).where(*same, Book.volume == canonical)).one_or_none()
    if exact is not None:
        return exact
    for book in session.scalars(select(Book).where(*same).order_by(Book.id)):
        if normalize_volume(book.volume) == canonical:
            return book
    return None


def book_label(book: Book, office_name: str | None = None) -> str:
    """A book in Vietnamese words for operators: number, type, era, volume and office."""
    kind = str(book.book_type)
    try:
        group = next(g for g in config.book_groups() if g.id == kind)
        kind = group.books[0] if len(group.books) == 1 else group.label
    except (StopIteration, SohoaError):
        pass
    office = f"{book.office_code} {office_name}" if office_name else book.office_code
    return f"sổ {book.id} ({kind}, giai đoạn {book.era}, quyển {book.volume}, cơ quan {office})"


def register_book(
    session: Session,
    office_code: str,
    book_type: str,
    era: str,
    volume: str,
    year_from: int | None = None,
    year_to: int | None = None,
    actor: str = SYSTEM,
) -> Book:
    """The book (office, type, era, volume), created if it does not exist yet (then audited).

    The volume is normalized (:func:`normalize_volume`): "1", "01" and " 001 " are one book.
    """
    get_office(session, office_code)
    kind = _book_type(book_type)
    config.era(era)  # ConfigError naming the known eras
    volume = normalize_volume(volume)
    if not volume:
        raise InputError("sổ cần có quyển số", hint="nhập quyển số ghi trên bìa sổ")
    if year_from is not None and year_to is not None and year_to < year_from:
        raise InputError(
            f"năm của sổ bị ngược ({year_from}–{year_to})", hint="đổi chỗ --year-from và --year-to"
        )
    found = find_book(session, office_code, kind, era, volume)
    if found is not None:
        log.debug("book %s already registered", found.id)
        return found
    key = {"office_code": office_code, "book_type": kind, "era": era, "volume": volume}
    values = {**key, "year_from": year_from, "year_to": year_to, "status": BookStatus.REGISTERED}
    new_id = _insert_ignore(session, Book, {**values, "created_at": utcnow()}, list(key))
    if new_id is None:
        where = [getattr(Book, k) == v for k, v in key.items()]
        existing = session.scalars(select(Book).where(*where)).one()
        log.debug("book %s already registered", existing.id)
        return existing
    book = session.get(Book, new_id)
    assert book is not None
    audit(session, actor, "create", "book", book.id, after=snapshot(book))
    log.info("registered book %s: %s %s %s vol. %s", book.id, office_code, kind, era, volume)
    return book


# --------------------------------------------------------------------------- pages
def register_page(
    session: Session,
    book: Book,
    page_no: int,
    image_path: str | Path,
    sha256: str,
    width: int,
    height: int,
    actor: str = SYSTEM,
    *,
    batch_id: int | None = None,
    quality: dict[str, Any] | None = None,
    quarantine_reason: str | None = None,
) -> tuple[Page, bool]:
    """Register a page image of ``book``; the same image (sha256) twice in a book returns the first page.

    Returns ``(page, created)``; the same image in another book is a new page. With ``quarantine_reason``
    the page is registered as quarantined (its size may then be unknown: 0×0).
    """
    digest = sha256.strip().lower()
    if not _SHA256.match(digest):
        raise InputError(
            f"{sha256!r} không phải mã SHA-256 dạng hex", hint="truyền hashlib.sha256(data).hexdigest()"
        )
    if page_no < 0 or ((width <= 0 or height <= 0) and quarantine_reason is None):
        raise InputError(
            f"trang {page_no} của {image_path} có số trang hoặc kích thước không hợp lệ ({width}×{height})",
            hint="truyền đúng số trang và kích thước điểm ảnh của ảnh",
        )
    values = {
        "book_id": book.id,
        "batch_id": batch_id,
        "page_no": page_no,
        "sha256": digest,
        "image_path": str(image_path),
        "width": width,
        "height": height,
        "quality": quality or {},
        "status": PageStatus.INGESTED if quarantine_reason is None else PageStatus.QUARANTINED,
        "quarantine_reason": quarantine_reason,
        "created_at": utcnow(),
    }
    new_id = _insert_ignore(session, Page, values, ["book_id", "sha256"])
    if new_id is None:
        existing = session.scalars(select(Page).where(Page.book_id == book.id, Page.sha256 == digest)).one()
        log.info(
            "%s is the same image as page %s of book %s; not added again",
            image_path,
            existing.page_no,
            book.id,
        )
        return existing, False
    page = session.get(Page, new_id)
    assert page is not None
    audit(session, actor, "create", "page", page.id, after=snapshot(page))
    return page, True


def same_pages_elsewhere(session: Session, book: Book, digests: Iterable[str]) -> dict[str, Page]:
    """Per SHA-256 of ``digests``, the first page (lowest id) of *another* book of ``book``'s office with
    that content: the same scan registered under a second book (a volume typed differently, a folder copied
    under another name)."""
    wanted = sorted({d.strip().lower() for d in digests})
    found: dict[str, Page] = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(Page)
            .join(Book, Page.book_id == Book.id)
            .where(
                Book.office_code == book.office_code,
                Page.book_id != book.id,
                Page.sha256.in_(wanted[start : start + 500]),
            )
            .order_by(Page.id)
        )
        for page in session.scalars(query):
            found.setdefault(page.sha256, page)
    return found


# --------------------------------------------------------------------------- summary
def book_summary(session: Session, office_code: str | None = None) -> list[BookSummary]:
    """Every book (of one office, if given) with its pages and records by state, in priority order."""
    books_q = select(Book, Office.name).join(Office, Book.office_code == Office.code)
    if office_code is not None:
        books_q = books_q.where(Book.office_code == office_code)
    page_states: dict[int, dict[str, int]] = {}
    for book_id, status, count in session.execute(
        select(Page.book_id, Page.status, func.count()).group_by(Page.book_id, Page.status)
    ):
        page_states.setdefault(book_id, {})[str(status)] = count
    quarantined: dict[int, list[dict[str, Any]]] = {}
    bad = select(Page.book_id, Page.page_no, Page.image_path, Page.quarantine_reason).where(
        Page.status == PageStatus.QUARANTINED
    )
    for book_id, page_no, image, reason in session.execute(bad.order_by(Page.book_id, Page.page_no)):
        quarantined.setdefault(book_id, []).append({"page": page_no, "image": image, "reason": reason})
    records: dict[int, dict[str, int]] = {}
    by_state = select(Record.book_id, Record.state, func.count()).group_by(Record.book_id, Record.state)
    for book_id, state, count in session.execute(by_state):
        records.setdefault(book_id, {})[str(state)] = count
    priority = {t.value: i for i, t in enumerate(BookType)}
    rows = [
        BookSummary(
            book_id=book.id,
            office_code=book.office_code,
            office_name=office_name,
            book_type=str(book.book_type),
            era=book.era,
            volume=book.volume,
            status=str(book.status),
            pages=sum(page_states.get(book.id, {}).values()),
            records={s.value: records.get(book.id, {}).get(s.value, 0) for s in RecordState},
            page_states=page_states.get(book.id, {}),
            quarantined=quarantined.get(book.id, []),
        )
        for book, office_name in session.execute(books_q)
    ]
    rows.sort(key=lambda r: (r.office_code, priority[r.book_type], r.era, r.volume))
    return rows
