"""The contenders ``benchmarks/ocr_bench.py`` measures sohoa against: one whole-page pytesseract call per page,
and img2table with its Tesseract OCR.

Every contender reads one page file per call and returns OCR result dicts (the design's contract: ``image``,
``row``, ``fields`` → ``text``, ``confidence``). Texts go through the same clean-up as sohoa's
(:func:`ocr.read.clean_value`; ``choice`` cells become option keys with :func:`ocr.read.choice_key`), so the
benchmark compares reading, not formatting.

- ``pytesseract-page``: the page is prepared as sohoa prepares it (upright, deskewed, light evened out), read
  with ONE ``pytesseract.image_to_data`` call, and every word goes to the ledger cell (sohoa's grid) its centre
  falls in; a row is a grid band that got any word. Forms: the words go to sohoa's form reader, which finds
  the labels and tick boxes among them; a field's text is the words inside its value region.
- ``img2table``: ``Image(bytes, detect_rotation=True)`` and ``extract_tables(ocr=TesseractOCR(lang="vie",
  n_threads=1), implicit_rows=False, borderless_tables=False)``; the largest table, minus the layout's header
  rows, its columns mapped left to right onto the layout's (mismatched counts are mapped by position and
  counted), one record per table row that holds any text. It reads ruled tables only: form pages are not
  applicable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr import preprocess as pp
from ocr.engines.base import Mode, OcrEngine, Word, find_tessdata
from ocr.layout.form import group_lines, read_values, remove_leaders
from ocr.layout.ledger import LedgerPage, find_grid, ledger_cells
from ocr.load import load_pages
from ocr.prepare import PreparedPage, prepare_page
from ocr.read import choice_key, clean_value, field_kinds
from sohoa.config import Layout

log = logging.getLogger(__name__)

BBox = tuple[int, int, int, int]
FieldValue = tuple[str, float]  # (text as read, confidence 0..1)


class Contender(ABC):
    """One way of reading a page; ``kinds`` are the layout kinds it can read (``ledger``, ``form``)."""

    name: str = "contender"
    kinds: frozenset[str] = frozenset({"ledger", "form"})

    def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Load what the first page would otherwise pay for (models, lazy imports); not timed."""

    @abstractmethod
    def read(self, path: Path, layout: Layout) -> list[dict[str, Any]]:
        """Every record on the page file ``path``, as OCR result dicts with ``image`` = ``str(path)``."""

    def stats(self) -> dict[str, Any]:
        """Counters worth reporting next to the scores (misses, fallbacks)."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the contender holds."""


def record_dict(path: Path, row: int, layout: Layout, values: dict[str, FieldValue]) -> dict[str, Any]:
    """An OCR result dict: raw texts cleaned as sohoa cleans them, choice fields turned into option keys."""
    kinds = field_kinds(layout)
    fields: dict[str, dict[str, Any]] = {}
    for key, (raw, conf) in values.items():
        text = clean_value(raw)
        if kinds.get(key) == "choice":
            text, conf = choice_key(layout.book_type, key, text, conf)
        fields[key] = {"text": text, "confidence": round(conf, 4), "bbox": None}
    return {
        "image": str(path),
        "page": 1,
        "row": row,
        "book_type": layout.book_type,
        "era": layout.era,
        "fields": fields,
    }


def words_text(words: Sequence[Word]) -> FieldValue:
    """Words in reading order (lines top to bottom, each left to right) and their lowest confidence."""
    if not words:
        return "", 0.0
    lines = group_lines(words)
    text = " ".join(" ".join(w.text for w in line) for line in lines)
    return text, min(w.confidence for w in words)


def _centre(word: Word) -> tuple[float, float]:
    x, y, w, h = word.bbox
    return x + w / 2, y + h / 2


def _inside(point: tuple[float, float], box: BBox) -> bool:
    x, y, w, h = box
    return x <= point[0] < x + w and y <= point[1] < y + h


