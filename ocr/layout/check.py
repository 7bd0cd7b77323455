"""Does a page's structure match its book's layout? A form page in a ledger book, a ledger page in a form book,
or a grid whose column count is far from the layout's is a *layout mismatch*: the page is set aside (reason
``layout_mismatch: <expected> / <seen>``), not read into empty records.

The signals are the ones reading needs anyway, or cheap ones taken only on a page that already looks wrong:

* ledger book, no grid on a page with ink: the dotted leader lines of a form (:func:`leader_lines`); a page
  with fewer of them (a damaged ledger, loose text) keeps today's single flagged record;
* ledger book, grid found: its column count against the layout's (:func:`far_from`);
* form book, most labels missing: the ruled grid of a ledger (:func:`ocr.layout.ledger.find_grid`).

On the sample books every ledger page shows a grid of 9–20 columns (the layout's count) and 0–8 leader-like
rows, every 2016+ form no grid and 10–18 leader lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from ocr.layout.form import find_leaders
from ocr.layout.ledger import Grid, find_grid
from sohoa.config import Layout
from sohoa.errors import InputError

#: A page without a grid is a form when it shows at least this many dotted leader lines.
FORM_LEADER_LINES: Final[int] = 9
#: A form page is checked for a ledger grid when at least this share of its labels was not found.
FORM_MISSING_LABELS: Final[float] = 0.5
#: A grid is a ledger's when it has at least this many columns and body rows.
LEDGER_MIN_COLUMNS: Final[int] = 4
LEDGER_MIN_ROWS: Final[int] = 2


@dataclass(frozen=True)
class Mismatch:
    """What the book's layout expects and what the page shows (Vietnamese, for the operator)."""

    expected: str
    seen: str

    @property
    def reason(self) -> str:
        """The page's quarantine reason."""
        return f"layout_mismatch: {self.expected} / {self.seen}"

    def to_dict(self) -> dict[str, str]:
        return {"expected": self.expected, "seen": self.seen}


class LayoutMismatchError(InputError):
    """A page whose structure does not match the layout it was read with."""


def mismatch_error(mismatch: Mismatch, where: str, layout: Layout) -> LayoutMismatchError:
    """The one-line error ``sohoa ocr`` prints for a page of the wrong layout."""
    return LayoutMismatchError(
        f"{where}: không khớp bố cục {layout.book_type} {layout.era} — cần {mismatch.expected}, "
        f"thấy {mismatch.seen}; trang không được đọc",
        hint="kiểm tra --book-type, --era (hoặc --layout) của trang",
    )


def _ledger_words(layout: Layout) -> str:
    return f"sổ kẻ bảng {len(layout.columns)} cột ({layout.title.lower()} {layout.era})"


def _form_words(layout: Layout) -> str:
    return f"biểu mẫu điền từng bản ghi ({layout.title.lower()} {layout.era})"


def leader_lines(ink: np.ndarray) -> int:
    """How many text lines of ``ink`` (255 = ink) run on dotted leaders (the rows of dots of a form)."""
    if not ink.any():
        return 0
    marked = np.concatenate([[0], find_leaders(ink).rows.any(axis=1).astype(np.int8)])
    return int(np.count_nonzero(np.diff(marked) == 1))


def far_from(found: int, expected: int) -> bool:
    """A column count far from the layout's: off by more than a quarter of it (and by more than 2)."""
    return abs(found - expected) > max(2.0, expected / 4)


def ledger_mismatch(layout: Layout, grid: Grid, ink: np.ndarray) -> Mismatch | None:
    """A ledger book's page: a form (no grid, dotted leaders), or a grid of far too many or few columns."""
    if not grid.found:
        leaders = leader_lines(ink)
        if leaders >= FORM_LEADER_LINES:
            return Mismatch(
                _ledger_words(layout),
                f"trang biểu mẫu điền từng bản ghi ({leaders} dòng kẻ chấm, không có bảng kẻ)",
            )
        return None
    found = len(grid.columns) - 1
    if far_from(found, len(layout.columns)):
        return Mismatch(_ledger_words(layout), f"bảng kẻ {found} cột")
    return None


def form_mismatch(layout: Layout, flags: list[str], ink: np.ndarray) -> Mismatch | None:
    """A form book's page: most labels missing and a ledger's ruled grid instead."""
    total = len(layout.fields) + len(layout.checkboxes)
    missing = sum(f.startswith("label_not_found:") for f in flags)
    if not total or missing < FORM_MISSING_LABELS * total:
        return None
    grid = find_grid(ink, header_rows=2)
    body_rows = len(grid.rows) - 1 - grid.header_rows
    columns = len(grid.columns) - 1
    if not grid.found or columns < LEDGER_MIN_COLUMNS or body_rows < LEDGER_MIN_ROWS:
        return None
    return Mismatch(
        _form_words(layout),
        f"trang sổ kẻ bảng {columns} cột, {body_rows} hàng (thiếu {missing}/{total} nhãn của mẫu)",
    )
