"""Export packages: one folder per book with the loaded records, ready for the national database import.

``<out>/<office>_<book_type>_<era>_q<volume>/`` holds

* ``records.xlsx`` — one row per record, the columns of ``configs/export.yaml`` for the book type
  (Vietnamese headers, header row frozen); a value that looks like a formula (``=…``, ``+…``, ``-…``,
  ``@…``) is written as text, never as a formula (:mod:`sohoa.spreadsheet`);
* ``pdf/<package>_<registration number>.pdf`` — the page image of each record as a PDF, the record's row
  framed in red (``…_p<page>r<row>.pdf`` when the record has no number or shares it with another);
* ``manifest.json`` — the book, the records (id, number, PDF) and the SHA-256 and size of every file.

A package is written into a hidden folder next to the target and renamed into place only when every file
is written and synced, so a full disk or a crash never leaves a half package under the final name; the
finished export is recorded in the audit log (action ``export`` on the book). A disk or permission problem
is a :class:`~sohoa.errors.DataDirError` naming the folder and what to do. Only ``loaded`` records go in.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.audit import audit
from loaders.models import Book, OfficialRecord, Page, Record, utcnow
from ocr.load import iter_pages
from sohoa.config import load_model
from sohoa.errors import ConfigError, DataDirError, NotFoundError
from sohoa.fields import BOOK_TYPES, is_valid_key
from sohoa.paths import config_dir
from sohoa.spreadsheet import xlsx_cell

log = logging.getLogger(__name__)

EXPORT_CONFIG = "export.yaml"
MANIFEST = "manifest.json"
SPREADSHEET = "records.xlsx"
PDF_DIR = "pdf"
#: Pages wider than this are scaled down in the PDFs (A4 at 150 dpi: about 100–300 kB a page).
PDF_MAX_WIDTH = 1240
PDF_DPI = 150
BOX_COLOUR = (220, 0, 0)
META_COLUMNS = frozenset(
    {"meta.row", "meta.office", "meta.volume", "meta.page", "meta.pdf", "meta.record_id"}
)
_UNSAFE = re.compile(r"[^\w.+-]+")


# --------------------------------------------------------------------------- configuration
class ExportColumn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    header: str
    width: float = Field(default=16.0, gt=0, le=100)


class ExportFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    book_types: dict[str, list[ExportColumn]]

    @model_validator(mode="after")
    def _known(self) -> ExportFile:
        missing = set(BOOK_TYPES) - set(self.book_types)
        if missing:
            raise ValueError(f"thiếu cột cho các loại sổ {sorted(missing)}")
        for book_type, columns in self.book_types.items():
            if book_type not in BOOK_TYPES:
                raise ValueError(f"không có loại sổ {book_type!r}")
            for column in columns:
                if column.field not in META_COLUMNS and not is_valid_key(column.field, book_type):
                    raise ValueError(
                        f"{column.field!r} không phải mã trường của bản ghi {book_type}, cũng không thuộc: "
                        f"{', '.join(sorted(META_COLUMNS))}"
                    )
        return self


@cache
def _export_file(path: Path) -> ExportFile:
    return load_model(path, ExportFile)


def export_columns(book_type: str) -> list[ExportColumn]:
    """The spreadsheet columns of a book type, from ``configs/export.yaml``."""
    path = config_dir() / EXPORT_CONFIG
    columns = _export_file(path.resolve()).book_types.get(book_type)
    if not columns:
        raise ConfigError(f"tệp cấu hình {path} không có cột cho {book_type!r}", hint="thêm các cột đó")
    return columns


# --------------------------------------------------------------------------- what goes in
@dataclass(frozen=True)
class ExportRow:
    official: OfficialRecord
    record: Record
    page: Page


@dataclass(frozen=True)
class ExportResult:
    """A package written: where, how many records, and the manifest's SHA-256."""

    book_id: int
    path: Path
    records: int
    manifest_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "book_id": self.book_id,
            "path": str(self.path),
            "records": self.records,
            "manifest_sha256": self.manifest_sha256,
        }


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text.strip()).strip("-.") or "x"


def package_name(book: Book) -> str:
    """``<office>_<book_type>_<era>_q<volume>``, with anything unsafe in a file name replaced."""
    return "_".join(
        _safe(part) for part in (book.office_code, str(book.book_type), book.era, f"q{book.volume}")
    )


def export_rows(session: Session, book_id: int) -> list[ExportRow]:
    """The loaded records of a book, in page and row order."""
    query = (
        select(OfficialRecord, Record, Page)
        .join(Record, Record.id == OfficialRecord.record_id)
        .join(Page, Page.id == Record.page_id)
        .where(OfficialRecord.book_id == book_id, OfficialRecord.loaded_at.is_not(None))
        .order_by(Page.page_no, Record.row_no, Record.id)
    )
    return [ExportRow(official, record, page) for official, record, page in session.execute(query)]


