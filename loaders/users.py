"""Accounts of the review app: create, list, lock, unlock, set a password, end sessions, check a password.

Passwords are hashed with argon2id (``argon2-cffi``); a hash made with older parameters is rehashed at the
next successful login. Every change is audited (never the hash: see ``loaders.audit.NEVER_LOGGED``).
Works inside the caller's session and never commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from loaders.audit import SYSTEM, audit, snapshot
from loaders.models import AuditLog, Office, User, UserRole
from loaders.registry import get_office, sync_offices
from loaders.sessions import ADMIN, LOCKED, PASSWORD, end_user_sessions
from sohoa import config
from sohoa.errors import ConfigError, InputError, NotFoundError, StateError

log = logging.getLogger(__name__)

MIN_PASSWORD = 6
MAX_PASSWORD = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()
#: A valid hash of nothing anyone can type: verified against when the user does not exist, so that a
#: missing account takes as long to refuse as a wrong password.
_DUMMY_HASH = _HASHER.hash("\x00 no such user \x00")


@dataclass(frozen=True)
class UserInfo:
    """A user as ``sohoa users list`` shows it."""

    id: int
    username: str
    role: str
    office_code: str | None
    office_name: str | None
    locked: bool


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` after checking its length."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"mật khẩu quá ngắn ({len(password)} ký tự)",
            hint=f"dùng ít nhất {MIN_PASSWORD} ký tự",
        )
    if len(password) > MAX_PASSWORD:
        raise InputError("mật khẩu quá dài", hint=f"dùng tối đa {MAX_PASSWORD} ký tự")
    return _HASHER.hash(password)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InputError(
            f"{username!r} không phải tên đăng nhập hợp lệ",
            hint="dùng tối đa 64 ký tự gồm chữ thường không dấu, chữ số, '.', '_', '@' hoặc '-', bắt đầu bằng chữ hoặc số",
        )
    return name


def parse_role(role: str) -> UserRole:
    try:
        return UserRole(role.strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in UserRole)
        raise InputError(f"không có vai trò {role!r}", hint=f"dùng một trong: {known}") from None


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFoundError(f"không có người dùng {username!r}", hint="xem danh sách bằng `sohoa users list`")
    return user


def _ensure_office(session: Session, code: str, actor: str) -> Office:
    """The office ``code``; an office known only to ``configs/offices.yaml`` is added to the database first."""
    office = session.get(Office, code)
    if office is not None:
        return office
    try:
        config.office(code)
    except ConfigError:
        return get_office(session, code)  # NotFoundError with the closest codes
    sync_offices(session, config.offices(), actor=actor)
    return get_office(session, code)


def add_user(
    session: Session,
    username: str,
    *,
    office_code: str | None,
    role: str | UserRole,
    password: str,
    actor: str = SYSTEM,
) -> User:
    """Create an account; every role but admin needs an office."""
    name = check_username(username)
    kind = role if isinstance(role, UserRole) else parse_role(role)
    if office_code is None and kind != UserRole.ADMIN:
        raise InputError(f"tài khoản {kind} cần có cơ quan", hint="thêm --office MÃ_CƠ_QUAN")
    if office_code is not None:
        _ensure_office(session, office_code, actor)
    if find_user(session, name) is not None:
        raise StateError(f"người dùng {name!r} đã có", hint="đổi mật khẩu bằng `sohoa users set-password`")
    user = User(username=name, password_hash=hash_password(password), role=kind, office_code=office_code)
    session.add(user)
    session.flush()
    audit(session, actor, "create", "user", user.id, after=snapshot(user))
    log.info("user %s (%s of %s) created", name, kind, office_code)
    return user


def list_users(session: Session, office_code: str | None = None) -> list[UserInfo]:
    query = select(User, Office.name).outerjoin(Office, Office.code == User.office_code)
    if office_code is not None:
        query = query.where(User.office_code == office_code)
    return [
        UserInfo(u.id, u.username, str(u.role), u.office_code, office_name, bool(u.locked))
        for u, office_name in session.execute(query.order_by(User.username))
    ]


def set_locked(session: Session, username: str, locked: bool, *, actor: str = SYSTEM) -> User:
    """Lock (the account can no longer sign in; its open sessions end) or unlock an account.

    Unlocking reopens nothing: the sessions ended by the lock stay ended.
    """
    user = get_user(session, username)
    if locked:
        end_user_sessions(session, user, actor=actor, reason=LOCKED)  # also any opened since an earlier lock
    if bool(user.locked) == locked:
        return user
    before = snapshot(user)
    user.locked = locked
    session.flush()
    audit(
        session, actor, "lock" if locked else "unlock", "user", user.id, before=before, after=snapshot(user)
    )
    return user


def set_password(session: Session, username: str, password: str, *, actor: str = SYSTEM) -> User:
    """Give the account a new password (its open sessions end)."""
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    session.flush()
    audit(session, actor, "set_password", "user", user.id, after={"username": user.username})
    end_user_sessions(session, user, actor=actor, reason=PASSWORD)
    return user


def end_sessions(session: Session, username: str, *, actor: str = SYSTEM) -> int:
    """An administrator ends every open session of the account at once (it may sign in again); how many."""
    user = get_user(session, username)
    return end_user_sessions(session, user, actor=actor, reason=ADMIN)


def verify_password(session: Session, username: str, password: str) -> User | None:
    """The user when ``password`` is theirs (locked or not: the caller decides), else None.

    Takes about as long for an unknown user as for a wrong password.
    """
    user = find_user(session, username) if len(password) <= MAX_PASSWORD else None
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(stored):
        user.password_hash = _HASHER.hash(password)
        session.flush()
    return user


# --------------------------------------------------------------------------- sign-in attempts
LOGIN_ACTION = "login"
LOGIN_FAILED_ACTION = "login_failed"


@dataclass(frozen=True)
class LoginAttempt:
    """One sign-in attempt as the audit log keeps it."""

    at: dt.datetime
    username: str  # as typed (failures) or the account's name (successes)
    address: str
    ok: bool


def audit_login(session: Session, user: User, address: str) -> None:
    """A successful sign-in (audited on the user)."""
    audit(session, user.username, LOGIN_ACTION, "user", user.id, after={"address": address})


def login_name(session: Session, username: str) -> str:
    """The name sign-in attempts are counted and audited under: an account's own name, or for a name no
    account has, a digest of it (a password typed into the name field never reaches the audit log)."""
    if username and find_user(session, username) is not None:
        return username
    return "?" + hashlib.sha256(username.encode("utf-8")).hexdigest()[:16]


def audit_failed_login(session: Session, name: str, address: str) -> None:
    """A failed sign-in under ``name`` (see :func:`login_name`) from ``address``; never the password."""
    audit(session, "anonymous", LOGIN_FAILED_ACTION, "login", name[:64], after={"address": address[:64]})


def lock_login(session: Session, name: str, address: str) -> None:
    """On PostgreSQL, hold this name's and this address's sign-in locks until the transaction ends, so that
    server processes count, check and record one attempt of theirs at a time (else a burst of parallel
    attempts would all read the same count). Other databases rely on the caller's process lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({f"name:{name}", f"ip:{address}"}):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def login_attempts(session: Session, since: dt.datetime) -> list[LoginAttempt]:
    """Sign-in attempts since ``since``, oldest first (from the audit log: shared by every server process)."""
    query = (
        select(AuditLog.action, AuditLog.actor, AuditLog.entity_id, AuditLog.at, AuditLog.after)
        .where(AuditLog.action.in_((LOGIN_ACTION, LOGIN_FAILED_ACTION)), AuditLog.at >= since)
        .order_by(AuditLog.at, AuditLog.id)
    )
    out = []
    for action, actor, entity_id, at, after in session.execute(query):
        ok = action == LOGIN_ACTION
        address = str((after or {}).get("address") or "?")
        out.append(LoginAttempt(at, actor if ok else entity_id, address, ok))
    return out
