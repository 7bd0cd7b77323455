"""review/: the queue, the record view (save, approve, reject, skip, conflicts), links, field-batch mode,
the supervisor and operator pages, and ``sohoa users``. The builders here (``seed``, ``login``, ``post`` …)
also serve the other review tests; the fixtures on top of them (``data``, ``app``, ``client``, ``lan``) are
in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_loaders_approval import BIRTHS, MARRIAGE, get_book, page_png, stage_page

from loaders.approval import claim_next, edit_fields
from loaders.db import session_scope
from loaders.models import (
    AuditLog,
    Link,
    LinkStatus,
    OfficialRecord,
    Person,
    PersonMention,
    Record,
    RecordState,
    User,
)
from loaders.registry import register_book
from loaders.staging import stage_records
from loaders.users import add_user, find_user, set_locked
from review.app import create_app
from review.settings import ReviewSettings

PASSWORD = "mat-khau-dai-1"
XSS = '<script>alert("xss")</script>'


# --------------------------------------------------------------------------- builders
def make_settings(**kwargs: Any) -> ReviewSettings:
    return ReviewSettings(secret_key="test-secret-key-" + "x" * 32, **kwargs)


def low_confidence_rows(rows: list[dict[str, str]], doubtful: str) -> list[dict[str, Any]]:
    """OCR results (the contract) where ``doubtful`` is read with confidence 0.4 and the rest 0.98."""
    out = []
    for i, row in enumerate(rows):
        fields = {
            key: {
                "text": text,
                "confidence": 0.4 if key == doubtful else 0.98,
                "bbox": [20 + 60 * k, 64 + 40 * i, 50, 30],
            }
            for k, (key, text) in enumerate(row.items())
        }
        out.append({"page": 1, "row": i + 1, "book_type": "birth", "era": "2006-2015", "fields": fields})
    return out


def seed(engine: Engine, book_id: int, folder: Path) -> dict[str, Any]:
    """Staged records with real page images, users of every role, a link suggestion; their ids."""
    with session_scope(engine) as session:
        book = get_book(session, book_id)
        image = page_png(folder, "p1.png", len(BIRTHS))
        births = stage_page(session, book, BIRTHS, image=image)
        marriage_book = register_book(session, "01234", "marriage", "2006-2015", "2")
        marriage = stage_page(session, marriage_book, [MARRIAGE], image=page_png(folder, "m1.png", 1))
        other_book = register_book(session, "01235", "birth", "2006-2015", "1")
        other = stage_page(session, other_book, BIRTHS[:1], image=page_png(folder, "o1.png", 1))
        xss_rows = [dict(BIRTHS[2], **{"child.full_name": XSS, "registration.number": "99"})]
        xss = stage_page(session, book, xss_rows, page_no=2, image=page_png(folder, "p2.png", 1))
        for name, office, role in (
            ("lan", "01234", "reviewer"),
            ("minh", "01234", "reviewer"),
            ("khac", "01235", "reviewer"),
            ("sup", "040", "supervisor"),
            ("op", "01234", "operator"),
            ("khoa", "01234", "reviewer"),
        ):
            add_user(session, name, office_code=office, role=role, password=PASSWORD)
        set_locked(session, "khoa", True)
        person = Person(display_name="Hoàng Thị Mai", birth_year=1985)
        session.add(person)
        session.flush()
        mention = PersonMention(
            record_id=births[0], role="mother", full_name="Hoàng Thị Mai", birth_year=1985
        )
        session.add(mention)
        session.flush()
        link = Link(
            mention_id=mention.id,
            person_id=person.id,
            score=7.5,
            status=LinkStatus.SUGGESTED,
            evidence={"decision": "suggested", "levels": {"given": "exact"}, "weights": {"given": 4.1}},
        )
        session.add(link)
        session.flush()
        return {
            "births": births,
            "marriage": marriage[0],
            "other": other[0],
            "xss": xss[0],
            "book_id": book_id,
            "link": link.id,
            "mention": mention.id,
            "person": person.id,
            "page": session.get(Record, births[0]).page_id,  # type: ignore[union-attr]
            "other_page": session.get(Record, other[0]).page_id,  # type: ignore[union-attr]
        }


CSRF_RE = re.compile(r'name="(csrf[^"]*)" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(2)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def post(client: TestClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """POST a form with the CSRF token of ``page`` (default: the home page)."""
    token = csrf_of(client.get(page or "/").text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def version_of(engine: Engine, record_id: int) -> int:
    with session_scope(engine) as session:
        found = session.get(Record, record_id)
        assert found is not None
        return found.version


# --------------------------------------------------------------------------- login and home
def test_login_then_home_answers_200_and_logout_ends_the_session(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    response = login(client, "lan")
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Duyệt hồ sơ tiếp theo" in home.text
    assert post(client, "/logout", {}).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_audited_logins(client: TestClient, engine: Engine) -> None:
    response = login(client, "lan", "not-the-password")
    assert response.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in response.text
    assert login(client, "nobody").status_code == 401
    assert login(client, "lan").status_code == 303
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "user")).all()
    assert "login" in actions


# --------------------------------------------------------------------------- queue and record view
def test_queue_gives_the_marriage_first_then_births_in_order(lan: TestClient, data: dict[str, Any]) -> None:
    first = post(lan, "/queue/next", {})
    assert first.headers["location"] == f"/records/{data['marriage']}"
    page = lan.get(first.headers["location"])
    assert page.status_code == 200
    assert "Bên nữ (vợ) — Họ, chữ đệm, tên" in page.text and "Hoàng Thị Mai" in page.text
    assert f"/media/records/{data['marriage']}/crop/bride.full_name.png" in page.text
    crop = lan.get(f"/media/records/{data['marriage']}/crop/bride.full_name.png")
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
    assert crop.content.startswith(b"\x89PNG")


def test_record_page_shows_boxes_confidence_issues_and_links(lan: TestClient, data: dict[str, Any]) -> None:
    page = lan.get(f"/records/{data['births'][0]}")
    assert page.status_code == 200
    assert 'class="box row-box"' in page.text and 'class="box field-box' in page.text
    assert "conf-high" in page.text  # the OCR read these with confidence 0.9
    assert "Liên kết người" in page.text and f"/links/{data['link']}/confirm" in page.text
    image = lan.get(f"/media/pages/{data['page']}.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_approve_saves_the_corrections_writes_the_official_row_and_moves_on(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    version = version_of(engine, rid)
    response = post(
        lan,
        f"/records/{rid}",
        {"action": "approve", "version": version, "f:child.full_name": "Nông Văn Ân"},
        page=f"/records/{rid}",
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/records/")
    assert response.headers["location"] != f"/records/{rid}"
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.APPROVED
        assert record.fields["child.full_name"]["text"] == "Nông Văn Ân"
        assert record.fields["child.full_name"]["ocr_text"] == "Nông Văn An"
        official = session.scalars(select(OfficialRecord).where(OfficialRecord.record_id == rid)).one()
        assert official.fields["child.full_name"]
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "record", AuditLog.entity_id == str(rid))
        ).all()
    assert "edit" in actions and "approve" in actions


def test_save_keeps_the_record_and_an_approved_record_is_read_only(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][1]
    response = post(
        lan,
        f"/records/{rid}",
        {"action": "save", "version": version_of(engine, rid), "f:child.sex": "Nữ"},
        page=f"/records/{rid}",
    )
    assert response.headers["location"] == f"/records/{rid}"
    assert "Đã lưu các sửa đổi" in lan.get(f"/records/{rid}").text
    post(lan, f"/records/{rid}", {"action": "approve", "version": version_of(engine, rid)}, f"/records/{rid}")
    page = lan.get(f"/records/{rid}")
    assert "Đã duyệt" in page.text and 'id="btn-approve"' not in page.text and "readonly" in page.text


def test_a_supervisor_corrects_an_approved_record_with_a_reason(
    client: TestClient, lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][1]
    post(lan, f"/records/{rid}", {"action": "approve", "version": version_of(engine, rid)}, f"/records/{rid}")
    assert 'id="btn-correct"' not in lan.get(f"/records/{rid}").text  # a reviewer cannot correct it
    refused = post(
        lan,
        f"/records/{rid}",
        {
            "action": "correct",
            "version": version_of(engine, rid),
            "f:child.sex": "Nam",
            "correction_reason": "x",
        },
        f"/records/{rid}",
    )
    assert refused.status_code == 409 and "không sửa được bằng tài khoản này" in refused.text
    client.cookies.clear()
    assert login(client, "sup").status_code == 303
    page = client.get(f"/records/{rid}").text
    assert 'id="btn-correct"' in page and 'id="btn-approve"' not in page
    form = {
        "action": "correct",
        "version": version_of(engine, rid),
        "f:child.sex": "Nam",
        "o:child.sex": "Nữ",
    }
    without_reason = post(client, f"/records/{rid}", form, f"/records/{rid}")
    assert without_reason.status_code == 400 and "Hãy ghi lý do sửa" in without_reason.text
    done = post(
        client, f"/records/{rid}", {**form, "correction_reason": "giới tính ghi nhầm"}, f"/records/{rid}"
    )
    assert done.status_code == 303 and done.headers["location"] == f"/records/{rid}"
    assert "Đã sửa hồ sơ" in client.get(f"/records/{rid}").text
    with session_scope(engine) as session:
        official = session.scalars(select(OfficialRecord).where(OfficialRecord.record_id == rid)).one()
        assert official.fields["child.sex"]["text"] == "Nam"
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "correct")).all()
        assert {(a.entity, a.actor) for a in audit} == {("record", "sup"), ("official_record", "sup")}


def test_person_search_finds_the_persons_of_the_users_offices_only(
    client: TestClient, lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    with session_scope(engine) as session:  # the person is named in a record of commune 01234
        session.add(
            PersonMention(
                record_id=data["births"][1],
                role="mother",
                full_name="Hoàng Thị Mai",
                birth_year=1985,
                person_id=data["person"],
            )
        )
    page = lan.get("/persons", params={"q": "hoang thi mai", "year": "1985"})
    assert page.status_code == 200
    assert f"<td>{data['person']}</td><td>Hoàng Thị Mai</td>" in page.text
    assert f'href="/records/{data["births"][1]}#links"' in page.text
    assert "Tìm mã người theo tên" in lan.get(f"/records/{data['births'][0]}").text
    assert "Không tìm thấy" in lan.get("/persons", params={"q": "hoang thi mai", "year": "1990"}).text
    assert lan.get("/persons", params={"q": "hoang thi mai", "year": "²"}).status_code == 200
    reflected = lan.get("/persons", params={"q": XSS}).text
    assert XSS not in reflected and "&lt;" in reflected
    client.cookies.clear()
    login(client, "khac")  # a reviewer of commune 01235
    assert "Không tìm thấy" in client.get("/persons", params={"q": "hoang thi mai"}).text
    client.cookies.clear()
    login(client, "op")
    assert client.get("/persons", params={"q": "hoang"}).status_code == 403


def test_stale_save_is_a_conflict_that_loses_nothing(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    stale = version_of(engine, rid)
    form = lan.get(f"/records/{rid}").text
    with session_scope(engine) as session:  # another reviewer corrects the record meanwhile
        minh = find_user(session, "minh")
        assert minh is not None
        edit_fields(session, rid, minh, stale, {"mother.full_name": "Hoàng Thị Mây"})
    response = lan.post(
        f"/records/{rid}",
        data={
            "action": "approve",
            "version": stale,
            "f:mother.full_name": "Hoàng Thị Mai",
            "f:child.full_name": "Nông Văn Anh",
            "csrf_token": csrf_of(form),
        },
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "đã được thay đổi bởi minh" in response.text
    assert 'value="Nông Văn Anh"' in response.text  # the reviewer's input is still in the form
    assert "Hoàng Thị Mây" in response.text  # and the other change is shown beside it
    assert f'name="version" value="{version_of(engine, rid)}"' in response.text
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state != RecordState.APPROVED
        assert record.fields["mother.full_name"]["text"] == "Hoàng Thị Mây"
        assert record.fields["child.full_name"]["text"] == "Nông Văn An"


def test_reject_needs_a_reason_then_rejects(lan: TestClient, engine: Engine, data: dict[str, Any]) -> None:
    rid = data["births"][2]
    version = version_of(engine, rid)
    missing = post(lan, f"/records/{rid}", {"action": "reject", "version": version}, f"/records/{rid}")
    assert missing.status_code == 400 and "Hãy chọn lý do từ chối" in missing.text
    done = post(
        lan,
        f"/records/{rid}",
        {"action": "reject", "version": version, "reason": "illegible", "note": "mờ"},
        f"/records/{rid}",
    )
    assert done.status_code == 303
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.REJECTED
        assert record.reject_reason == "illegible"


def test_skip_releases_and_gives_another_record(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    first = post(lan, "/queue/next", {}).headers["location"]
    rid = int(first.rsplit("/", 1)[1])
    skipped = post(lan, first, {"action": "skip", "version": version_of(engine, rid)}, first)
    assert skipped.status_code == 303 and skipped.headers["location"] != first
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.state == RecordState.STAGED


def test_two_reviewers_get_different_records_and_a_held_record_is_read_only(
    client: TestClient, app: FastAPI, data: dict[str, Any]
) -> None:
    login(client, "lan")
    mine = post(client, "/queue/next", {}).headers["location"]
    with TestClient(app) as other:
        login(other, "minh")
        theirs = post(other, "/queue/next", {}).headers["location"]
        assert theirs != mine
        page = other.get(mine)
        assert "đang được duyệt bởi" in page.text and 'id="btn-approve"' not in page.text


# --------------------------------------------------------------------------- links
def test_confirming_a_link_sets_the_person_and_rejecting_clears_it(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    assert post(lan, f"/links/{data['link']}/confirm", {}, f"/records/{rid}").status_code == 303
    with session_scope(engine) as session:
        link = session.get(Link, data["link"])
        mention = session.get(PersonMention, data["mention"])
        assert link is not None and link.status == LinkStatus.CONFIRMED
        assert mention is not None and mention.person_id == data["person"]
    assert post(lan, f"/links/{data['link']}/reject", {}, f"/records/{rid}").status_code == 303
    with session_scope(engine) as session:
        mention = session.get(PersonMention, data["mention"])
        assert mention is not None and mention.person_id is None
    chosen = post(
        lan, f"/mentions/{data['mention']}/person", {"person_id": data["person"]}, f"/records/{rid}"
    )
    assert chosen.status_code == 303
    with session_scope(engine) as session:
        mention = session.get(PersonMention, data["mention"])
        assert mention is not None and mention.person_id == data["person"]


# --------------------------------------------------------------------------- field-batch mode
def test_field_batch_lists_doubtful_values_and_corrects_them_in_place(
    lan: TestClient, engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        book = register_book(session, "01234", "birth", "2006-2015", "7")
        from loaders.registry import register_page

        image = page_png(tmp_path / "batch", "b1.png", len(BIRTHS))
        page, _ = register_page(session, book, 1, str(image), "ab" * 32, 600, 60 + 40 * len(BIRTHS))
        ids = stage_records(session, page, low_confidence_rows(BIRTHS, "child.sex"), actor="ocr").record_ids
        book_id = book.id
    overview = lan.get(f"/books/{book_id}/batch")
    assert "Giới tính (3)" in overview.text
    grid = lan.get(f"/books/{book_id}/batch?field=child.sex")
    assert grid.status_code == 200 and grid.text.count('class="cell') == 3
    assert f"/media/records/{ids[0]}/crop/child.sex.png" in grid.text
    form = {"field": "child.sex", f"ver:{ids[0]}": version_of(engine, ids[0]), f"v:{ids[0]}": "Nữ"}
    for rid in ids[1:]:
        form[f"ver:{rid}"] = version_of(engine, rid)
        form[f"v:{rid}"] = BIRTHS[ids.index(rid)]["child.sex"]
    saved = post(lan, f"/books/{book_id}/batch", form, f"/books/{book_id}/batch?field=child.sex")
    assert saved.status_code == 303
    with session_scope(engine) as session:
        record = session.get(Record, ids[0])
        assert record is not None and record.fields["child.sex"]["text"] == "Nữ"
        assert record.fields["child.sex"]["edited_by"] == "lan"
    after = lan.get(f"/books/{book_id}/batch?field=child.sex")
    assert after.text.count('class="cell') == 2  # the corrected value is no longer in doubt


# --------------------------------------------------------------------------- supervisor and operator
def test_supervisor_sees_reviewers_spot_checks_and_releases_claims(
    client: TestClient, app: FastAPI, engine: Engine, data: dict[str, Any]
) -> None:
    login(client, "lan")
    rid = data["births"][0]
    post(
        client,
        f"/records/{rid}",
        {"action": "approve", "version": version_of(engine, rid)},
        f"/records/{rid}",
    )
    with session_scope(engine) as session:
        lan_user = find_user(session, "lan")
        assert lan_user is not None
        held = claim_next(session, lan_user)
        assert held is not None
        held_id = held.id
    assert client.get("/supervisor").status_code == 403  # a reviewer is not a supervisor
    assert 'id="btn-check-ok"' not in client.get(f"/records/{rid}").text
    refused = post(client, f"/records/{rid}/spot-check", {"result": "ok"}, f"/records/{rid}")
    assert refused.status_code == 403
    with TestClient(app) as sup:
        login(sup, "sup")
        page = sup.get("/supervisor")
        assert (
            page.status_code == 200
            and "lan" in page.text
            and f'href="/records/{rid}#spot-check"' in page.text
        )
        assert f"/supervisor/release/{held_id}" in page.text
        # the supervisor checks the sampled approval against the page and records the finding
        assert 'id="btn-check-error"' in sup.get(f"/records/{rid}").text
        no_note = post(sup, f"/records/{rid}/spot-check", {"result": "error"}, f"/records/{rid}")
        assert no_note.status_code == 400
        found = post(
            sup,
            f"/records/{rid}/spot-check",
            {"result": "error", "check_note": "sai tên mẹ"},
            f"/records/{rid}",
        )
        assert found.status_code == 303 and found.headers["location"] == "/supervisor"
        page = sup.get("/supervisor")
        assert f'class="check-error">{rid}</a> ✗' in page.text
        assert "<td>1</td>\n      <td>1 (100.0%)</td>" in page.text
        released = post(sup, f"/supervisor/release/{held_id}", {}, "/supervisor")
        assert released.status_code == 303
    with session_scope(engine) as session:
        record = session.get(Record, held_id)
        assert record is not None and record.state == RecordState.STAGED


def test_operator_registers_a_book_and_sees_quarantined_pages(
    client: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    login(client, "op")
    page = client.get("/books")
    assert page.status_code == 200 and "Đăng ký sổ mới" in page.text
    made = post(
        client,
        "/books",
        {"office": "01234", "book_type": "death", "era": "1999-2005", "volume": "3"},
        "/books",
    )
    assert made.status_code == 303
    refused = post(
        client,
        "/books",
        {"office": "01235", "book_type": "death", "era": "1999-2005", "volume": "3"},
        "/books",
    )
    assert refused.status_code == 404  # another office
    assert "Khai tử" in client.get("/books").text
    assert post(client, "/queue/next", {}).status_code == 403  # an operator does not review


def test_operator_scan_takes_only_a_listed_folder(
    engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "scans"
    (root / "so-1").mkdir(parents=True)
    app = create_app(engine, make_settings(scan_root=root))
    with TestClient(app) as client:
        login(client, "op")
        assert "so-1" in client.get("/books").text
        for bad in ("../", "..", "/etc", "so-1/../..", "so-2"):
            response = post(client, f"/books/{data['book_id']}/scan", {"folder": bad}, "/books")
            assert response.status_code == 400, bad


# --------------------------------------------------------------------------- sohoa users
def test_users_cli_adds_lists_locks_and_sets_passwords(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sohoa.cli import app as cli

    monkeypatch.setenv("SOHOA_DATABASE_URL", db_url)
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["users", "add", "hoa", "--office", "01774", "--role", "reviewer", "--password-stdin"],
        input="bi-mat-123\n",
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        cli,
        ["users", "add", "hoa", "--office", "01774", "--role", "reviewer", "--password-stdin"],
        input="x" * 9,
    )
    assert again.exit_code != 0
    short = runner.invoke(
        cli,
        ["users", "add", "mai", "--office", "01774", "--role", "reviewer", "--password-stdin"],
        input="ngan\n",
    )
    assert short.exit_code == 5 and "mật khẩu quá ngắn" in short.output
    assert runner.invoke(cli, ["users", "lock", "hoa"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"])
    assert "hoa" in listed.output and "locked" in listed.output
    assert runner.invoke(cli, ["users", "unlock", "hoa"]).exit_code == 0
    changed = runner.invoke(
        cli, ["users", "set-password", "hoa", "--password-stdin"], input="mat-khau-moi-9\n"
    )
    assert changed.exit_code == 0
    from loaders.db import make_engine
    from loaders.users import verify_password

    eng = make_engine(db_url)
    try:
        with session_scope(eng) as session:
            assert verify_password(session, "hoa", "mat-khau-moi-9") is not None
            assert verify_password(session, "hoa", "bi-mat-123") is None
            user = session.scalars(select(User).where(User.username == "hoa")).one()
            assert user.password_hash.startswith("$argon2id$") and not user.locked
    finally:
        eng.dispose()


def test_users_claim_timeout_setting_is_used(engine: Engine, data: dict[str, Any]) -> None:
    app = create_app(engine, make_settings(claim_timeout=dt.timedelta(minutes=5)))
    with TestClient(app) as client:
        login(client, "lan")
        location = post(client, "/queue/next", {}).headers["location"]
    rid = int(location.rsplit("/", 1)[1])
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.claimed_until is not None
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "claim", AuditLog.entity_id == str(rid))
        ).one()
        assert audit.after is not None
        claimed_at = record.updated_at
        assert record.claimed_until - claimed_at <= dt.timedelta(minutes=5, seconds=1)


def test_after_a_conflict_untouched_fields_take_the_other_value_and_edited_ones_keep_yours(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    stale = version_of(engine, rid)
    token = csrf_of(lan.get(f"/records/{rid}").text)
    with session_scope(engine) as session:
        minh = find_user(session, "minh")
        assert minh is not None
        edit_fields(session, rid, minh, stale, {"mother.full_name": "Hoàng Thị Mây", "child.sex": "Nữ"})
    response = lan.post(
        f"/records/{rid}",
        data={
            "action": "save",
            "version": stale,
            "csrf_token": token,
            "f:mother.full_name": "Hoàng Thị Maii",  # both changed this one
            "o:mother.full_name": "Hoàng Thị Mai",
            "f:child.sex": "Nam",  # only the other reviewer changed this one
            "o:child.sex": "Nam",
        },
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert (
        'value="Hoàng Thị Maii"' in response.text
        and "Người khác đã lưu: <q>Hoàng Thị Mây</q>" in response.text
    )
    assert 'name="f:child.sex" value="Nữ"' in response.text


def test_operator_uploads_pages_stored_by_content_never_by_their_name(
    engine: Engine, data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review.routes import operator

    started: list[tuple[int, list[Path]]] = []
    monkeypatch.setattr(
        operator, "_start", lambda book, files, source, actor: started.append((book.id, files)) or True
    )
    uploads = tmp_path / "uploads"
    app = create_app(engine, make_settings(upload_root=uploads))
    png = page_png(tmp_path / "src", "p.png", 2).read_bytes()
    with TestClient(app) as client:
        login(client, "op")
        token = csrf_of(client.get("/books").text)
        files = [
            ("pages", ("../../../../etc/evil.png", png, "image/png")),
            ("pages", ("notes.txt", b"not an image at all", "text/plain")),
        ]
        response = client.post(
            f"/books/{data['book_id']}/upload",
            data={"csrf_token": token},
            files=files,
            follow_redirects=False,
        )
        assert response.status_code == 303
        page = client.get("/books").text
        assert "notes.txt: không phải ảnh" in page
        other = client.post(
            "/books/999/upload", data={"csrf_token": token}, files=files[:1], follow_redirects=False
        )
        assert other.status_code == 404
    stored = sorted(p.name for p in uploads.rglob("*") if p.is_file())
    assert stored == [f"{hashlib.sha256(png).hexdigest()}.png"]
    assert started == [(data["book_id"], [uploads / f"book-{data['book_id']}" / stored[0]])]
    assert not (tmp_path / "etc").exists()


def test_field_batch_reports_a_stale_value_with_what_was_typed(
    lan: TestClient, engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        book = register_book(session, "01234", "birth", "2006-2015", "8")
        from loaders.registry import register_page

        image = page_png(tmp_path / "batch", "b2.png", 1)
        page, _ = register_page(session, book, 1, str(image), "cd" * 32, 600, 100)
        (rid,) = stage_records(
            session, page, low_confidence_rows(BIRTHS[:1], "child.sex"), actor="ocr"
        ).record_ids
        book_id = book.id
    stale = version_of(engine, rid)
    grid = f"/books/{book_id}/batch?field=child.sex"
    token = csrf_of(lan.get(grid).text)
    with session_scope(engine) as session:
        minh = find_user(session, "minh")
        assert minh is not None
        edit_fields(session, rid, minh, stale, {"child.sex": "Nữ"})
    form = {"csrf_token": token, "field": "child.sex", f"ver:{rid}": stale, f"v:{rid}": "Nam giới"}
    saved = lan.post(f"/books/{book_id}/batch", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page_after = lan.get(saved.headers["location"]).text
    assert f"Hồ sơ {rid}" in page_after and "«Nam giới»" in page_after and "minh" in page_after
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None and record.fields["child.sex"]["text"] == "Nữ"


def test_link_decisions_are_audited(lan: TestClient, engine: Engine, data: dict[str, Any]) -> None:
    post(lan, f"/links/{data['link']}/confirm", {}, f"/records/{data['births'][0]}")
    with session_scope(engine) as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.entity == "link", AuditLog.entity_id == str(data["link"]))
        ).all()
    assert [(r.actor, r.action) for r in rows] == [("lan", "confirm")]
    assert rows[0].after is not None and rows[0].after["mention_person_id"] == data["person"]


def test_a_decided_record_refuses_changes_and_keeps_the_input(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][1]
    page = f"/records/{rid}"
    token = csrf_of(lan.get(page).text)
    version = version_of(engine, rid)
    post(lan, page, {"action": "approve", "version": version}, page)
    form = {"csrf_token": token, "action": "save", "f:child.sex": "Nam giới"}
    stale = lan.post(page, data={**form, "version": version}, follow_redirects=False)
    assert stale.status_code == 409 and "đã được thay đổi bởi lan" in stale.text
    late = lan.post(page, data={**form, "version": version_of(engine, rid)}, follow_redirects=False)
    assert late.status_code == 409 and "Không lưu được: hồ sơ không còn sửa được" in late.text
    assert 'value="Nam giới"' in late.text


def test_operator_scan_of_a_server_folder_runs_the_scan_flow(
    engine: Engine, db_url: str, data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.settings import database
    from loaders.models import Page
    from review.routes import operator

    monkeypatch.setenv("SOHOA_DATABASE_URL", db_url)  # the flow works on the database of the settings
    root = tmp_path / "scans"
    folder = root / "so-khai-sinh-1"
    page_png(folder, "p001.png", 2)
    (folder / "p002.png").write_bytes(b"not a page image")
    app = create_app(engine, make_settings(scan_root=root))
    with TestClient(app) as client:
        login(client, "op")
        with session_scope(engine) as session:
            book = register_book(session, "01234", "birth", "2006-2015", "9")
            book_id = book.id
        started = post(client, f"/books/{book_id}/scan", {"folder": "so-khai-sinh-1"}, "/books")
        assert started.status_code == 303
        assert "Đã bắt đầu quét 2 tệp" in client.get("/books").text
        operator._RUNNING[book_id].join(timeout=600)
        assert not operator._RUNNING[book_id].is_alive()
        page = client.get("/books").text
    database().dispose()
    with session_scope(engine) as session:
        pages = session.scalars(select(Page).where(Page.book_id == book_id)).all()
        assert len(pages) == 2
        reasons = sorted(str(p.quarantine_reason) for p in pages)
    # a ruled page with no writing is blank; a text file named .png is refused: both listed with the reason
    assert reasons[0].startswith("blank") and reasons[1].startswith("unsupported"), reasons
    assert page.count("bị cách ly") == 2 and "là một tệp văn bản" in page
