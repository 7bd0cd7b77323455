"""loaders/approval.py: claims (priority, two reviewers, expiry, release), edit, approve, reject, conflicts.

The builders at the top (users, pages, staged records) are shared with the official, export and flow tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from loaders.approval import (
    DEFAULT_CLAIM_TIMEOUT,
    PermissionDenied,
    RecordConflictError,
    _Candidate,
    _take,
    approve,
    claim_next,
    edit_fields,
    get_record,
    reject,
    release_claim,
)
from loaders.db import make_engine, session_scope
from loaders.models import AuditLog, Book, OfficialRecord, Record, RecordState, RejectReason, User, UserRole
from loaders.registry import register_book, register_page
from loaders.staging import stage_records
from sohoa.errors import ConflictError, InputError, NotFoundError, StateError

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

BIRTHS: list[dict[str, str]] = [
    {
        "registration.number": "12",
        "registration.date": "05/03/2008",
        "child.full_name": "Nông Văn An",
        "child.birth_date": "01/03/2008",
        "child.sex": "Nam",
        "mother.full_name": "Hoàng Thị Mai",
        "mother.birth_year": "1985",
    },
    {
        "registration.number": "13",
        "registration.date": "07/03/2008",
        "child.full_name": "Lý Thị Hoa",
        "child.birth_date": "02/03/2008",
        "child.sex": "Nữ",
        "mother.full_name": "Đàm Thị Lan",
        "mother.birth_year": "1980",
    },
    {
        "registration.number": "14",
        "registration.date": "09/03/2008",
        "child.full_name": "Hoàng Văn Bình",
        "child.birth_date": "04/03/2008",
        "child.sex": "Nam",
    },
]
MARRIAGE = {
    "registration.number": "3",
    "registration.date": "10/01/2008",
    "bride.full_name": "Hoàng Thị Mai",
    "groom.full_name": "Nông Văn Hùng",
}


# --------------------------------------------------------------------------- shared builders
def add_user(
    session: Session, username: str, *, office: str | None = "01234", role: UserRole = UserRole.REVIEWER
) -> User:
    """A user row (the review app hashes passwords; here any non-empty hash does)."""
    user = User(username=username, password_hash="!not-a-login", role=role, office_code=office)
    session.add(user)
    session.flush()
    return user


def page_png(folder: Path, name: str, rows: int) -> Path:
    """A small ruled ledger page with ``rows`` rows of 40 px, below a 40 px header."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    image = Image.new("RGB", (600, 60 + 40 * rows), "white")
    draw = ImageDraw.Draw(image)
    for i in range(rows + 2):
        draw.line((10, 20 + 40 * i, 590, 20 + 40 * i), fill="black", width=2)
    image.save(path)
    return path


def ocr_rows(
    rows: list[dict[str, str]], book_type: str = "birth", era: str = "2006-2015"
) -> list[dict[str, Any]]:
    """OCR results (the design's contract) of ``rows``, row i inside the ledger row box of :func:`page_png`."""
    return [
        {
            "page": 1,
            "row": i + 1,
            "book_type": book_type,
            "era": era,
            "fields": {
                key: {"text": text, "confidence": 0.9, "bbox": [20 + 60 * k, 64 + 40 * i, 50, 30]}
                for k, (key, text) in enumerate(row.items())
            },
            "quality": {"skew_deg": 0.2, "flags": []},
        }
        for i, row in enumerate(rows)
    ]


def stage_page(
    session: Session,
    book: Book,
    rows: list[dict[str, str]],
    *,
    page_no: int = 1,
    image: Path | None = None,
) -> list[int]:
    """Register a page of ``book`` (a real image when given) and stage ``rows`` on it; the record ids."""
    name = str(image) if image is not None else f"book{book.id}-p{page_no}.png"
    digest = hashlib.sha256(image.read_bytes() if image is not None else name.encode()).hexdigest()
    page, _ = register_page(session, book, page_no, name, digest, 600, 60 + 40 * len(rows))
    return stage_records(session, page, ocr_rows(rows, str(book.book_type), book.era), actor="ocr").record_ids


