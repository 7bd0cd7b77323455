"""Ingest of a scan batch: every page of every file registered once, bad files quarantined with the reason.

A page is identified in its book by a SHA-256: the file's own for the first page of a file, a digest of
the file's and the page index for the others. The same file met again at the same path (a rerun) is
*known*; the same image under another name is a *duplicate* and is not added twice. The same image already
in *another* book of the office (the book registered twice, say with volume "1" and "01" before volumes
were normalized, or a folder copied under another name) is registered quarantined as a duplicate naming that
book and page: it is not read, so its records are not staged twice. An operator who means it releases the
page (:func:`release_page`, ``sohoa pages release``) and the next scan of its book reads it. New pages are
numbered after the book's last page, in the order of the files. Works inside the caller's session; never
commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loaders.audit import audit, snapshot
from loaders.models import Batch, BatchStatus, Book, Page, PageStatus, utcnow
from loaders.registry import book_label, register_page, same_pages_elsewhere
from sohoa.errors import NotFoundError, StateError

#: The machine-readable start of the quarantine reason of a page whose image is in another book already.
DUPLICATE = "duplicate"

log = logging.getLogger(__name__)


class FileLike(Protocol):
    """What ingest needs to know about a file (see ``ocr.inspect.FileEntry``)."""

    @property
    def path(self) -> Any: ...
    @property
    def sha256(self) -> str: ...
    @property
    def sizes(self) -> tuple[tuple[int, int], ...]: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def detail(self) -> str | None: ...


@dataclass
class IngestReport:
    """What ingest did with a batch's files."""

    new_pages: int = 0
    known_pages: int = 0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "new_pages": self.new_pages,
            "known_pages": self.known_pages,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
        }


def page_digest(file_sha256: str, index: int) -> str:
    """The SHA-256 that identifies page ``index`` of a file in its book."""
    return file_sha256 if index == 0 else hashlib.sha256(f"{file_sha256}:{index}".encode()).hexdigest()


def start_batch(session: Session, book: Book, source: str, *, actor: str) -> Batch:
    """A new running batch of ``book`` (audited)."""
    batch = Batch(book_id=book.id, source=source, status=BatchStatus.RUNNING, counts={})
    session.add(batch)
    session.flush()
    audit(session, actor, "create", "batch", batch.id, after=snapshot(batch))
    return batch


def finish_batch(session: Session, batch: Batch, counts: dict[str, Any], *, failed: bool, actor: str) -> None:
    """Close ``batch`` with its counts (audited)."""
    before = snapshot(batch)
    batch.status = BatchStatus.FAILED if failed else BatchStatus.DONE
    batch.finished_at = utcnow()
    batch.counts = counts
    session.flush()
    audit(session, actor, "update", "batch", batch.id, before=before, after=snapshot(batch))


