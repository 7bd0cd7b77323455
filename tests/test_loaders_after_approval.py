"""After approval: corrections (loaders/corrections.py: a supervisor's change with a reason, in the record, its
official row and two audit rows; the book's export package becomes stale) and spot checks
(loaders/spot_checks.py: findings attributed to the approving reviewer, counted on the supervisor page)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from test_loaders_approval import BIRTHS, T0, add_user, get_book, page_png, record, stage_page, user

from loaders.approval import PermissionDenied, RecordConflictError, approve, reject
from loaders.corrections import can_correct, correct_record
from loaders.db import session_scope
from loaders.export import export_book, package_is_current
from loaders.models import AuditLog, OfficialRecord, RecordState, UserRole
from loaders.official import load_approved
from loaders.review_views import reviewer_stats
from loaders.spot_checks import latest_results, record_spot_check
from sohoa.errors import InputError, NotFoundError, StateError

LATER = T0 + dt.timedelta(days=3)


@pytest.fixture
def approved(engine: Engine, book_id: int, tmp_path: Path) -> list[int]:
    """Three birth records of commune 01234: two approved by lan, one rejected; and a supervisor of the
    district, a supervisor of another commune and a reviewer."""
    with session_scope(engine) as session:
        image = page_png(tmp_path / "pages", "p1.png", len(BIRTHS))
        ids = stage_page(session, get_book(session, book_id), BIRTHS, image=image)
        lan = add_user(session, "lan")
        add_user(session, "sup", office="040", role=UserRole.SUPERVISOR)
        add_user(session, "far", office="01235", role=UserRole.SUPERVISOR)
        approve(session, ids[0], lan, 1, now=T0)
        approve(session, ids[1], lan, 1, now=T0)
        reject(session, ids[2], lan, 1, "illegible", now=T0)
    return ids


def _official(session: object, record_id: int) -> OfficialRecord:
    query = select(OfficialRecord).where(OfficialRecord.record_id == record_id)
    return session.scalars(query).one()  # type: ignore[attr-defined, no-any-return]


def test_a_supervisor_corrects_an_approved_record_and_its_official_row(
    engine: Engine, approved: list[int]
) -> None:
    with session_scope(engine) as session:
        sup = user(session, "sup")
        assert can_correct(sup, record(session, approved[0]))
        assert not can_correct(user(session, "lan"), record(session, approved[0]))
        changes = {"child.full_name": "Nông Văn Ân", "registration.number": "21"}
        fixed = correct_record(session, approved[0], sup, 2, changes, "  sai dấu  tên ", now=LATER)
        assert fixed.state == RecordState.APPROVED and fixed.version == 3
        name = fixed.fields["child.full_name"]
        assert name["text"] == "Nông Văn Ân" and name["ocr_text"] == "Nông Văn An"
        assert name["edited_by"] == "sup" and name["value"]["given"] == "Ân"
    with session_scope(engine) as session:
        official = _official(session, approved[0])
        assert official.fields["child.full_name"]["text"] == "Nông Văn Ân"
        assert official.registration_number == "21"
        assert official.approved_by == user(session, "lan").id  # the approval itself is unchanged
        rows = session.scalars(
            select(AuditLog).where(AuditLog.action == "correct").order_by(AuditLog.id)
        ).all()
        assert [(r.entity, r.entity_id, r.actor) for r in rows] == [
            ("record", str(approved[0]), "sup"),
            ("official_record", str(official.id), "sup"),
        ]
        on_record, on_official = rows
        assert on_record.after is not None and on_record.before is not None
        assert on_record.after["reason"] == "sai dấu tên" and on_record.after["version"] == 3
        assert on_record.before["fields"]["child.full_name"]["text"] == "Nông Văn An"
        assert on_official.before is not None and on_official.after is not None
        assert on_official.before["registration_number"] == "12"
        assert on_official.after["registration_number"] == "21"
        assert on_official.after["fields"]["child.full_name"]["text"] == "Nông Văn Ân"
        # the other approved record is untouched
        assert _official(session, approved[1]).fields["child.full_name"]["text"] == "Lý Thị Hoa"


def test_only_supervisors_of_the_office_correct_only_decided_records_with_a_reason(
    engine: Engine, approved: list[int]
) -> None:
    with session_scope(engine) as session:
        sup, lan, far = user(session, "sup"), user(session, "lan"), user(session, "far")
        change = {"child.full_name": "Nông Văn Ân"}
        with pytest.raises(PermissionDenied, match="chỉ giám sát viên hoặc quản trị viên"):
            correct_record(session, approved[0], lan, 2, change, "sai")
        with pytest.raises(NotFoundError):
            correct_record(session, approved[0], far, 2, change, "sai")  # another commune's supervisor
        with pytest.raises(InputError, match="đính chính cần có lý do"):
            correct_record(session, approved[0], sup, 2, change, "   ")
        with pytest.raises(StateError, match="chỉ đính chính bản ghi đã duyệt hoặc đã nạp"):
            correct_record(session, approved[2], sup, 2, change, "sai")  # rejected
        with pytest.raises(RecordConflictError):
            correct_record(session, approved[0], sup, 1, change, "sai")  # the version before approval
        with pytest.raises(InputError, match="không phải trường của bản ghi"):
            correct_record(session, approved[0], sup, 2, {"nonsense": "x"}, "sai")
        same = correct_record(session, approved[0], sup, 2, {"child.full_name": "Nông Văn An"}, "sai")
        assert same.version == 2  # nothing changed: no new version
        book = get_book(session, record(session, approved[0]).book_id)
        staged = stage_page(session, book, BIRTHS[:1], page_no=2)
        with pytest.raises(StateError, match="chỉ đính chính bản ghi đã duyệt hoặc đã nạp"):
            correct_record(session, staged[0], sup, 1, change, "sai")
    with session_scope(engine) as session:
        assert not session.scalars(select(AuditLog).where(AuditLog.action == "correct")).all()
        assert _official(session, approved[0]).fields["child.full_name"]["text"] == "Nông Văn An"


def test_a_loaded_record_stays_loaded_and_its_package_must_be_written_again(
    engine: Engine, approved: list[int], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with session_scope(engine) as session:
        load_approved(session, "01234", actor="loader")
    with session_scope(engine) as session:
        book_id = record(session, approved[0]).book_id
        export_book(session, book_id, out)
        assert package_is_current(session, book_id, out)
        fixed = correct_record(
            session, approved[1], user(session, "sup"), 3, {"child.birth_date": "03/03/2008"}, "sai ngày"
        )
        assert fixed.state == RecordState.LOADED
    with session_scope(engine) as session:
        assert _official(session, approved[1]).fields["child.birth_date"]["text"] == "03/03/2008"
        assert not package_is_current(session, book_id, out)  # corrected after the export
        export_book(session, book_id, out)
        assert package_is_current(session, book_id, out)


def test_spot_checks_are_attributed_to_the_approver_and_the_latest_counts(
    engine: Engine, approved: list[int]
) -> None:
    with session_scope(engine) as session:
        sup = user(session, "sup")
        row = record_spot_check(session, approved[0], sup, "ok")
        assert row.action == "spot_check" and row.actor == "sup"
        assert row.after == {"result": "ok", "note": "", "reviewer": "lan"}
        record_spot_check(session, approved[1], sup, "error", "ngày sinh  khác sổ")
    with session_scope(engine) as session:
        [lan] = [s for s in reviewer_stats(session, None) if s.username == "lan"]
        assert (lan.approvals, lan.checked, lan.check_errors, lan.error_rate) == (2, 2, 1, 0.5)
        assert "sup" not in {s.username for s in reviewer_stats(session, None)}  # checking is not reviewing
        assert latest_results(session, approved) == {approved[0]: "ok", approved[1]: "error"}
        record_spot_check(session, approved[1], user(session, "sup"), "ok")  # checked again after a fix
    with session_scope(engine) as session:
        [lan] = [s for s in reviewer_stats(session, None) if s.username == "lan"]
        assert (lan.checked, lan.check_errors) == (2, 0)
        assert latest_results(session, approved)[approved[1]] == "ok"
        assert record(session, approved[1]).version == 2  # a check changes nothing in the record


def test_spot_checks_only_by_supervisors_on_decided_records(engine: Engine, approved: list[int]) -> None:
    with session_scope(engine) as session:
        sup = user(session, "sup")
        with pytest.raises(PermissionDenied):
            record_spot_check(session, approved[0], user(session, "lan"), "ok")
        with pytest.raises(NotFoundError):
            record_spot_check(session, approved[0], user(session, "far"), "ok")
        with pytest.raises(InputError, match="không có kết quả kiểm tra"):
            record_spot_check(session, approved[0], sup, "maybe")
        with pytest.raises(InputError, match="ghi rõ chỗ khác với trang sổ"):
            record_spot_check(session, approved[0], sup, "error", "  ")
        with pytest.raises(StateError, match="chỉ kiểm tra xác suất bản ghi đã duyệt hoặc đã nạp"):
            record_spot_check(session, approved[2], sup, "ok")
    with session_scope(engine) as session:
        assert latest_results(session, approved) == {}


def test_a_supervisor_does_not_spot_check_their_own_approval(engine: Engine, approved: list[int]) -> None:
    with session_scope(engine) as session:
        sup = user(session, "sup")
        book = get_book(session, record(session, approved[0]).book_id)
        [own] = stage_page(session, book, BIRTHS[:1], page_no=2)
        approve(session, own, sup, 1, now=T0)
        with pytest.raises(PermissionDenied, match="phải do người khác làm"):
            record_spot_check(session, own, sup, "ok")
