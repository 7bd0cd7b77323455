"""A page image and its layout → one OCR result per record (the design's "OCR result" contract).

>>> engine = make_engine("tesserocr")                                        # doctest: +SKIP
>>> for page in iter_pages("p0007.png"):                                     # doctest: +SKIP
...     for record in read_page(page, layout("birth", "2006-2015"), engine):
...         print(record.to_dict())

Ledger pages: the grid is found (:mod:`ocr.layout.ledger`), every cell is cut from the illumination-normalized
page, tightened to its ink and read in line mode, or in block mode when it holds more than one text line
(lines joined by a space). A band whose cells are all blank is not a record; a band that cannot be read is
still a record, with empty fields of confidence 0 and the flag ``row_unreadable``; a page with ink but no
grid gives one such record (flags ``grid_not_found``, ``row_unreadable``). A page whose structure does not
match the book's layout (:mod:`ocr.layout.check`: a form in a ledger book, a ledger in a form book, a grid of
far too many or few columns) gives no record: :attr:`PageResult.mismatch` says what was expected and what was
seen, and the flag ``layout_mismatch`` is set. How many bands are header is read from the page
(:mod:`ocr.layout.header`), not taken from the layout; a page whose header cannot be told apart, or whose
columns do not match the layout, is flagged ``structure_mismatch`` (with ``header_rows:?/<expected>`` or
``columns_mismatch:<found>/<expected>``) and no field of it is confident (:data:`STRUCTURE_CAP`). Boxes are
given on the source image as stored. Values are cleaned by :func:`clean_value` and corrected by :func:`ocr.correct.correct`;
``choice`` cells become option keys.

Form pages (one record each) go through :mod:`ocr.layout.form`.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr import preprocess as pp
from ocr.confidence import field_confidence, page_class
from ocr.correct import correct
from ocr.engines.base import Mode, OcrEngine, OcrEngineError, Recognition, Word, is_blank
from ocr.layout.check import Mismatch, form_mismatch, ledger_mismatch
from ocr.layout.form import missed_lines, read_values, remove_leaders
from ocr.layout.header import HeaderBands, classify, header_bands
from ocr.layout.ledger import Cell, LedgerPage, find_grid, ledger_cells, text_lines
from ocr.load import PageImage
from ocr.prepare import PreparedPage, prepare_page
from sohoa.config import Layout
from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

BBox = tuple[int, int, int, int]

#: Page flag: the page's header rows or columns do not clearly match the layout (values may sit in the wrong
#: record or field), so every field of the page is capped at :data:`STRUCTURE_CAP`.
STRUCTURE_MISMATCH = "structure_mismatch"
#: The highest confidence a field of a ``structure_mismatch`` page gets (well under ``CONFIDENT`` = 0.9).
STRUCTURE_CAP = 0.5


def fold(text: str) -> str:
    """NFC with whitespace folded to single spaces (how OCR text is compared and returned)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


#: Glyphs Tesseract produces for handwriting that never occur in Vietnamese records, and what was meant.
_GLYPHS = str.maketrans({"†": "t", "ƒ": "f", "¢": "c", "€": "e", "«": "", "»": "", "˜": "", "ˆ": ""})
#: Marks stripped from the start and the end of a value (leaders, rule fragments, stray specks).
_EDGE_MARKS = "_|¦~`'\":;,-—–*+^"


def clean_value(text: str) -> str:
    """OCR text of one field made presentable: :func:`fold`, impossible glyphs mapped, and edge tokens that
    hold no letter or digit (rule fragments, specks read as ``-``, ``+``, ``'``) and edge marks dropped."""
    tokens = fold(text).translate(_GLYPHS).split()
    while tokens and not any(ch.isalnum() for ch in tokens[0]):
        tokens.pop(0)
    while tokens and not any(ch.isalnum() for ch in tokens[-1]):
        tokens.pop()
    if not tokens:
        return ""
    tokens[0] = tokens[0].lstrip(_EDGE_MARKS + ".")
    tokens[-1] = tokens[-1].rstrip(_EDGE_MARKS)
    return " ".join(t for t in tokens if t)


@dataclass(frozen=True, slots=True)
class FieldResult:
    text: str
    confidence: float
    bbox: BBox | None  # on the source image

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "bbox": list(self.bbox) if self.bbox is not None else None,
        }


