"""loaders/staging.py: OCR records → staged Record rows, normalized, validated, audited, idempotent."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loaders.db import session_scope
from loaders.models import AuditLog, Book, Page, PageStatus, Record, RecordState
from loaders.registry import register_page
from loaders.staging import layout_info, stage_records
from sohoa.errors import InputError, StateError

ROWS: list[dict[str, str]] = [
    {
        "registration.number": "12",
        "registration.date": "05/03/2008",
        "child.full_name": "Nông Văn An",
        "child.birth_date": "01/03/2008",
        "child.sex": "Nam",
        "mother.full_name": "Hoàng Thị Mai",
        "mother.birth_year": "1985",
        "father.full_name": "Nông Văn Hùng",
        "father.birth_year": "1983",
    },
    {
        "registration.number": "13",
        "registration.date": "07/03/2008",
        "child.full_name": "Lý Thị Hoa",
        "child.birth_date": "31/02/2008",  # impossible: flagged, never guessed
        "child.sex": "Nữ",
        "mother.full_name": "Đàm Thị Lan",
        "mother.birth_year": "1960",  # 48 at the birth: fine; 1955 would be flagged
    },
]


def _ocr(rows: list[dict[str, str]], *, flags: list[str] | None = None, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "image": "p0001.png",
            "page": 1,
            "row": i + 1,
            "book_type": "birth",
            "era": "2006-2015",
            "fields": {
                k: {"text": v, "confidence": 0.9, "bbox": [10, 20 * i, 100, 18]} for k, v in row.items()
            },
            "quality": {"skew_deg": 0.3, "flags": flags or []},
            **extra,
        }
        for i, row in enumerate(rows)
    ]


def _page(session: Session, book_id: int, name: str = "p0001.png") -> Page:
    book = session.get(Book, book_id)
    assert book is not None
    page, _created = register_page(
        session, book, 1, name, hashlib.sha256(name.encode()).hexdigest(), 800, 600
    )
    return page


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_layout_info_has_types_and_tick_box_options() -> None:
    info = layout_info("birth", "2016+")
    assert info.types["child.full_name"] == "name"
    assert info.types["registration.timeliness"] == "choice"
    assert "on_time" in info.options["registration.timeliness"]


def test_stage_writes_normalized_validated_records(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        page = _page(session, book_id)
        result = stage_records(session, page, _ocr(ROWS, flags=["skewed"]), actor="ocr-bot")
        assert (result.created, result.unchanged, len(result.record_ids)) == (2, 0, 2)
    with session_scope(engine) as session:
        records = list(session.scalars(select(Record).order_by(Record.row_no)))
        assert [r.row_no for r in records] == [1, 2]
        first, second = records
        assert first.state == RecordState.STAGED and first.book_id == book_id and first.version == 1
        name = first.fields["child.full_name"]
        assert name["text"] == "Nông Văn An" and name["confidence"] == 0.9
        assert name["value"] == {"family": "Nông", "middle": "Văn", "given": "An"}
        assert name["bbox"] == [10, 0, 100, 18]
        assert first.fields["child.birth_date"]["value"] == "2008-03-01"
        assert first.fields["mother.birth_year"]["value"] == 1985
        assert any(i["code"] == "ocr_skewed" and i["source"] == "ocr" for i in first.issues)
        date = second.fields["child.birth_date"]
        assert date["value"] is None and "date_impossible" in [i["code"] for i in date["issues"]]
        staged_page = session.get(Page, first.page_id)
        assert staged_page is not None and staged_page.status == PageStatus.STAGED
        audits = list(session.scalars(select(AuditLog).where(AuditLog.entity == "record")))
        assert sorted(int(a.entity_id) for a in audits) == sorted(r.id for r in records)
        assert all(a.actor == "ocr-bot" and a.action == "stage" and a.after for a in audits)


def test_registration_outside_the_book_is_a_record_issue(engine: Engine, book_id: int) -> None:
    late = [dict(ROWS[0], **{"registration.date": "05/03/2013"})]  # the book runs 2006–2010
    with session_scope(engine) as session:
        stage_records(session, _page(session, book_id), _ocr(late), actor="t")
    with session_scope(engine) as session:
        record = session.scalars(select(Record)).one()
        assert "registration_outside_book" in [i["code"] for i in record.issues]


def test_rerun_changes_and_adds_nothing(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        first = stage_records(session, _page(session, book_id), _ocr(ROWS), actor="t")
    with session_scope(engine) as session:
        before = {
            r.id: (r.fields, r.issues, r.version, r.updated_at) for r in session.scalars(select(Record))
        }
        audits = _count(session, AuditLog)
    changed = [dict(row, **{"child.full_name": "Someone Else"}) for row in ROWS]
    with session_scope(engine) as session:
        again = stage_records(session, _page(session, book_id), _ocr(changed), actor="t")
    assert (again.created, again.unchanged) == (0, 2)
    assert again.record_ids == first.record_ids
    with session_scope(engine) as session:
        after = {r.id: (r.fields, r.issues, r.version, r.updated_at) for r in session.scalars(select(Record))}
        assert after == before
        assert _count(session, AuditLog) == audits


def test_a_new_row_of_a_staged_page_is_added(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        stage_records(session, _page(session, book_id), _ocr(ROWS[:1]), actor="t")
    with session_scope(engine) as session:
        result = stage_records(session, _page(session, book_id), _ocr(ROWS), actor="t")
        assert (result.created, result.unchanged) == (1, 1)
        assert _count(session, Record) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"era": "2016+"}, "era"),
        ({"book_type": "death"}, "book_type"),
        ({"row": None}, "không có số dòng hợp lệ"),
        ({"fields": "nope"}, "fields"),
    ],
)
def test_records_that_do_not_fit_the_book_are_refused(
    engine: Engine, book_id: int, change: dict[str, Any], message: str
) -> None:
    records = _ocr(ROWS)
    records[1].update(change)
    with pytest.raises(InputError, match=message) as info, session_scope(engine) as session:
        stage_records(session, _page(session, book_id), records, actor="t")
    assert info.value.hint
    with session_scope(engine) as session:
        assert _count(session, Record) == 0


def test_duplicate_rows_and_quarantined_pages_are_refused(engine: Engine, book_id: int) -> None:
    records = _ocr(ROWS)
    records[1]["row"] = records[0]["row"]
    with pytest.raises(InputError, match="cùng một dòng"), session_scope(engine) as session:
        stage_records(session, _page(session, book_id), records, actor="t")
    with session_scope(engine) as session:
        page = _page(session, book_id)
        page.status = PageStatus.QUARANTINED
        page.quarantine_reason = "blank page"
    with pytest.raises(StateError, match="đang bị cách ly") as info, session_scope(engine) as session:
        stage_records(session, _page(session, book_id), _ocr(ROWS), actor="t")
    assert info.value.hint and "quét lại trang" in info.value.hint
