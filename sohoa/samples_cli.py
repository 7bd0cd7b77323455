"""The CLI side of ``sohoa samples make``: a progress bar and a summary table around samples.make."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sohoa.console import out


def make_with_progress(out_dir: Path, **options: Any) -> dict[str, Any]:
    """Generate sample books with a progress bar; print what was written. Returns the manifest."""
    from samples.make import make_samples

    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]Vẽ trang sổ mẫu[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        task = progress.add_task("pages", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        manifest = make_samples(out_dir, progress=report, **options)
    print_manifest_summary(manifest, out_dir, time.perf_counter() - started)
    return manifest


def print_manifest_summary(manifest: dict[str, Any], out_dir: Path, seconds: float) -> None:
    table = Table(title=f"Sổ mẫu trong {out_dir}")
    for col in ("sổ (book)", "cơ quan", "loại", "giai đoạn", "tiêu đề cột", "trang", "bản ghi"):
        table.add_column(col)
    pages = records = 0
    for book in manifest["books"]:
        n_records = sum(d["records"] for d in book["page_details"])
        pages += len(book["pages"])
        records += n_records
        table.add_row(
            book["book_id"],
            book["office"],
            book["book_type"],
            book["era"],
            _header_label(book.get("header")),
            str(len(book["pages"])),
            str(n_records),
        )
    out.print(table)
    out.print(
        f"[green]{len(manifest['books'])} sổ, {pages} trang, {records} bản ghi trong {seconds:.1f} giây[/] — "
        f"dữ liệu đúng: {out_dir / 'truth.jsonl'}, manifest: {out_dir / 'manifest.json'}"
    )


def _header_label(header: dict[str, Any] | None) -> str:
    """How a ledger book's column header was printed, e.g. "numbered, eval, widths ±" ("—" on forms)."""
    if not header:
        return "—"
    label = f"{header['header_shape']}, {header['split']}"
    return label + ", widths ±" if header.get("width_factors") else label
