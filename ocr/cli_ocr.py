"""The CLI side of ``sohoa ocr IMAGE… --book-type T --era E [--layout FILE] [--engine …] [--json] [--debug-dir DIR]``.

With ``--json`` one JSON object per record goes to stdout (the design's "OCR result"); without it a readable
table per page. A file that cannot be loaded is reported on stderr and the others are still read; the exit
code is then that of :class:`ocr.load.PageImageError`. A page whose structure does not match the layout (a form
read as a ledger, a ledger read as a form) gives no record: one Vietnamese line on stderr says what was expected
and what was seen, the other pages are still read, and the exit code is that of
:class:`ocr.layout.check.LayoutMismatchError` (an :class:`sohoa.errors.InputError`). ``--debug-dir`` receives one overlay PNG per page:
ruling lines (blue), cells or value regions (green), the boxes of what was read (red).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
from rich.markup import escape
from rich.table import Table

from ocr.engines import make_engine
from ocr.layout.check import mismatch_error
from ocr.load import PageImageError, iter_pages
from ocr.read import PageResult, read_page_full
from sohoa.config import layout as load_layout
from sohoa.console import err, out

#: Fields whose confidence is under this are shown dim in the table (the review app decides for real).
DOUBTFUL = 0.8


def run_ocr_cli(
    images: list[Path],
    book_type: str,
    era: str,
    layout: Path | None,
    engine: str,
    as_json: bool,
    debug_dir: Path | None,
) -> int:
    """Read every page of ``images``; print records; return the exit code (0, or a bad file's code)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    lay = load_layout(book_type, era, layout)
    ocr = make_engine(engine)
    if debug_dir is not None:
        debug_dir.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        for path in images:
            try:
                for page in iter_pages(path):
                    result = read_page_full(page, lay, ocr)
                    if result.mismatch is not None:
                        error = mismatch_error(result.mismatch, f"{path.name} trang {page.index + 1}", lay)
                        err.print(f"[bold red]Lỗi:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
                        code = code or error.exit_code
                    elif as_json:
                        for record in result.records:
                            line = json.dumps(record.to_dict(), ensure_ascii=False)
                            out.print(line, markup=False, highlight=False, soft_wrap=True)
                    else:
                        _print_table(path, page.index, result)
                    if debug_dir is not None:
                        write_overlay(result, debug_dir / f"{path.stem}_p{page.index + 1:04d}.png")
            except PageImageError as exc:
                err.print(f"[red]{escape(str(exc))}[/]")
                code = exc.exit_code
    finally:
        ocr.close()
    return code


def _print_table(path: Path, index: int, result: PageResult) -> None:
    flags = ", ".join(result.flags) or "—"
    table = Table(title=f"{path.name} · trang {index + 1} · {len(result.records)} bản ghi · cờ: {flags}")
    for col in ("hàng", "trường", "nội dung", "độ tin cậy"):
        table.add_column(col)
    for record in result.records:
        for key, value in record.fields.items():
            style = "dim" if value.confidence < DOUBTFUL else ""
            table.add_row(str(record.row), key, escape(value.text), f"{value.confidence:.2f}", style=style)
        table.add_section()
    out.print(table)


def write_overlay(result: PageResult, path: Path) -> None:
    """An overlay of the grid, the cells or value regions and the boxes read, on the prepared page."""
    gray = result.prepared.gray
    canvas = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    thick = max(2, max(gray.shape) // 1000)
    if result.ledger is not None:
        grid = result.ledger.grid
        if grid.found:
            x0, y0, w, h = grid.table
            for r in grid.rows:
                y = int(r.pos)
                cv2.line(canvas, (x0, y), (x0 + w, y), (255, 0, 0), thick)
            for c in grid.columns:
                x = int(c.pos)
                cv2.line(canvas, (x, y0), (x, y0 + h), (255, 0, 0), thick)
        for row in result.ledger.rows:
            for cell in row.cells.values():
                _rect(canvas, cell.bbox, (0, 160, 0), thick)
    for record in result.records:
        for box in record.prepared_bboxes.values():
            _rect(canvas, box, (0, 0, 255), thick)
    if not cv2.imwrite(str(path), canvas):
        err.print(f"[yellow]cannot write the overlay {escape(str(path))}[/]")


def _rect(
    canvas: np.ndarray, box: tuple[int, int, int, int], colour: tuple[int, int, int], thick: int
) -> None:
    x, y, w, h = box
    cv2.rectangle(canvas, (int(x), int(y)), (int(x + w), int(y + h)), colour, thick)
