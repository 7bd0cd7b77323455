"""Server-side sessions: logout, lock, a new password and an administrator end them at once; an old cookie
never comes back (not even after unlocking); every ending audited; the cookie's token is stored hashed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_review_app import csrf_of, login, post

from loaders.db import session_scope
from loaders.models import AuditLog, Record, RecordState, User, UserSession
from loaders.sessions import END_ACTION, session_user, start_session, token_hash
from loaders.users import end_sessions, get_user, set_locked, set_password
from review.app import SESSION_COOKIE


def _signed_in(app: FastAPI, username: str = "lan") -> tuple[str, str]:
    """Sign ``username`` in with a client of its own; (the session cookie, the page's CSRF token)."""
    with TestClient(app) as client:
        assert login(client, username).status_code == 303
        home = client.get("/")
        assert home.status_code == 200
        cookie = client.cookies.get(SESSION_COOKIE)
        assert cookie
        return cookie, csrf_of(home.text)


def _with_cookie(app: FastAPI, cookie: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, cookie)
    return client


def _refused(app: FastAPI, cookie: str, token: str) -> None:
    """The old cookie opens no page and claims no record."""
    with _with_cookie(app, cookie) as old:
        home = old.get("/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == "/login"
        claim = old.post("/queue/next", data={"csrf_token": token}, follow_redirects=False)
        assert claim.status_code == 401


def _endings(engine: Engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == END_ACTION).order_by(AuditLog.id))
        return [(r.actor, str((r.after or {}).get("reason"))) for r in rows]


def _claimed(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.scalars(select(Record.id).where(Record.state == RecordState.IN_REVIEW)).all())


def test_the_cookie_holds_a_token_stored_only_as_its_hash(app: FastAPI, engine: Engine) -> None:
    cookie, _token = _signed_in(app)
    with session_scope(engine) as session:
        rows = session.scalars(select(UserSession)).all()
        assert len(rows) == 1 and rows[0].ended_at is None
        assert len(rows[0].token_hash) == 64 and rows[0].token_hash not in cookie


def test_after_logout_the_old_cookie_opens_nothing_and_claims_nothing(app: FastAPI, engine: Engine) -> None:
    with TestClient(app) as client:
        assert login(client, "lan").status_code == 303
        home = client.get("/")
        cookie, token = client.cookies.get(SESSION_COOKIE), csrf_of(home.text)
        assert cookie
        assert post(client, "/logout", {}).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 303
    _refused(app, cookie, token)
    assert _claimed(engine) == 0
    assert _endings(engine) == [("lan", "logout")]
    with session_scope(engine) as session:
        row = session.scalars(select(UserSession)).one()
        assert row.ended_at is not None and row.end_reason == "logout"


def test_signing_in_again_ends_the_session_the_cookie_held(app: FastAPI, engine: Engine) -> None:
    with TestClient(app) as client:
        login(client, "lan")
        first = client.cookies.get(SESSION_COOKIE)
        assert first and login(client, "minh").status_code == 303
        assert client.get("/").status_code == 200
    with _with_cookie(app, first) as old:
        assert old.get("/", follow_redirects=False).status_code == 303
    assert _endings(engine) == [("minh", "replaced")]


def test_logout_ends_only_that_session(app: FastAPI) -> None:
    first, _ = _signed_in(app)
    with TestClient(app) as client:
        login(client, "lan")
        assert post(client, "/logout", {}).status_code == 303
    with _with_cookie(app, first) as still:
        assert still.get("/").status_code == 200


def test_a_lock_ends_every_session_and_unlocking_revives_none(app: FastAPI, engine: Engine) -> None:
    one, token_one = _signed_in(app)
    two, token_two = _signed_in(app)
    with session_scope(engine) as session:
        set_locked(session, "lan", True, actor="admin1")
    with session_scope(engine) as session:
        set_locked(session, "lan", False, actor="admin1")
    _refused(app, one, token_one)
    _refused(app, two, token_two)
    assert _claimed(engine) == 0
    assert _endings(engine) == [("admin1", "locked"), ("admin1", "locked")]
    with TestClient(app) as again:  # the unlocked account signs in afresh
        assert login(again, "lan").status_code == 303 and again.get("/").status_code == 200


def test_a_new_password_ends_every_session(app: FastAPI, engine: Engine) -> None:
    cookie, token = _signed_in(app)
    with session_scope(engine) as session:
        set_password(session, "lan", "mat-khau-khac-2")
    _refused(app, cookie, token)
    assert _endings(engine) == [("system", "password")]


def test_an_administrator_ends_all_sessions_from_the_cli(
    app: FastAPI, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sohoa.cli import app as cli

    cookie, token = _signed_in(app)
    other, _ = _signed_in(app, "minh")
    monkeypatch.setenv("SOHOA_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["users", "end-sessions", "lan"])
    assert result.exit_code == 0, result.output
    assert "1 open session(s) of lan ended" in result.output
    _refused(app, cookie, token)
    with _with_cookie(app, other) as minh:  # another user's session stays open
        assert minh.get("/").status_code == 200
    assert _endings(engine) == [("system", "admin")]
    missing = CliRunner().invoke(cli, ["users", "end-sessions", "nobody"])
    assert missing.exit_code == 6


def test_a_session_past_its_age_ends_and_is_audited(engine: Engine, data: dict[str, Any]) -> None:
    start = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    age = dt.timedelta(hours=10)
    with session_scope(engine) as session:
        token = start_session(session, get_user(session, "lan"), now=start)
    with session_scope(engine) as session:
        user = session_user(session, token, max_age=age, now=start + age - dt.timedelta(seconds=1))
        assert user is not None and user.username == "lan"
    with session_scope(engine) as session:
        assert session_user(session, token, max_age=age, now=start + age) is None
    with session_scope(engine) as session:  # ended for good, whatever the clock says later
        assert session_user(session, token, max_age=age, now=start) is None
        row = session.scalars(select(UserSession).where(UserSession.token_hash == token_hash(token))).one()
        assert row.end_reason == "expired"
    assert _endings(engine) == [("system", "expired")]


def test_a_locked_account_cannot_start_a_session(engine: Engine, data: dict[str, Any]) -> None:
    from sohoa.errors import StateError

    with session_scope(engine) as session:
        khoa = session.scalars(select(User).where(User.username == "khoa")).one()
        with pytest.raises(StateError):
            start_session(session, khoa)
        assert end_sessions(session, "lan") == 0


def test_a_forged_session_cookie_is_refused(app: FastAPI) -> None:
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, "not-a-signed-cookie")
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.post("/queue/next", data={}, follow_redirects=False).status_code == 401
