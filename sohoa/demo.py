"""``sohoa demo``: the main job on the embedded defaults (SQLite, local files, generated sample books).

For now: make a small set of sample books, register their books and pages in the database, and print
a summary with where to look next. Later stages (OCR, review, load) join as they land.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from PIL import Image
from rich.table import Table

from sohoa import config
from sohoa.console import out
from sohoa.errors import InputError

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def register_manifest(session: Any, manifest: dict[str, Any], root: Path) -> tuple[int, int]:
    """Register every book and page of a samples manifest; returns (books, new pages). Idempotent."""
    from loaders import registry

    new_pages = 0
    for entry in manifest["books"]:
        book = registry.register_book(
            session,
            office_code=entry["office"],
            book_type=entry["book_type"],
            era=entry["era"],
            volume=entry["volume"],
            year_from=entry.get("year_from"),
            year_to=entry.get("year_to"),
        )
        for page_no, rel in enumerate(entry["pages"], start=1):
            path = (root / rel).resolve()
            if not path.is_file():
                raise InputError(
                    f"page image {path} listed in the manifest is missing", hint="regenerate the samples"
                )
            with Image.open(path) as img:
                width, height = img.size
            _, created = registry.register_page(
                session,
                book,
                page_no=page_no,
                image_path=str(path),
                sha256=file_sha256(path),
                width=width,
                height=height,
            )
            new_pages += int(created)
    return len(manifest["books"]), new_pages


def run_demo(out_dir: Path, *, seed: int) -> None:
    from loaders import db, registry
    from sohoa.samples_cli import make_with_progress

    out.rule("[bold]sohoa demo[/]")
    out.print("1/3  Tạo sổ mẫu (sample books with ground truth)…")
    manifest = make_with_progress(out_dir, seed=seed, books_per_type=1, pages_per_book=2, style="mixed")

    url = db.database_url()
    out.print(f"2/3  Cơ sở dữ liệu: {db.safe_url(url)}")
    db.upgrade(url)
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        registry.sync_offices(session, config.offices())
        books, new_pages = register_manifest(session, manifest, out_dir)
    out.print(f"     {books} books registered, {new_pages} new pages (a rerun adds none).")

    out.print("3/3  Tóm tắt (summary)")
    with db.session_scope(engine) as session:
        rows = registry.book_summary(session)
    table = Table(title="Sổ đã đăng ký")
    for col in ("cơ quan", "loại sổ", "giai đoạn", "quyển", "trang", "bản ghi đã nhập"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            f"{row.office_code} {row.office_name}",
            row.book_type,
            row.era,
            row.volume,
            str(row.pages),
            str(sum(row.records.values())),
        )
    out.print(table)
    out.print("Records are entered by OCR, which joins the demo with the OCR and flows issues.")
    out.print("[bold]Where to look next:[/]")
    out.print(
        f"  • page images and ground truth: {out_dir}/books/, {out_dir}/truth.jsonl, {out_dir}/manifest.json"
    )
    out.print(f"  • the database: {db.safe_url(url)}  (`sohoa db current`)")
    out.print("  • more samples: `.venv/bin/sohoa samples make --out DIR --seed N --style handwritten`")
    engine.dispose()
