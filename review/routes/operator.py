"""Operators: register a book, start a scan of a server folder, watch progress, see quarantined pages.

Scan folders are the sub-folders of ``SOHOA_SCAN_ROOT``: the form offers their names and the server
looks the chosen name up in its own listing, so no path typed by a user is ever opened. A symbolic link
(folder or file) that leads out of the scan root is neither listed nor read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from loaders import registry
from loaders.approval import office_scope, sees_office
from loaders.models import Batch, Book, Office, User, UserRole
from review.routes.common import FormDep, PathId, int_field, settings_of, text_field
from review.security import DbDep, flash, require_csrf, require_roles
from review.templating import render
from sohoa import config
from sohoa.errors import InputError, NotFoundError, SohoaError

log = logging.getLogger(__name__)
router = APIRouter()
StaffDep = Annotated[User, Depends(require_roles(UserRole.OPERATOR, UserRole.SUPERVISOR, UserRole.ADMIN))]
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # one page file
MAX_UPLOAD_TOTAL = 2 * 1024 * 1024 * 1024  # one upload
UPLOAD_SUFFIX = {"png": "png", "jpeg": "jpg", "tiff": "tif", "pdf": "pdf"}
PAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"})
_RUNNING: dict[int, threading.Thread] = {}


def inside(path: Path, root: Path) -> bool:
    """True when ``path``, every symbolic link followed, is ``root`` or under it (``root`` resolved too)."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError):  # missing, a broken link, a loop of links
        return False


def scan_folders(root: Path | None) -> list[str]:
    """Names of the sub-folders of the scan root (hidden ones and links leading out of it left out), sorted."""
    if root is None or not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and inside(p, root)
    )


def page_files(folder: Path, root: Path | None = None) -> list[Path]:
    """The page images of a scan folder, in name order (hidden files left out, and with ``root`` any file
    that is a link leading out of it: the scan root's owner decides what the server reads)."""
    limit = root if root is not None else folder
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in PAGE_SUFFIXES
        and inside(p, limit)
    )
    if not files:
        raise InputError(
            f"thư mục {folder.name} không có ảnh trang nào",
            hint="chép các bản quét PNG, JPEG, TIFF hoặc PDF vào đó",
        )
    return files


def _offices(db: Session, user: User) -> list[Office]:
    scope = office_scope(db, user)
    query = select(Office).order_by(Office.code)
    if scope is not None:
        query = query.where(Office.code.in_(sorted(scope)))
    return list(db.scalars(query))


@router.get("/books")
def books_page(request: Request, user: StaffDep, db: DbDep) -> Response:
    scope = office_scope(db, user)
    rows = [r for r in registry.book_summary(db) if scope is None or r.office_code in scope]
    batches = {
        b.book_id: b
        for b in db.scalars(select(Batch).order_by(Batch.id))  # the last batch of each book wins
    }
    return render(
        request,
        "books.html",
        rows=rows,
        batches=batches,
        offices=_offices(db, user),
        eras=[e.id for e in config.eras()],
        folders=scan_folders(settings_of(request).scan_root),
        running={k for k, t in _RUNNING.items() if t.is_alive()},
    )


@router.post("/books", dependencies=[Depends(require_csrf)])
def register(request: Request, form: FormDep, user: StaffDep, db: DbDep) -> Response:
    office = text_field(form, "office")
    if not sees_office(db, user, office):
        raise NotFoundError(f"không có cơ quan {office!r}", hint="chọn một cơ quan của bạn")
    book = registry.register_book(
        db,
        office,
        text_field(form, "book_type"),
        text_field(form, "era"),
        text_field(form, "volume"),
        int_field(form, "year_from"),
        int_field(form, "year_to"),
        actor=user.username,
    )
    db.commit()
    flash(request, f"Đã đăng ký sổ số {book.id}.", "success")
    return RedirectResponse("/books", status_code=303)


def _run_scan(params: Any) -> None:
    from flows.scan import run_scan

    try:
        run_scan(params)
    except SohoaError as exc:
        log.warning("scan of %s failed: %s", params.source, exc)
    except Exception:
        log.exception("scan of %s failed", params.source)


