"""The scan-batch flow end to end with real Tesseract and real Prefect: pages read once, bad pages
quarantined with their reason, reruns and crashes never duplicate or drop a record (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import TruthReader, read_in_this_process, typed_birth_book
from flow_helpers import truth as read_truth
from PIL import Image
from sqlalchemy import func, select

import flows.scan
from flows.scan import run_scan
from flows.settings import BookRef, ScanParams, database
from loaders import db
from loaders.models import AuditLog, Page, PageStatus, Record

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

SEED = 5301  # not used by any other test


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    """Three typed ledger pages of one birth book, with their truth."""
    out = tmp_path_factory.mktemp("scan_samples")
    book = typed_birth_book(out, SEED)
    return out, book, read_truth(out)


def _params(book: dict[str, Any], files: list[Path], source: Path, **kw: Any) -> ScanParams:
    ref = BookRef(office=book["office"], book_type=book["book_type"], era=book["era"], volume=book["volume"])
    return ScanParams(book=ref, files=files, source=str(source), link=False, **kw)


def _counts() -> dict[str, Any]:
    with db.session_scope(database()) as session:
        pages = dict(session.execute(select(Page.status, func.count()).group_by(Page.status)).all())
        records = session.scalar(select(func.count()).select_from(Record)) or 0
        rows = session.execute(select(Record.page_id, Record.row_no)).all()
        staged_audits = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "record", AuditLog.action == "stage")
        )
    return {
        "pages": {str(k): v for k, v in pages.items()},
        "records": records,
        "rows": sorted(rows),
        "audits": staged_audits,
    }


def test_scan_reads_every_page_quarantines_bad_ones_and_a_rerun_changes_nothing(
    flow_db: str, book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    root, book, truth = book_dir
    folder = tmp_path / "batch"
    folder.mkdir()
    pages = [root / p for p in book["pages"]]
    for i, p in enumerate(pages, start=1):
        shutil.copy(p, folder / f"p{i:04d}.png")
    shutil.copy(pages[0], folder / "p0001_again.png")  # the same image under another name
    (folder / "p0009.jpg").write_text("not an image")  # a text file named .jpg
    (folder / "p0010.png").write_bytes(pages[1].read_bytes()[:4000])  # a truncated PNG
    Image.new("L", (1600, 1100), 255).save(folder / "p0011.png")  # a blank page
    (folder / "p0012.png").write_bytes(b"")  # zero bytes
    files = sorted(folder.iterdir())

    counts = run_scan(_params(book, files, folder, workers=1))

    assert counts["pages_read"] == 5  # 3 good + truncated + blank (decoded in the worker)
    assert counts["records_staged"] == len(truth)
    assert [d["same_as_page"] for d in counts["duplicates"]] == [1]
    reasons = " | ".join(q["reason"] for q in counts["quarantined"])
    for word in ("unsupported", "empty", "corrupt", "blank"):
        assert word in reasons
    first = _counts()
    assert first["pages"] == {"staged": 3, "quarantined": 4}
    assert first["records"] == len(truth) == first["audits"]

    again = run_scan(_params(book, files, folder, workers=1))
    assert again["pages_read"] == 0 and again["records_staged"] == 0 and again["new_pages"] == 0
    assert _counts() == first


def test_two_workers_read_the_same_records_as_one(
    flow_db: str, book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    root, book, truth = book_dir
    files = [root / p for p in book["pages"]]
    counts = run_scan(_params(book, files, root, workers=2))
    assert counts["records_staged"] == len(truth)
    with db.session_scope(database()) as session:
        texts = {
            (r.page.page_no, r.row_no): r.fields["child.full_name"]["text"]
            for r in session.scalars(select(Record))
        }
    want = {(t["page"], t["row"]): t["fields"]["child.full_name"] for t in truth}
    right = sum(texts.get(k) == v for k, v in want.items())
    assert right >= 0.9 * len(want)


def test_kill_9_in_the_middle_then_rerun_stages_every_page_exactly_once(
    flow_db: str, book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    root, book, truth = book_dir
    folder = tmp_path / "batch"
    folder.mkdir()
    for i, p in enumerate(book["pages"], start=1):
        shutil.copy(root / p, folder / f"p{i:04d}.png")
    cmd = [
        sys.executable,
        "-m",
        "sohoa.cli",
        "scan",
        str(folder),
        "--office",
        book["office"],
        "--book-type",
        book["book_type"],
        "--era",
        book["era"],
        "--volume",
        book["volume"],
        "--workers",
        "1",
    ]
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if _counts()["pages"].get(PageStatus.STAGED.value, 0) >= 1:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the batch finished before it could be killed: give it more pages"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    killed = _counts()
    assert 1 <= killed["pages"].get("staged", 0) < 3
    assert killed["records"] == killed["audits"]  # no half-staged page: records and their audit rows together

    counts = run_scan(_params(book, sorted(folder.iterdir()), folder, workers=1))
    assert counts["new_pages"] == 0
    done = _counts()
    assert done["pages"] == {"staged": 3}
    assert done["records"] == len(truth) == done["audits"]
    assert len(set(done["rows"])) == len(done["rows"])


def test_a_batch_keeps_only_a_few_page_reads_submitted_at_a_time(
    flow_db: str, book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch of thousands of pages must not hold every submitted read and every result in the flow's
    # process: reads are submitted READ_AHEAD_PER_WORKER per worker ahead of the saves.
    root, book, truth = book_dir
    read_in_this_process(monkeypatch, TruthReader(root))
    monkeypatch.setattr(flows.scan, "READ_AHEAD_PER_WORKER", 1)
    submitted: list[int] = []
    submitted_at_save: list[int] = []
    real_submit, real_save = flows.scan.read_page.submit, flows.scan.save_page

    class CountingRead:
        def submit(self, page_id: int, *args: Any) -> Any:
            submitted.append(page_id)
            return real_submit(page_id, *args)

    def counting_save(outcome: Any, *args: Any) -> int:
        submitted_at_save.append(len(submitted))
        return real_save(outcome, *args)

    monkeypatch.setattr(flows.scan, "read_page", CountingRead())
    monkeypatch.setattr(flows.scan, "save_page", counting_save)
    files = [root / p for p in book["pages"]]
    counts = run_scan(_params(book, files, root))  # one worker: one read ahead
    assert counts["pages_read"] == 3 and counts["records_staged"] == len(truth)
    assert submitted_at_save == [
        2,
        3,
        3,
    ]  # the next read is submitted as each one is taken; never all at once


def _records_by_book() -> dict[int, int]:
    with db.session_scope(database()) as session:
        rows = session.execute(select(Record.book_id, func.count()).group_by(Record.book_id)).all()
    return {int(book): int(n) for book, n in rows}


def test_the_same_pages_under_another_volume_are_one_book_or_quarantined_duplicates_until_released(
    flow_db: str,
    book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 14: `--volume 1` instead of `01` made a second book, read the same files again and staged every
    # record twice, reporting "0 trang trùng".
    from typer.testing import CliRunner

    from sohoa.cli import app

    root, book, truth = book_dir
    assert book["volume"] == "01"
    read_in_this_process(monkeypatch, TruthReader(root))
    files = [root / p for p in book["pages"]]
    first = run_scan(_params(book, files, root))
    assert first["records_staged"] == len(truth)

    same = run_scan(_params({**book, "volume": " 1"}, files, root))  # the same book, typed differently
    assert same["book_id"] == first["book_id"]
    assert (same["new_pages"], same["known_pages"], same["pages_read"]) == (0, 3, 0)

    copied = run_scan(_params({**book, "volume": "2"}, files, root))  # another book, the same images
    assert copied["book_id"] != first["book_id"]
    assert copied["new_pages"] == 3 and copied["pages_read"] == 0 and copied["records_staged"] == 0
    assert [d["same_as_page"] for d in copied["duplicates"]] == [1, 2, 3]
    assert {d["same_as_book"] for d in copied["duplicates"]} == {first["book_id"]}
    for q in copied["quarantined"]:
        assert q["reason"].startswith("duplicate: cùng ảnh với trang ")
        assert (
            f"của sổ {first['book_id']} (Sổ đăng ký khai sinh, giai đoạn 2006-2015, quyển 01" in q["reason"]
        )
    assert _records_by_book() == {first["book_id"]: len(truth)}  # no record staged twice
    status = CliRunner().invoke(app, ["status", "--office", book["office"]])
    assert status.exit_code == 0, status.output
    shown = " ".join(status.output.split())
    assert f"sổ {copied['book_id']}:" in shown  # a page of another book: named, and said to be quarantined
    assert f"giống trang 1 của sổ {first['book_id']}, đã cách ly" in shown
    assert "không thêm lại" not in shown

    listed = CliRunner().invoke(app, ["pages", "list", "--book", str(copied["book_id"]), "--json"])
    assert listed.exit_code == 0, listed.output
    page_id = copied["quarantined"][1]["page_id"]
    assert str(page_id) in listed.output
    released = CliRunner().invoke(
        app, ["pages", "release", str(page_id), "--reason", "hai sổ chung một trang"]
    )
    assert released.exit_code == 0, released.output
    assert "Đã thả trang" in " ".join(released.output.split())
    refused = CliRunner().invoke(app, ["pages", "release", str(page_id)])  # not quarantined any more
    assert refused.exit_code == 7

    again = run_scan(_params({**book, "volume": "02"}, files, root))  # the next scan reads the released page
    assert again["book_id"] == copied["book_id"]
    assert again["new_pages"] == 0 and again["pages_read"] == 1 and again["quarantined"] == []
    page2 = [t for t in truth if t["page"] == 2]
    assert again["records_staged"] == len(page2) > 0
    assert _records_by_book() == {first["book_id"]: len(truth), copied["book_id"]: len(page2)}
    with db.session_scope(database()) as session:
        statuses = dict(
            session.execute(select(Page.page_no, Page.status).where(Page.book_id == copied["book_id"])).all()
        )
        audits = session.scalars(
            select(AuditLog).where(AuditLog.entity == "page", AuditLog.action == "release")
        ).all()
    assert statuses == {1: "quarantined", 2: "staged", 3: "quarantined"}
    assert [a.entity_id for a in audits] == [str(page_id)]


def test_a_page_of_the_wrong_layout_is_quarantined_and_the_batch_goes_on(
    flow_db: str, book_dir: tuple[Path, dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    # Issue 14: a 2016+ form scanned into a ledger book gave one empty record flagged grid_not_found.
    from samples.make import make_samples

    root, book, truth = book_dir
    forms = make_samples(
        tmp_path / "forms", SEED, books_per_type=1, pages_per_book=1, style="typed", eras=["2016+"],
        types=["birth"], workers=1,
    )  # fmt: skip
    form = tmp_path / "forms" / forms["books"][0]["pages"][0]
    files = [root / book["pages"][0], form]
    counts = run_scan(_params(book, files, root, workers=1))
    assert counts["pages_read"] == 2
    page1 = [t for t in truth if t["page"] == 1]
    assert counts["records_staged"] == len(page1)  # the right page is read; nothing from the form
    [bad] = counts["quarantined"]
    assert bad["reason"].startswith("layout_mismatch: sổ kẻ bảng ")
    assert "(sổ đăng ký khai sinh 2006-2015) / trang biểu mẫu điền từng bản ghi" in bad["reason"]
    with db.session_scope(database()) as session:
        pages = {p.image_path: p for p in session.scalars(select(Page))}
        assert pages[str(form)].status == PageStatus.QUARANTINED
        assert pages[str(form)].quarantine_reason == bad["reason"]
        assert not session.scalars(select(Record).where(Record.page_id == pages[str(form)].id)).all()
