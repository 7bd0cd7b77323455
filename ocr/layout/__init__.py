"""Where the fields are on a prepared page.

* :mod:`ocr.layout.ledger` — the ruled grid of a ledger page → cells per record row;
* :mod:`ocr.layout.form` — printed labels, the values after them and tick boxes of a form page.
"""

from __future__ import annotations

from ocr.layout.form import box_fill, find_labels, group_lines, missed_lines, read_values, remove_leaders
from ocr.layout.ledger import Cell, Grid, LedgerPage, LedgerRow, Rule, find_grid, ledger_cells, map_columns

__all__ = [
    "Cell",
    "Grid",
    "LedgerPage",
    "LedgerRow",
    "Rule",
    "box_fill",
    "find_grid",
    "find_labels",
    "group_lines",
    "ledger_cells",
    "map_columns",
    "missed_lines",
    "read_values",
    "remove_leaders",
]
