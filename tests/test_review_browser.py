"""review/ in a real browser: Debian's chromium (headless, Playwright) against uvicorn on a free port.

Log in, review with the keyboard only, approve, reject, a save conflict, a locked account, another
office's record refused. Screenshots of each screen go to the test's folder (and to
``SOHOA_REVIEW_SCREENSHOTS`` when set).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine
from test_review_app import PASSWORD, make_settings, version_of

from loaders.approval import edit_fields
from loaders.db import session_scope
from loaders.models import Record, RecordState
from loaders.users import find_user
from review.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SHOTS_ENV = "SOHOA_REVIEW_SCREENSHOTS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def server(engine: Engine, data: dict[str, Any]) -> Iterator[str]:
    """The review app served by uvicorn in a thread; its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(engine, make_settings()),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(page: Page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=False)
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def keyboard_login(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in with the keyboard alone: the user name field has the focus."""
    page.goto(f"{base}/login")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def state_of(engine: Engine, record_id: int) -> RecordState:
    with session_scope(engine) as session:
        record = session.get(Record, record_id)
        assert record is not None
        return record.state


def test_review_with_the_keyboard_only_approve_then_reject(
    page: Page, server: str, engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(f"{server}/login")
    shot(page, tmp_path, "login")
    keyboard_login(page, server, "lan")
    expect(page.locator("#start-review")).to_be_focused()
    shot(page, tmp_path, "queue")
    page.keyboard.press("Enter")  # the start button has the focus: claim the next record
    expect(page).to_have_url(f"{server}/records/{data['marriage']}")
    first = page.locator("input.value").first
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.name")
    assert focused.startswith("f:")
    page.keyboard.press("Control+a")
    page.keyboard.type("Nông Văn Hưng")
    shot(page, tmp_path, "record")
    page.keyboard.press("Control+Enter")  # approve → the next record (births, in page and row order)
    expect(page).to_have_url(f"{server}/records/{data['births'][0]}")
    expect(page.locator(".flash-success")).to_contain_text(f"Đã duyệt hồ sơ {data['marriage']}")
    assert state_of(engine, data["marriage"]) == RecordState.APPROVED
    with session_scope(engine) as session:
        record = session.get(Record, data["marriage"])
        assert record is not None
        assert "Nông Văn Hưng" in [f["text"] for f in record.fields.values()]
    page.keyboard.press("Alt+r")  # reject: reason, note, button — all by keyboard
    expect(page.locator("#reason")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("trang bị mờ")
    page.keyboard.press("Tab")
    expect(page.locator("#btn-reject")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text(f"Đã từ chối hồ sơ {data['births'][0]}")
    assert state_of(engine, data["births"][0]) == RecordState.REJECTED
    page.keyboard.press("Alt+k")  # skip
    expect(page).not_to_have_url(f"{server}/records/{data['births'][1]}")


def test_a_stale_save_shows_the_conflict_and_keeps_the_input(
    page: Page, server: str, engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    rid = data["births"][0]
    keyboard_login(page, server, "lan")
    page.goto(f"{server}/records/{rid}")
    with session_scope(engine) as session:  # another reviewer saves first
        minh = find_user(session, "minh")
        assert minh is not None
        edit_fields(session, rid, minh, version_of(engine, rid), {"mother.full_name": "Hoàng Thị Mây"})
    name = page.locator('input[name="f:child.full_name"]')
    name.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("Nông Văn Anh")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#conflict")).to_contain_text("đã được thay đổi bởi minh")
    expect(name).to_have_value("Nông Văn Anh")
    mother = page.locator('input[name="f:mother.full_name"]')
    expect(mother).to_have_value("Hoàng Thị Mây")  # untouched here: the other reviewer's value comes in
    expect(page.locator(".detail .other")).to_have_count(0)  # nothing both changed
    shot(page, tmp_path, "conflict")
    assert state_of(engine, rid) != RecordState.APPROVED
    page.keyboard.press("Control+Enter")  # checked, approve again: now it goes through
    expect(page.locator(".flash-success")).to_contain_text(f"Đã duyệt hồ sơ {rid}")
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.APPROVED
        assert record.fields["child.full_name"]["text"] == "Nông Văn Anh"
        assert record.fields["mother.full_name"]["text"] == "Hoàng Thị Mây"


def test_a_locked_account_is_refused(page: Page, server: str, tmp_path: Path) -> None:
    keyboard_login(page, server, "khoa")
    expect(page.locator(".flash-error")).to_contain_text("Tài khoản đã bị khóa")
    shot(page, tmp_path, "locked")
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login")


def test_another_offices_record_is_refused(page: Page, server: str, data: dict[str, Any]) -> None:
    keyboard_login(page, server, "khac")
    response = page.goto(f"{server}/records/{data['births'][0]}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Không tìm thấy")
    image = page.request.get(f"{server}/media/pages/{data['page']}.jpg")
    assert image.status == 404


def test_field_batch_and_supervisor_screens(
    page: Page, server: str, engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    keyboard_login(page, server, "sup")
    page.goto(f"{server}/books/{data['book_id']}/batch")
    expect(page.locator("h1")).to_contain_text("Sửa theo trường")
    page.goto(f"{server}/supervisor")
    expect(page.locator("#reviewers")).to_be_visible()
    shot(page, tmp_path, "supervisor")
