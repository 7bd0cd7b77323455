"""The ruled grid of a ledger page: ruling lines → row bands and columns → cells per record row.

>>> grid = find_grid(prepared.ink(), header_rows=layout.header_rows)   # doctest: +SKIP
>>> page = ledger_cells(prepared.gray, grid, layout)                   # doctest: +SKIP
>>> page.rows[0].cells["child.full_name"].bbox                         # doctest: +SKIP

Lines are found by morphology on the ink mask: the mask is thickened across the line direction (so slightly
curved or tilted rules survive), closed along it (bridging breaks in faint or broken rules) and opened with a
long kernel (dropping letters). Line pieces are clustered by position (doubled rules fall into one cluster)
and a cluster counts as a rule when it covers enough of the table. The first ``header_rows`` bands are the
header (they hold merged group cells); every band below is a record row. Cell edges are measured locally, in
each cell's own strip, so curved rules do not cut into text.

Detected columns are matched to the layout's columns through the layout's relative ``width`` s: each layout
boundary takes the nearest detected rule, or its expected position when no rule is near; a count that
differs is reported as the flag ``columns_mismatch``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Final

import cv2
import numpy as np

from sohoa.config import Layout

BBox = tuple[int, int, int, int]

#: Rules are searched on the ink mask shrunk to this longer side: rules stay a few pixels wide, and
#: morphology and component labelling on a 300-dpi page cost a quarter of what they cost at full size.
GRID_SIDE: Final[int] = 2000


@dataclass(frozen=True, slots=True)
class Rule:
    """One ruling line: its position across (y of a horizontal rule), and its extent along."""

    pos: float
    start: int
    end: int
    coverage: float  # covered share of its extent's union over the table (0..1)


@dataclass(frozen=True)
class Grid:
    """The ruled grid of a page: horizontal rules (top to bottom), vertical rules (left to right)."""

    rows: tuple[Rule, ...]
    columns: tuple[Rule, ...]
    header_rows: int
    flags: tuple[str, ...] = ()
    h_mask: np.ndarray | None = field(default=None, repr=False)
    v_mask: np.ndarray | None = field(default=None, repr=False)
    #: page pixels per mask pixel (x, y): the masks may be shrunk copies of the page
    mask_scale: tuple[float, float] = (1.0, 1.0)

    @property
    def found(self) -> bool:
        return len(self.rows) >= 2 and len(self.columns) >= 2

    @property
    def table(self) -> BBox:
        """The box of the whole table (x, y, w, h)."""
        x0, x1 = int(self.columns[0].pos), int(self.columns[-1].pos)
        y0, y1 = int(self.rows[0].pos), int(self.rows[-1].pos)
        return (x0, y0, x1 - x0, y1 - y0)

    @property
    def body_bands(self) -> list[tuple[float, float]]:
        """(top, bottom) rule positions of every band below the header."""
        ys = [r.pos for r in self.rows]
        return list(zip(ys[self.header_rows : -1], ys[self.header_rows + 1 :], strict=True))


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a record row, in the prepared page's pixels; ``bbox`` lies inside the rules."""

    field: str
    kind: str
    bbox: BBox


@dataclass(frozen=True)
class LedgerRow:
    """One body band of the grid: ``row`` counts from 1 at the first band under the header."""

    row: int
    band: BBox
    cells: dict[str, Cell]


@dataclass(frozen=True)
class LedgerPage:
    grid: Grid
    rows: list[LedgerRow]
    column_edges: list[tuple[float, float]]  # per layout column, (left rule, right rule)
    flags: tuple[str, ...] = ()


