"""Ingest of a scan batch: every page of every file registered once, bad files quarantined with the reason.

A page is identified in its book by a SHA-256: the file's own for the first page of a file, a digest of
the file's and the page index for the others. The same file met again at the same path (a rerun) is
*known*; the same image under another name is a *duplicate* and is not added twice. New pages are numbered
after the book's last page, in the order of the files. Works inside the caller's session; never commits.
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
from loaders.registry import register_page

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
    for entry in files:
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
                quality={"frame": index},
                quarantine_reason=reason,
            )
            existing[digest] = page
            next_no += 1
            report.new_pages += 1
            if reason:
                report.quarantined.append({"file": str(entry.path), "page": page.page_no, "reason": reason})
    return report


def pending_pages(session: Session, book_id: int) -> list[Page]:
    """Pages of the book registered but not yet read (after a crash too), in page order."""
    query = select(Page).where(Page.book_id == book_id, Page.status == PageStatus.INGESTED)
    return list(session.scalars(query.order_by(Page.page_no)))


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
