"""The report flow: the progress (and quality, vital-statistics) reports written as files, e.g. daily.

Thin by design: :func:`reports.build_report` computes each report once and :mod:`reports.render` writes
it as XLSX (a sheet per view), HTML (with charts) and CSV (the first view). Files are named
``<kind>_<office or all>_<YYYY-MM-DD>.<ext>`` under ``out_dir`` and written to a temporary name first,
then renamed, so a reader never sees half a file; a second run on the same day replaces that day's files.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows.settings import DB_RETRIES, DB_RETRY_DELAY_S, database_trouble, shared_prefect_api
from flows.settings import session as db_session
from sohoa.errors import DataDirError

Kind = Literal["progress", "quality", "vital"]
Format = Literal["xlsx", "html", "csv"]
ALL_KINDS: tuple[Kind, ...] = ("progress", "quality", "vital")
ALL_FORMATS: tuple[Format, ...] = ("xlsx", "html", "csv")


class ReportParams(BaseModel):
    """Which reports, for which office, in which formats, into which folder."""

    out_dir: Path
    office: str | None = Field(
        default=None, description="An office code (with the offices under it); all if None."
    )
    kinds: list[Kind] = Field(default_factory=lambda: list(ALL_KINDS))
    formats: list[Format] = Field(default_factory=lambda: list(ALL_FORMATS))
    as_of: dt.date | None = Field(
        default=None, description="Progress estimates as of this day (default today)."
    )


def report_path(out_dir: Path, kind: str, office: str | None, day: dt.date, fmt: str) -> Path:
    return out_dir / f"{kind}_{office or 'all'}_{day.isoformat()}.{fmt}"


def _replace(path: Path, write: Any) -> None:
    """Write through ``write(tmp_path)`` then rename onto ``path``; a full disk is a :class:`DataDirError`."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        full = exc.errno == errno.ENOSPC
        raise DataDirError(
            f"không ghi được báo cáo {path}: {exc.strerror or exc}",
            hint="giải phóng dung lượng đĩa rồi chạy lại báo cáo"
            if full
            else "chọn một thư mục ghi được, hoặc sửa quyền của thư mục",
        ) from None


@task(
    name="write-report",
    task_run_name="write-report-{kind}",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def write_report(kind: Kind, params: ReportParams) -> list[str]:
    """Build one report from the database and write it in every format asked for; the paths written."""
    from reports import Scope, build_report
    from reports.render import render_html, to_csv, to_xlsx

    day = params.as_of or dt.datetime.now(dt.UTC).date()
    with db_session() as session:
        report = build_report(session, kind, Scope(office=params.office), params.as_of)
    written: list[str] = []
    for fmt in params.formats:
        path = report_path(params.out_dir, kind, params.office, day, fmt)
        if fmt == "xlsx":
            _replace(path, lambda tmp: to_xlsx(report, tmp))
        elif fmt == "html":
            html = render_html(report)
            _replace(path, lambda tmp, text=html: tmp.write_text(text, encoding="utf-8"))
        else:
            text = to_csv(report.primary)
            _replace(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
        written.append(str(path))
    return written


@flow(name="report", validate_parameters=True)
def report_flow(params: ReportParams) -> dict[str, Any]:
    """Write every report asked for (see the module's docstring); returns the files written."""
    log = get_run_logger()
    files = [path for kind in params.kinds for path in write_report(kind, params)]
    log.info("%d report files written under %s", len(files), params.out_dir)
    return {"files": files}


def run_report(params: ReportParams) -> dict[str, Any]:
    """Run :func:`report_flow` in this process (with a temporary Prefect API unless one is set)."""
    with shared_prefect_api():
        result: dict[str, Any] = report_flow(params)
    return result