def get_book(session: Session, book_id: int) -> Book:
    book = session.get(Book, book_id)
    assert book is not None
    return book


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def record(session: Session, record_id: int) -> Record:
    found = session.get(Record, record_id, populate_existing=True)
    assert found is not None
    return found


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def births(engine: Engine, book_id: int) -> list[int]:
    """Three staged birth records of commune 01234, and users: two reviewers, a supervisor of the district,
    a reviewer of commune 01235 and an operator."""
    with session_scope(engine) as session:
        ids = stage_page(session, get_book(session, book_id), BIRTHS)
        add_user(session, "lan")
        add_user(session, "minh")
        add_user(session, "sup", office="040", role=UserRole.SUPERVISOR)
        add_user(session, "other", office="01235")
        add_user(session, "op", role=UserRole.OPERATOR)
    return ids


# --------------------------------------------------------------------------- claims
def test_claims_follow_era_then_book_group_then_page_and_row(
    engine: Engine, book_id: int, births: list[int]
) -> None:
    with session_scope(engine) as session:
        marriage = register_book(session, "01234", "marriage", "2006-2015", "1")
        newer = register_book(session, "01234", "birth", "2016+", "1")
        (marriage_id,) = stage_page(session, marriage, [MARRIAGE])
        (newer_id,) = stage_page(session, newer, [dict(BIRTHS[0], **{"registration.date": "05/03/2017"})])
    order = []
    with session_scope(engine) as session:
        lan = user(session, "lan")
        for _ in range(6):
            got = claim_next(session, lan, exclude=order, now=T0)
            if got is None:
                break
            order.append(got.id)
    assert order == [newer_id, marriage_id, *births]


