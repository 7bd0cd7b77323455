"""Model behaviour on both databases: uniqueness, optimistic locking, UTC timestamps, JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from loaders.db import session_scope
from loaders.models import Book, BookType, Page, Record, RecordState
from loaders.registry import register_page
from sohoa.fields import BOOK_TYPES

SHA = "ab" * 32


def _page(engine: Engine, book_id: int) -> int:
    with session_scope(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        return register_page(session, book, 1, "p0001.png", SHA, 2480, 3508)[0].id


def _record(page_id: int, book_id: int, row_no: int = 1) -> Record:
    return Record(
        page_id=page_id,
        row_no=row_no,
        book_id=book_id,
        book_type=BookType.BIRTH,
        era="2006-2015",
        fields={"child.full_name": {"text": "Nguyễn Văn An", "value": "Nguyễn Văn An", "confidence": 0.97}},
    )


def test_book_types_follow_the_field_contract() -> None:
    assert tuple(BookType) == BOOK_TYPES


def test_record_page_and_row_are_unique(engine: Engine, book_id: int) -> None:
    page_id = _page(engine, book_id)
    with session_scope(engine) as session:
        session.add(_record(page_id, book_id, 1))
        session.add(_record(page_id, book_id, 2))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(_record(page_id, book_id, 1))


def test_record_defaults_and_json_round_trip(engine: Engine, book_id: int) -> None:
    page_id = _page(engine, book_id)
    with session_scope(engine) as session:
        session.add(_record(page_id, book_id))
    with Session(engine) as session:
        record = session.query(Record).one()
        assert record.state is RecordState.STAGED
        assert record.version == 1
        assert record.issues == []
        assert record.fields["child.full_name"]["text"] == "Nguyễn Văn An"
        assert record.reject_reason is None


def test_optimistic_locking(engine: Engine, book_id: int) -> None:
    page_id = _page(engine, book_id)
    with session_scope(engine) as session:
        record = _record(page_id, book_id)
        session.add(record)
    with Session(engine) as first, Session(engine) as second:
        mine = first.get(Record, record.id)
        theirs = second.get(Record, record.id)
        assert mine is not None and theirs is not None
        mine.state = RecordState.IN_REVIEW
        first.commit()
        assert mine.version == 2
        theirs.state = RecordState.REJECTED
        with pytest.raises(StaleDataError):
            second.commit()
    with Session(engine) as session:
        fresh = session.get(Record, record.id)
        assert fresh is not None
        assert (fresh.state, fresh.version) == (RecordState.IN_REVIEW, 2)


def test_timestamps_are_utc_aware(engine: Engine, book_id: int) -> None:
    with Session(engine) as session:
        book = session.get(Book, book_id)
        assert book is not None
        assert book.created_at.tzinfo is dt.UTC
        assert abs(dt.datetime.now(dt.UTC) - book.created_at) < dt.timedelta(minutes=5)
        hanoi = dt.timezone(dt.timedelta(hours=7))
        page = session.get(Page, _page(engine, book_id))
        assert page is not None
        page.created_at = dt.datetime(2025, 1, 1, 7, 0, tzinfo=hanoi)
        session.commit()
        session.expire_all()
        assert page.created_at == dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC)
        page.created_at = dt.datetime(2025, 1, 1)  # naive: refused
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()