@dataclass
class RecordResult:
    """One record read from a page (see the design's "An OCR result")."""

    image: str
    page: int
    row: int
    book_type: str
    era: str
    fields: dict[str, FieldResult]
    skew_deg: float = 0.0
    flags: list[str] = field(default_factory=list)
    prepared_bboxes: dict[str, BBox] = field(default_factory=dict, repr=False)  # for debug overlays

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "page": self.page,
            "row": self.row,
            "book_type": self.book_type,
            "era": self.era,
            "fields": {k: v.to_dict() for k, v in self.fields.items()},
            "quality": {"skew_deg": round(float(self.skew_deg), 2), "flags": list(self.flags)},
        }


@dataclass
class PageResult:
    """Everything read from one page: the records plus what debug overlays need."""

    prepared: PreparedPage
    records: list[RecordResult]
    ledger: LedgerPage | None = None
    flags: list[str] = field(default_factory=list)
    #: set when the page's structure does not match the layout (then ``records`` is empty)
    mismatch: Mismatch | None = None
    #: what the top bands of a ledger's grid were read as (:mod:`ocr.layout.header`)
    header: HeaderBands | None = None


def read_page(page: PageImage, layout: Layout, engine: OcrEngine) -> list[RecordResult]:
    """Every record on ``page`` per ``layout`` (ledger or form), read with ``engine``."""
    return read_page_full(page, layout, engine).records


def read_page_full(page: PageImage, layout: Layout, engine: OcrEngine) -> PageResult:
    """:func:`read_page`, keeping the prepared page and the grid (for overlays)."""
    prepared = prepare_page(page, verifier=engine)
    if layout.kind == "form":
        result = _read_form(prepared, page, layout, engine)
    else:
        result = _read_ledger(prepared, page, layout, engine)
    kinds = field_kinds(layout)
    for record in result.records:
        record.fields = {
            key: replace(f, text=correct(f.text, kinds.get(key, "text"))) for key, f in record.fields.items()
        }
    page_kind = page_class(f.confidence for r in result.records for f in r.fields.values() if f.text)
    for record in result.records:
        unreadable = "row_unreadable" in record.flags
        record.fields = {
            key: f
            if unreadable and not f.text and f.confidence == 0.0  # the engine failed: nothing is known
            else replace(
                f, confidence=field_confidence(f.text, f.confidence, kinds.get(key, "text"), key, page_kind)
            )
            for key, f in record.fields.items()
        }
    if STRUCTURE_MISMATCH in result.flags:
        # the page's rows or columns may not be the layout's: no value of it is trusted without a look
        for record in result.records:
            record.fields = {
                key: replace(f, confidence=min(f.confidence, STRUCTURE_CAP))
                for key, f in record.fields.items()
            }
    return result


def field_kinds(layout: Layout) -> dict[str, str]:
    """Field key → field type of a layout (ledger columns, labelled form fields and tick boxes)."""
    kinds = {c.field: c.type for c in layout.columns}
    kinds.update({f.field: f.type for f in layout.fields})
    kinds.update({c.field: "choice" for c in layout.checkboxes})
    return kinds


def _image_name(page: PageImage) -> str:
    return page.source.name


