"""loaders/official.py: approved records → loaded, one transaction per record, idempotent, audited, scoped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from test_loaders_approval import BIRTHS, T0, add_user, get_book, stage_page, user

from loaders import official as official_module
from loaders.approval import approve, reject
from loaders.audit import audit
from loaders.db import session_scope
from loaders.models import AuditLog, OfficialRecord, Record, RecordState
from loaders.official import (
    final_fields,
    load_approved,
    offices_under,
    registration_date,
    registration_number,
)
from loaders.registry import register_book
from sohoa.errors import NotFoundError

LATER = T0 + dt.timedelta(hours=2)


@pytest.fixture
def reviewed(engine: Engine, book_id: int) -> list[int]:
    """Three birth records of commune 01234: two approved by lan, one rejected; one staged in commune 01235."""
    with session_scope(engine) as session:
        ids = stage_page(session, get_book(session, book_id), BIRTHS)
        other_book = register_book(session, "01235", "birth", "2006-2015", "1")
        stage_page(session, other_book, BIRTHS[:1])
        lan = add_user(session, "lan")
        approve(session, ids[0], lan, 1, now=T0)
        approve(session, ids[1], lan, 1, now=T0)
        reject(session, ids[2], lan, 1, "illegible", now=T0)
    return ids


def _states(session: Session) -> dict[int, str]:
    return {r.id: str(r.state) for r in session.scalars(select(Record).order_by(Record.id))}


def test_offices_under_walks_the_tree(engine: Engine, book_id: int) -> None:
    with session_scope(engine) as session:
        assert offices_under(session, "04") == {"04", "040", "01234", "01235"}
        assert offices_under(session, "040") == {"040", "01234", "01235"}
        assert offices_under(session, "01235") == {"01235"}


def test_load_moves_approved_records_to_loaded_once(
    engine: Engine, reviewed: list[int], book_id: int
) -> None:
    with session_scope(engine) as session:
        result = load_approved(session, "01234", actor="loader", now=LATER)
        assert (result.loaded, result.already, result.books, result.problems) == (2, 0, [book_id], [])
    with session_scope(engine) as session:
        states = _states(session)
        assert [states[i] for i in reviewed] == ["loaded", "loaded", "rejected"]
        officials = session.scalars(select(OfficialRecord).order_by(OfficialRecord.record_id)).all()
        assert [o.record_id for o in officials] == reviewed[:2]
        assert all(o.loaded_at == LATER and o.approved_at == T0 for o in officials)
        assert all(o.approved_by == user(session, "lan").id for o in officials)
        loads = session.scalars(select(AuditLog).where(AuditLog.action == "load")).all()
        assert sorted(int(a.entity_id) for a in loads) == reviewed[:2]
        assert all(a.actor == "loader" and a.after and a.after["state"] == "loaded" for a in loads)
    with session_scope(engine) as session:
        again = load_approved(session, "01234", actor="loader")
        assert (again.loaded, again.books) == (0, [])
        assert session.scalar(select(func.count()).select_from(OfficialRecord)) == 2
        assert len(session.scalars(select(AuditLog).where(AuditLog.action == "load")).all()) == 2


def test_load_covers_sub_offices_and_only_them(engine: Engine, reviewed: list[int]) -> None:
    with session_scope(engine) as session:
        assert load_approved(session, "01235", actor="loader").loaded == 0
        assert load_approved(session, "040", actor="loader").loaded == 2
    with pytest.raises(NotFoundError, match="không có mã cơ quan '9999'"), session_scope(engine) as session:
        load_approved(session, "9999", actor="loader")


def test_approved_without_an_official_row_is_rebuilt_from_the_audit_trail(
    engine: Engine, book_id: int
) -> None:
    with session_scope(engine) as session:
        ids = stage_page(session, get_book(session, book_id), BIRTHS[:2])
        lan = add_user(session, "lan")
        for rid in ids:  # approved by another path: state only, and for the first an approval audit row
            session.get(Record, rid).state = RecordState.APPROVED  # type: ignore[union-attr]
        audit(session, "lan", "approve", "record", ids[0], after={"state": "approved"})
        lan_id = lan.id
    with session_scope(engine) as session:
        result = load_approved(session, "01234", actor="loader")
        assert result.loaded == 1 and len(result.problems) == 1
        assert f"bản ghi {ids[1]} đã duyệt, nhưng nhật ký không có lần duyệt" in result.problems[0]
    with session_scope(engine) as session:
        rebuilt = session.scalars(select(OfficialRecord)).one()
        assert rebuilt.record_id == ids[0] and rebuilt.approved_by == lan_id
        assert rebuilt.registration_number == "12"
        assert _states(session)[ids[1]] == "approved"
        created = session.scalars(select(AuditLog).where(AuditLog.entity == "official_record")).one()
        assert created.actor == "loader" and created.action == "create"


def test_one_transaction_per_record_a_failure_keeps_the_loaded_ones(
    engine: Engine, reviewed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = official_module._load_one

    def failing(session: Session, record_id: int, actor: str, now: dt.datetime) -> int | None:
        if record_id == reviewed[1]:
            real(session, record_id, actor, now)  # the change is made, then the database fails
            raise ConnectionError("database went away")
        return real(session, record_id, actor, now)

    monkeypatch.setattr(official_module, "_load_one", failing)
    with pytest.raises(ConnectionError), session_scope(engine) as session:
        load_approved(session, "01234", actor="loader")
    with session_scope(engine) as session:
        states = _states(session)
        assert (states[reviewed[0]], states[reviewed[1]]) == ("loaded", "approved")
        assert (
            session.scalar(select(OfficialRecord.loaded_at).where(OfficialRecord.record_id == reviewed[1]))
            is None
        )
    monkeypatch.setattr(official_module, "_load_one", real)
    with session_scope(engine) as session:
        assert load_approved(session, "01234", actor="loader").loaded == 1
        assert _states(session)[reviewed[1]] == "loaded"


@pytest.mark.parametrize(
    ("fields", "number", "day"),
    [
        ({"registration.number": {"value": 12, "text": "12"}}, "12", None),
        ({"registration.number": {"value": None, "text": " 12a "}}, "12a", None),
        ({"registration.date": {"value": "2008-03-05", "text": "05/03/2008"}}, None, dt.date(2008, 3, 5)),
        ({"registration.date": {"value": "2008-03", "text": "03/2008"}}, None, None),
        ({}, None, None),
    ],
)
def test_registration_number_and_date(
    fields: dict[str, Any], number: str | None, day: dt.date | None
) -> None:
    assert (registration_number(fields), registration_date(fields)) == (number, day)


def test_final_fields_keep_value_and_canonical_text() -> None:
    raw = {
        "child.full_name": {"text": "nông văn an", "display": "Nông Văn An", "value": {"given": "An"}},
        "note": {"text": "x", "value": None},
        "odd": "plain",
    }
    assert final_fields(raw) == {
        "child.full_name": {"value": {"given": "An"}, "text": "Nông Văn An"},
        "note": {"value": None, "text": "x"},
        "odd": {"value": None, "text": "plain"},
    }
