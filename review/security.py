"""Sessions, the signed-in user and CSRF tokens.

The session is Starlette's signed cookie (HttpOnly, SameSite=strict, ``Secure`` with ``--https``); it holds
the user's id, a fingerprint of their password hash (a new password ends every open session), the CSRF
token and a few flash messages. The user row is read on every request, so a locked account is out at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from loaders.models import User, UserRole

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FLASH = 5
LOGIN_PATH = "/login"


class NotAuthenticated(Exception):
    """No valid session: pages redirect to /login, everything else answers 401."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this page (403)."""


def db_session(request: Request) -> Iterator[Session]:
    """One database session per request; routes commit what they change."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """403 unless the form field ``csrf_token`` (or the ``X-CSRF-Token`` header) matches the session's."""
    if request.url.path != LOGIN_PATH and "uid" not in request.session:
        raise NotAuthenticated()  # no session: 401 before any CSRF question
    expected = request.session.get("csrf")
    sent: Any = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            status_code=403, detail="Phiên làm việc không hợp lệ (thiếu mã CSRF). Hãy tải lại trang."
        )


def login_session(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["pw"] = fingerprint(user)
    request.session["csrf"] = secrets.token_urlsafe(32)


DbDep = Annotated[Session, Depends(db_session)]


def current_user(request: Request, db: DbDep) -> User:
    uid = request.session.get("uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    if user is None or user.locked or request.session.get("pw") != fingerprint(user):
        if uid is not None:
            request.session.clear()
        raise NotAuthenticated()
    request.state.user = user
    return user


UserDep = Annotated[User, Depends(current_user)]


def require_roles(*roles: UserRole) -> Any:
    def check(user: UserDep) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user

    return check


def flash(request: Request, message: str, kind: str = "info") -> None:
    messages = list(request.session.get("flash", []))[-(MAX_FLASH - 1) :]
    messages.append([kind, message])
    request.session["flash"] = messages


def pop_flash(request: Request) -> list[tuple[str, str]]:
    messages = request.session.pop("flash", [])
    return [(str(k), str(m)) for k, m in messages]
