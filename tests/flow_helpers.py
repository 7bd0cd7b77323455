"""What the flow tests share besides fixtures: sample books and a page reader that answers from the ground truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

import flows.campaign
import flows.scan
from ocr.job import PageOutcome
from samples.make import make_samples


def truth(root: Path) -> list[dict[str, Any]]:
    """The ground truth of a samples folder, one dict per record."""
    return [json.loads(line) for line in (root / "truth.jsonl").open(encoding="utf-8")]


def typed_birth_book(out: Path, seed: int, pages: int = 3) -> dict[str, Any]:
    """``pages`` typed ledger pages of one 2006–2015 birth book in ``out``; the book's manifest entry."""
    manifest = make_samples(
        out, seed, books_per_type=1, pages_per_book=pages, style="typed", eras=["2006-2015"], types=["birth"],
        workers=1,
    )  # fmt: skip
    book: dict[str, Any] = manifest["books"][0]
    return book


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TruthReader:
    """Stands in for ``ocr.job.read_page_file``: reads a page by looking up the ground truth of the image with
    the same bytes, records what it read, and breaks on paths containing ``fail_on``."""

    def __init__(self, root: Path, fail_on: str | None = None) -> None:
        self.by_digest: dict[str, list[dict[str, Any]]] = {}
        for t in truth(root):
            self.by_digest.setdefault(digest(root / t["image"]), []).append(t)
        self.fail_on = fail_on
        self.read: list[str] = []

    def __call__(
        self, page_id: int, path: str, frame: int, book_type: str, era: str, **_: Any
    ) -> PageOutcome:
        if self.fail_on and self.fail_on in path:
            raise RuntimeError(f"reader broke on {path}")
        self.read.append(path)
        records = [
            {
                "image": Path(path).name,
                "page": t["page"],
                "row": t["row"],
                "book_type": book_type,
                "era": era,
                "fields": {
                    k: {"text": v, "confidence": 0.99, "bbox": t["bbox"].get(k)}
                    for k, v in t["fields"].items()
                },
                "quality": {"skew_deg": 0.0, "flags": []},
            }
            for t in self.by_digest.get(digest(Path(path)), [])
        ]
        return PageOutcome(page_id, records, {"frame": frame, "flags": []})


def read_in_this_process(monkeypatch: pytest.MonkeyPatch, reader: Any) -> None:
    """Make the flows read pages with ``reader`` in a thread of the test's process instead of in OCR worker
    processes (a stand-in reader that records what it read must run where the test can look)."""

    def one_thread(*_: Any, **__: Any) -> TaskRunner[Any]:
        return ThreadPoolTaskRunner(max_workers=1)

    monkeypatch.setattr(flows.scan, "read_page_file", reader)
    monkeypatch.setattr(flows.scan, "task_runner", one_thread)
    monkeypatch.setattr(flows.campaign, "task_runner", one_thread)
