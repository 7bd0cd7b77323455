"""The books of a campaign folder, in the plan's order, and whether each one is finished.

A campaign folder is either

* a samples-style folder with a ``manifest.json`` (``books``: ``office``, ``book_type``, ``era``,
  ``volume``, ``pages`` relative to the folder, optional ``year_from``/``year_to``), or
* one sub-folder per book named ``<book_type>_<era>_<volume>`` (e.g. ``birth_2006-2015_01``,
  ``marital_status_2016+_3``), holding that book's page images; these books belong to the campaign's office.

Books go in the plan's era order (``configs/plan.yaml`` ``era_order``) and, inside an era, by book group in
the priority order of ``configs/book_groups.yaml`` (marriage → birth → parent recognition → marital status →
death → others), then by office and volume. Plain functions: the campaign flow calls them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.settings import BookRef
from loaders.models import Batch, BatchStatus, Book, BookStatus, Page, PageStatus
from loaders.registry import find_book
from sohoa import config
from sohoa.errors import InputError

MANIFEST = "manifest.json"

#: Extensions of the files a book folder is read for (the content decides the format; see ocr.load).
PAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"})


class CampaignBook(BaseModel):
    """One book of a campaign: what it is, its page files and where they came from."""

    book: BookRef
    files: list[Path]
    source: str

    @property
    def label(self) -> str:
        b = self.book
        return f"{b.office} {b.book_type} {b.era} q{b.volume}"


def page_files(folder: Path) -> list[Path]:
    """The page files of a book folder (absolute paths), in name order (hidden files skipped)."""
    if not folder.is_dir():
        raise InputError(f"{folder} không phải là thư mục", hint="chọn thư mục chứa ảnh các trang của sổ")
    files = sorted(
        p.resolve()
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in PAGE_SUFFIXES
    )
    if not files:
        raise InputError(
            f"thư mục {folder} không có ảnh trang nào",
            hint="chép các bản quét PNG, JPEG, TIFF hoặc PDF vào đó",
        )
    return files


def folder_pattern() -> re.Pattern[str]:
    """``<book_type>_<era>_<volume>`` with the book types and eras of configs/."""
    types = "|".join(re.escape(g.id) for g in config.book_groups())
    eras = "|".join(re.escape(e.id) for e in config.eras())
    return re.compile(rf"^(?P<book_type>{types})_(?P<era>{eras})_(?P<volume>[0-9A-Za-z.-]+)$")


def order_key(book: BookRef) -> tuple[int, int, str, str]:
    """Plan's era order, then book-group priority, then office and volume."""
    eras = {e: i for i, e in enumerate(config.plan().era_order)}
    groups = {g.id: i for i, g in enumerate(config.book_groups())}
    return (eras.get(book.era, len(eras)), groups.get(book.book_type, len(groups)), book.office, book.volume)


def _from_manifest(root: Path, offices: Collection[str]) -> list[CampaignBook]:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        entries: list[dict[str, Any]] = list(manifest["books"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"không đọc được {root / MANIFEST}: {exc}",
            hint="chọn thư mục do `sohoa samples make` tạo, hoặc mỗi sổ một thư mục, không có manifest",
        ) from None
    books: list[CampaignBook] = []
    for entry in entries:
        if entry.get("office") not in offices:
            continue
        try:
            ref = BookRef(
                office=entry["office"],
                book_type=entry["book_type"],
                era=entry["era"],
                volume=str(entry["volume"]),
                year_from=entry.get("year_from"),
                year_to=entry.get("year_to"),
            )
            files = [(root / rel).resolve() for rel in entry["pages"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{root / MANIFEST}: một mục sổ thiếu {exc}",
                hint="mỗi sổ cần có office, book_type, era, volume và pages",
            ) from None
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise InputError(
                f"thiếu {len(missing)} ảnh trang có trong {root / MANIFEST} (đầu tiên: {missing[0]})",
                hint="chép lại cả thư mục, hoặc tạo lại dữ liệu mẫu",
            )
        source = str((root / entry["pages"][0]).resolve().parent) if entry["pages"] else str(root)
        books.append(CampaignBook(book=ref, files=files, source=source))
    return books


def _from_folders(root: Path, office: str) -> list[CampaignBook]:
    pattern = folder_pattern()
    books: list[CampaignBook] = []
    unknown: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        match = pattern.match(folder.name)
        if match is None:
            unknown.append(folder.name)
            continue
        ref = BookRef(office=office, book_type=match["book_type"], era=match["era"], volume=match["volume"])
        books.append(CampaignBook(book=ref, files=page_files(folder), source=str(folder.resolve())))
    if unknown:
        raise InputError(
            f"{root}: tên thư mục {', '.join(unknown[:5])} không ứng với sổ nào",
            hint="đặt tên mỗi thư mục sổ là <book_type>_<era>_<volume>, ví dụ birth_2006-2015_01 hoặc death_2016+_2",
        )
    return books


def campaign_books(root: Path, office: str, offices: Collection[str]) -> list[CampaignBook]:
    """The books under ``root`` (see the module's docstring) of ``offices``, in the campaign's order.

    ``office`` is the campaign's office (books of a folder-per-book campaign belong to it); ``offices``
    is it and every office under it (a manifest's books are kept when their office is one of them).
    """
    if not root.is_dir():
        raise InputError(f"{root} không phải là thư mục", hint="chọn thư mục chứa các sổ của đợt số hóa")
    books = _from_manifest(root, offices) if (root / MANIFEST).is_file() else _from_folders(root, office)
    if not books:
        raise InputError(
            f"{root} không có sổ nào của cơ quan {office}",
            hint="kiểm tra --office, hoặc đặt tên thư mục sổ là <book_type>_<era>_<volume>",
        )
    return sorted(books, key=lambda b: order_key(b.book))


def _find_book(session: Session, ref: BookRef) -> Book | None:
    return find_book(session, ref.office, ref.book_type, ref.era, ref.volume)


DONE_STATES = (BookStatus.SCANNED, BookStatus.REVIEWING, BookStatus.DONE)


def is_finished(session: Session, item: CampaignBook) -> bool:
    """True when the book was scanned to the end and every one of its files is already accounted for
    (registered as a page, or found to duplicate one in a finished batch): a rerun would change nothing."""
    book = _find_book(session, item.book)
    if book is None or book.status not in DONE_STATES:
        return False
    pages = session.execute(select(Page.image_path, Page.status).where(Page.book_id == book.id)).all()
    if any(status == PageStatus.INGESTED for _, status in pages):
        return False
    known = {path for path, _ in pages}
    batches = select(Batch.counts).where(Batch.book_id == book.id, Batch.status == BatchStatus.DONE)
    for counts in session.scalars(batches):
        known.update(d.get("file") for d in (counts or {}).get("duplicates", []))
    return all(str(f) in known for f in item.files)