# --------------------------------------------------------------------------- line masks
def line_masks(ink: np.ndarray, *, min_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rule masks of ``ink`` (255 = ink), tolerant of breaks, faintness, curves."""
    h, w = ink.shape[:2]
    long_h = min_length or max(20, w // 30)
    long_v = min_length or max(20, h // 30)
    short = max(9, min(h, w) // 70)
    gap = max(5, min(h, w) // 120)
    thick = max(3, min(h, w) // 700)
    out: list[np.ndarray] = []
    for length, horizontal in ((long_h, True), (long_v, False)):
        across = (1, thick) if horizontal else (thick, 1)
        along_gap = (gap, 1) if horizontal else (1, gap)
        along = (length, 1) if horizontal else (1, length)
        piece = (short, 1) if horizontal else (1, short)
        m = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, across))
        # pieces of rule first (letters have no long straight runs), then bridge the breaks between them
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, piece))
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, along_gap))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
        out.append(m)
    return out[0], out[1]


def _cluster(mask: np.ndarray, *, horizontal: bool, tol: float) -> list[tuple[float, list[tuple[int, int]]]]:
    """Connected pieces of a rule mask grouped by position: (mean position, [(start, end) along])."""
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pieces: list[tuple[float, int, int, int]] = []
    for i in range(1, n):
        x, y, bw, bh, _area = (int(v) for v in stats[i])
        if horizontal:
            pieces.append((float(centroids[i][1]), x, x + bw, bw))
        else:
            pieces.append((float(centroids[i][0]), y, y + bh, bh))
    pieces.sort()
    clusters: list[tuple[list[float], list[float], list[tuple[int, int]]]] = []
    for pos, a, b, length in pieces:
        if clusters:
            ps, ws, spans = clusters[-1]
            mean = float(np.average(ps, weights=ws))
            if abs(pos - mean) <= tol:
                ps.append(pos)
                ws.append(float(length))
                spans.append((a, b))
                continue
        clusters.append(([pos], [float(length)], [(a, b)]))
    return [(float(np.average(ps, weights=ws)), spans) for ps, ws, spans in clusters]


def _union_length(spans: list[tuple[int, int]], lo: int, hi: int) -> int:
    total, end = 0, lo
    for a, b in sorted(spans):
        a, b = max(a, end), min(b, hi)
        if b > a:
            total += b - a
            end = b
    return total


def _rules(
    clusters: list[tuple[float, list[tuple[int, int]]]], lo: int, hi: int, min_coverage: float
) -> list[Rule]:
    span = max(1, hi - lo)
    rules = []
    for pos, spans in clusters:
        cov = _union_length(spans, lo, hi) / span
        if cov >= min_coverage:
            rules.append(Rule(pos, min(a for a, _ in spans), max(b for _, b in spans), cov))
    return rules


def _merge_close(rules: list[Rule], min_gap: float) -> list[Rule]:
    """Rules closer than ``min_gap`` are one (a doubled rule, a rule split in two clusters)."""
    out: list[Rule] = []
    for r in rules:
        if out and r.pos - out[-1].pos < min_gap:
            prev = out[-1]
            keep = r if r.coverage > prev.coverage else prev
            out[-1] = Rule(
                keep.pos, min(r.start, prev.start), max(r.end, prev.end), max(r.coverage, prev.coverage)
            )
        else:
            out.append(r)
    return out


def _extent(clusters: list[tuple[float, list[tuple[int, int]]]]) -> tuple[int, int]:
    spans = [(min(a for a, _ in sp), max(b for _, b in sp)) for _, sp in clusters]
    longest = max(b - a for a, b in spans)
    long = [(a, b) for a, b in spans if b - a >= 0.5 * longest]
    return int(np.percentile([a for a, _ in long], 15)), int(np.percentile([b for _, b in long], 85))


def find_grid(
    ink: np.ndarray, *, header_rows: int = 1, min_coverage: float = 0.6, max_side: int = GRID_SIDE
) -> Grid:
    """The grid of rules in ``ink`` (255 = ink, the page upright and deskewed), in ``ink``'s pixels.

    A horizontal rule must cover ``min_coverage`` of the table's width, a vertical one that share of the
    table's height (rules under merged header cells are shorter, so the header is left out of that count).
    Pages longer than ``max_side`` are searched shrunk to it, and the grid is scaled back.
    """
    small = _shrink_mask(ink, max_side)
    grid = _find_grid(small, header_rows=header_rows, min_coverage=min_coverage)
    if small is ink:
        return grid
    return _scale_grid(grid, ink.shape[1] / small.shape[1], ink.shape[0] / small.shape[0])


def _shrink_mask(ink: np.ndarray, max_side: int) -> np.ndarray:
    """``ink`` shrunk so its longer side is ``max_side`` (a pixel is ink when a quarter of its area was)."""
    h, w = ink.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return ink
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    return cv2.threshold(small, 63, 255, cv2.THRESH_BINARY)[1]


def _scale_grid(grid: Grid, fx: float, fy: float) -> Grid:
    """``grid`` found on a shrunk mask, in the pixels of the full-size page (its masks stay shrunk)."""

    def scaled(rule: Rule, across: float, along: float) -> Rule:
        return Rule(rule.pos * across, round(rule.start * along), round(rule.end * along), rule.coverage)

    return replace(
        grid,
        rows=tuple(scaled(r, fy, fx) for r in grid.rows),
        columns=tuple(scaled(c, fx, fy) for c in grid.columns),
        mask_scale=(fx, fy),
    )


def _find_grid(ink: np.ndarray, *, header_rows: int, min_coverage: float) -> Grid:
    """:func:`find_grid` at the mask's own size."""
    h, w = ink.shape[:2]
    h_mask, v_mask = line_masks(ink)
    tol_y = max(6.0, h / 160)
    tol_x = max(6.0, w / 250)
    h_clusters = _cluster(h_mask, horizontal=True, tol=tol_y)
    v_clusters = _cluster(v_mask, horizontal=False, tol=tol_x)
    flags: list[str] = []
    if not h_clusters or not v_clusters:
        return Grid((), (), header_rows, ("grid_not_found",), h_mask, v_mask)
    # the table's extent: the typical ends of the long rules (a paper edge or scanner border is one long
    # line among many and does not move the 15th/85th percentiles)
    x_lo, x_hi = _extent(h_clusters)
    y_lo, y_hi = _extent(v_clusters)
    rows = _rules(h_clusters, x_lo, x_hi, min_coverage)
    rows = [r for r in rows if y_lo - 2 * tol_y <= r.pos <= y_hi + 2 * tol_y]
    min_band = max(2 * tol_y, h / 120)
    rows = _merge_close(rows, min_band)
    if len(rows) < 2:
        return Grid(tuple(rows), (), header_rows, ("grid_not_found",), h_mask, v_mask)
    # a header rule under merged group cells is short: when it is too short to count as a rule, the first
    # band holds both header rows (a partial rule inside it says so)
    partial = [
        r
        for r in _rules(h_clusters, x_lo, x_hi, 0.2)
        if rows[0].pos + min_band <= r.pos <= rows[1].pos - min_band
    ]
    if header_rows > 1 and partial:
        header_rows = max(1, header_rows - len(_merge_close(partial, min_band)))
    # vertical rules: coverage measured over the body (below the header), where every column is ruled
    body_top = int(rows[min(header_rows, len(rows) - 1)].pos)
    body_bottom = int(rows[-1].pos)
    if body_bottom - body_top < min_band:
        body_top = int(rows[0].pos)
    cols = _rules(v_clusters, body_top, body_bottom, min_coverage)
    cols = [c for c in cols if x_lo - 2 * tol_x <= c.pos <= x_hi + 2 * tol_x]
    cols = _merge_close(cols, max(2 * tol_x, w / 150))
    if len(cols) < 2:
        flags.append("grid_not_found")
    if len(rows) - 1 <= header_rows:
        flags.append("no_body_rows")
    return Grid(tuple(rows), tuple(cols), header_rows, tuple(flags), h_mask, v_mask)


# --------------------------------------------------------------------------- columns
def map_columns(grid: Grid, layout: Layout) -> tuple[list[tuple[float, float]], list[str]]:
    """Per layout column, its (left, right) rule positions, and flags (``columns_mismatch:<found>/<expected>``).

    Layout boundaries are placed by the relative widths over the table; each takes the nearest detected rule
    within a third of the narrower neighbouring column, or keeps its expected position.
    """
    xs = [c.pos for c in grid.columns]
    n = len(layout.columns)
    flags: list[str] = []
    if len(xs) - 1 == n:
        return list(itertools.pairwise(xs)), flags
    flags.append(f"columns_mismatch:{max(0, len(xs) - 1)}/{n}")
    x0, x1 = xs[0], xs[-1]
    widths = np.array([c.width for c in layout.columns], dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(widths)]) / widths.sum()
    expected = x0 + cum * (x1 - x0)
    unit = (x1 - x0) / widths.sum()
    edges = [x0]
    for i in range(1, n):
        tol = min(widths[i - 1], widths[i]) * unit / 3
        near = [x for x in xs[1:-1] if abs(x - expected[i]) <= tol]
        edges.append(min(near, key=lambda x: abs(x - expected[i])) if near else float(expected[i]))
    edges.append(x1)
    return list(itertools.pairwise(edges)), flags


