"""From page images to fields: loading, quality and preprocessing, (layout, cells), OCR engines.

The steps are plain functions called with keywords and compose as
``iter_pages → prepare_page → layout → cells → engine.recognize``:

* :mod:`ocr.load` — :func:`load_pages` / :func:`iter_pages` (PNG, JPEG, TIFF, PDF) → :class:`PageImage`;
  any unusable file raises :class:`PageImageError` with a ``reason``;
* :mod:`ocr.quality` — :func:`assess` → :class:`Quality` (rotation, skew, flags, metrics);
* :mod:`ocr.preprocess` — pure image operations (gray, light correction, binarization, ruling lines, rotation);
* :mod:`ocr.prepare` — :func:`prepare_page` → :class:`PreparedPage` (upright, deskewed, evened out);
* :mod:`ocr.engines` — :class:`OcrEngine` (tesserocr, pytesseract, fake) → :class:`Recognition`.
"""

from __future__ import annotations

from ocr.load import PageImage, PageImageError, iter_pages, load_pages
from ocr.prepare import PreparedPage, prepare_page, prepare_pages
from ocr.quality import Quality, QualitySettings, assess, detect_orientation, estimate_skew

__all__ = [
    "PageImage",
    "PageImageError",
    "PreparedPage",
    "Quality",
    "QualitySettings",
    "assess",
    "detect_orientation",
    "estimate_skew",
    "iter_pages",
    "load_pages",
    "prepare_page",
    "prepare_pages",
]