def _get_book(session: Session, book_id: int) -> Book:
    book = session.get(Book, book_id)
    if book is None:
        raise NotFoundError(f"không có sổ {book_id}", hint="xem danh sách sổ bằng `sohoa status`")
    return book


def pdf_names(package: str, rows: list[ExportRow]) -> list[str]:
    """One PDF file name per row: by registration number, by page and row when that is missing or taken."""
    numbers = [
        _safe(r.official.registration_number) if r.official.registration_number else None for r in rows
    ]
    names = []
    for row, number in zip(rows, numbers, strict=True):
        unique = number is not None and numbers.count(number) == 1
        tail = number if unique else f"p{row.page.page_no}r{row.record.row_no}"
        names.append(f"{package}_{tail}.pdf")
    return names


# --------------------------------------------------------------------------- files
def _write(path: Path, data: bytes) -> None:
    """Write and sync one file of a package (the single place package bytes reach the disk)."""
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _cell(row: ExportRow, key: str, pdf: str, index: int) -> str | int:
    meta: dict[str, str | int] = {
        "meta.row": index,
        "meta.office": row.official.office_code,
        "meta.volume": row.record.book.volume,
        "meta.page": row.page.page_no,
        "meta.pdf": f"{PDF_DIR}/{pdf}",
        "meta.record_id": row.record.id,
    }
    if key in meta:
        return meta[key]
    entry = row.official.fields.get(key)
    if isinstance(entry, Mapping):
        return str(entry.get("text") or "")
    return "" if entry is None else str(entry)


def spreadsheet(book: Book, rows: list[ExportRow], pdfs: list[str]) -> bytes:
    """``records.xlsx``: a bold, frozen header row of the configured columns, then one row per record."""
    columns = export_columns(str(book.book_type))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "So"
    sheet.append([xlsx_cell(sheet, c.header) for c in columns])
    for cell, column in zip(sheet[1], columns, strict=True):
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[cell.column_letter].width = column.width
    for index, (row, pdf) in enumerate(zip(rows, pdfs, strict=True), start=1):
        sheet.append([xlsx_cell(sheet, _cell(row, c.field, pdf, index)) for c in columns])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def page_image(page: Page) -> Image.Image:
    """The page's image (the right frame of a multi-page file) as RGB."""
    frame = int(page.quality.get("frame", 0)) if isinstance(page.quality, Mapping) else 0
    for decoded in iter_pages(page.image_path):
        if decoded.index == frame:
            array = decoded.image
            if decoded.is_color:
                return Image.fromarray(array[:, :, ::-1].copy(), "RGB")
            return Image.fromarray(array, "L").convert("RGB")
    raise NotFoundError(
        f"trang {page.page_no} của sổ {page.book_id} ({page.image_path}) không có khung ảnh {frame}",
        hint="khôi phục tệp quét mà trang này đã được đọc từ đó",
    )


