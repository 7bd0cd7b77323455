"""Offices, books and pages: idempotent registration, duplicates, audit rows, the summary."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from loaders.audit import audit, jsonable
from loaders.db import session_scope
from loaders.models import AuditLog, Book, BookType, Office, Page, Record, RecordState
from loaders.registry import book_summary, register_book, register_page, sync_offices
from sohoa.config import Office as ConfigOffice
from sohoa.errors import ConfigError, InputError, NotFoundError

SHA_A = "a" * 64
SHA_B = "b" * 64


def _audit_count(engine: Engine, entity: str | None = None) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(AuditLog)
        if entity is not None:
            query = query.where(AuditLog.entity == entity)
        return session.scalar(query) or 0


def test_sync_offices_is_idempotent(engine: Engine, offices: list[ConfigOffice]) -> None:
    with session_scope(engine) as session:
        first = sync_offices(session, reversed(offices))  # order of input does not matter
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    with session_scope(engine) as session:
        again = sync_offices(session, offices)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    renamed = [
        o.model_copy(update={"name": "Xã Chu Trinh (mới)"}) if o.code == "01235" else o for o in offices
    ]
    with session_scope(engine) as session:
        changed = sync_offices(session, renamed, actor="admin")
        assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
        office = session.get(Office, "01235")
        assert office is not None and office.name == "Xã Chu Trinh (mới)"
        assert office.parent is not None and office.parent.code == "040"
        row = session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
        assert (row.actor, row.entity_id) == ("admin", "01235")
        assert row.before is not None and row.before["name"] == "Xã Chu Trinh"
    assert _audit_count(engine, "office") == 5


def test_register_book_is_idempotent(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        again = register_book(session, "01234", "birth", "2006-2015", "1", 2006, 2010)
        assert again.id == book_id
        other = register_book(session, "01234", "birth", "2006-2015", "2")
        assert other.id != book_id
        assert other.office.name == "Phường Hợp Giang"
    assert _audit_count(engine, "book") == 2
    with session_scope(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        assert (book.book_type, book.year_from, book.year_to) == (BookType.BIRTH, 2006, 2010)


def test_register_book_refuses_unknown_things(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        with pytest.raises(NotFoundError) as err:
            register_book(session, "01243", "birth", "2006-2015", "1")
        assert (
            "không có mã cơ quan '01243'" in str(err.value)
            and "có phải ý bạn là" in str(err.value)
            and "01234" in err.value.hint
        )
        with pytest.raises(NotFoundError, match=r"configs/offices\.yaml"):
            register_book(session, "ZZZ", "birth", "2006-2015", "1")
        with pytest.raises(InputError, match="marriage"):
            register_book(session, "01234", "births", "2006-2015", "1")
        with pytest.raises(ConfigError, match="không có giai đoạn"):
            register_book(session, "01234", "birth", "1900-1950", "1")
        with pytest.raises(InputError):
            register_book(session, "01234", "birth", "2006-2015", "  ")


def test_register_book_without_offices_says_to_sync(engine: Engine) -> None:
    with (
        session_scope(engine) as session,
        pytest.raises(NotFoundError, match="chưa có cơ quan nào trong cơ sở dữ liệu"),
    ):
        register_book(session, "01234", "birth", "2006-2015", "1")


def test_duplicate_page_in_a_book_returns_the_existing_one(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        first, created = register_page(session, book, 1, "p0001.png", SHA_A, 2480, 3508)
        assert created
        again, created = register_page(session, book, 9, "copy-of-p0001.png", SHA_A.upper(), 2480, 3508)
        assert not created and again.id == first.id and again.page_no == 1
        second, created = register_page(session, book, 2, "p0002.png", SHA_B, 2480, 3508)
        assert created and second.id != first.id
        other_book = register_book(session, "01235", "birth", "2006-2015", "1")
        elsewhere, created = register_page(session, other_book, 1, "p0001.png", SHA_A, 2480, 3508)
        assert created and elsewhere.book_id == other_book.id
    assert _audit_count(engine, "page") == 3
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Page(book_id=book_id, page_no=3, sha256=SHA_A, image_path="x.png", width=1, height=1))


def test_register_page_validates_its_input(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        with pytest.raises(InputError, match="SHA-256"):
            register_page(session, book, 1, "p.png", "not-a-digest", 10, 10)
        with pytest.raises(InputError):
            register_page(session, book, 1, "p.png", SHA_A, 0, 10)


def test_book_summary(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        page, _ = register_page(session, book, 1, "p0001.png", SHA_A, 2480, 3508)
        register_page(session, book, 2, "p0002.png", SHA_B, 2480, 3508)
        for row_no, state in enumerate([RecordState.STAGED, RecordState.STAGED, RecordState.APPROVED], 1):
            session.add(
                Record(
                    page_id=page.id,
                    row_no=row_no,
                    book_id=book.id,
                    book_type=book.book_type,
                    era=book.era,
                    state=state,
                )
            )
        register_book(session, "01234", "marriage", "2006-2015", "1")
    with session_scope(engine) as session:
        rows = book_summary(session)
    assert [(r.book_type, r.volume) for r in rows] == [("marriage", "01"), ("birth", "01")]
    birth = rows[1]
    assert (birth.office_code, birth.office_name, birth.era, birth.pages) == (
        "01234",
        "Phường Hợp Giang",
        "2006-2015",
        2,
    )
    assert birth.records == {"staged": 2, "in_review": 0, "approved": 1, "loaded": 0, "rejected": 0}
    assert birth.total_records == 3
    assert rows[0].pages == 0 and rows[0].total_records == 0
    with session_scope(engine) as session:
        assert book_summary(session, office_code="01235") == []


def test_audit_rows_are_json_ready(engine: Engine) -> None:
    import datetime as dt

    with session_scope(engine) as session:
        row = audit(
            session,
            "reviewer1",
            "approve",
            "record",
            7,
            before={"state": RecordState.IN_REVIEW},
            after={"on": dt.date(2010, 5, 11), "ids": (1, 2)},
        )
    assert row.entity_id == "7"
    with session_scope(engine) as session:
        stored = session.get(AuditLog, row.id)
        assert stored is not None
        assert stored.before == {"state": "in_review"}
        assert stored.after == {"on": "2010-05-11", "ids": [1, 2]}
        assert stored.at.tzinfo is not None
    with pytest.raises(TypeError):
        jsonable(object())
    with session_scope(engine) as session, pytest.raises(ValueError):
        audit(session, "", "x", "y", 1)
