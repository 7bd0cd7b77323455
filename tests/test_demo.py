"""``sohoa demo`` on a fresh folder: samples → campaign → careful scripted review → load and export → reports
→ accounts to log in with; a rerun adds and changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.cells import cell_len
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loaders import db
from loaders.approval import renormalized
from loaders.models import AuditLog, Book, OfficialRecord, Page, Record, RecordState
from review.app import create_app
from review.settings import ReviewSettings
from sohoa.demo import DEMO_ERAS, DEMO_TYPES, PAGES_PER_BOOK, PASSWORD_FILE, REVIEW_SHARE, REVIEWER, same_text

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

COLUMNS = 80
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def run_demo(cwd: Path, name: str) -> tuple[int, str, str]:
    """Run ``sohoa demo`` in ``cwd``; output goes to files (a lingering Prefect server can hold a pipe)."""
    env = {**os.environ, "COLUMNS": str(COLUMNS), "SOHOA_DATA_DIR": str(cwd / "store")}
    env.pop("SOHOA_DATABASE_URL", None)
    stdout, stderr = cwd / f"{name}.out", cwd / f"{name}.err"
    with stdout.open("w") as out, stderr.open("w") as err:
        code = subprocess.run(
            [sys.executable, "-m", "sohoa.cli", "demo", "--workers", "2"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            timeout=1200,
        ).returncode
    return code, stdout.read_text(encoding="utf-8"), stderr.read_text(encoding="utf-8")


def truth_of(data: Path) -> dict[tuple[Any, ...], dict[str, str]]:
    """The samples' ground truth by (office, book type, era, volume, page, row), read here independently."""
    manifest = json.loads((data / "demo" / "manifest.json").read_text(encoding="utf-8"))
    books = {
        p: (b["office"], b["book_type"], b["era"], b["volume"]) for b in manifest["books"] for p in b["pages"]
    }
    truth = {}
    for line in (data / "demo" / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        truth[(*books[item["image"]], item["page"], item["row"])] = item["fields"]
    return truth


def summary(text: str) -> dict[str, int]:
    """The scripted reviewer's figures as the demo printed them."""
    decided = re.search(r"(\d+) bản ghi vừa được phê duyệt, (\d+) bị từ chối", text)
    effort = re.search(r"sửa (\d+) trên (\d+) trường", text)
    assert decided and effort, text
    return {
        "approved": int(decided[1]),
        "rejected": int(decided[2]),
        "corrected": int(effort[1]),
        "fields": int(effort[2]),
    }


def audited(session: Session) -> dict[str, int]:
    """The scripted reviewer's work as the audit log holds it: decisions, and fields whose text it changed."""
    rows = session.scalars(
        select(AuditLog).where(AuditLog.actor == REVIEWER, AuditLog.entity == "record")
    ).all()
    corrected = 0
    for row in rows:
        if row.action in ("edit", "correct"):
            before, after = (row.before or {}).get("fields", {}), (row.after or {}).get("fields", {})
            corrected += sum(
                1 for k in after if (before.get(k) or {}).get("text") != (after.get(k) or {}).get("text")
            )
    return {
        "approved": sum(1 for r in rows if r.action == "approve"),
        "rejected": sum(1 for r in rows if r.action == "reject"),
        "corrected": corrected,
    }


def check_official_equals_truth(engine: Engine, truth: dict[tuple[Any, ...], dict[str, str]]) -> int:
    """Every official record says what its page says (compared as the app shows values); how many."""
    with db.session_scope(engine) as session:
        query = (
            select(OfficialRecord, Record, Book, Page)
            .join(Record, Record.id == OfficialRecord.record_id)
            .join(Book, Book.id == Record.book_id)
            .join(Page, Page.id == Record.page_id)
        )
        n = 0
        for official, record, book, page in session.execute(query):
            true = truth[
                (book.office_code, str(book.book_type), book.era, book.volume, page.page_no, record.row_no)
            ]
            shown, _ = renormalized(record, {k: {"text": v} for k, v in true.items()})
            for key, text in true.items():
                final = (official.fields.get(key) or {}).get("text", "")
                assert same_text(final, text) or same_text(final, shown[key]["display"]), (
                    record.id,
                    key,
                    final,
                    text,
                )
            n += 1
        return n


def login_and_claim(engine: Engine, username: str, password: str) -> int:
    """Sign in to the review app as ``username`` and take the next record of the queue; its id."""
    app = create_app(engine, ReviewSettings(secret_key="test-secret-key-for-the-demo-test"))
    with TestClient(app) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        data = {"username": username, "password": password, "csrf_token": token[1]}
        signed_in = client.post("/login", data=data, follow_redirects=False)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/", signed_in.text[-500:]
        home = client.get("/")
        token = CSRF_RE.search(home.text)
        assert home.status_code == 200 and token
        taken = client.post("/queue/next", data={"csrf_token": token[1]}, follow_redirects=False)
        location = taken.headers["location"]
        assert taken.status_code == 303 and location.startswith("/records/"), (username, location)
        assert client.get(location).status_code == 200
        return int(location.rsplit("/", 1)[1])


def test_demo_runs_the_whole_chain_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    code, out, err = run_demo(tmp_path, "first")
    assert code == 0, err[-3000:]
    text = " ".join(out.split())
    assert "Xem tiếp ở đâu" in text and "sohoa serve" in text and "sohoa status" in text
    assert "http://127.0.0.1:8000/" in text and "users add" not in text
    long = [line for line in out.splitlines() if cell_len(line) > COLUMNS and str(tmp_path) not in line]
    assert not long  # fits an 80-column terminal (only long paths of this test's folder may not)
    assert "INFO prefect" not in err and "INFO prefect" not in out

    data = tmp_path / "store"  # everything under SOHOA_DATA_DIR, nothing in ./data
    assert not (tmp_path / "data").exists()
    manifest = json.loads((data / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["books"]) == len(DEMO_ERAS) * len(DEMO_TYPES)
    truth = truth_of(data)
    engine = db.make_engine(f"sqlite:///{data / 'sohoa.db'}")

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            states = dict(conn.execute(select(Record.state, func.count()).group_by(Record.state)).all())
            return {
                "books": conn.scalar(select(func.count()).select_from(Book)) or 0,
                "pages": conn.scalar(select(func.count()).select_from(Page)) or 0,
                "audits": conn.scalar(select(func.count()).select_from(AuditLog)) or 0,
                **{str(k): v for k, v in states.items()},
            }

    first = counts()
    assert first["books"] == len(manifest["books"])
    assert first["pages"] == len(manifest["books"]) * PAGES_PER_BOOK
    records = sum(first.get(s.value, 0) for s in RecordState)
    assert records >= 0.95 * len(truth)  # OCR found (nearly) every record
    assert first.get("approved", 0) == 0  # every approved record was loaded
    assert f"{len(manifest['books'])} sổ đã quét, 0 sổ bỏ qua" in text

    # the careful reviewer: its share of every book decided, the rest left for people
    with db.session_scope(engine) as session:
        for book in session.scalars(select(Book)):
            states = [r.state for r in session.scalars(select(Record).where(Record.book_id == book.id))]
            decided = sum(s in (RecordState.LOADED, RecordState.REJECTED) for s in states)
            assert decided == round(REVIEW_SHARE * len(states)) and decided < len(states), book.id
        figures = summary(text)
        assert {k: figures[k] for k in ("approved", "rejected", "corrected")} == audited(session)
    assert figures["approved"] == first["loaded"] and figures["rejected"] == first.get("rejected", 0)
    assert 0 < figures["corrected"] < figures["fields"]  # OCR left work for people, and not everything
    assert check_official_equals_truth(engine, truth) == first["loaded"] > 0

    packages = sorted(p.parent for p in (data / "export").glob("*/manifest.json"))
    assert packages and all(list((p / "pdf").glob("*.pdf")) for p in packages)
    exported = sum(len(list((p / "pdf").glob("*.pdf"))) for p in packages)
    assert exported == first["loaded"]
    reports = sorted(p.name for p in (data / "reports").iterdir())
    assert [r.split("_")[0] for r in reports if r.endswith(".xlsx")] == ["progress", "quality", "vital"]

    password_file = data / PASSWORD_FILE
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = password_file.read_text(encoding="ascii").strip()
    assert f"mật khẩu chung: {password}" in text
    reviewers = re.findall(r"^\s+(duyet\.\S+)\s+người duyệt", out, re.M)
    supervisors = re.findall(r"^\s+(giamsat\.\S+)\s+giám sát", out, re.M)
    assert sorted(reviewers) == sorted({f"duyet.{b['office']}" for b in manifest["books"]})
    assert len(supervisors) == 1 and re.search(r"^\s+vanhanh\.\S+\s+vận hành", out, re.M)

    code, out, err = run_demo(tmp_path, "second")
    assert code == 0, err[-3000:]
    again = " ".join(out.split())
    assert f"0 sổ đã quét, {len(manifest['books'])} sổ bỏ qua" in again
    assert "0 bản ghi vừa được phê duyệt, 0 bị từ chối" in again and "0 gói mới ghi" in again
    assert f"mật khẩu chung: {password}" in again  # the same password, the same accounts
    assert counts() == first

    # the printed accounts open a queue with records: each office's reviewer, and the supervisor
    claimed = [login_and_claim(engine, name, password) for name in [*reviewers, *supervisors]]
    with db.session_scope(engine) as session:
        offices = {session.get(Record, rid).book.office_code for rid in claimed[:-1]}  # type: ignore[union-attr]
    assert offices == {name.removeprefix("duyet.") for name in reviewers}
    engine.dispose()