# --------------------------------------------------------------------------- cells
def _edge(
    mask: np.ndarray,
    pos: float,
    lo: int,
    hi: int,
    tol: int,
    *,
    horizontal: bool,
    side: str,
    scale: tuple[float, float] = (1.0, 1.0),
) -> int:
    """The inner edge of a rule near ``pos`` within the strip [lo, hi) along it (page pixels).

    ``side="after"``: the first pixel past the rule (a top or left edge), ``"before"``: the last before it.
    ``scale``: page pixels per mask pixel (x, y).
    """
    across, along = (scale[1], scale[0]) if horizontal else scale
    p0, p1 = max(0, int(pos / across) - round(tol / across)), int(pos / across) + round(tol / across) + 1
    a0, a1 = int(lo / along), max(int(lo / along) + 1, int(hi / along))
    strip = mask[p0:p1, a0:a1] if horizontal else mask[a0:a1, p0:p1].T
    if strip.size == 0:
        return int(pos)
    prof = (strip > 0).mean(axis=1)
    hits = np.nonzero(prof >= 0.3)[0]
    if not len(hits):
        return int(pos) + (2 if side == "after" else -2)
    if side == "after":
        return int((p0 + hits.max() + 1) * across) + 1
    return int((p0 + hits.min()) * across) - 2


