"""``sohoa report …``: progress, quality and vital-statistics reports (see reports/).

    sohoa report progress [--office CODE] [--era E] [--format table|csv|xlsx|html] [--out FILE]

CSV carries one view (the report's first, or ``--view NAME``); XLSX has a sheet per view and needs
``--out``; HTML and table show every view.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sohoa.console import err, friendly, out
from sohoa.errors import DataDirError, InputError

report_app = typer.Typer(help="Progress, quality and vital-statistics reports.", no_args_is_help=True)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"


OfficeOpt = Annotated[
    str | None, typer.Option("--office", help="Office code: that office and the offices below it.")
]
EraOpt = Annotated[
    str | None, typer.Option("--era", help="Era id: 1976-1999, 1999-2005, 2006-2015 or 2016+.")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, csv, xlsx or html.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write to this file (required for xlsx).")]
ViewOpt = Annotated[str | None, typer.Option("--view", help="CSV: which view to write (default: the first).")]


def _check_output(fmt: Format, out_file: Path | None) -> None:
    if fmt is Format.XLSX and out_file is None:
        raise InputError("báo cáo XLSX cần một tệp để ghi", hint="thêm --out baocao.xlsx")
    if out_file is not None and not out_file.parent.exists():
        raise DataDirError(f"không có thư mục {out_file.parent}", hint="tạo thư mục đó hoặc chọn --out khác")


def _write(out_file: Path, text: str) -> None:
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DataDirError(f"không ghi được {out_file}: {exc.strerror}", hint="chọn --out khác") from None


def run_report(
    kind: str,
    office: str | None,
    era: str | None,
    fmt: Format,
    out_file: Path | None,
    view: str | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Build one report from the database (SOHOA_DATABASE_URL) and render it in ``fmt``."""
    from loaders.db import database_url, make_engine, session_scope, upgrade
    from loaders.registry import sync_offices
    from reports import Scope, build_report
    from reports.render import render_html, rich_tables, to_csv, to_xlsx
    from sohoa import config

    _check_output(fmt, out_file)
    url = database_url()
    upgrade(url)  # a fresh database reports the plan with nothing done yet
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            sync_offices(session, config.offices())
        with session_scope(engine) as session:
            report = build_report(session, kind, Scope(office=office, era=era), as_of)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    if fmt is Format.XLSX:
        assert out_file is not None
        to_xlsx(report, out_file)
    elif fmt is Format.TABLE:
        for table in rich_tables(report):
            out.print(table)
        return
    else:
        text = (
            to_csv(report.view(view) if view else report.primary)
            if fmt is Format.CSV
            else render_html(report)
        )
        if out_file is None:
            out.file.write(text)
            return
        _write(out_file, text)
    err.print(f"[green]Đã ghi[/] {out_file}", highlight=False)


@report_app.command("progress")
@friendly
def progress(
    office: OfficeOpt = None,
    era: EraOpt = None,
    fmt: FormatOpt = Format.TABLE,
    out_file: OutOpt = None,
    view: ViewOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Estimate from this day (YYYY-MM-DD; default today).")
    ] = None,
) -> None:
    """Progress per office × era × book group against the plan, rolled up to the province."""
    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                f"--as-of {as_of!r} không phải là ngày", hint="ghi theo dạng YYYY-MM-DD"
            ) from None
    run_report("progress", office, era, fmt, out_file, view, day)


@report_app.command("quality")
@friendly
def quality(
    office: OfficeOpt = None,
    era: EraOpt = None,
    fmt: FormatOpt = Format.TABLE,
    out_file: OutOpt = None,
    view: ViewOpt = None,
) -> None:
    """Confidence, corrections, rejections, reviewer productivity and spot checks."""
    run_report("quality", office, era, fmt, out_file, view)


@report_app.command("vital")
@friendly
def vital(
    office: OfficeOpt = None,
    era: EraOpt = None,
    fmt: FormatOpt = Format.TABLE,
    out_file: OutOpt = None,
    view: ViewOpt = None,
) -> None:
    """Births and deaths registered on time / within a year, child marriages, divorces (approved records)."""
    run_report("vital", office, era, fmt, out_file, view)
