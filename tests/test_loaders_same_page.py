"""Bad input that passed in silence (issue 14): one book per volume however it is typed, and the same page image
in a second book of the office quarantined as a duplicate naming the first, until an operator releases it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from loaders.db import session_scope
from loaders.ingest import DUPLICATE, ingest_files, pending_pages, release_page
from loaders.models import AuditLog, Book, BookStatus, BookType, Page, PageStatus, utcnow
from loaders.registry import find_book, normalize_volume, register_book, sync_offices
from sohoa.config import Office as ConfigOffice
from sohoa.errors import InputError, NotFoundError, StateError

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class File:
    path: str
    sha256: str
    sizes: tuple[tuple[int, int], ...] = ((1600, 1100),)
    reason: str | None = None
    detail: str | None = None


VOLUMES = [
    ("1", "01"),
    ("01", "01"),
    (" 001 ", "01"),
    ("12", "12"),
    ("0012", "12"),
    ("123", "123"),
    (7, "07"),
    ("2a", "2A"),
    (" 2A ", "2A"),
    ("02/2018  (a)", "02/2018 (A)"),
    ("", ""),
]


@pytest.mark.parametrize(("typed", "canonical"), VOLUMES)
def test_a_volume_has_one_spelling(typed: Any, canonical: str) -> None:
    assert normalize_volume(typed) == canonical


def test_volume_1_01_and_001_are_one_book(engine: Engine, offices: list[ConfigOffice]) -> None:
    with session_scope(engine) as session:
        sync_offices(session, offices)
        first = register_book(session, "01234", "birth", "2016+", "01")
        assert register_book(session, "01234", "birth", "2016+", "1").id == first.id
        assert register_book(session, "01234", "birth", "2016+", " 001 ").id == first.id
        lettered = register_book(session, "01234", "birth", "2016+", "2a")
        assert register_book(session, "01234", "birth", "2016+", " 2A").id == lettered.id
        assert (first.volume, lettered.volume) == ("01", "2A")
        with pytest.raises(InputError, match="quyển số"):
            register_book(session, "01234", "birth", "2016+", "   ")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Book)) == 2


def test_a_book_registered_before_normalization_is_still_found(
    engine: Engine, offices: list[ConfigOffice]
) -> None:
    with session_scope(engine) as session:
        sync_offices(session, offices)
        old = Book(
            office_code="01234",
            book_type=BookType.DEATH,
            era="1999-2005",
            volume="1",  # as an earlier sohoa stored what was typed
            status=BookStatus.SCANNED,
            created_at=utcnow(),
        )
        session.add(old)
        session.flush()
        assert register_book(session, "01234", "death", "1999-2005", "01").id == old.id
        found = find_book(session, "01234", "death", "1999-2005", "001")
        assert found is not None and found.id == old.id
        assert find_book(session, "01235", "death", "1999-2005", "1") is None
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Book)) == 1


def _books(engine: Engine, offices: list[ConfigOffice]) -> tuple[int, int, int]:
    """Book 01 and 02 of commune 01234, and book 01 of commune 01235 (ids)."""
    with session_scope(engine) as session:
        sync_offices(session, offices)
        first = register_book(session, "01234", "birth", "2016+", "01")
        second = register_book(session, "01234", "birth", "2016+", "02")
        elsewhere = register_book(session, "01235", "birth", "2016+", "01")
        return first.id, second.id, elsewhere.id


def test_the_same_page_in_another_book_of_the_office_is_quarantined_naming_that_book(
    engine: Engine, offices: list[ConfigOffice]
) -> None:
    first_id, second_id, other_office_id = _books(engine, offices)
    with session_scope(engine) as session:
        first = session.get(Book, first_id)
        assert first is not None
        done = ingest_files(
            session,
            first,
            [File("/scan/a/p1.png", SHA_A), File("/scan/a/p2.png", SHA_B)],
            batch_id=None,
            actor="t",
        )
        assert done.new_pages == 2 and not done.quarantined and not done.duplicates
    with session_scope(engine) as session:
        second = session.get(Book, second_id)
        assert second is not None
        files = [
            File("/scan/b/p1.png", SHA_B),  # page 2 of book 01
            File("/scan/b/p2.png", "c" * 64),  # new
            File("/scan/b/p3.png", SHA_EMPTY, sizes=(), reason="empty", detail="the file has 0 bytes"),
        ]
        report = ingest_files(session, second, files, batch_id=None, actor="t")
        assert report.new_pages == 3
        assert [d["same_as_page"] for d in report.duplicates] == [2]
        assert report.duplicates[0]["same_as_book"] == first_id
        dup_reason = report.quarantined[0]["reason"]
        assert dup_reason.startswith(f"{DUPLICATE}: ")
        for words in (f"trang 2 của sổ {first_id}", "Sổ đăng ký khai sinh", "giai đoạn 2016+", "quyển 01"):
            assert words in dup_reason
        assert "01234 Phường Hợp Giang" in dup_reason and "sohoa pages release" in dup_reason
        assert report.quarantined[1]["reason"].startswith("empty:")  # a bad file keeps its own reason
        pages = {p.image_path: p for p in session.scalars(select(Page).where(Page.book_id == second_id))}
        dup = pages["/scan/b/p1.png"]
        assert dup.status == PageStatus.QUARANTINED and dup.quarantine_reason == dup_reason
        assert dup.quality["duplicate_of"]["book_id"] == first_id
        assert pages["/scan/b/p2.png"].status == PageStatus.INGESTED
        assert [p.image_path for p in pending_pages(session, second_id)] == ["/scan/b/p2.png"]
    with session_scope(engine) as session:  # another office's book may hold the same image: not a duplicate
        other = session.get(Book, other_office_id)
        assert other is not None
        report = ingest_files(session, other, [File("/scan/c/p1.png", SHA_A)], batch_id=None, actor="t")
        assert not report.quarantined and not report.duplicates
    with session_scope(engine) as session:  # a rerun of book 02 adds nothing and reports it as known
        second = session.get(Book, second_id)
        assert second is not None
        again = ingest_files(session, second, files, batch_id=None, actor="t")
        assert (again.new_pages, again.known_pages, again.duplicates, again.quarantined) == (0, 3, [], [])


def test_releasing_a_duplicate_makes_it_pending_and_is_audited(
    engine: Engine, offices: list[ConfigOffice]
) -> None:
    first_id, second_id, _ = _books(engine, offices)
    with session_scope(engine) as session:
        first, second = session.get(Book, first_id), session.get(Book, second_id)
        assert first is not None and second is not None
        ingest_files(session, first, [File("/scan/a/p1.png", SHA_A)], batch_id=None, actor="t")
        ingest_files(session, second, [File("/scan/b/p1.png", SHA_A)], batch_id=None, actor="t")
        page_id = session.scalars(select(Page.id).where(Page.book_id == second_id)).one()
        first_page = session.scalars(select(Page.id).where(Page.book_id == first_id)).one()
    with session_scope(engine) as session:
        with pytest.raises(StateError):
            release_page(session, first_page, actor="op")  # not quarantined
        with pytest.raises(NotFoundError):
            release_page(session, 999_999, actor="op")
    with session_scope(engine) as session:
        page = release_page(session, page_id, actor="op", note="hai sổ thật sự chung trang này")
        assert page.status == PageStatus.INGESTED and page.quarantine_reason is None
    with session_scope(engine) as session:
        assert [p.id for p in pending_pages(session, second_id)] == [page_id]
        page = session.get(Page, page_id)
        assert page is not None
        assert page.quality["released"]["reason"].startswith(f"{DUPLICATE}: ")
        assert page.quality["released"]["note"] == "hai sổ thật sự chung trang này"
        row = session.scalars(select(AuditLog).where(AuditLog.action == "release")).one()
        assert (row.actor, row.entity, row.entity_id) == ("op", "page", str(page_id))
        assert row.before is not None and row.before["status"] == "quarantined"
        assert row.after is not None and row.after["status"] == "ingested"
    with session_scope(engine) as session:  # released once: a rerun of the batch does not quarantine it again
        second = session.get(Book, second_id)
        assert second is not None
        again = ingest_files(session, second, [File("/scan/b/p1.png", SHA_A)], batch_id=None, actor="t")
        assert again.known_pages == 1 and not again.quarantined
        assert [p.id for p in pending_pages(session, second_id)] == [page_id]