# --------------------------------------------------------------------------- whole-page pytesseract
class _NoReadEngine(OcrEngine):
    """An engine that reads nothing: lets the form reader find labels, regions and tick boxes without OCR."""

    name = "none"

    def _read(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, list[Word]]:
        return "", []


class PytesseractPage(Contender):
    """ONE ``pytesseract.image_to_data`` call per page; words placed with sohoa's grid or form labels.

    ``psm`` is Tesseract's page segmentation mode: 3 (its default, automatic) read 94.5% of the fields of two
    typed ledger pages exactly, 11 (sparse text) 92.9% and 6 (one block) 84.6%. The page given to Tesseract
    is sohoa's prepared gray page with the ruling lines whitened out (a user of whole-page OCR would do as
    much).
    """

    name = "pytesseract-page"

    def __init__(self, *, lang: str = "vie", psm: int = 3, timeout: float = 300.0) -> None:
        import pytesseract

        pytesseract.get_tesseract_version()  # raises TesseractNotFoundError when it is not installed
        self.lang = lang
        self.psm = psm
        self.timeout = timeout
        self.datapath = str(find_tessdata(lang))

    def read(self, path: Path, layout: Layout) -> list[dict[str, Any]]:
        page = load_pages(path)[0]
        prepared = prepare_page(page)
        dpi = int(page.dpi or 300)
        if layout.kind == "form":
            return self._read_form(path, prepared, layout, dpi)
        return self._read_ledger(path, prepared, layout, dpi)

    def words(self, gray: np.ndarray, dpi: int) -> list[Word]:
        """Every word Tesseract finds on ``gray`` (one call), with confidence 0..1 and box."""
        import pytesseract
        from PIL import Image

        config = f"--oem 1 --psm {self.psm} --dpi {dpi} --tessdata-dir {shlex.quote(self.datapath)}"
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            Image.fromarray(gray),
            lang=self.lang,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=self.timeout,
        )
        out: list[Word] = []
        for i, raw in enumerate(data["text"]):
            text, conf = str(raw).strip(), float(data["conf"][i])
            if int(data["level"][i]) == 5 and text and conf >= 0:
                box = (
                    int(data["left"][i]),
                    int(data["top"][i]),
                    int(data["width"][i]),
                    int(data["height"][i]),
                )
                out.append(Word(text, conf / 100.0, box))
        return out

    def _read_ledger(
        self, path: Path, prepared: PreparedPage, layout: Layout, dpi: int
    ) -> list[dict[str, Any]]:
        ledger = ledger_cells(
            find_grid(prepared.ink(), header_rows=layout.header_rows), layout, prepared.shape
        )
        if not ledger.rows:
            return []
        placed = place_words(self.words(without_rules(prepared), dpi), ledger)
        records: list[dict[str, Any]] = []
        for band_words in placed:
            if not any(band_words.values()):
                continue
            values = {col.field: words_text(band_words.get(col.field, [])) for col in layout.columns}
            records.append(record_dict(path, len(records) + 1, layout, values))
        return records

    def _read_form(
        self, path: Path, prepared: PreparedPage, layout: Layout, dpi: int
    ) -> list[dict[str, Any]]:
        gray, ink, lh = remove_leaders(prepared.gray, prepared.ink())
        words = self.words(gray, dpi)
        found, _ = read_values(
            gray,
            ink,
            words,
            [(f.field, f.label, f.type) for f in layout.fields],
            [(c.field, dict(c.options)) for c in layout.checkboxes],
            _NoReadEngine(),
            lh,
        )
        values: dict[str, FieldValue] = {}
        for f in layout.fields:
            region = found[f.field].region
            inside = [w for w in words if region is not None and _inside(_centre(w), region)]
            values[f.field] = words_text(inside)
        for c in layout.checkboxes:
            values[c.field] = (found[c.field].text, found[c.field].confidence)
        return [record_dict(path, 1, layout, values)]


def without_rules(prepared: PreparedPage) -> np.ndarray:
    """The prepared gray page with its ruling lines (and a pixel around them) painted white."""
    horizontal, vertical = pp.line_masks(prepared.ink())
    lines = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    gray = prepared.gray.copy()
    gray[lines > 0] = 255
    return gray


