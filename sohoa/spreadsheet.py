"""A cell safe for a spreadsheet: text that Excel, LibreOffice or Sheets would take for a formula stays text.

Every CSV and XLSX sohoa writes (export packages, reports) passes its text cells through here. A text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's list for CSV injection) is

* in XLSX, a string cell (data type ``s``) with the *quote prefix* style: the spreadsheet shows the text
  exactly and never evaluates it, even when someone edits the cell;
* in CSV, the text with a leading ``'`` (CSV has no types: the apostrophe is what spreadsheets read as
  "this is text" and it shows the reader that the value was escaped).

Numbers, dates and booleans are never touched: a negative number is a number, not a text starting with
``-``. Anything else passes through unchanged.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """True for a text a spreadsheet would evaluate (or start to) instead of showing it."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV file: a formula-like text gets a leading ``'``; anything else is unchanged."""
    return "'" + value if looks_like_formula(value) else value


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """``value`` for ``sheet.append``: a formula-like text as a quoted string cell, anything else unchanged.

    ``sheet`` is the worksheet the row goes to (a write-only one gets a :class:`WriteOnlyCell`).
    """
    if not looks_like_formula(value):
        return value
    cell: Cell | WriteOnlyCell = (
        WriteOnlyCell(sheet, value=value) if _write_only(sheet) else Cell(sheet, value=value)
    )
    text_cell(cell)
    return cell


def text_cell(cell: Any) -> Any:
    """Make ``cell`` (holding a text) a string cell with the quote prefix, whatever the text starts with."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _write_only(sheet: Any) -> bool:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    return isinstance(sheet, WriteOnlyWorksheet)
