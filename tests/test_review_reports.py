"""The /reports pages of the review app: the figures of ``reports/`` for the signed-in user's offices only."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from test_review_app import login

from loaders.db import session_scope
from loaders.models import Book, Record


def states_of(engine: Engine, office: str) -> Counter[str]:
    """Records per state of one office, counted straight from the records table."""
    with session_scope(engine) as session:
        query = select(Record.state).join(Book, Record.book_id == Book.id).where(Book.office_code == office)
        return Counter(str(s) for s in session.scalars(query))


def office_rows(text: str, office: str) -> list[dict[str, str]]:
    return [r for r in csv.DictReader(io.StringIO(text)) if r["office_code"] == office]


def test_reviewer_reads_the_progress_of_their_own_office(client: TestClient, engine: Engine) -> None:
    assert login(client, "lan").status_code == 303
    page = client.get("/reports")
    assert page.status_code == 200 and "Tiến độ số hóa" in page.text and 'href="/reports"' in page.text
    response = client.get("/reports/progress.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["office_code"] for r in rows} == {"01234"}
    expected = states_of(engine, "01234")
    assert sum(int(r["staged"]) for r in rows) == expected["staged"] > 0
    assert sum(int(r["records_extracted"]) for r in rows) == sum(expected.values())
    assert client.get("/reports/progress?era=2006-2015").status_code == 200


def test_reviewer_is_refused_another_office_and_unknown_reports(client: TestClient) -> None:
    assert login(client, "lan").status_code == 303
    assert client.get("/reports/progress.csv?office=01235").status_code == 404
    assert client.get("/reports?office=01235").status_code == 404
    assert client.get("/reports/secrets").status_code == 404
    assert client.get("/reports/progress?era=1900").status_code == 404
    assert client.get("/reports/progress.csv?office=../../etc").status_code == 404


def test_district_supervisor_sees_and_narrows_to_its_communes(client: TestClient, engine: Engine) -> None:
    assert login(client, "sup").status_code == 303
    page = client.get("/reports")
    assert page.status_code == 200 and 'value="01234"' in page.text and 'value="01235"' in page.text
    whole = client.get("/reports/progress.csv").text
    for office in ("01234", "01235"):
        rows = office_rows(whole, office)
        assert sum(int(r["records_extracted"]) for r in rows) == sum(states_of(engine, office).values())
    narrowed = list(csv.DictReader(io.StringIO(client.get("/reports/progress.csv?office=01235").text)))
    assert {r["office_code"] for r in narrowed} == {"01235"}
    assert client.get("/reports/progress.csv?office=99999").status_code == 404


def test_xlsx_and_html_carry_the_same_report(client: TestClient, tmp_path: Path) -> None:
    assert login(client, "sup").status_code == 303
    response = client.get("/reports/quality.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    path = tmp_path / "q.xlsx"
    path.write_bytes(response.content)
    assert len(load_workbook(path).sheetnames) >= 2
    html = client.get("/reports/vital")
    assert html.status_code == 200 and "<html" in html.text and "<script" not in html.text


def test_reports_need_a_login(client: TestClient) -> None:
    assert client.get("/reports", follow_redirects=False).status_code in (302, 303)
    assert client.get("/reports/progress.csv", follow_redirects=False).status_code in (302, 303, 401)
