"""ocr.job.read_page_file: a page the reader chokes on is set aside with its reason; the batch goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ocr.job
from ocr.engines.fake import FakeEngine
from ocr.job import read_page_file

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "ledger_typed.png"


def test_an_unexpected_reader_error_quarantines_the_page_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def choke(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("grid cell of negative width")

    monkeypatch.setattr(ocr.job, "worker_engine", lambda _name: FakeEngine([]))
    monkeypatch.setattr(ocr.job, "read_page_full", choke)
    outcome = read_page_file(7, str(EXAMPLE), 0, "birth", "2006-2015")
    assert outcome.page_id == 7 and outcome.records == []
    assert outcome.quarantine_reason is not None
    assert outcome.quarantine_reason.startswith("unreadable:")
    assert "ValueError: grid cell of negative width" in outcome.quarantine_reason
    assert "could not be read" in caplog.text


def test_an_engine_that_cannot_start_still_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_name: str) -> Any:
        raise RuntimeError("no Vietnamese model")

    monkeypatch.setattr(ocr.job, "worker_engine", broken)
    with pytest.raises(RuntimeError, match="no Vietnamese model"):
        read_page_file(7, str(EXAMPLE), 0, "birth", "2006-2015")