def record_box(fields: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    """The box around every field of a record (x0, y0, x1, y1), from the fields' bboxes."""
    boxes = [
        entry["bbox"]
        for entry in fields.values()
        if isinstance(entry, Mapping) and isinstance(entry.get("bbox"), list) and len(entry["bbox"]) == 4
    ]
    if not boxes:
        return None
    return (
        int(min(b[0] for b in boxes)),
        int(min(b[1] for b in boxes)),
        int(max(b[0] + b[2] for b in boxes)),
        int(max(b[1] + b[3] for b in boxes)),
    )


def record_pdf(image: Image.Image, fields: Mapping[str, Any], title: str) -> bytes:
    """The page image with the record framed, scaled to at most :data:`PDF_MAX_WIDTH`, as one PDF page."""
    page = image.copy()
    box = record_box(fields)
    if box is not None:
        pad = max(4, page.width // 300)
        x0, y0, x1, y1 = box
        ImageDraw.Draw(page).rectangle(
            (x0 - pad, y0 - pad, x1 + pad, y1 + pad), outline=BOX_COLOUR, width=max(3, page.width // 400)
        )
    if page.width > PDF_MAX_WIDTH:
        page = page.resize(
            (PDF_MAX_WIDTH, round(page.height * PDF_MAX_WIDTH / page.width)), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=PDF_DPI, title=title)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the package
def _file_entry(folder: Path, relative: str, data: bytes) -> dict[str, Any]:
    _write(folder / relative, data)
    return {"path": relative, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _write_pdfs(folder: Path, rows: list[ExportRow], pdfs: list[str]) -> list[dict[str, Any]]:
    """Every record's PDF; each page image is decoded once."""
    (folder / PDF_DIR).mkdir()
    entries: list[dict[str, Any]] = []
    image: Image.Image | None = None
    page_id: int | None = None
    for row, name in zip(rows, pdfs, strict=True):
        if row.page.id != page_id:
            image, page_id = page_image(row.page), row.page.id
        assert image is not None
        title = f"{name.removesuffix('.pdf')}"
        entries.append(_file_entry(folder, f"{PDF_DIR}/{name}", record_pdf(image, row.record.fields, title)))
    return entries


def manifest(
    book: Book, name: str, rows: list[ExportRow], pdfs: list[str], files: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "package": name,
        "book": {
            "id": book.id,
            "office": book.office_code,
            "book_type": str(book.book_type),
            "era": book.era,
            "volume": book.volume,
        },
        "created_at": utcnow().isoformat(),
        "records": [
            {
                "record_id": r.record.id,
                "registration_number": r.official.registration_number,
                "page": r.page.page_no,
                "row": r.record.row_no,
                "pdf": f"{PDF_DIR}/{pdf}",
                "fields_sha256": fields_digest(r.official.fields),
            }
            for r, pdf in zip(rows, pdfs, strict=True)
        ],
        "files": files,
    }


def _write_package(folder: Path, book: Book, name: str, rows: list[ExportRow]) -> str:
    """Write every file of the package into ``folder``; the manifest's SHA-256."""
    folder.mkdir()
    pdfs = pdf_names(name, rows)
    files = [
        _file_entry(folder, SPREADSHEET, spreadsheet(book, rows, pdfs)),
        *_write_pdfs(folder, rows, pdfs),
    ]
    text = json.dumps(manifest(book, name, rows, pdfs, files), ensure_ascii=False, indent=2).encode("utf-8")
    return str(_file_entry(folder, MANIFEST, text)["sha256"])


def _swap_into_place(part: Path, target: Path) -> None:
    """Rename the finished ``part`` folder to ``target``, replacing an older package of the book."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    part.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _disk_error(exc: OSError, target: Path) -> DataDirError:
    reason = exc.strerror or exc.__class__.__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = (
            f"giải phóng dung lượng đĩa chứa {target.parent} (hoặc chọn --out khác) rồi chạy lại `sohoa load`: "
            "các bản ghi vẫn đã nạp, chỉ gói dữ liệu được ghi lại"
        )
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"cấp quyền ghi {target.parent} cho người dùng này, hoặc chọn --out khác"
    else:
        hint = f"kiểm tra thư mục {target.parent}, rồi chạy lại `sohoa load`"
    return DataDirError(f"không ghi được gói dữ liệu {target} ({reason}); không giữ lại gì", hint=hint)


def export_book(session: Session, book_id: int, out_dir: Path, *, actor: str = "system") -> ExportResult:
    """Write the package of book ``book_id`` under ``out_dir`` (see the module docstring); audited."""
    book = _get_book(session, book_id)
    rows = export_rows(session, book_id)
    name = package_name(book)
    target = out_dir / name
    part = out_dir / f".{name}.part-{uuid.uuid4().hex[:8]}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        digest = _write_package(part, book, name, rows)
        _swap_into_place(part, target)
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise _disk_error(exc, target) from exc
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    result = ExportResult(book_id=book.id, path=target, records=len(rows), manifest_sha256=digest)
    audit(session, actor, "export", "book", book.id, after=result.to_dict())
    log.info("book %s: package %s with %d records", book.id, target, len(rows))
    return result


def fields_digest(fields: Mapping[str, Any]) -> str:
    """SHA-256 of a record's final values (how a package tells that a record was corrected since)."""
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_is_current(session: Session, book_id: int, out_dir: Path) -> bool:
    """True when the book's package under ``out_dir`` exists and holds exactly its loaded records, each with
    the final values it has now (a record corrected after the export makes the package stale)."""
    book = _get_book(session, book_id)
    path = out_dir / package_name(book) / MANIFEST
    try:
        written = json.loads(path.read_text(encoding="utf-8"))
        listed = sorted((int(r["record_id"]), str(r.get("fields_sha256"))) for r in written["records"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    loaded = select(OfficialRecord.record_id, OfficialRecord.fields).where(
        OfficialRecord.book_id == book_id, OfficialRecord.loaded_at.is_not(None)
    )
    return listed == sorted((rid, fields_digest(fields)) for rid, fields in session.execute(loaded))


def books_with_loaded_records(session: Session, offices: set[str]) -> list[int]:
    """Ids of the books of ``offices`` that have loaded records, in id order."""
    query = (
        select(OfficialRecord.book_id)
        .where(OfficialRecord.office_code.in_(sorted(offices)), OfficialRecord.loaded_at.is_not(None))
        .distinct()
        .order_by(OfficialRecord.book_id)
    )
    return list(session.scalars(query))
