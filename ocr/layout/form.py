"""Form pages (2016+): printed labels, the value after each one, tick boxes by their fill.

1. the dotted leaders the values are written on are taken out (rows of small dots), so they do not turn into
   letters;
2. the whole page is read once in block mode, for the word boxes;
3. each layout field's label is found among the words in layout order (fuzzy match of its words within one
   text line; labels repeat, like "Dân tộc:", so each match consumes the words before it);
4. the value is the region right of the label up to the next label on the same line or the end of the line's
   ink; it is read again on its own, in line mode;
5. tick boxes: the small square left of each option's caption, and the share of its inside that is inked;
   the field's value is the key of the clearly fullest box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr.engines.base import Mode, OcrEngine, OcrEngineError, Word, calibrate
from ocr.layout.ledger import text_lines

BBox = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Label:
    """A printed label found on the page: the key it introduces, its box and its text line."""

    key: str
    bbox: BBox
    line: int
    score: float


@dataclass(frozen=True, slots=True)
class FormValue:
    key: str
    text: str
    confidence: float
    bbox: BBox | None  # prepared page pixels
    region: BBox | None  # where the value was looked for


# --------------------------------------------------------------------------- leaders
def letter_height(ink: np.ndarray) -> float:
    """The typical height of a letter (median height of the larger ink marks)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = stats[1:, 3][(stats[1:, 4] > 30) & (stats[1:, 3] < ink.shape[0] // 20)]
    return float(np.median(hs)) if len(hs) else 20.0


@dataclass(frozen=True)
class Leaders:
    """The dotted leaders of a page's ink: every dot-sized component (``dots``), the long runs of them
    (``rows``), the letter height and the gap that joins two dots of one leader."""

    dots: np.ndarray
    rows: np.ndarray
    letter_height: float
    gap: int


def find_leaders(ink: np.ndarray) -> Leaders:
    """The dotted leaders of ``ink`` (255 = ink): dots no bigger than a third of a letter, joined along a row
    and kept where they run for at least three letter heights."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    lh = letter_height(ink)
    small = np.zeros(n, dtype=bool)
    small[1:] = np.maximum(stats[1:, 2], stats[1:, 3]) <= max(3.0, lh * 0.35)
    dots = small[labels].astype(np.uint8) * 255
    gap = max(5, int(lh * 0.6))
    rows = cv2.morphologyEx(dots, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    rows = cv2.morphologyEx(
        rows, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, int(lh * 3)), 1))
    )
    return Leaders(dots=dots, rows=rows, letter_height=lh, gap=gap)


def remove_leaders(gray: np.ndarray, ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``gray`` and ``ink`` without dotted leader rows; also the letter height used."""
    leaders = find_leaders(ink)
    dots, rows, lh, gap = leaders.dots, leaders.rows, leaders.letter_height, leaders.gap
    # short stretches (a few dots between a label and its value) on the rows where long leaders run
    band = cv2.dilate(rows, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5))).any(axis=1)
    in_band = dots.copy()
    in_band[~band] = 0
    pairs = cv2.morphologyEx(in_band, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    pairs = cv2.morphologyEx(pairs, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (gap + 2, 1)))
    leader = cv2.bitwise_or(cv2.bitwise_and(dots, rows), cv2.bitwise_and(in_band, pairs))
    kill = cv2.dilate(leader, np.ones((5, 5), np.uint8))
    clean_gray = gray.copy()
    clean_gray[kill > 0] = 255
    clean_ink = ink.copy()
    clean_ink[kill > 0] = 0
    return clean_gray, clean_ink, lh


def missed_lines(ink: np.ndarray, words: Sequence[Word], lh: float, *, limit: int = 12) -> list[BBox]:
    """Text lines with ink but no word of the whole-page read (block mode now and then skips a line)."""
    rows = (ink > 0).sum(axis=1) >= 3
    bands: list[list[int]] = []
    for y in np.nonzero(rows)[0]:
        if bands and y - bands[-1][1] <= max(2, int(0.3 * lh)):
            bands[-1][1] = int(y)
        else:
            bands.append([int(y), int(y)])
    centres = [wd.bbox[1] + wd.bbox[3] / 2 for wd in words]
    out: list[BBox] = []
    for a, b in bands:
        if not 0.6 * lh <= b - a + 1 <= 4 * lh or any(a <= c <= b for c in centres):
            continue
        cols = np.nonzero(ink[a : b + 1].any(axis=0))[0]
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
        pad = max(2, int(0.3 * lh))
        y0, y1 = max(0, a - pad), min(ink.shape[0], b + 1 + pad)
        out.append((max(0, x0 - pad), y0, min(ink.shape[1], x1 + pad) - max(0, x0 - pad), y1 - y0))
        if len(out) >= limit:
            break
    return out