def test_two_reviewers_never_get_the_same_record(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        first = claim_next(session, user(session, "lan"), now=T0)
        second = claim_next(session, user(session, "minh"), now=T0)
        again = claim_next(session, user(session, "lan"), now=T0 + dt.timedelta(minutes=5))
        assert first is not None and second is not None and again is not None
        assert (first.id, second.id) == (births[0], births[1])
        assert again.id == first.id  # a reviewer gets their own claim back, renewed
        assert again.claimed_until == T0 + dt.timedelta(minutes=5) + DEFAULT_CLAIM_TIMEOUT
        assert again.state == RecordState.IN_REVIEW and again.claimed_by == user(session, "lan").id
    with session_scope(engine) as session:
        claims = session.scalars(select(AuditLog).where(AuditLog.action == "claim")).all()
        assert [c.actor for c in claims] == ["lan", "minh", "lan"]
        assert claims[0].before is not None and claims[0].before["state"] == "staged"


def test_concurrent_claims_skip_a_record_held_by_an_open_transaction(
    engine: Engine, db_url: str, births: list[int]
) -> None:
    """Two transactions at once on PostgreSQL (SKIP LOCKED); on SQLite, a candidate changed meanwhile."""
    if engine.dialect.name == "postgresql":
        other = make_engine(db_url)
        try:
            with session_scope(engine) as one, session_scope(other) as two:
                a = claim_next(one, user(one, "lan"), now=T0)
                b = claim_next(two, user(two, "minh"), now=T0)  # a's row is locked, not committed yet
                assert a is not None and b is not None and a.id != b.id
        finally:
            other.dispose()
        return
    with session_scope(engine) as session:
        lan = user(session, "lan")
        stale = _Candidate(births[0], RecordState.STAGED, None, None, 1)
        assert claim_next(session, user(session, "minh"), now=T0) is not None  # takes births[0], version 2
        assert not _take(session, stale, lan, T0 + DEFAULT_CLAIM_TIMEOUT, T0)
        got = claim_next(session, lan, now=T0)
        assert got is not None and got.id == births[1]


def test_an_expired_claim_is_free_again(engine: Engine, births: list[int]) -> None:
    timeout = dt.timedelta(minutes=20)
    with session_scope(engine) as session:
        first = claim_next(session, user(session, "lan"), timeout=timeout, now=T0)
        assert first is not None
        before_expiry = claim_next(session, user(session, "minh"), exclude=births[1:], now=T0 + timeout / 2)
        assert before_expiry is None
        after_expiry = claim_next(
            session, user(session, "minh"), exclude=births[1:], now=T0 + timeout + dt.timedelta(seconds=1)
        )
        assert after_expiry is not None and after_expiry.id == first.id
        assert after_expiry.claimed_by == user(session, "minh").id


def test_release_by_holder_or_supervisor_only(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        held = claim_next(session, user(session, "lan"), now=T0)
        assert held is not None
        with pytest.raises(PermissionDenied, match="đang do người duyệt khác giữ"):
            release_claim(session, held.id, user(session, "minh"), now=T0)
        released = release_claim(session, held.id, user(session, "sup"), now=T0)
        assert released.state == RecordState.STAGED and released.claimed_by is None
        again = claim_next(session, user(session, "minh"), now=T0)
        assert again is not None and again.id == held.id
        assert release_claim(session, held.id, user(session, "minh"), now=T0).state == RecordState.STAGED
    with session_scope(engine) as session:
        actions = [
            a.action for a in session.scalars(select(AuditLog).where(AuditLog.entity_id == str(held.id)))
        ]
        assert actions[-4:] == ["claim", "release", "claim", "release"]


def test_scope_other_office_is_not_found_supervisor_sees_sub_offices(
    engine: Engine, births: list[int]
) -> None:
    with session_scope(engine) as session:
        other = user(session, "other")
        assert claim_next(session, other, now=T0) is None
        with pytest.raises(NotFoundError, match=f"không có bản ghi {births[0]}"):
            approve(session, births[0], other, 1, now=T0)
        with pytest.raises(NotFoundError):
            get_record(session, 10_000, user(session, "lan"))
        assert get_record(session, births[0], user(session, "sup")).id == births[0]
        got = claim_next(session, user(session, "sup"), now=T0)
        assert got is not None and got.id == births[0]


def test_locked_accounts_and_operators_cannot_review(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied, match="không được duyệt bản ghi"):
            claim_next(session, user(session, "op"), now=T0)
        lan = user(session, "lan")
        lan.locked = True
        with pytest.raises(PermissionDenied, match="đang bị khóa"):
            approve(session, births[0], lan, 1, now=T0)


# --------------------------------------------------------------------------- edit
def test_edit_keeps_the_ocr_text_and_normalizes_again(engine: Engine, births: list[int]) -> None:
    rid = births[2]
    with session_scope(engine) as session:
        lan = user(session, "lan")
        edited = edit_fields(
            session,
            rid,
            lan,
            1,
            {"child.full_name": "hoàng văn bính", "child.ethnicity": "Tày", "child.sex": "Nam"},
            now=T0,
        )
        assert edited.version == 2
    with session_scope(engine) as session:
        fields = record(session, rid).fields
        name = fields["child.full_name"]
        assert name["text"] == "hoàng văn bính" and name["ocr_text"] == "Hoàng Văn Bình"
        assert name["display"] == "Hoàng Văn Bính" and name["value"]["given"] == "Bính"
        assert name["edited_by"] == "lan" and name["bbox"] == [140, 144, 50, 30]
        assert fields["child.ethnicity"]["ocr_text"] == "" and fields["child.ethnicity"]["display"] == "Tày"
        assert "edited_by" not in fields["child.sex"]  # same text: not an edit
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "edit")).one()
        assert audit.actor == "lan" and audit.before is not None and audit.after is not None
        assert audit.before["fields"]["child.full_name"]["text"] == "Hoàng Văn Bình"
        assert audit.after["fields"]["child.full_name"]["text"] == "hoàng văn bính"
        assert (audit.before["version"], audit.after["version"]) == (1, 2)


def test_a_second_edit_keeps_the_first_ocr_text_and_no_change_is_no_version(
    engine: Engine, births: list[int]
) -> None:
    with session_scope(engine) as session:
        lan = user(session, "lan")
        edit_fields(session, births[0], lan, 1, {"child.full_name": "Nông Văn Ân"})
        edit_fields(session, births[0], lan, 2, {"child.full_name": "Nông Văn Anh"})
        same = edit_fields(session, births[0], lan, 3, {"child.full_name": " Nông Văn Anh "})
        assert same.version == 3
        assert same.fields["child.full_name"]["ocr_text"] == "Nông Văn An"


