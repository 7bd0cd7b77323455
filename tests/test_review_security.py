"""review/ security: no session → 401 or /login; other offices → 404; no CSRF → 403; XSS inert;
no path traversal on image routes; locked accounts; login throttling; cookie flags."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_review_app import (
    PASSWORD,
    XSS,
    csrf_of,
    login,
    make_settings,
    post,
    version_of,
)

from loaders.db import session_scope
from loaders.models import AuditLog, Record, RecordState
from loaders.users import set_locked, set_password
from review.app import create_app


def _concrete(path: str) -> str:
    for name in ("record_id", "page_id", "link_id", "mention_id", "book_id"):
        path = path.replace("{" + name + "}", "1")
    return path.replace("{key}", "child.full_name").replace("{decision}", "confirm")


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every API route, inside included routers too (FastAPI keeps those as their original router)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def test_every_route_without_a_session_is_401_or_a_redirect_to_login(app: FastAPI) -> None:
    routes = [r for r in _api_routes(app.routes) if r.path != "/login"]
    assert len(routes) >= 12
    with TestClient(app) as anonymous:
        for route in routes:
            for method in route.methods:
                response = anonymous.request(method, _concrete(route.path), follow_redirects=False)
                if method == "GET" and not route.path.startswith("/media/"):
                    assert response.status_code == 303, route.path
                    assert response.headers["location"] == "/login", route.path
                else:
                    assert response.status_code == 401, (method, route.path)


def test_another_offices_record_page_and_image_are_404(
    client: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    login(client, "khac")  # reviewer of commune 01235
    rid = data["births"][0]
    assert client.get(f"/records/{rid}").status_code == 404
    assert client.get(f"/media/pages/{data['page']}.jpg").status_code == 404
    assert client.get(f"/media/records/{rid}/crop/child.full_name.png").status_code == 404
    assert client.get(f"/books/{data['book_id']}/batch").status_code == 404
    approve = post(client, f"/records/{rid}", {"action": "approve", "version": version_of(engine, rid)})
    assert approve.status_code == 404
    assert post(client, f"/links/{data['link']}/confirm", {}).status_code == 404
    assert client.get("/records/999999").status_code == 404  # the same answer as a record that does not exist
    assert client.get(f"/records/{data['other']}").status_code == 200  # its own office's record
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.STAGED


def test_a_form_without_its_csrf_token_is_403(lan: TestClient, engine: Engine, data: dict[str, Any]) -> None:
    rid = data["births"][0]
    version = version_of(engine, rid)
    for token in (None, "", "forged-token"):
        form: dict[str, Any] = {"action": "approve", "version": version}
        if token is not None:
            form["csrf_token"] = token
        assert lan.post(f"/records/{rid}", data=form, follow_redirects=False).status_code == 403
        assert lan.post("/queue/next", data=form, follow_redirects=False).status_code == 403
        assert (
            lan.post(f"/links/{data['link']}/confirm", data=form, follow_redirects=False).status_code == 403
        )
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.STAGED


def test_login_without_csrf_is_403(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "lan", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_script_payloads_in_values_are_rendered_inert(lan: TestClient, data: dict[str, Any]) -> None:
    page = lan.get(f"/records/{data['xss']}")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    [
        "/media/pages/..%2F..%2F..%2Fetc%2Fpasswd.jpg",
        "/media/pages/../../etc/passwd",
        "/media/pages/%2Fetc%2Fpasswd.jpg",
        "/media/pages/1.jpg/../../../etc/passwd",
        "/media/records/1/crop/..%2F..%2Fetc%2Fpasswd.png",
        "/media/records/1/crop/....%2F%2Fetc%2Fpasswd.png",
        "/static/../loaders/models.py",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/app.py",
    ],
)
def test_path_traversal_on_image_routes_is_refused(lan: TestClient, path: str) -> None:
    response = lan.get(path, follow_redirects=False)
    assert response.status_code in (400, 404), response.status_code
    assert b"root:" not in response.content and b"[project]" not in response.content
    assert b"class User" not in response.content


def test_a_locked_account_cannot_log_in_and_open_sessions_end(
    client: TestClient, app: FastAPI, engine: Engine, data: dict[str, Any]
) -> None:
    refused = login(client, "khoa")
    assert refused.status_code == 403 and "Tài khoản đã bị khóa" in refused.text
    assert client.get("/", follow_redirects=False).status_code == 303
    with TestClient(app) as lan_client:
        assert login(lan_client, "lan").status_code == 303
        assert lan_client.get("/").status_code == 200
        with session_scope(engine) as session:
            set_locked(session, "lan", True)
        assert lan_client.get("/", follow_redirects=False).headers["location"] == "/login"
        assert lan_client.get(f"/media/pages/{data['page']}.jpg").status_code == 401


def test_a_new_password_ends_open_sessions(client: TestClient, engine: Engine) -> None:
    login(client, "lan")
    assert client.get("/").status_code == 200
    with session_scope(engine) as session:
        set_password(session, "lan", "mat-khau-khac-2")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_is_throttled_after_repeated_failures(engine: Engine, data: dict[str, Any]) -> None:
    app = create_app(engine, make_settings(login_max_failures=3))
    with TestClient(app) as client:
        for _ in range(3):
            assert login(client, "lan", "sai-mat-khau").status_code == 401
        blocked = login(client, "lan")  # the right password, too late
        assert blocked.status_code == 429 and "thử lại sau" in blocked.text
        assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    token = csrf_of(response.text)
    assert len(token) >= 32


def test_a_reviewer_cannot_open_supervisor_or_operator_pages(lan: TestClient) -> None:
    assert lan.get("/supervisor").status_code == 403
    assert lan.get("/books").status_code == 403


def test_throttle_blocks_a_name_sooner_than_a_shared_address() -> None:
    import datetime as dt

    from loaders.users import LoginAttempt
    from review.throttle import LoginThrottle

    t0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    throttle = LoginThrottle(3, 60, 300)
    office = "10.0.0.1"

    def failures(name: str, n: int, start: int = 0) -> list[LoginAttempt]:
        return [LoginAttempt(t0 + dt.timedelta(seconds=start + i), name, office, False) for i in range(n)]

    attempts = failures("a", 3) + failures("b", 3, 3) + failures("c", 3, 6)
    now = t0 + dt.timedelta(seconds=10)
    assert (
        throttle.retry_after(attempts, now, "a", "10.9.9.9") == 292
    )  # blocked at its third failure (2 s) for 300 s
    assert (
        throttle.retry_after(attempts, now, "d", office) == 0
    )  # 9 failures: the office's address still works
    attempts += failures("d", 3, 9)
    assert throttle.retry_after(attempts, now, "e", office) > 0  # 12 = 4 × 3
    later = t0 + dt.timedelta(seconds=320)
    assert throttle.retry_after(attempts, later, "a", office) == 0
    # failures spread wider than the window never add up; a success clears the name's count
    spread = [LoginAttempt(t0 + dt.timedelta(seconds=61 * i), "f", "x", False) for i in range(5)]
    assert throttle.retry_after(spread, t0 + dt.timedelta(seconds=250), "f", "x") == 0
    cleared = [
        *failures("g", 2),
        LoginAttempt(t0 + dt.timedelta(seconds=3), "g", office, True),
        *failures("g", 2, 4),
    ]
    assert throttle.retry_after(cleared, t0 + dt.timedelta(seconds=10), "g", "y") == 0


def test_failed_logins_are_audited_and_throttle_every_server_process(
    engine: Engine, data: dict[str, Any]
) -> None:
    first = create_app(engine, make_settings(login_max_failures=3))
    second = create_app(engine, make_settings(login_max_failures=3))  # another worker of the same server
    with TestClient(first) as a, TestClient(second) as b:
        assert login(a, "lan", "sai-mat-khau").status_code == 401
        assert login(b, "lan", "sai-mat-khau").status_code == 401
        assert login(a, "lan", "sai-mat-khau").status_code == 401
        assert login(b, "lan").status_code == 429  # the other process's failures count
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()
        assert [(r.actor, r.entity, r.entity_id) for r in rows] == [("anonymous", "login", "lan")] * 3
        assert all(r.after == {"address": "testclient"} for r in rows)
    with TestClient(
        first
    ) as a:  # a name no account has (a password typed in the wrong box) is kept as a digest
        assert login(a, "mat-khau-bi-mat", "x").status_code == 401
    with session_scope(engine) as session:
        last = session.scalars(
            select(AuditLog).where(AuditLog.action == "login_failed").order_by(AuditLog.id.desc())
        ).first()
        assert last is not None and last.entity_id.startswith("?") and "mat-khau" not in last.entity_id