def _read_ledger(prepared: PreparedPage, page: PageImage, layout: Layout, engine: OcrEngine) -> PageResult:
    grid = find_grid(prepared.ink(), header_rows=layout.header_rows)
    ledger = ledger_cells(grid, layout, prepared.shape)
    page_flags = [*prepared.quality.flags, *ledger.flags]
    if "blank" not in page_flags:
        mismatch = ledger_mismatch(layout, grid, prepared.ink())
        if mismatch is not None:
            return PageResult(prepared, [], ledger, [*page_flags, "layout_mismatch"], mismatch)
    text_ink = pp.remove_lines(prepared.ink()) if ledger.rows else None
    header: HeaderBands | None = None
    if text_ink is not None and "blank" not in page_flags:
        header = header_bands(text_ink, grid, layout, engine)
        if header.clear and not header.agrees:
            grid = replace(grid, header_rows=header.rows)
            ledger = ledger_cells(grid, layout, prepared.shape)
            page_flags = [*prepared.quality.flags, *ledger.flags]
        page_flags += structure_flags(header, ledger.flags)
    records: list[RecordResult] = []
    for band in ledger.rows:
        fields: dict[str, FieldResult] = {}
        boxes: dict[str, BBox] = {}
        unreadable = False
        any_ink = False
        for key, cell in band.cells.items():
            assert text_ink is not None
            try:
                rec, box = read_cell(prepared.gray, text_ink, cell, engine)
            except (OcrEngineError, ValueError) as exc:
                log.warning("row %d, %s: %s", band.row, key, exc)
                unreadable = True
                fields[key] = FieldResult("", 0.0, prepared.bbox_to_source(cell.bbox))
                boxes[key] = cell.bbox
                any_ink = True
                continue
            if rec is None:
                fields[key] = FieldResult("", _blank_confidence(engine, cell.kind), None)
                continue
            any_ink = True
            boxes[key] = box
            text, conf = clean_value(rec.text), rec.confidence
            if cell.kind == "choice":
                text, conf = choice_key(layout.book_type, key, text, conf)
            fields[key] = FieldResult(text, conf, prepared.bbox_to_source(box))
        if not any_ink:
            continue
        flags = list(page_flags)
        if unreadable:
            flags.append("row_unreadable")
        records.append(
            RecordResult(
                image=_image_name(page),
                page=page.index + 1,
                row=band.row,
                book_type=layout.book_type,
                era=layout.era,
                fields=fields,
                skew_deg=prepared.quality.skew_deg,
                flags=flags,
                prepared_bboxes=boxes,
            )
        )
    if records and header is not None and (seen := header_in_body(records[0], layout)):
        # the first "record" reads as captions or column numbers: the header was not told apart
        extra = [STRUCTURE_MISMATCH, f"header_in_body:{seen}"]
        page_flags = [*page_flags, *(f for f in extra if f not in page_flags)]
        for record in records:
            record.flags = [*record.flags, *(f for f in extra if f not in record.flags)]
    # renumber: rows count records, in page order
    for i, record in enumerate(records, start=1):
        record.row = i
    if not ledger.rows and "blank" not in page_flags:
        # no grid on a page with ink: one empty record flags the page for a person instead of losing it
        records.append(
            RecordResult(
                image=_image_name(page),
                page=page.index + 1,
                row=1,
                book_type=layout.book_type,
                era=layout.era,
                fields={c.field: FieldResult("", 0.0, None) for c in layout.columns},
                skew_deg=prepared.quality.skew_deg,
                flags=[*page_flags, "row_unreadable"],
            )
        )
    return PageResult(prepared, records, ledger, page_flags, header=header)


def header_in_body(record: RecordResult, layout: Layout) -> str | None:
    """``caption`` or ``numbers`` when the first record's cells, read together, are a header band (the
    captions or the column numbers), which means every record below it is shifted; else None."""
    text = " ".join(f.text for f in record.fields.values() if f.text)
    kind = classify(text, layout)
    return kind if kind in ("caption", "numbers") else None


def structure_flags(header: HeaderBands, ledger_flags: tuple[str, ...] | list[str]) -> list[str]:
    """``structure_mismatch`` and what was seen, when the page's header or columns do not say clearly how
    the layout maps onto it: ``header_rows:<seen>/<expected>`` (``?`` seen when no caption band was found
    before the first record band), and the columns' own ``columns_mismatch:<found>/<expected>`` flag."""
    flags: list[str] = []
    if not header.clear:
        flags.append(f"header_rows:{header.describe()}")
    if flags or any(f.startswith("columns_mismatch") for f in ledger_flags):
        flags.insert(0, STRUCTURE_MISMATCH)
    return flags


def _read_form(prepared: PreparedPage, page: PageImage, layout: Layout, engine: OcrEngine) -> PageResult:
    """A form page is one record: each field found by its label, tick boxes by their fill."""
    gray, ink, lh = remove_leaders(prepared.gray, prepared.ink())
    page_flags = list(prepared.quality.flags)
    try:
        words = engine.recognize(gray, mode="block", kind="text").words
    except OcrEngineError as exc:
        log.warning("%s: whole-page read failed: %s", page.source, exc)
        words = ()
        page_flags.append("page_unreadable")
    words = (*words, *_read_missed_lines(gray, ink, words, lh, engine))
    values, flags = read_values(
        gray,
        ink,
        words,
        [(f.field, f.label, f.type) for f in layout.fields],
        [(c.field, dict(c.options)) for c in layout.checkboxes],
        engine,
        lh,
    )
    if "blank" not in page_flags:
        mismatch = form_mismatch(layout, flags, prepared.ink())
        if mismatch is not None:
            return PageResult(prepared, [], None, [*page_flags, "layout_mismatch"], mismatch)
    fields = {
        key: FieldResult(v.text, v.confidence, prepared.bbox_to_source(v.bbox) if v.bbox else None)
        for key, v in values.items()
    }
    boxes = {key: v.region or v.bbox for key, v in values.items() if (v.region or v.bbox) is not None}
    record = RecordResult(
        image=_image_name(page),
        page=page.index + 1,
        row=1,
        book_type=layout.book_type,
        era=layout.era,
        fields=fields,
        skew_deg=prepared.quality.skew_deg,
        flags=[*page_flags, *flags],
        prepared_bboxes={k: b for k, b in boxes.items() if b is not None},
    )
    return PageResult(prepared, [record], None, page_flags)