def test_a_stale_edit_is_a_conflict_and_loses_nothing(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        edit_fields(session, births[0], user(session, "lan"), 1, {"child.full_name": "Nông Văn Ân"})
    with session_scope(engine) as session, pytest.raises(RecordConflictError) as caught:
        edit_fields(session, births[0], user(session, "minh"), 1, {"child.full_name": "Nông Văn Anh"})
    assert isinstance(caught.value, ConflictError)
    assert "đã bị sửa bởi lan (edit)" in str(caught.value) and "phiên bản của bạn 1, hiện là 2" in str(
        caught.value
    )
    assert (caught.value.expected, caught.value.current) == (1, 2)
    with session_scope(engine) as session:
        kept = record(session, births[0])
        assert kept.version == 2 and kept.fields["child.full_name"]["text"] == "Nông Văn Ân"


def test_edit_refuses_unknown_keys_and_records_held_by_others(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        lan, minh = user(session, "lan"), user(session, "minh")
        with pytest.raises(InputError, match=r"bride\.full_name không phải trường của bản ghi birth"):
            edit_fields(session, births[0], lan, 1, {"bride.full_name": "X"})
        held = claim_next(session, lan, now=T0)
        assert held is not None
        with pytest.raises(ConflictError, match="đang được lan duyệt"):
            edit_fields(session, held.id, minh, held.version, {"note": "x"}, now=T0)
        edited = edit_fields(session, held.id, lan, held.version, {"note": "đã kiểm tra"}, now=T0)
        assert edited.state == RecordState.IN_REVIEW  # editing keeps the claim


# --------------------------------------------------------------------------- approve / reject
def test_approve_writes_the_official_row(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        lan = user(session, "lan")
        held = claim_next(session, lan, now=T0)
        assert held is not None
        approved = approve(session, held.id, lan, held.version, now=T0)
        assert approved.state == RecordState.APPROVED and approved.claimed_by is None
    with session_scope(engine) as session:
        official = session.scalars(select(OfficialRecord)).one()
        assert official.record_id == births[0] and official.approved_by == user(session, "lan").id
        assert official.approved_at == T0 and official.loaded_at is None
        assert official.office_code == "01234" and official.registration_number == "12"
        assert official.registration_date == dt.date(2008, 3, 5)
        assert official.fields["child.full_name"] == {
            "value": {"family": "Nông", "middle": "Văn", "given": "An"},
            "text": "Nông Văn An",
        }
        assert official.fields["registration.date"]["text"] == "05/03/2008"
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "approve")).one()
        assert audit.after is not None and audit.after["approved_by"] == official.approved_by
        assert audit.after["official_id"] == official.id


def test_approve_conflicts_and_states(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        lan, minh = user(session, "lan"), user(session, "minh")
        approve(session, births[0], lan, 1, now=T0)
        with pytest.raises(RecordConflictError, match="đã bị sửa bởi lan \\(approve\\)"):
            approve(session, births[0], minh, 1, now=T0)
        with pytest.raises(StateError, match="trạng thái approved, không sửa ở đây được nữa"):
            reject(session, births[0], minh, 2, RejectReason.ILLEGIBLE, now=T0)
        with pytest.raises(StateError, match="không sửa ở đây được nữa"):
            edit_fields(session, births[0], minh, 2, {"note": "x"}, now=T0)
    with session_scope(engine) as session:
        assert session.scalars(select(OfficialRecord)).one().record_id == births[0]


def test_reject_with_a_reason(engine: Engine, births: list[int]) -> None:
    with session_scope(engine) as session:
        lan = user(session, "lan")
        with pytest.raises(InputError, match="illegible, not_a_record, rescan"):
            reject(session, births[1], lan, 1, "blurry")
        rejected = reject(session, births[1], lan, 1, "rescan", note="trang bị mờ", now=T0)
        assert rejected.state == RecordState.REJECTED and rejected.reject_reason == RejectReason.RESCAN
        with pytest.raises(StateError):
            approve(session, births[1], lan, rejected.version, now=T0)
    with session_scope(engine) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "reject")).one()
        assert audit.after == {
            "state": "rejected",
            "claimed_by": None,
            "claimed_until": None,
            "version": 2,
            "reject_reason": "rescan",
            "note": "trang bị mờ",
        }
        assert session.scalars(select(OfficialRecord)).first() is None
