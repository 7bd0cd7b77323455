"""The /reports pages: progress, quality and vital statistics (``reports/``) for the signed-in user's offices.

A supervisor or admin sees the figures of their office and every office under it, and may narrow them to one
of those offices; an operator or reviewer sees their own office only. The same figures as ``sohoa report``:
as an HTML page that prints well, or downloaded as CSV or XLSX.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.approval import OVERSEER_ROLES, sees_office
from loaders.models import Office, User
from reports import REPORT_KINDS, Report, ReportKind, Scope, build_report
from reports.render import render_html, to_csv, to_xlsx
from reports.scope import era_ids
from review.security import DbDep, Forbidden, UserDep
from review.templating import render
from sohoa.errors import NotFoundError

router = APIRouter()

KIND_TITLES: dict[str, str] = {
    "progress": "Tiến độ số hóa",
    "quality": "Chất lượng nhận dạng và duyệt",
    "vital": "Chỉ số thống kê hộ tịch",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OfficeQuery = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z_-]*$")]
EraQuery = Annotated[str | None, Query(max_length=16)]


def _offices_seen(db: Session, user: User) -> list[Office]:
    """The offices whose figures ``user`` may read, parents first."""
    if user.role not in OVERSEER_ROLES:
        own = db.get(Office, user.office_code) if user.office_code else None
        return [own] if own is not None else []
    offices = db.scalars(select(Office).order_by(Office.code)).all()
    return [o for o in offices if sees_office(db, user, o.code)]


def _scope(db: Session, user: User, office: str | None, era: str | None) -> Scope:
    """The report's scope for ``user``: their office by default; another office only one they may see.

    An operator or reviewer of an office that has offices under it gets nothing: its figures would include
    offices they do not work for.
    """
    if era is not None and era not in era_ids():
        raise NotFoundError(f"không có giai đoạn {era!r}", hint=f"chọn một trong: {', '.join(era_ids())}")
    code = office or user.office_code
    if user.role not in OVERSEER_ROLES:
        if user.office_code is None or code != user.office_code:
            raise NotFoundError(f"không có cơ quan {code}", hint="bạn chỉ xem được báo cáo của cơ quan mình")
        if db.scalar(select(Office.code).where(Office.parent_code == code).limit(1)) is not None:
            raise Forbidden()
    elif code is not None and not sees_office(db, user, code):
        raise NotFoundError(
            f"không có cơ quan {code}", hint="bạn chỉ xem được báo cáo của các cơ quan mình phụ trách"
        )
    return Scope(office=code, era=era)


def _build(db: Session, user: User, kind: str, office: str | None, era: str | None) -> Report:
    if kind not in REPORT_KINDS:
        raise NotFoundError(f"không có báo cáo {kind!r}", hint="chọn progress, quality hoặc vital")
    scope = _scope(db, user, office, era)
    chosen: ReportKind = kind  # type: ignore[assignment]
    return build_report(db, chosen, scope)


@router.get("/reports")
def reports_page(
    request: Request, user: UserDep, db: DbDep, office: OfficeQuery = None, era: EraQuery = None
) -> Response:
    scope = _scope(db, user, office, era)
    return render(
        request,
        "reports.html",
        kinds=KIND_TITLES,
        offices=_offices_seen(db, user),
        eras=era_ids(),
        scope=scope,
        overseer=user.role in OVERSEER_ROLES,
    )


@router.get("/reports/{kind}.csv")
def report_csv(
    user: UserDep, db: DbDep, kind: str, office: OfficeQuery = None, era: EraQuery = None
) -> Response:
    report = _build(db, user, kind, office, era)
    return _download(
        to_csv(report.primary).encode("utf-8"),
        "text/csv; charset=utf-8",
        kind,
        office or user.office_code,
        "csv",
    )


@router.get("/reports/{kind}.xlsx")
def report_xlsx(
    user: UserDep, db: DbDep, kind: str, office: OfficeQuery = None, era: EraQuery = None
) -> Response:
    report = _build(db, user, kind, office, era)
    with tempfile.TemporaryDirectory(prefix="sohoa-report-") as folder:
        content = to_xlsx(report, Path(folder) / "report.xlsx").read_bytes()
    return _download(content, XLSX_TYPE, kind, office or user.office_code, "xlsx")


@router.get("/reports/{kind}")
def report_html(
    user: UserDep, db: DbDep, kind: str, office: OfficeQuery = None, era: EraQuery = None
) -> Response:
    return HTMLResponse(render_html(_build(db, user, kind, office, era)))


def _download(content: bytes, media_type: str, kind: str, office: str | None, suffix: str) -> Response:
    name = f"bao-cao-{kind}-{office or 'tinh'}-{dt.date.today().isoformat()}.{suffix}"
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