@cache
def _choice_options(book_type: str, key: str) -> dict[str, str]:
    """Captions of a choice field's options (option key → caption), from the tick boxes of the book type's
    form layouts (ledger columns print the caption in words)."""
    from sohoa.config import eras
    from sohoa.config import layout as load_layout

    options: dict[str, str] = {}
    for era in eras():
        try:
            lay = load_layout(book_type, era.id)
        except SohoaError:
            continue
        for box in lay.checkboxes:
            if box.field == key:
                options.update(box.options)
    return options


def choice_key(book_type: str, key: str, text: str, confidence: float) -> tuple[str, float]:
    """The option key whose caption ``text`` reads as (fuzzy), with the confidence scaled by the match; the
    text unchanged (confidence halved) when no caption is close."""
    options = _choice_options(book_type, key)
    if not text or not options:
        return text, confidence
    best = max(options.items(), key=lambda kv: fuzz.ratio(fold(kv[1]).lower(), text.lower()))
    score = fuzz.ratio(fold(best[1]).lower(), text.lower()) / 100.0
    if score < 0.75:
        return text, confidence * 0.5
    return best[0], confidence * score


def _read_missed_lines(
    gray: np.ndarray, ink: np.ndarray, words: tuple[Word, ...], lh: float, engine: OcrEngine
) -> list[Word]:
    """Words of the text lines the whole-page read skipped, each line read on its own (page pixels)."""
    found: list[Word] = []
    for x, y, w, h in missed_lines(ink, words, lh):
        try:
            rec = engine.recognize(gray[y : y + h, x : x + w], mode="line", kind="text")
        except OcrEngineError:
            continue
        found += [
            Word(wd.text, wd.confidence, (wd.bbox[0] + x, wd.bbox[1] + y, wd.bbox[2], wd.bbox[3]))
            for wd in rec.words
        ]
    return found


def _blank_confidence(engine: OcrEngine, kind: str) -> float:
    from ocr.engines.base import calibrate

    return engine.calibration(1.0, kind) if engine.calibration is not None else calibrate(1.0, kind)


def ink_box(ink: np.ndarray, bbox: BBox, *, min_area: int = 4, margin: int = 4) -> BBox | None:
    """The box around the text lines inside ``bbox`` (specks and isolated dust left out), or None."""
    x, y, w, h = bbox
    crop = ink[y : y + h, x : x + w]
    if crop.size == 0 or not crop.any():
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    # rule fragments: thin marks along the cell's edge (a tilted or curved rule the masks did not take)
    cx, cy, cw, ch = (stats[1:, i] for i in range(4))
    at_side = (cx == 0) | (cx + cw >= w)
    at_end = (cy == 0) | (cy + ch >= h)
    keep[1:] &= ~(at_side & (cw <= 6) & (ch >= 3 * cw)) & ~(at_end & (ch <= 6) & (cw >= 3 * ch))
    if not keep.any():
        return None
    mask = keep[labels]
    lines = text_lines(mask.astype(np.uint8))
    if not lines:
        return None
    y0, y1 = lines[0][0], lines[-1][1]
    cols = np.nonzero(mask[y0:y1].any(axis=0))[0]
    if not len(cols):
        return None
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    x0, y0 = max(0, x0 - margin), max(0, y0 - margin)
    x1, y1 = min(w, x1 + margin), min(h, y1 + margin)
    return (x + x0, y + y0, x1 - x0, y1 - y0)


def read_cell(
    gray: np.ndarray, text_ink: np.ndarray, cell: Cell, engine: OcrEngine
) -> tuple[Recognition | None, BBox]:
    """Read one cell: None when it holds no ink; else the recognition and the ink box (prepared pixels)."""
    box = ink_box(text_ink, cell.bbox)
    if box is None:
        return None, cell.bbox
    x, y, w, h = box
    crop = gray[y : y + h, x : x + w]
    if is_blank(crop, engine.blank_contrast or 40):
        return None, cell.bbox
    lines = text_lines(text_ink[y : y + h, x : x + w])
    mode: Mode = "block" if len(lines) > 1 else "line"
    rec = engine.recognize(crop, mode=mode, kind=cell.kind)
    return rec, box
