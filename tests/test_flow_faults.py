"""Faults of the scan flow: the database away for a while or for good, and rotated, blank, corrupt and
duplicate pages listed by ``sohoa status``.

Covered elsewhere (not repeated here): kill -9 mid-batch then rerun, a rerun of a finished batch, corrupt /
duplicate / blank pages quarantined (tests/test_flow_scan.py); a full disk while exporting, with the package
not marked done and the rerun writing it (tests/test_flow_load.py); a full disk while writing a report
(tests/test_flow_report.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import TruthReader, read_in_this_process, typed_birth_book
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import flows.scan
import flows.settings
from flows.scan import run_scan
from flows.settings import DB_RETRIES, BookRef, ScanParams, database
from loaders import db
from loaders.models import Batch, Page, Record
from sohoa.cli import app
from sohoa.errors import DatabaseError

SEED = 5321  # not used by any other test
DOWN_URL = "postgresql+psycopg://sohoa@127.0.0.1:9/unreachable"  # nothing listens on port 9
DB_TASKS = ("register_pages", "pending_pages", "link_persons", "finish_batch")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Three typed ledger pages of one birth book, with their truth."""
    out = tmp_path_factory.mktemp("fault_samples")
    return out, typed_birth_book(out, SEED)


@pytest.fixture
def no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan flow's database tasks retry as configured, without the pauses."""
    for name in DB_TASKS:
        monkeypatch.setattr(flows.scan, name, getattr(flows.scan, name).with_options(retry_delay_seconds=0))
    monkeypatch.setattr(flows.scan, "SAVE_RETRY_DELAY_S", [0.0])  # page saves retry in the flow's process


class Outage:
    """Stands in for :func:`flows.settings.database`: the database is unreachable on the calls in ``down``."""

    def __init__(self, down: Callable[[int], bool]) -> None:
        self.real = flows.settings.database
        self.unreachable = db.make_engine(DOWN_URL, connect_args={"connect_timeout": 3})
        self.down = down
        self.calls = 0
        self.failed = 0

    def __call__(self) -> Engine:
        self.calls += 1
        if self.down(self.calls):
            self.failed += 1
            return self.unreachable
        return self.real()


def _params(book: dict[str, Any], files: list[Path], source: Path) -> ScanParams:
    ref = BookRef(office=book["office"], book_type=book["book_type"], era=book["era"], volume=book["volume"])
    return ScanParams(book=ref, files=files, source=str(source), link=False)


def _records_by_page() -> dict[int, int]:
    with db.session_scope(database()) as session:
        rows = session.execute(
            select(Page.page_no, func.count(Record.id)).outerjoin(Record).group_by(Page.page_no)
        )
        return {page: n for page, n in rows}


