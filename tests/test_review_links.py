"""Person-link decisions obey the rule of field edits (``loaders.approval.workable_record``): refused on a
record claimed by another reviewer or no longer in review, nothing changed and nothing audited; allowed to the
claim's holder; every decision audited with its record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_review_app import login, post

from loaders.db import session_scope
from loaders.link_review import choose_person, confirm_link, reject_link
from loaders.models import AuditLog, Link, LinkStatus, PersonMention, Record, RecordState, utcnow
from loaders.users import get_user
from sohoa.errors import ConflictError, StateError


def _set_state(engine: Engine, record_id: int, state: RecordState, holder: str | None = None) -> None:
    with session_scope(engine) as session:
        record = session.get(Record, record_id)
        assert record is not None
        record.state = state
        if holder is not None:
            record.claimed_by = get_user(session, holder).id
            record.claimed_until = utcnow() + dt.timedelta(hours=1)


def _unchanged(engine: Engine, data: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        link = session.get(Link, data["link"])
        mention = session.get(PersonMention, data["mention"])
        assert link is not None and link.status == LinkStatus.SUGGESTED and link.decided_by is None
        assert mention is not None and mention.person_id is None
        assert session.scalars(select(AuditLog.id).where(AuditLog.entity == "link")).all() == []


def _every_decision(client: TestClient, data: dict[str, Any], page: str) -> list[Any]:
    return [
        post(client, f"/links/{data['link']}/confirm", {}, page),
        post(client, f"/links/{data['link']}/reject", {}, page),
        post(client, f"/mentions/{data['mention']}/person", {"person_id": data["person"]}, page),
    ]


def test_a_record_claimed_by_another_reviewer_refuses_link_decisions(
    lan: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    _set_state(engine, rid, RecordState.IN_REVIEW, holder="minh")
    for response in _every_decision(lan, data, f"/records/{rid}"):
        assert response.status_code == 409
        assert "Không lưu được quyết định liên kết người: hồ sơ đang được người khác duyệt" in response.text
    _unchanged(engine, data)


@pytest.mark.parametrize("state", [RecordState.LOADED, RecordState.APPROVED, RecordState.REJECTED])
def test_a_decided_or_loaded_record_refuses_link_decisions(
    lan: TestClient, engine: Engine, data: dict[str, Any], state: RecordState
) -> None:
    rid = data["births"][0]
    _set_state(engine, rid, state)
    for response in _every_decision(lan, data, f"/records/{rid}"):
        assert response.status_code == 409 and "không còn sửa được" in response.text
    _unchanged(engine, data)


def test_the_claims_holder_decides_and_the_decision_is_audited_with_its_record(
    client: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    rid = data["births"][0]
    _set_state(engine, rid, RecordState.IN_REVIEW, holder="minh")
    login(client, "minh")
    assert post(client, f"/links/{data['link']}/confirm", {}, f"/records/{rid}").status_code == 303
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == "link")).all()
        assert [(r.actor, r.action) for r in rows] == [("minh", "confirm")]
        assert rows[0].after is not None and rows[0].after["record_id"] == rid


def test_an_operator_is_still_403_on_a_link_decision(
    client: TestClient, engine: Engine, data: dict[str, Any]
) -> None:
    login(client, "op")
    assert post(client, f"/links/{data['link']}/confirm", {}).status_code == 403
    _unchanged(engine, data)


def test_the_loaders_refuse_with_the_rule_of_field_edits(engine: Engine, data: dict[str, Any]) -> None:
    rid = data["births"][0]
    _set_state(engine, rid, RecordState.IN_REVIEW, holder="minh")
    with session_scope(engine) as session:
        lan = get_user(session, "lan")
        with pytest.raises(ConflictError, match="đang được minh duyệt"):
            confirm_link(session, data["link"], lan)
        with pytest.raises(ConflictError):
            choose_person(session, data["mention"], data["person"], lan)
    _set_state(engine, rid, RecordState.LOADED)
    with session_scope(engine) as session, pytest.raises(StateError, match="không sửa ở đây được nữa"):
        reject_link(session, data["link"], get_user(session, "sup"))
    _unchanged(engine, data)