def ingest_files(
    session: Session, book: Book, files: Iterable[FileLike], *, batch_id: int | None, actor: str
) -> IngestReport:
    """Register every page of ``files`` in ``book`` (see the module's docstring)."""
    report = IngestReport()
    existing = {p.sha256: p for p in session.scalars(select(Page).where(Page.book_id == book.id))}
    next_no = (session.scalar(select(func.max(Page.page_no)).where(Page.book_id == book.id)) or 0) + 1
    entries = list(files)
    readable = {
        page_digest(e.sha256, i) for e in entries if not e.reason for i in range(len(e.sizes or ((0, 0),)))
    }
    elsewhere = same_pages_elsewhere(session, book, readable - existing.keys())
    for entry in entries:
        sizes = entry.sizes or ((0, 0),)
        for index, (width, height) in enumerate(sizes):
            digest = page_digest(entry.sha256, index)
            known = existing.get(digest)
            if known is not None:
                if known.image_path == str(entry.path) and int(known.quality.get("frame", 0)) == index:
                    report.known_pages += 1
                else:
                    report.duplicates.append({"file": str(entry.path), "same_as_page": known.page_no})
                    log.info("%s is the same image as page %s: not added again", entry.path, known.page_no)
                continue
            reason = f"{entry.reason}: {entry.detail}" if entry.reason else None
            quality: dict[str, Any] = {"frame": index}
            other = elsewhere.get(digest) if reason is None else None
            if other is not None:
                reason = duplicate_reason(session, other)
                quality["duplicate_of"] = {
                    "page_id": other.id,
                    "book_id": other.book_id,
                    "page": other.page_no,
                }
            page, _ = register_page(
                session,
                book,
                page_no=next_no,
                image_path=str(entry.path),
                sha256=digest,
                width=width,
                height=height,
                actor=actor,
                batch_id=batch_id,
                quality=quality,
                quarantine_reason=reason,
            )
            existing[digest] = page
            next_no += 1
            report.new_pages += 1
            if reason:
                report.quarantined.append(
                    {"file": str(entry.path), "page": page.page_no, "page_id": page.id, "reason": reason}
                )
            if other is not None:
                report.duplicates.append(
                    {
                        "file": str(entry.path),
                        "same_as_page": other.page_no,
                        "same_as_book": other.book_id,
                        "page": page.page_no,
                        "page_id": page.id,
                        "quarantined": True,
                    }
                )
                log.info(
                    "%s is page %s of book %s already: quarantined", entry.path, other.page_no, other.book_id
                )
    return report


def duplicate_reason(session: Session, other: Page) -> str:
    """The quarantine reason of a page whose image is ``other`` (a page of another book)."""
    other_book = session.get(Book, other.book_id)
    assert other_book is not None
    office = other_book.office
    name = (
        office.name if office.name.lower().startswith(office.kind.lower()) else f"{office.kind} {office.name}"
    )
    reason = (
        f"{DUPLICATE}: cùng ảnh với trang {other.page_no} của {book_label(other_book, name)}, không đọc lại; "
        "nếu cố ý, thả trang bằng `sohoa pages release MÃ_TRANG` (mã trong `sohoa pages list`)"
    )
    return reason[:500]


def pending_pages(session: Session, book_id: int) -> list[Page]:
    """Pages of the book registered but not yet read (after a crash too), in page order."""
    query = select(Page).where(Page.book_id == book_id, Page.status == PageStatus.INGESTED)
    return list(session.scalars(query.order_by(Page.page_no)))


def release_page(session: Session, page_id: int, *, actor: str, note: str | None = None) -> Page:
    """Take a quarantined page out of quarantine on purpose: it is pending again, so the next scan of its book
    reads it (and stages its records). The old reason is kept on the page's ``quality['released']`` and in
    the audit row (action ``release``)."""
    page = session.get(Page, page_id)
    if page is None:
        raise NotFoundError(f"không có trang mã {page_id}", hint="xem mã trang bằng `sohoa pages list`")
    if page.status != PageStatus.QUARANTINED:
        raise StateError(
            f"trang {page_id} không bị cách ly (trạng thái {page.status})",
            hint="chỉ thả được trang đang cách ly; xem `sohoa pages list`",
        )
    before = snapshot(page)
    released = {"reason": page.quarantine_reason, "by": actor, "at": utcnow().isoformat(), "note": note}
    page.status = PageStatus.INGESTED
    page.quarantine_reason = None
    page.quality = {**page.quality, "released": released}
    session.flush()
    audit(session, actor, "release", "page", page.id, before=before, after=snapshot(page))
    return page


def quarantine_page(
    session: Session, page: Page, reason: str, *, quality: dict[str, Any], actor: str
) -> None:
    """Set a registered page aside with ``reason`` (e.g. blank, unreadable); its records are not staged."""
    before = snapshot(page)
    page.status = PageStatus.QUARANTINED
    page.quarantine_reason = reason
    page.quality = {**page.quality, **quality}
    session.flush()
    audit(session, actor, "quarantine", "page", page.id, before=before, after=snapshot(page))