def ledger_cells(grid: Grid, layout: Layout, shape: tuple[int, int]) -> LedgerPage:
    """Cells of every body band of ``grid``, keyed by the layout's field keys."""
    h, w = shape
    if not grid.found or grid.h_mask is None or grid.v_mask is None:
        return LedgerPage(grid, [], [], tuple(grid.flags))
    edges, flags = map_columns(grid, layout)
    tol = max(4, int(max(h, w) / 300))
    sc = grid.mask_scale
    rows: list[LedgerRow] = []
    for r, (top, bottom) in enumerate(grid.body_bands, start=1):
        cells: dict[str, Cell] = {}
        for col, (left, right) in zip(layout.columns, edges, strict=True):
            lo_x, hi_x = int(left) + tol, max(int(left) + tol + 1, int(right) - tol)
            y0 = _edge(grid.h_mask, top, lo_x, hi_x, tol, horizontal=True, side="after", scale=sc)
            y1 = _edge(grid.h_mask, bottom, lo_x, hi_x, tol, horizontal=True, side="before", scale=sc)
            lo_y, hi_y = min(y0, y1 - 1), max(y0 + 1, y1)
            x0 = _edge(grid.v_mask, left, lo_y, hi_y, tol, horizontal=False, side="after", scale=sc)
            x1 = _edge(grid.v_mask, right, lo_y, hi_y, tol, horizontal=False, side="before", scale=sc)
            x0, y0 = max(0, x0), max(0, y0)
            x1, y1 = min(w, x1), min(h, y1)
            cells[col.field] = Cell(col.field, col.type, (x0, y0, max(1, x1 - x0), max(1, y1 - y0)))
        band = (
            int(grid.columns[0].pos),
            int(top),
            int(grid.columns[-1].pos - grid.columns[0].pos),
            int(bottom - top),
        )
        rows.append(LedgerRow(r, band, cells))
    return LedgerPage(grid, rows, edges, tuple([*grid.flags, *flags]))


def text_lines(ink: np.ndarray, *, min_gap: int = 2) -> list[tuple[int, int]]:
    """(top, bottom) of the text lines in a cell's ink mask (rules removed), by horizontal projection.

    Thin bands (diacritics, a stroke split off) join the nearest line within half a line height; thin bands
    far from any line (specks, dust) are dropped.
    """
    if ink.size == 0:
        return []
    on = (ink > 0).sum(axis=1) > 0
    bands: list[tuple[int, int]] = []
    start: int | None = None
    gap = 0
    for y, v in enumerate(on):
        if v:
            if start is None:
                start = y
            gap = 0
        elif start is not None:
            gap += 1
            if gap > min_gap:
                bands.append((start, y - gap + 1))
                start, gap = None, 0
    if start is not None:
        bands.append((start, len(on) - gap))
    if not bands:
        return []
    tallest = max(b - a for a, b in bands)
    lines = [b for b in bands if b[1] - b[0] >= max(3, tallest * 0.4)]
    if not lines:
        return []
    near = tallest * 0.5
    for a, b in bands:
        if b - a >= max(3, tallest * 0.4):
            continue
        best = min(range(len(lines)), key=lambda i: min(abs(lines[i][0] - b), abs(a - lines[i][1])))
        la, lb = lines[best]
        if min(abs(la - b), abs(a - lb)) <= near:
            lines[best] = (min(la, a), max(lb, b))
    return sorted(lines)
