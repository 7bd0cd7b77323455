"""Stand-in page readers for the OCR pool's tests: small, importable by the pool's spawned workers."""

from __future__ import annotations

import os
from typing import Any

from ocr.job import PageOutcome


def pid_reader(page_id: int, path: str, frame: int, book_type: str, era: str, **_: Any) -> PageOutcome:
    """A page 'read' that says which process read it."""
    return PageOutcome(page_id, quality={"pid": os.getpid(), "path": path})


def crashing_reader(page_id: int, path: str, frame: int, book_type: str, era: str, **_: Any) -> PageOutcome:
    """Kills its worker process on a path containing ``crash`` (as a segfault inside Tesseract would)."""
    if "crash" in path:
        os._exit(11)
    return pid_reader(page_id, path, frame, book_type, era)
