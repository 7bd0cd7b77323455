"""One page of a scan batch read end to end, as the scan flow's worker task does it.

:func:`read_page_file` decodes one page of a file, reads every record with the layout, and says whether the
page must be set aside instead (a file that cannot be decoded, a blank page, a page whose structure does
not match the book's layout). It returns plain data (JSON
types only), so it can cross process boundaries and be written to the database by the flow.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ocr.engines import make_engine
from ocr.engines.base import OcrEngine
from ocr.load import PageImageError, iter_pages
from ocr.read import read_page_full
from sohoa.config import layout as load_layout

log = logging.getLogger(__name__)

#: Page flags that set a page aside rather than stage its records (with the reviewer-facing reason).
QUARANTINE_FLAGS: dict[str, str] = {"blank": "blank: trang trắng, không có bản ghi"}


@dataclass
class PageOutcome:
    """What reading one page gave: its records (OCR result dicts) or the reason it was set aside."""

    page_id: int
    records: list[dict[str, Any]] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)
    quarantine_reason: str | None = None
    seconds: float = 0.0


@cache
def worker_engine(name: str) -> OcrEngine:
    """One engine per worker process, made on first use and reused for every page (OpenCV's threads are the
    worker pool's to set: ``flows.pool.warm_worker``)."""
    return make_engine(name)


def read_page_file(
    page_id: int,
    path: str,
    frame: int,
    book_type: str,
    era: str,
    *,
    layout_path: str | None = None,
    engine: str = "tesserocr",
) -> PageOutcome:
    """Read page ``frame`` of ``path`` with the book's layout (see the module's docstring)."""
    started = time.perf_counter()
    lay = load_layout(book_type, era, Path(layout_path) if layout_path else None)
    try:
        page = next(itertools.islice(iter_pages(path), frame, None), None)
    except PageImageError as exc:
        return PageOutcome(page_id, quarantine_reason=f"{exc.reason}: {exc.short}")
    if page is None:
        return PageOutcome(
            page_id, quarantine_reason=f"missing: không còn trang {frame + 1} của tệp {Path(path).name}"
        )
    reader = worker_engine(engine)  # an engine that cannot start fails the batch: every page needs it
    try:
        result = read_page_full(page, lay, reader)
    except Exception as exc:  # one page the reader chokes on is set aside; the batch goes on
        log.exception("page %s (frame %d of %s) could not be read", page_id, frame, path)
        reason = f"unreadable: đọc trang bị lỗi ({type(exc).__name__}: {exc}); báo cho quản trị hệ thống"
        return PageOutcome(page_id, quarantine_reason=reason[:500])
    quality = {**result.prepared.quality.to_dict(), "frame": frame}
    reasons = [QUARANTINE_FLAGS[f] for f in result.flags if f in QUARANTINE_FLAGS]
    if reasons:
        return PageOutcome(page_id, quality=quality, quarantine_reason="; ".join(reasons))
    if result.mismatch is not None:  # the wrong book's page: set aside, never read into empty records
        quality["layout_mismatch"] = result.mismatch.to_dict()
        return PageOutcome(page_id, quality=quality, quarantine_reason=result.mismatch.reason[:500])
    records = [r.to_dict() for r in result.records]
    return PageOutcome(page_id, records, quality, seconds=time.perf_counter() - started)
