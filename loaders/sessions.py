"""Server-side sessions of the review app: start, check, end one, end all of a user.

The browser's cookie holds a random token (256 bits); the ``user_sessions`` row holds only its SHA-256, so a
copy of the table opens no session. A session is open while its row has no ``ended_at`` and it is younger than
the app's maximum age; the account must be unlocked. Logout ends the one session; locking an account, a new
password and an administrator's "end all sessions" end every open session of the user. Nothing reopens an
ended session: unlocking an account leaves its old cookies dead. Each ending is audited (action
``end_session`` on entity ``user_session``, with the reason).

Works inside the caller's session and never commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.audit import SYSTEM, audit
from loaders.models import User, UserSession, utcnow
from sohoa.errors import StateError

END_ACTION: Final[str] = "end_session"
TOKEN_BYTES: Final[int] = 32
#: ``last_seen_at`` is written at most this often per session (not on every request).
TOUCH_EVERY: Final[dt.timedelta] = dt.timedelta(minutes=1)

LOGOUT: Final[str] = "logout"
LOCKED: Final[str] = "locked"
PASSWORD: Final[str] = "password"
ADMIN: Final[str] = "admin"
EXPIRED: Final[str] = "expired"
REPLACED: Final[str] = "replaced"  # the same browser signed in again
ACCOUNT_GONE: Final[str] = "account"  # the account was locked, or its row is gone, when the session was used


@dataclass(frozen=True)
class SessionInfo:
    """An open session of a user (see :func:`open_sessions`)."""

    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a session token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, *, now: dt.datetime | None = None) -> str:
    """Open a session for ``user`` and return its token (for the cookie; never stored as such).

    The user's row is read again under a row lock (PostgreSQL): a lock or a new password committed while this
    sign-in was checking the password refuses the sign-in instead of opening a session past it.
    """
    fresh = session.execute(
        select(User.locked, User.password_hash).where(User.id == user.id).with_for_update()
    ).one_or_none()
    if fresh is None or fresh.locked or fresh.password_hash != user.password_hash:
        raise StateError(
            f"tài khoản {user.username} vừa thay đổi trong lúc đăng nhập",
            hint="đăng nhập lại bằng mật khẩu hiện tại",
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = now or utcnow()
    session.add(UserSession(token_hash=token_hash(token), user_id=user.id, created_at=at, last_seen_at=at))
    session.flush()
    return token


def _find(session: Session, token: str) -> UserSession | None:
    if not token:
        return None
    query = select(UserSession).where(UserSession.token_hash == token_hash(token))
    return session.scalars(query).first()


def _end(
    session: Session, row: UserSession, actor: str, reason: str, now: dt.datetime, username: str
) -> None:
    row.ended_at, row.end_reason = now, reason
    audit(
        session,
        actor,
        END_ACTION,
        "user_session",
        row.id,
        after={"user": username, "user_id": row.user_id, "reason": reason},
    )


def session_user(
    session: Session, token: str, *, max_age: dt.timedelta, now: dt.datetime | None = None
) -> User | None:
    """The user of the open session ``token``, else None.

    A session past ``max_age`` (from its start), or whose account is locked, is ended here (audited, actor
    ``system``); ``last_seen_at`` is brought up to date at most every :data:`TOUCH_EVERY`. Flushes only when
    it changed something: the caller commits.
    """
    row = _find(session, token)
    if row is None or row.ended_at is not None:
        return None
    now = now or utcnow()
    user = session.get(User, row.user_id, populate_existing=True)
    name = user.username if user is not None else str(row.user_id)
    if user is None or user.locked:
        _end(session, row, SYSTEM, ACCOUNT_GONE, now, name)
        session.flush()
        return None
    if row.created_at + max_age <= now:
        _end(session, row, SYSTEM, EXPIRED, now, name)
        session.flush()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user


def end_session(session: Session, token: str, *, actor: str, reason: str = LOGOUT) -> bool:
    """End the session ``token`` (logout); False when it was not open."""
    row = _find(session, token)
    if row is None or row.ended_at is not None:
        return False
    user = session.get(User, row.user_id)
    _end(session, row, actor, reason, utcnow(), user.username if user is not None else str(row.user_id))
    session.flush()
    return True


def open_sessions(session: Session, user: User) -> list[SessionInfo]:
    """The user's open sessions (not yet ended; some may be past their age and end at their next use)."""
    query = (
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.id)
    )
    return [SessionInfo(r.id, r.created_at, r.last_seen_at) for r in session.scalars(query)]


def end_user_sessions(session: Session, user: User, *, actor: str, reason: str) -> int:
    """End every open session of ``user`` (lock, new password, an administrator); how many were open."""
    now = utcnow()
    query = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    rows = list(session.scalars(query.with_for_update()))
    for row in rows:
        _end(session, row, actor, reason, now, user.username)
    session.flush()
    return len(rows)
