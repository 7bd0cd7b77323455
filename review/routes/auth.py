"""Sign in and out."""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loaders.audit import audit
from loaders.models import utcnow
from loaders.users import (
    audit_failed_login,
    audit_login,
    lock_login,
    login_attempts,
    login_name,
    verify_password,
)
from review.routes.common import FormDep, text_field
from review.security import DbDep, UserDep, login_session, logout_session, require_csrf
from review.templating import render
from review.throttle import LoginThrottle
from sohoa.errors import StateError

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html")


def _refuse(request: Request, username: str, message: str, status: int) -> Response:
    return render(request, "login.html", status, error=message, username=username)


#: One sign-in at a time in this process, from reading the recent attempts to recording this one: a burst of
#: parallel attempts must not all read the same count (across processes: ``loaders.users.lock_login``).
_SIGN_IN = threading.Lock()


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(request: Request, form: FormDep, db: DbDep) -> Response:
    username = text_field(form, "username").strip().lower()[:64]
    password = text_field(form, "password")
    address = request.client.host if request.client else "?"
    with _SIGN_IN:
        name = login_name(db, username)
        lock_login(db, name, address)
        return _sign_in(request, db, username, name, password, address)


def _sign_in(
    request: Request, db: Session, username: str, name: str, password: str, address: str
) -> Response:
    throttle: LoginThrottle = request.app.state.throttle
    now = utcnow()
    wait = throttle.retry_after(login_attempts(db, now - throttle.horizon), now, name, address)
    if wait > 0:
        db.rollback()  # ends the transaction and its sign-in locks
        minutes = max(1, round(wait / 60))
        return _refuse(
            request, username, f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.", 429
        )
    user = verify_password(db, username, password) if username and password else None
    if user is None:
        audit_failed_login(db, name, address)
        db.commit()
        log.info("failed login for %r from %s", name, address)
        return _refuse(request, username, "Sai tên đăng nhập hoặc mật khẩu.", 401)
    if user.locked:
        audit(db, user.username, "login_refused", "user", user.id, after={"reason": "locked"})
        db.commit()
        return _refuse(request, username, "Tài khoản đã bị khóa. Hãy liên hệ Sở Tư pháp để mở khóa.", 403)
    try:
        login_session(request, db, user)
    except StateError:  # locked or given a new password while this sign-in checked the old one
        db.rollback()
        return _refuse(request, username, "Tài khoản vừa thay đổi. Hãy đăng nhập lại.", 409)
    audit_login(db, user, address)
    db.commit()
    return RedirectResponse("/", status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, user: UserDep, db: DbDep) -> Response:
    logout_session(request, db, user)
    db.commit()
    return RedirectResponse("/login", status_code=303)