# --------------------------------------------------------------------------- labels
_CONFUSIONS = str.maketrans({"1": "l", "|": "l", "!": "l", "0": "o"})


def _norm(text: str) -> str:
    """Lower case, NFC, folded spaces, and the usual OCR confusions of label letters (1 → l, 0 → o)."""
    return " ".join(unicodedata.normalize("NFC", text).lower().translate(_CONFUSIONS).split())


def group_lines(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into text lines (vertical overlap), each line left to right, lines top to bottom."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3] / 2, w.bbox[0])):
        cy = w.bbox[1] + w.bbox[3] / 2
        for line in lines:
            ys = [v.bbox[1] + v.bbox[3] / 2 for v in line]
            hs = [v.bbox[3] for v in line]
            if abs(cy - float(np.median(ys))) <= max(4.0, 0.5 * float(np.median(hs))):
                line.append(w)
                break
        else:
            lines.append([w])
    for line in lines:
        line.sort(key=lambda w: w.bbox[0])
    lines.sort(key=lambda ln: float(np.median([w.bbox[1] + w.bbox[3] / 2 for w in ln])))
    return lines


def find_labels(
    lines: Sequence[Sequence[Word]],
    labels: Sequence[tuple[str, str]],
    *,
    min_score: float = 80.0,
    strong: float = 88.0,
    lookahead: int = 12,
) -> dict[str, Label]:
    """Each (key, label text) found in ``lines`` in the given order; a found label consumes what precedes it.

    A label of k words is compared (rapidfuzz ratio, 0..100, after folding case and the usual OCR confusions)
    with the runs of k-1..k+1 words of one line starting at or after the last match, within ``lookahead``
    lines: the first run scoring ``strong`` or more wins, else the best run scoring ``min_score`` or more.
    """
    flat: list[tuple[int, int]] = [(li, wi) for li, line in enumerate(lines) for wi in range(len(line))]
    cursor = 0
    found: dict[str, Label] = {}
    for key, label in labels:
        target = _norm(label)
        k = len(target.split())
        best: tuple[float, int, int] | None = None
        stop: int | None = None
        if cursor < len(flat):
            first_line = flat[cursor][0]
            for pos in range(cursor, len(flat)):
                li, wi = flat[pos]
                if li > first_line + lookahead:
                    break
                line = lines[li]
                here: tuple[float, int, int] | None = None
                for size in (k, max(1, k - 1), k + 1):
                    if wi + size > len(line):
                        continue
                    text = _norm(" ".join(w.text for w in line[wi : wi + size]))
                    score = float(fuzz.ratio(text, target))
                    if here is None or score > here[0]:
                        here = (score, pos, size)
                if here is None:
                    continue
                if stop is not None and (pos > stop or li != flat[stop][0]):
                    break
                if best is None or here[0] > best[0]:
                    best = here
                if stop is None and here[0] >= strong:
                    # the first clear match wins (labels repeat further down); a run starting a word or two
                    # later on the same line may still fit better ("Í Quyển số:" vs "Quyển số:")
                    stop = min(len(flat) - 1, pos + k)
        if best is None or best[0] < min_score:
            continue
        _, pos, best_size = best
        li, wi = flat[pos]
        run = lines[li][wi : wi + best_size]
        x0 = min(w.bbox[0] for w in run)
        y0 = min(w.bbox[1] for w in run)
        x1 = max(w.bbox[0] + w.bbox[2] for w in run)
        y1 = max(w.bbox[1] + w.bbox[3] for w in run)
        found[key] = Label(key, (x0, y0, x1 - x0, y1 - y0), li, best[0])
        cursor = pos + best_size
    return found


# --------------------------------------------------------------------------- values
def value_regions(
    label: Label,
    labels: Sequence[Label],
    ink: np.ndarray,
    lh: float,
    lines: Sequence[Sequence[Word]] = (),
) -> list[BBox]:
    """The region right of ``label`` up to the next label on its line or the end of the line's ink.

    When the label is the last on its line, the text lines below it that hold no label and follow closely
    (a long value wrapped onto the next lines) are regions too, one per line.
    """
    x, y, w, h = label.bbox
    start = x + w + max(2, int(lh * 0.2))
    y0 = max(0, int(y - 0.6 * lh))
    y1 = min(ink.shape[0], int(y + h + 0.6 * lh))
    nxt = [lb.bbox[0] for lb in labels if lb.line == label.line and lb.bbox[0] > x]
    regions: list[BBox] = []
    first = _region(ink, start, y0, y1, min(nxt) - max(2, int(lh * 0.2)) if nxt else None)
    if first is not None:
        regions.append(first)
    if nxt:
        return regions
    label_lines = {lb.line for lb in labels}
    bottom = y + h
    for li in range(label.line + 1, len(lines)):
        if li in label_lines or not lines[li]:
            break
        top = min(wd.bbox[1] for wd in lines[li])
        if top - bottom > 3.0 * lh:
            break
        lo = max(bottom + 1, int(top - 0.4 * lh))
        bottom = max(wd.bbox[1] + wd.bbox[3] for wd in lines[li])
        left = max(0, min(wd.bbox[0] for wd in lines[li]) - int(lh * 0.3))
        more = _region(ink, left, lo, min(ink.shape[0], int(bottom + 0.4 * lh)), None)
        if more is not None:
            regions.append(more)
    return regions


def _region(ink: np.ndarray, start: int, y0: int, y1: int, end: int | None) -> BBox | None:
    if end is None:
        band = ink[y0:y1, start:]
        cols = np.nonzero(band.any(axis=0))[0] if band.size else np.array([])
        end = start + int(cols[-1]) + 1 if len(cols) else start
    if end - start < 2 or y1 - y0 < 2:
        return None
    return (start, y0, end - start, y1 - y0)


def _leftmost_group(ink: np.ndarray, box: BBox, lh: float) -> BBox | None:
    """``box`` narrowed to its leftmost run of ink (runs apart by more than 2 letter heights are separate;
    specks and dust, under a tenth of a letter's area, do not count as a run)."""
    x, y, w, h = box
    cols = (ink[y : y + h, x : x + w] > 0).sum(axis=0)
    on = np.nonzero(cols)[0]
    if not len(on):
        return None
    groups: list[list[int]] = [[int(on[0]), int(on[0])]]
    for c in on[1:]:
        if c - groups[-1][1] > 2 * lh:
            groups.append([int(c), int(c)])
        else:
            groups[-1][1] = int(c)
    for a, b in groups:
        if cols[a : b + 1].sum() >= 0.1 * lh * lh:
            return (x + max(0, a - 4), y, min(w, b + 5) - max(0, a - 4), h)
    return None


def _union(boxes: Sequence[BBox]) -> BBox | None:
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def box_fill(ink: np.ndarray, caption: BBox, lh: float) -> tuple[float, BBox | None]:
    """The fill ratio of the tick box left of ``caption`` (inside, rules excluded) and the box."""
    x, y, _w, h = caption
    x0 = max(0, int(x - 3.5 * lh))
    y0 = max(0, int(y - 0.8 * lh))
    y1 = min(ink.shape[0], int(y + h + 0.8 * lh))
    region = ink[y0:y1, x0:x]
    if region.size == 0:
        return 0.0, None
    n, _, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    best: BBox | None = None
    for i in range(1, n):
        bx, by, bw, bh, _ = (int(v) for v in stats[i])
        square = 0.7 * lh <= bw <= 3.0 * lh and 0.7 * lh <= bh <= 3.0 * lh and 0.7 <= bw / bh <= 1.4
        if square and (best is None or bx > best[0]):  # the square nearest the caption
            best = (bx, by, bw, bh)
    if best is None:
        return 0.0, None
    bx, by, bw, bh = best
    inset = max(2, int(min(bw, bh) * 0.2))
    inside = region[by + inset : by + bh - inset, bx + inset : bx + bw - inset]
    fill = float((inside > 0).mean()) if inside.size else 0.0
    return fill, (x0 + bx, y0 + by, bw, bh)


def _ruled_sides(patch: np.ndarray, *, depth: int = 4, cover: float = 0.6) -> int:
    """How many sides of ``patch`` are ruled (inked along ``cover`` of their length): 4 for a box."""
    on = patch > 0
    d = max(1, min(depth, min(on.shape) // 4))
    sides = [on[:d].any(axis=0), on[-d:].any(axis=0), on[:, :d].any(axis=1), on[:, -d:].any(axis=1)]
    return sum(float(side.mean()) >= cover for side in sides)


def row_boxes(ink: np.ndarray, captions: Sequence[BBox], lh: float) -> list[tuple[float, BBox]]:
    """Every tick box (fill, box) on the line of the found ``captions``, left to right.

    Used when a caption is missing (a big tick over it spoils its letters): with as many boxes on the line as
    options, boxes and options pair up in order.
    """
    y0 = max(0, int(min(c[1] for c in captions) - 1.2 * lh))
    y1 = min(ink.shape[0], int(max(c[1] + c[3] for c in captions) + 1.2 * lh))
    band = ink[y0:y1]
    n, _, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    out: list[tuple[float, BBox]] = []
    for i in range(1, n):
        bx, by, bw, bh, _ = (int(v) for v in stats[i])
        if not (1.2 * lh <= bw <= 3.0 * lh and 1.2 * lh <= bh <= 3.5 * lh and 0.55 <= bw / bh <= 1.5):
            continue
        if _ruled_sides(band[by : by + bh, bx : bx + bw]) >= 2:  # a tick may overflow two sides
            inset = max(2, int(min(bw, bh) * 0.2))
            inside = band[by + inset : by + bh - inset, bx + inset : bx + bw - inset]
            fill = float((inside > 0).mean()) if inside.size else 0.0
            out.append((fill, (bx, y0 + by, bw, bh)))
    # reading order: options may wrap onto a second line
    out.sort(key=lambda fb: (fb[1][1] + fb[1][3] / 2, fb[1][0]))
    rows: list[list[tuple[float, BBox]]] = []
    for item in out:
        cy = item[1][1] + item[1][3] / 2
        if rows and abs(cy - (rows[-1][0][1][1] + rows[-1][0][1][3] / 2)) <= lh:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item for row in rows for item in sorted(row, key=lambda fb: fb[1][0])]


def read_values(
    gray: np.ndarray,
    ink: np.ndarray,
    words: Sequence[Word],
    fields: Sequence[tuple[str, str, str]],
    checkboxes: Sequence[tuple[str, dict[str, str]]],
    engine: OcrEngine,
    lh: float,
) -> tuple[dict[str, FormValue], list[str]]:
    """Values of ``fields`` ((key, label, type)) and ``checkboxes`` ((key, {option: caption})); flags."""
    from ocr.read import clean_value, ink_box

    lines = group_lines(words)
    wanted = [(k, lab) for k, lab, _ in fields]
    for key, options in checkboxes:
        wanted += [(f"{key}={opt}", cap) for opt, cap in options.items()]
    labels = find_labels(lines, wanted)
    all_labels = list(labels.values())
    flags: list[str] = []
    out: dict[str, FormValue] = {}
    for key, _, kind in fields:
        label = labels.get(key)
        if label is None:
            flags.append(f"label_not_found:{key}")
            out[key] = FormValue(key, "", 0.0, None, None)
            continue
        texts: list[str] = []
        confs: list[float] = []
        boxes: list[BBox] = []
        regions = value_regions(label, all_labels, ink, lh, lines)
        unreadable = False
        for region in regions:
            box = ink_box(ink, region)
            box = _leftmost_group(ink, box, lh) if box is not None else None
            if box is None:
                continue
            bx, by, bw, bh = box
            mode: Mode = "block" if len(text_lines(ink[by : by + bh, bx : bx + bw])) > 1 else "line"
            try:
                rec = engine.recognize(gray[by : by + bh, bx : bx + bw], mode=mode, kind=kind)
            except OcrEngineError:
                unreadable = True
                boxes.append(box)
                confs.append(0.0)
                continue
            boxes.append(box)
            if rec.text.strip():
                texts.append(rec.text)
                confs.append(rec.confidence)
        if unreadable:
            flags.append(f"unreadable:{key}")
        region_box = _union(regions)
        if not boxes:
            out[key] = FormValue(key, "", calibrate(1.0, kind), None, region_box)
            continue
        conf = min(confs) if confs else calibrate(1.0, kind)
        out[key] = FormValue(key, clean_value(" ".join(texts)), conf, _union(boxes), region_box)
    for key, options in checkboxes:
        fills: dict[str, tuple[float, BBox | None]] = {}
        for opt in options:
            cap = labels.get(f"{key}={opt}")
            if cap is not None:
                fills[opt] = box_fill(ink, cap.bbox, lh)
        if fills and len(fills) < len(options):
            found = [labels[f"{key}={opt}"].bbox for opt in options if f"{key}={opt}" in labels]
            boxes_on_line = row_boxes(ink, found, lh)
            if len(boxes_on_line) == len(options):
                fills = dict(zip(options, boxes_on_line, strict=True))
        if not fills:
            flags.append(f"label_not_found:{key}")
            out[key] = FormValue(key, "", 0.0, None, None)
            continue
        ranked = sorted(fills.items(), key=lambda kv: -kv[1][0])
        top_opt, (top_fill, top_box) = ranked[0]
        second = ranked[1][1][0] if len(ranked) > 1 else 0.0
        if top_fill < 0.06:
            out[key] = FormValue(key, "", 0.5 if len(fills) < len(options) else 0.9, None, None)
            continue
        margin = top_fill - second
        conf = float(min(1.0, max(0.0, margin / max(top_fill, 1e-6))))
        if len(fills) < len(options):
            conf *= 0.8
        out[key] = FormValue(key, top_opt, conf, top_box, top_box)
    return out, flags