def _truth_by_page(root: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in (root / "truth.jsonl").open(encoding="utf-8"):
        t = json.loads(line)
        counts[t["page"]] = counts.get(t["page"], 0) + 1
    return counts


@pytest.mark.usefixtures("no_retry_pause")
def test_a_database_away_for_a_while_is_retried_and_the_batch_completes(
    flow_db: str, book: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, entry = book
    read_in_this_process(monkeypatch, TruthReader(root))
    outage = Outage(
        lambda call: call in (3, 4)
    )  # the first page's save fails twice, then the database is back
    monkeypatch.setattr(flows.settings, "database", outage)
    files = [root / p for p in entry["pages"]]
    counts = run_scan(_params(entry, files, root))
    assert outage.failed == 2
    assert counts["pages_read"] == 3 and counts["records_staged"] == sum(_truth_by_page(root).values())
    monkeypatch.undo()
    monkeypatch.setenv(db.ENV_URL, flow_db)
    assert _records_by_page() == _truth_by_page(root)


@pytest.mark.usefixtures("no_retry_pause")
def test_a_database_gone_for_good_fails_clearly_leaves_no_partial_record_and_the_rerun_finishes(
    flow_db: str, book: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, entry = book
    read_in_this_process(monkeypatch, TruthReader(root))
    outage = Outage(lambda call: call >= 4)  # register, list pending, save page 1 work; then it is gone
    monkeypatch.setattr(flows.settings, "database", outage)
    files = [root / p for p in entry["pages"]]
    with pytest.raises(DatabaseError) as failure:
        run_scan(_params(entry, files, root))
    message = str(failure.value)
    assert "không dùng được cơ sở dữ liệu" in message and "127.0.0.1:9" in message
    assert "khởi động máy chủ cơ sở dữ liệu" in message
    assert outage.failed >= 1 + DB_RETRIES  # the second page's save: tried, then retried DB_RETRIES times

    monkeypatch.setattr(flows.settings, "database", outage.real)
    truth = _truth_by_page(root)
    saved = _records_by_page()
    assert saved == {1: truth[1], 2: 0, 3: 0}  # page 1 whole, nothing of the pages not saved
    with db.session_scope(database()) as session:
        assert {str(p.status) for p in session.scalars(select(Page).where(Page.page_no > 1))} == {"ingested"}
        assert [str(b.status) for b in session.scalars(select(Batch))] == ["running"]  # could not be closed

    rerun = run_scan(_params(entry, files, root))
    assert rerun["new_pages"] == 0 and rerun["pages_read"] == 2
    assert _records_by_page() == truth


def test_cli_scan_with_the_database_unreachable_says_how_to_fix_it(
    book: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, entry = book
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(root / entry["pages"][0], folder / "p0001.png")
    monkeypatch.setenv(db.ENV_URL, DOWN_URL)
    args = ["--office", entry["office"], "--book-type", "birth", "--era", "2006-2015", "--volume", "01"]
    result = CliRunner().invoke(app, ["scan", str(folder), *args])
    assert result.exit_code == DatabaseError.exit_code, result.output
    text = " ".join(result.output.split())
    assert "không dùng được cơ sở dữ liệu" in text and "Traceback" not in text
    campaign = CliRunner().invoke(app, ["campaign", str(root), "--office", "04"])
    assert (
        campaign.exit_code == DatabaseError.exit_code and "không dùng được cơ sở dữ liệu" in campaign.output
    )


# --------------------------------------------------------------------------- bad pages, real Tesseract
@pytest.mark.tesseract
@pytest.mark.slow
def test_rotated_pages_are_read_and_bad_ones_listed_by_status(
    flow_db: str, book: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, entry = book
    truth = [json.loads(line) for line in (root / "truth.jsonl").open(encoding="utf-8")]
    pages = [root / p for p in entry["pages"]]
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(pages[0], folder / "p0001.png")
    with Image.open(pages[1]) as img:
        img.rotate(90, expand=True).save(folder / "p0002.png")  # scanned sideways
    with Image.open(pages[2]) as img:
        img.rotate(180).save(folder / "p0003.png")  # scanned upside down
    shutil.copy(pages[0], folder / "p0004.png")  # the first page scanned twice
    Image.new("L", (1600, 1100), 255).save(folder / "p0005.png")  # a blank page
    (folder / "p0006.png").write_bytes(pages[0].read_bytes()[:3000])  # a truncated file
    counts = run_scan(_params(entry, sorted(folder.iterdir()), folder))
    assert counts["records_staged"] >= 0.99 * len(truth)

    by_page = _records_by_page()
    want = _truth_by_page(root)
    assert [by_page.get(p) for p in (1, 2, 3)] == [want[1], want[2], want[3]]  # rotated pages read whole
    with db.session_scope(database()) as session:
        names = {
            (r.page.page_no, r.row_no): r.fields["child.full_name"]["text"]
            for r in session.scalars(select(Record))
        }
    right = sum(names.get((t["page"], t["row"])) == t["fields"]["child.full_name"] for t in truth)
    assert right >= 0.9 * len(truth)

    result = CliRunner().invoke(app, ["status", "--office", entry["office"], "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["books"]
    assert row["pages_ok"] == 3
    reasons = {Path(q["image"]).name: q["reason"] for q in row["quarantined"]}
    assert set(reasons) == {"p0005.png", "p0006.png"}
    assert "blank" in reasons["p0005.png"] and "corrupt" in reasons["p0006.png"]
    assert [(Path(d["file"]).name, d["same_as_page"]) for d in row["duplicates"]] == [("p0004.png", 1)]

    table = CliRunner().invoke(app, ["status", "--office", entry["office"]])
    text = " ".join(table.output.split())
    assert "p0005.png" in text and "p0006.png" in text and "p0004.png" in text
    assert "giống trang 1, không thêm lại" in text  # a page of the same book: not added again
