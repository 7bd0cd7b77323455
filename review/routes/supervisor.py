"""Supervisors: a spot-check sample of each reviewer's approvals, productivity, correction rates, claims."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from loaders import review_views
from loaders.approval import office_scope, release_claim
from loaders.models import User, UserRole, utcnow
from loaders.spot_checks import latest_results
from review.routes.common import PathId, settings_of
from review.security import DbDep, flash, require_csrf, require_roles
from review.templating import render

router = APIRouter()
OverseerDep = Annotated[User, Depends(require_roles(UserRole.SUPERVISOR, UserRole.ADMIN))]

PERIODS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7), "all": None}


@router.get("/supervisor")
def supervisor_page(request: Request, user: OverseerDep, db: DbDep, period: str = "week") -> Response:
    scope = office_scope(db, user)
    span = PERIODS.get(period, PERIODS["week"])
    now = utcnow()
    stats = review_views.reviewer_stats(
        db,
        scope,
        since=now - span if span is not None else None,
        sample=settings_of(request).spot_check_size,
        seed=now.date().isoformat(),
    )
    claims = review_views.active_claims(db, scope, now)
    checked = latest_results(db, [rid for s in stats for rid in s.spot_check])
    return render(
        request,
        "supervisor.html",
        stats=stats,
        claims=claims,
        checked=checked,
        period=period,
        periods=list(PERIODS),
    )


@router.post("/supervisor/release/{record_id}", dependencies=[Depends(require_csrf)])
def release(request: Request, record_id: PathId, user: OverseerDep, db: DbDep) -> Response:
    release_claim(db, record_id, user)
    db.commit()
    flash(request, f"Đã trả hồ sơ {record_id} về hàng đợi.", "success")
    return RedirectResponse("/supervisor", status_code=303)
