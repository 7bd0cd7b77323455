"""Sessions, the signed-in user and CSRF tokens.

Sessions live on the server (``loaders.sessions``, table ``user_sessions``). The cookie is Starlette's signed
cookie (HttpOnly, SameSite=strict, ``Secure`` with ``--https``); it holds the session's random token, the CSRF
token and a few flash messages. Every request checks the token's row is open and the account unlocked, so
logout, a lock, a new password or an administrator's "end all sessions" shut the door at once, even to a
copy of an old cookie.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from loaders.models import User, UserRole
from loaders.sessions import REPLACED, end_session, session_user, start_session

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FLASH = 5
LOGIN_PATH = "/login"
SESSION_KEY = "sid"  # the cookie's session token (its SHA-256 is the ``user_sessions`` row)


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


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """403 unless the form field ``csrf_token`` (or the ``X-CSRF-Token`` header) matches the session's."""
    if request.url.path != LOGIN_PATH and SESSION_KEY not in request.session:
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


def login_session(request: Request, db: Session, user: User) -> None:
    """Start a fresh server-side session for ``user`` and put its token in the cookie (a new CSRF token too:
    no session fixation). A session this cookie held before ends (``replaced``). The caller commits."""
    token = start_session(db, user)
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        end_session(db, previous, actor=user.username, reason=REPLACED)
    request.session.clear()
    request.session[SESSION_KEY] = token
    request.session["csrf"] = secrets.token_urlsafe(32)


def logout_session(request: Request, db: Session, user: User) -> None:
    """End this request's session on the server (audited) and empty the cookie. The caller commits."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        end_session(db, token, actor=user.username)
    request.session.clear()


DbDep = Annotated[Session, Depends(db_session)]


def current_user(request: Request, db: DbDep) -> User:
    """The user of the request's open session, else :class:`NotAuthenticated` (and the cookie emptied)."""
    token = request.session.get(SESSION_KEY)
    user = None
    if isinstance(token, str):
        max_age = dt.timedelta(seconds=request.app.state.settings.session_max_age_s)
        user = session_user(db, token, max_age=max_age)
        db.commit()  # an expiry or a new last-seen time; the route starts its own transaction
    if user is None:
        if token is not None:
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