def place_words(words: Sequence[Word], ledger: LedgerPage) -> list[dict[str, list[Word]]]:
    """Per body band of ``ledger`` (in order), the words whose centre falls in each column's cell."""
    bands: list[dict[str, list[Word]]] = [{} for _ in ledger.rows]
    fields = [key for key in ledger.rows[0].cells] if ledger.rows else []
    for word in words:
        cx, cy = _centre(word)
        row = next((i for i, r in enumerate(ledger.rows) if r.band[1] <= cy < r.band[1] + r.band[3]), None)
        col = next((j for j, (lo, hi) in enumerate(ledger.column_edges) if lo <= cx < hi), None)
        if row is not None and col is not None:
            bands[row].setdefault(fields[col], []).append(word)
    return bands


# --------------------------------------------------------------------------- img2table
@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """File descriptor 1 pointed at /dev/null for a while (silences child processes writing to it)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Img2Table(Contender):
    """img2table 2.x with its Tesseract OCR (``tesseract`` subprocess per page, hOCR parsed).

    Settings measured on two typed ledger pages (fields exact): as here 92.5%; ``implicit_rows=True`` 21.3%
    (it splits every ruled row at the gaps between the lines of a wrapped cell, so records fall apart on
    ledgers, which rule every row); ``detect_rotation=False`` 0% (no table found on a page skewed by a
    degree or two); ``psm=6`` 70.8%; ``min_confidence=1`` no change.
    """

    name = "img2table"
    kinds = frozenset({"ledger"})

    def __init__(
        self,
        *,
        lang: str = "vie",
        psm: int = 11,
        detect_rotation: bool = True,
        implicit_rows: bool = False,
        min_confidence: int = 50,
    ) -> None:
        from img2table.ocr import TesseractOCR  # ImportError: the bench group is not installed

        with stdout_to_devnull():  # it runs ``tesseract --version`` onto our stdout
            self.ocr = TesseractOCR(n_threads=1, lang=lang, psm=psm)
        self.detect_rotation = detect_rotation
        self.implicit_rows = implicit_rows
        self.min_confidence = min_confidence
        self.counts = {"tables_not_found": 0, "rows_with_column_mismatch": 0, "cells_missed": 0}

    def warm_up(self) -> None:
        import bs4  # noqa: F401 - imported lazily by img2table on the first page
        import img2table.tables.extractor  # noqa: F401

    def read(self, path: Path, layout: Layout) -> list[dict[str, Any]]:
        from img2table.document import Image

        doc = Image(path.read_bytes(), detect_rotation=self.detect_rotation)
        tables = doc.extract_tables(
            ocr=self.ocr,
            implicit_rows=self.implicit_rows,
            borderless_tables=False,
            min_confidence=self.min_confidence,
        )
        if not tables:
            self.counts["tables_not_found"] += 1
            return []
        table = max(tables, key=lambda t: (t.bbox.x2 - t.bbox.x1) * (t.bbox.y2 - t.bbox.y1))
        records: list[dict[str, Any]] = []
        for cells in list(table.content.values())[layout.header_rows :]:
            texts = [str(c.value or "") for c in cells]
            if not any(t.strip() for t in texts):
                continue
            values = self._map_columns(texts, layout)
            records.append(record_dict(path, len(records) + 1, layout, values))
        return records

    def _map_columns(self, texts: list[str], layout: Layout) -> dict[str, FieldValue]:
        """Table cells left to right onto the layout's columns; counts the misses of a mismatched row."""
        n = len(layout.columns)
        if len(texts) != n:
            self.counts["rows_with_column_mismatch"] += 1
            self.counts["cells_missed"] += abs(len(texts) - n)
        return {col.field: (texts[i] if i < len(texts) else "", 0.0) for i, col in enumerate(layout.columns)}

    def stats(self) -> dict[str, Any]:
        return dict(self.counts)
