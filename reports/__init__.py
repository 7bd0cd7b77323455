"""Progress and statistics per era, book group and office (issue 7).

Figures are computed once per report (``build_report``) from aggregate queries and rendered several
ways by ``reports.render``: a rich table, CSV, XLSX and HTML. ``reports`` only reads the database.
The review app can mount :func:`report_html` later (it needs a session and a :class:`Scope`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy.orm import Session

from reports.model import Report
from reports.progress import build_progress
from reports.quality import build_quality
from reports.render import render_html
from reports.scope import Scope
from reports.vital import build_vital

ReportKind = Literal["progress", "quality", "vital"]
REPORT_KINDS: tuple[ReportKind, ...] = ("progress", "quality", "vital")


def build_report(
    session: Session, kind: ReportKind, scope: Scope | None = None, as_of: dt.date | None = None
) -> Report:
    """The figures of one report (``as_of`` only matters for progress estimates; default today)."""
    if kind == "progress":
        return build_progress(session, scope, as_of)
    if kind == "quality":
        return build_quality(session, scope)
    return build_vital(session, scope)


def report_html(
    session: Session, kind: ReportKind, scope: Scope | None = None, as_of: dt.date | None = None
) -> str:
    """One report as a self-contained HTML page (for the review app's /reports pages)."""
    return render_html(build_report(session, kind, scope, as_of))


__all__ = ["REPORT_KINDS", "Report", "ReportKind", "Scope", "build_report", "render_html", "report_html"]
