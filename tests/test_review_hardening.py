"""Smaller holes of issue 14: ids beyond 64 bits are 404, a 500 carries the security headers, links out of the
scan root are refused, and every typed text has a limit per kind with a Vietnamese message (nothing saved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_loaders_approval import page_png
from test_review_app import login, make_settings, post, version_of

from loaders.approval import edit_fields
from loaders.db import session_scope
from loaders.limits import FIELD_LIMITS, TooLongError, check_fields
from loaders.models import AuditLog, Record, RecordState
from loaders.users import get_user
from review.app import create_app
from review.routes.operator import page_files, scan_folders

HUGE = "9223372036854775808"  # 2**63: no 64-bit column holds it


# --------------------------------------------------------------------------- ids beyond 64 bits
@pytest.mark.parametrize(
    "path",
    [
        f"/records/{HUGE}",
        f"/records/{HUGE}0000",
        "/records/-9223372036854775809",
        "/records/0",
        f"/media/pages/{HUGE}.jpg",
        f"/media/records/{HUGE}/crop/child.full_name.png",
        f"/books/{HUGE}/batch",
    ],
)
def test_an_id_beyond_64_bits_is_404(lan: TestClient, path: str) -> None:
    assert lan.get(path, follow_redirects=False).status_code == 404


def test_a_post_with_an_id_beyond_64_bits_is_404_and_changes_nothing(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    before = _audit_ids(engine)
    for url in (f"/records/{HUGE}", f"/links/{HUGE}/confirm", f"/mentions/{HUGE}/person"):
        assert post(lan, url, {"action": "approve", "version": 1, "person_id": 1}).status_code == 404, url
    assert lan.get("/records/9223372036854775807").status_code == 404  # the largest id: a plain miss
    batch = post(
        lan, f"/books/{data['book_id']}/batch", {"field": "child.sex", f"v:{HUGE}": "Nữ", f"ver:{HUGE}": HUGE}
    )
    assert batch.status_code == 303
    rid = data["births"][0]
    chosen = post(lan, f"/mentions/{data['mention']}/person", {"person_id": HUGE}, f"/records/{rid}")
    assert chosen.status_code == 400
    assert _audit_ids(engine) == before


def _audit_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditLog.id).where(AuditLog.entity.in_(("record", "link")))))


# --------------------------------------------------------------------------- 500 answers
def test_an_unexpected_error_is_a_500_with_the_security_headers(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders import review_views

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom: secret detail")

    monkeypatch.setattr(review_views, "state_counts", broken)
    with TestClient(app) as client:
        login(client, "lan")
        response = client.get("/")
    assert response.status_code == 500
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "Lỗi máy chủ" in response.text and "secret detail" not in response.text


# --------------------------------------------------------------------------- the scan root
def _scan_tree(tmp_path: Path) -> Path:
    root = tmp_path / "scans"
    page_png(root / "so-1", "p001.png", 1)
    outside = tmp_path / "elsewhere"
    page_png(outside, "secret.png", 1)
    (root / "ra-ngoai").symlink_to(outside, target_is_directory=True)  # a folder link leading out
    (root / "so-1" / "p002.png").symlink_to(outside / "secret.png")  # a file link leading out
    (root / "ben-trong").symlink_to(root / "so-1", target_is_directory=True)  # a link staying inside
    return root


def test_links_out_of_the_scan_root_are_neither_listed_nor_read(tmp_path: Path) -> None:
    root = _scan_tree(tmp_path)
    assert scan_folders(root) == ["ben-trong", "so-1"]
    assert [p.name for p in page_files(root / "so-1", root)] == ["p001.png"]


def test_the_operator_cannot_scan_a_folder_linked_out_of_the_root(
    engine: Engine, data: dict[str, Any], tmp_path: Path
) -> None:
    root = _scan_tree(tmp_path)
    app = create_app(engine, make_settings(scan_root=root))
    with TestClient(app) as client:
        login(client, "op")
        books = client.get("/books").text
        assert "so-1" in books and "ra-ngoai" not in books
        refused = post(client, f"/books/{data['book_id']}/scan", {"folder": "ra-ngoai"}, "/books")
        assert refused.status_code == 400


# --------------------------------------------------------------------------- lengths
def _form(engine: Engine, rid: int, **fields: str) -> dict[str, Any]:
    return {"action": "save", "version": version_of(engine, rid), **fields}


def _fields(engine: Engine, rid: int) -> tuple[int, dict[str, Any], str]:
    with session_scope(engine) as session:
        record = session.get(Record, rid)
        assert record is not None
        return record.version, dict(record.fields), str(record.state)


def test_a_too_long_field_is_refused_in_vietnamese_and_keeps_the_input(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    page = f"/records/{rid}"
    before = _fields(engine, rid)
    name = "Nông Văn " + "A" * 92  # 101 characters
    response = post(lan, page, _form(engine, rid, **{"f:child.full_name": name}), page)
    assert response.status_code == 400
    assert (
        "Ô «Người được khai sinh / con — Họ, chữ đệm, tên» dài 101 ký tự, quá giới hạn 100 ký tự"
        in response.text
    )
    assert f'value="{name}"' in response.text
    note = post(lan, page, _form(engine, rid, **{"f:note": "x" * 10_000}), page)
    assert note.status_code == 400 and "Ô «Ghi chú» dài 10000 ký tự, quá giới hạn 1000 ký tự" in note.text
    approve = post(lan, page, {**_form(engine, rid, **{"f:note": "x" * 1001}), "action": "approve"}, page)
    assert approve.status_code == 400
    assert _fields(engine, rid) == before  # nothing saved, not approved
    fits = post(lan, page, _form(engine, rid, **{"f:child.full_name": name[:100]}), page)
    assert fits.status_code == 303


def test_a_too_long_reject_note_correction_reason_or_check_note_is_refused(
    client: TestClient, lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid, approved = data["births"][0], data["births"][1]
    page = f"/records/{rid}"
    rejected = post(
        lan,
        page,
        {"action": "reject", "version": version_of(engine, rid), "reason": "illegible", "note": "y" * 501},
        page,
    )
    assert (
        rejected.status_code == 400 and "Ghi chú khi từ chối dài 501 ký tự, quá giới hạn 500" in rejected.text
    )
    assert _fields(engine, rid)[2] == RecordState.STAGED
    post(lan, f"/records/{approved}", {"action": "approve", "version": version_of(engine, approved)}, page)
    client.cookies.clear()
    login(client, "sup")
    corrected = post(
        client,
        f"/records/{approved}",
        {
            "action": "correct",
            "version": version_of(engine, approved),
            "f:child.sex": "Nam",
            "o:child.sex": "Nữ",
            "correction_reason": "z" * 501,
        },
        f"/records/{approved}",
    )
    assert corrected.status_code == 400 and "Lý do sửa dài 501 ký tự, quá giới hạn 500" in corrected.text
    checked = post(
        client,
        f"/records/{approved}/spot-check",
        {"result": "error", "check_note": "w" * 501},
        f"/records/{approved}",
    )
    assert checked.status_code == 400 and "Ghi chú kiểm tra dài 501 ký tự" in checked.text
    with session_scope(engine) as session:
        actions = set(session.scalars(select(AuditLog.action).where(AuditLog.entity == "record")))
    assert actions & {"reject", "correct", "spot_check"} == set() and "approve" in actions


def test_the_field_batch_refuses_a_too_long_value(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    before = _fields(engine, rid)
    form = {"field": "child.sex", f"v:{rid}": "N" * 21, f"ver:{rid}": version_of(engine, rid)}
    assert post(lan, f"/books/{data['book_id']}/batch", form).status_code == 303
    page = lan.get(f"/books/{data['book_id']}/batch?field=child.sex").text
    assert "dài 21 ký tự, quá giới hạn 20 ký tự" in page
    assert _fields(engine, rid) == before


def test_limits_are_per_field_type(engine: Engine, data: dict[str, Any]) -> None:
    assert FIELD_LIMITS["place"] > FIELD_LIMITS["name"] > FIELD_LIMITS["date"]
    check_fields({"child.birth_place": "p" * 300}, {"child.birth_place": "place"})
    with pytest.raises(TooLongError) as found:
        check_fields({"child.full_name": "n" * 101}, {"child.full_name": "name"})
    assert (found.value.what, found.value.kind, found.value.limit) == ("child.full_name", "name", 100)
    rid = data["births"][0]
    with session_scope(engine) as session:
        lan = get_user(session, "lan")
        with pytest.raises(TooLongError):
            edit_fields(session, rid, lan, version_of(engine, rid), {"child.birth_date": "1" * 41})