def store_uploads(form: FormData, folder: Path) -> tuple[list[Path], list[str]]:
    """Save the uploaded page files under ``folder`` by content hash; (saved paths, refused files with why).

    The name a user's browser sent is never part of a path: a file is stored as ``<sha256>.<format>``
    after its first bytes say it is a PNG, JPEG, TIFF or PDF.
    """
    from ocr.load import sniff_format

    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    refused: list[str] = []
    total = 0
    for upload in form.getlist("pages"):
        if not isinstance(upload, StarletteUpload):
            continue
        shown = (upload.filename or "?")[:80]
        data = upload.file.read(MAX_UPLOAD_BYTES + 1)
        total += len(data)
        if len(data) > MAX_UPLOAD_BYTES or total > MAX_UPLOAD_TOTAL:
            refused.append(f"{shown}: quá lớn")
            continue
        kind = sniff_format(data[:1024])
        if kind is None:
            refused.append(f"{shown}: không phải ảnh PNG, JPEG, TIFF hay PDF")
            continue
        digest = hashlib.sha256(data).hexdigest()
        path = folder / f"{digest}.{UPLOAD_SUFFIX[kind]}"
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        if path not in saved:
            saved.append(path)
    return saved, refused


def _start(book: Book, files: list[Path], source: str, actor: str) -> bool:
    """Start the scan flow of ``book`` on ``files`` in a thread; False when one is already running."""
    from flows.settings import BookRef, ScanParams

    running = _RUNNING.get(book.id)
    if running is not None and running.is_alive():
        return False
    params = ScanParams(
        book=BookRef(
            office=book.office_code, book_type=str(book.book_type), era=book.era, volume=book.volume
        ),
        files=files,
        source=source,
        actor=actor,
    )
    thread = threading.Thread(target=_run_scan, args=(params,), name=f"scan-book-{book.id}", daemon=True)
    _RUNNING[book.id] = thread
    thread.start()
    return True


@router.post("/books/{book_id}/upload", dependencies=[Depends(require_csrf)])
def upload_pages(request: Request, book_id: PathId, form: FormDep, user: StaffDep, db: DbDep) -> Response:
    """Upload page images of a book (multipart field ``pages``) and start its scan."""
    from loaders.db import ensure_data_dir

    book = db.get(Book, book_id)
    if book is None or not sees_office(db, user, book.office_code):
        raise NotFoundError(f"book {book_id} not found")
    root = settings_of(request).upload_root or ensure_data_dir() / "uploads"
    saved, refused = store_uploads(form, root / f"book-{book.id}")
    for problem in refused[:10]:
        flash(request, f"Không nhận tệp {problem}.", "error")
    if not saved:
        flash(request, "Không có tệp ảnh nào được tải lên.", "error")
        return RedirectResponse("/books", status_code=303)
    if _start(book, saved, f"upload by {user.username}", user.username):
        flash(request, f"Đã nhận {len(saved)} tệp và bắt đầu quét sổ {book.id}.", "success")
    else:
        flash(request, f"Đã nhận {len(saved)} tệp; sổ đang được quét, hãy bấm quét lại sau.", "info")
    return RedirectResponse("/books", status_code=303)


@router.post("/books/{book_id}/scan", dependencies=[Depends(require_csrf)])
def start_scan(
    request: Request,
    book_id: PathId,
    form: FormDep,
    user: StaffDep,
    db: DbDep,
) -> Response:
    book = db.get(Book, book_id)
    if book is None or not sees_office(db, user, book.office_code):
        raise NotFoundError(f"book {book_id} not found")
    root = settings_of(request).scan_root
    chosen = text_field(form, "folder")
    names = scan_folders(root)
    if root is None or chosen not in names:
        raise InputError(
            "hãy chọn một thư mục bản quét trong danh sách", hint="đề nghị quản trị viên đặt SOHOA_SCAN_ROOT"
        )
    folder = root / names[names.index(chosen)]  # the server's own name, not the posted one
    if not inside(folder, root):  # a link changed since the listing
        raise InputError(
            "hãy chọn một thư mục bản quét trong danh sách",
            hint="không nhận liên kết trỏ ra ngoài SOHOA_SCAN_ROOT",
        )
    files = page_files(folder, root)
    if not _start(book, files, str(folder), user.username):
        flash(request, "Sổ này đang được quét.", "info")
        return RedirectResponse("/books", status_code=303)
    flash(request, f"Đã bắt đầu quét {len(files)} tệp của thư mục {chosen}.", "success")
    return RedirectResponse("/books", status_code=303)
