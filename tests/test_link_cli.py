"""``sohoa link``: a summary table, idempotent reruns, clear errors and exit codes (SOHOA_DATABASE_URL)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from loaders.db import session_scope
from loaders.models import Person, PersonMention
from loaders.registry import register_book, register_page
from loaders.staging import stage_records
from sohoa.cli import app

MARRIAGE = {
    "registration.date": "12/05/2005",
    "bride.full_name": "Hoàng Thị Mai",
    "bride.birth_date": "03/04/1985",
    "bride.ethnicity": "Tày",
    "bride.residence": "xã Chu Trinh, thành phố Cao Bằng, tỉnh Cao Bằng",
    "groom.full_name": "Nông Văn Hùng",
    "groom.birth_date": "20/10/1983",
    "groom.ethnicity": "Tày",
    "groom.residence": "xã Chu Trinh, thành phố Cao Bằng, tỉnh Cao Bằng",
}
BIRTH = {
    "registration.date": "05/03/2008",
    "child.full_name": "Nông Văn An",
    "child.birth_date": "01/03/2008",
    "child.sex": "Nam",
    "child.ethnicity": "Tày",
    "mother.full_name": "Hoàng Thị Mai",
    "mother.birth_year": "1985",
    "mother.ethnicity": "Tày",
    "mother.residence": "xã Chu Trinh, thành phố Cao Bằng, tỉnh Cao Bằng",
    "father.full_name": "Nông Văn Hùng",
    "father.birth_year": "1983",
    "father.ethnicity": "Tày",
    "father.residence": "xã Chu Trinh, thành phố Cao Bằng, tỉnh Cao Bằng",
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.setenv("SOHOA_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def _stage(engine: Engine, office: str, book_type: str, era: str, fields: dict[str, str]) -> None:
    with session_scope(engine) as session:
        book = register_book(session, office, book_type, era, "1")
        digest = hashlib.sha256(f"{office}{book_type}{era}".encode()).hexdigest()
        page, _ = register_page(session, book, 1, "p1.png", digest, 800, 600)
        ocr = {"page": 1, "row": 1, "book_type": book_type, "era": era, "quality": {"flags": []}}
        ocr["fields"] = {k: {"text": v, "confidence": 0.95, "bbox": None} for k, v in fields.items()}
        stage_records(session, page, [ocr], actor="ocr")


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        persons = session.scalar(select(func.count()).select_from(Person)) or 0
        mentions = session.scalar(select(func.count()).select_from(PersonMention)) or 0
    return persons, mentions


def test_link_prints_a_summary_and_a_rerun_links_nothing(
    runner: CliRunner, engine: Engine, book_id: int
) -> None:
    _stage(engine, "01235", "marriage", "1999-2005", MARRIAGE)
    _stage(engine, "01234", "birth", "2006-2015", BIRTH)

    first = runner.invoke(app, ["link", "--office", "01235"])
    assert first.exit_code == 0, first.output
    assert "01235" in first.output and "new persons" in first.output
    assert "Linked 2 mentions" in first.output
    assert _counts(engine) == (2, 2)

    second = runner.invoke(app, ["link"])  # every office: the birth's parents are the couple
    assert second.exit_code == 0, second.output
    assert "all offices" in second.output and "Linked 3 mentions" in second.output
    assert _counts(engine) == (3, 5)

    again = runner.invoke(app, ["link"])
    assert again.exit_code == 0, again.output
    assert "Nothing new to link" in again.output
    assert _counts(engine) == (3, 5)


def test_unknown_office_says_which_codes_exist(runner: CliRunner, engine: Engine, book_id: int) -> None:
    result = runner.invoke(app, ["link", "--office", "01236"])
    assert result.exit_code == 6
    assert "không có mã cơ quan '01236'" in result.output and "có phải ý bạn là" in result.output
    assert "Traceback" not in result.output


def test_database_not_initialised(runner: CliRunner) -> None:
    result = runner.invoke(app, ["link"])
    assert result.exit_code == 3
    assert "chưa được khởi tạo" in result.output and "sohoa db upgrade" in result.output
