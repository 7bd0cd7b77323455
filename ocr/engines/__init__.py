"""OCR engines behind one interface (:class:`OcrEngine`): tesserocr (default), pytesseract, fake."""

from __future__ import annotations

from typing import Literal

from ocr.engines.base import (
    Calibration,
    EngineUnavailable,
    Mode,
    OcrEngine,
    OcrEngineError,
    Recognition,
    Word,
    calibrate,
    field_confidence,
    find_tessdata,
)
from ocr.engines.fake import FakeEngine

EngineName = Literal["tesserocr", "pytesseract"]
ENGINE_NAMES: tuple[str, ...] = ("tesserocr", "pytesseract")


def make_engine(name: str = "tesserocr", **options: object) -> OcrEngine:
    """The engine called ``name`` (``tesserocr`` or ``pytesseract``), built with ``options``."""
    if name == "tesserocr":
        from ocr.engines.tesserocr_engine import TesserocrEngine

        return TesserocrEngine(**options)  # type: ignore[arg-type]
    if name == "pytesseract":
        from ocr.engines.pytesseract_engine import PytesseractEngine

        return PytesseractEngine(**options)  # type: ignore[arg-type]
    raise EngineUnavailable(
        f"không có bộ đọc OCR {name!r}", hint=f"dùng một trong: {', '.join(ENGINE_NAMES)}"
    )


__all__ = [
    "ENGINE_NAMES",
    "Calibration",
    "EngineName",
    "EngineUnavailable",
    "FakeEngine",
    "Mode",
    "OcrEngine",
    "OcrEngineError",
    "Recognition",
    "Word",
    "calibrate",
    "field_confidence",
    "find_tessdata",
    "make_engine",
]
