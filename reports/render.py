"""One report, several renderings: rich tables, CSV, XLSX and HTML. No figure is computed here."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from rich.table import Table

from reports.model import Column, ColumnKind, Report, View
from reports.svg import chart_svg
from sohoa.spreadsheet import csv_cell, looks_like_formula, text_cell, xlsx_cell

TEMPLATES = Path(__file__).resolve().parent / "templates"
NUMBER_FORMATS: dict[ColumnKind, str] = {
    "int": "#,##0",
    "year": "0",
    "float": "#,##0.00",
    "pct": "0.0%",
    "date": "dd/mm/yyyy",
}
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
SHEET_NAME_MAX = 31
YES, NO = "Có", "Không"


# --------------------------------------------------------------------------- text cells
def _vn_number(value: float, decimals: int) -> str:
    """1234567.5 → "1.234.567,5" (Vietnamese separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def cell_text(value: Any, kind: ColumnKind) -> str:
    """A value as people read it in the terminal and in HTML."""
    if value is None:
        return ""
    if kind == "bool":
        return YES if value else ""
    if kind == "year":
        return str(value)
    if kind == "pct":
        return _vn_number(float(value) * 100, 1) + " %"
    if kind == "int":
        return _vn_number(float(value), 0)
    if kind == "float":
        return _vn_number(float(value), 2)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_value(value: Any, kind: ColumnKind) -> str:
    """A value for machines: plain numbers, fractions for shares, ISO dates, true/false; a text a
    spreadsheet would take for a formula gets a leading ``'`` (:mod:`sohoa.spreadsheet`)."""
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "pct":
        return f"{float(value):.4f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(csv_cell(value))
    return str(value)


# --------------------------------------------------------------------------- terminal
def rich_tables(report: Report) -> list[Table]:
    tables = []
    for view in report.views:
        table = Table(title=view.title, caption=view.note or None, show_lines=False)
        columns = view.terminal_columns()
        for column in columns:
            numeric = column.kind in ("int", "year", "float", "pct")
            table.add_column(column.header, justify="right" if numeric else "left", overflow="fold")
        for row in view.rows:
            style = "bold" if row.get("level") in ("province", "district") else None
            table.add_row(*(cell_text(row.get(c.key), c.kind) for c in columns), style=style)
        tables.append(table)
    return tables


# --------------------------------------------------------------------------- CSV
def to_csv(view: View) -> str:
    """One view as CSV: machine keys as headers, one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(c.key) for c in view.columns])
    for row in view.rows:
        writer.writerow([csv_value(row.get(c.key), c.kind) for c in view.columns])
    return buffer.getvalue()


# --------------------------------------------------------------------------- XLSX
def _sheet_name(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:SHEET_NAME_MAX]
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name, n = clean[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _xlsx_value(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "bool":
        return YES if value else NO
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _header_cells(sheet: Any, view: View) -> list[WriteOnlyCell]:
    cells = []
    for column in view.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        if looks_like_formula(column.header):
            text_cell(cell)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    return cells


def _row_cells(sheet: Any, view: View, row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for column in view.columns:
        value = _xlsx_value(row.get(column.key), column)
        fmt = NUMBER_FORMATS.get(column.kind)
        if fmt is None or value is None or isinstance(value, str):
            cells.append(xlsx_cell(sheet, value))  # a text that looks like a formula stays text
            continue
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else fmt
        cells.append(cell)
    return cells


def _fill_sheet(sheet: Any, view: View) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(view.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(column.header) + 2))
    last = f"{get_column_letter(len(view.columns))}{len(view.rows) + 1}"
    if view.rows:
        sheet.auto_filter.ref = f"A1:{last}"
    sheet.append(_header_cells(sheet, view))
    for row in view.rows:
        sheet.append(_row_cells(sheet, view, row))


def to_xlsx(report: Report, path: Path) -> Path:
    """A workbook with a sheet per view: Vietnamese headers, frozen header row, number formats."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    for view in report.views:
        _fill_sheet(book.create_sheet(_sheet_name(view.title, used)), view)
    book.properties.title = report.title
    book.save(path)
    return path


# --------------------------------------------------------------------------- HTML
@dataclass(frozen=True)
class _Cell:
    text: str
    css: str


@dataclass(frozen=True)
class _HtmlView:
    view: View

    @property
    def name(self) -> str:
        return self.view.name

    @property
    def title(self) -> str:
        return self.view.title

    @property
    def note(self) -> str:
        return self.view.note

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.view.columns

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.view.rows

    def cells(self, row: dict[str, Any]) -> list[_Cell]:
        out = []
        for column in self.view.columns:
            value = row.get(column.key)
            css = "num" if column.kind in ("int", "year", "float", "pct") else ""
            if column.kind == "bool" and value:
                css = "late"
            out.append(_Cell(cell_text(value, column.kind), css))
        return out


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG; the review app can serve it)."""
    template = _environment().get_template("report.html")
    return template.render(
        report=report,
        generated=report.generated_at.strftime("%d/%m/%Y %H:%M"),
        charts=[Markup(chart_svg(spec)) for spec in report.charts],
        views=[_HtmlView(v) for v in report.views],
    )
