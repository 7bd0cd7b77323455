"""The campaign flow: books in the plan's priority order, finished books skipped, unfinished ones resumed.

Most tests read pages with a scripted reader that answers from the samples' ground truth (no Tesseract),
so they test the flow's bookkeeping quickly; one test runs real Tesseract on a small campaign.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_helpers import TruthReader, read_in_this_process
from flow_helpers import truth as _truth
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from flows.books import campaign_books, folder_pattern
from flows.campaign import CampaignError, CampaignParams, run_campaign
from flows.settings import database
from loaders import db
from loaders.models import Batch, Book, Page, Record
from samples.make import make_samples
from sohoa import config
from sohoa.cli import app
from sohoa.errors import InputError

SEED = 5311  # not used by any other test
PROVINCE = "04"
ERAS = ["2006-2015", "2016+"]
TYPES = ["death", "marriage", "birth"]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six one-page books (3 types × 2 eras) with their truth."""
    out = tmp_path_factory.mktemp("campaign_samples")
    make_samples(
        out, SEED, books_per_type=1, pages_per_book=1, style="typed", eras=ERAS, types=TYPES, workers=1
    )
    return out


@pytest.fixture
def fake_reader(samples: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., TruthReader]:
    def install(fail_on: str | None = None) -> TruthReader:
        reader = TruthReader(samples, fail_on)
        read_in_this_process(monkeypatch, reader)
        return reader

    return install


def _params(root: Path, office: str = PROVINCE, **kw: Any) -> CampaignParams:
    return CampaignParams(root=root, office=office, link=False, **kw)


def _snapshot() -> dict[str, Any]:
    with db.session_scope(database()) as session:
        return {
            "books": session.scalar(select(func.count()).select_from(Book)),
            "pages": session.scalar(select(func.count()).select_from(Page)),
            "records": sorted(session.execute(select(Record.page_id, Record.row_no)).all()),
            "batches": session.scalar(select(func.count()).select_from(Batch)),
        }


def _expected_order() -> list[tuple[str, str]]:
    eras = [e for e in config.plan().era_order if e in ERAS]
    groups = [g.id for g in config.book_groups() if g.id in TYPES]
    return [(e, t) for e in eras for t in groups]


# --------------------------------------------------------------------------- the plan (no Prefect)
def test_manifest_books_come_in_era_order_then_book_group_priority(samples: Path) -> None:
    offices = {o.code for o in config.offices()}
    books = campaign_books(samples, PROVINCE, offices)
    assert [(b.book.era, b.book.book_type) for b in books] == _expected_order()
    assert _expected_order()[:3] == [("2016+", "marriage"), ("2016+", "birth"), ("2016+", "death")]
    assert all(f.is_absolute() and f.is_file() for b in books for f in b.files)


def test_manifest_books_of_other_offices_are_left_out(samples: Path) -> None:
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    one = manifest["books"][0]["office"]
    books = campaign_books(samples, one, {one})
    assert books and {b.book.office for b in books} == {one}
    with pytest.raises(InputError, match="không có sổ nào của cơ quan 99999"):
        campaign_books(samples, "99999", {"99999"})


def test_book_folders_name_type_era_and_volume(tmp_path: Path) -> None:
    for name in ("death_2016+_1", "birth_1999-2005_02", "marital_status_2016+_1", "birth_2016+_1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "p1.png").write_bytes(b"x")
    books = campaign_books(tmp_path, "01774", {"01774"})
    assert [(b.book.era, b.book.book_type, b.book.volume) for b in books] == [
        ("2016+", "birth", "01"),
        ("2016+", "marital_status", "01"),
        ("2016+", "death", "01"),
        ("1999-2005", "birth", "02"),
    ]
    assert {b.book.office for b in books} == {"01774"}
    assert folder_pattern().match("parent_recognition_2006-2015_3")
    (tmp_path / "scans of 2019").mkdir()
    with pytest.raises(InputError, match="<book_type>_<era>_<volume>"):
        campaign_books(tmp_path, "01774", {"01774"})


# --------------------------------------------------------------------------- the flow
def test_campaign_scans_books_in_priority_order_and_a_rerun_skips_them_all(
    flow_db: str, samples: Path, fake_reader: Callable[..., TruthReader]
) -> None:
    reader = fake_reader()
    result = run_campaign(_params(samples))
    assert result["scanned"] == 6 and result["skipped"] == 0
    assert [(b["era"], b["book_type"]) for b in result["books"]] == _expected_order()
    read_order = [(b["era"], b["book_type"]) for b in result["books"] for _ in range(b["pages_read"])]
    assert len(reader.read) == len(read_order) == 6
    assert result["records_staged"] == len(_truth(samples))
    first = _snapshot()
    assert first["records"] and len(first["records"]) == len(_truth(samples))
    with db.session_scope(database()) as session:  # books were registered in the campaign's order
        books = session.scalars(select(Book).order_by(Book.id)).all()
        assert [(b.era, str(b.book_type)) for b in books] == _expected_order()
        assert {str(b.status) for b in books} == {"scanned"}

    again = run_campaign(_params(samples))
    assert again["scanned"] == 0 and again["skipped"] == 6
    assert {b["status"] for b in again["books"]} == {"skipped"}
    assert len(reader.read) == 6  # nothing read twice
    assert _snapshot() == first


def test_a_failed_book_stops_the_campaign_and_the_rerun_resumes_there(
    flow_db: str, samples: Path, fake_reader: Callable[..., TruthReader]
) -> None:
    order = _expected_order()
    broken_era, broken_type = order[3]  # the fourth book in priority order
    fake_reader(fail_on=f"{broken_era}_{broken_type}_")
    with pytest.raises(CampaignError, match=f"{broken_type} {broken_era}") as failure:
        run_campaign(_params(samples))
    assert "chạy lại đợt số hóa" in str(failure.value)
    with db.session_scope(database()) as session:
        status = {(b.era, str(b.book_type)): str(b.status) for b in session.scalars(select(Book))}
        failed = session.scalars(select(Batch).where(Batch.status == "failed")).all()
    assert [status[k] for k in order[:3]] == ["scanned"] * 3
    assert status[order[3]] == "scanning" and order[4] not in status
    assert len(failed) == 1 and "reader broke" in failed[0].counts["error"]

    reader = fake_reader()
    result = run_campaign(_params(samples))
    assert [b["status"] for b in result["books"]] == ["skipped"] * 3 + ["scanned"] * 3
    assert len(reader.read) == 3 and result["books"][3]["new_pages"] == 0  # resumed: its page was registered
    assert len(_snapshot()["records"]) == len(_truth(samples))


def test_a_new_page_in_a_finished_book_folder_is_scanned_alone(
    flow_db: str, samples: Path, fake_reader: Callable[..., TruthReader], tmp_path: Path
) -> None:
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    ledger = next(b for b in manifest["books"] if b["era"] == "2006-2015" and b["book_type"] == "birth")
    form = next(b for b in manifest["books"] if b["era"] == "2016+" and b["book_type"] == "death")
    root = tmp_path / "office"
    for name, book in (("birth_2006-2015_01", ledger), ("death_2016+_01", form)):
        (root / name).mkdir(parents=True)
        for rel in book["pages"]:
            shutil.copy(samples / rel, root / name / Path(rel).name)
    reader = fake_reader()
    first = run_campaign(_params(root, office=ledger["office"]))
    assert [(b["book_type"], b["status"]) for b in first["books"]] == [
        ("death", "scanned"),
        ("birth", "scanned"),
    ]
    assert len(reader.read) == 2

    Image.new("L", (1200, 1700), 250).save(root / "death_2016+_01" / "p0002.png")  # a second file arrives
    second = run_campaign(_params(root, office=ledger["office"]))
    assert [(b["book_type"], b["status"]) for b in second["books"]] == [
        ("death", "scanned"),
        ("birth", "skipped"),
    ]
    assert second["books"][0]["new_pages"] == 1 and len(reader.read) == 3


def test_cli_campaign_prints_the_books_in_order(
    flow_db: str, samples: Path, fake_reader: Callable[..., TruthReader]
) -> None:
    fake_reader()
    result = CliRunner().invoke(app, ["campaign", str(samples), "--office", PROVINCE, "--workers", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "6 sổ đã quét, 0 sổ bỏ qua" in text
    again = CliRunner().invoke(app, ["campaign", str(samples), "--office", PROVINCE, "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert "0 sổ đã quét, 6 sổ bỏ qua" in " ".join(again.output.split())


def test_cli_campaign_refuses_an_unknown_office(flow_db: str, samples: Path) -> None:
    result = CliRunner().invoke(app, ["campaign", str(samples), "--office", "0"])
    assert result.exit_code == 6, result.output
    assert "không có mã cơ quan" in result.output


# --------------------------------------------------------------------------- real Tesseract
@pytest.mark.tesseract
@pytest.mark.slow
def test_campaign_with_tesseract_stages_what_the_pages_hold(
    flow_db: str, samples: Path, tmp_path: Path
) -> None:
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    keep = [b for b in manifest["books"] if b["book_type"] == "birth"]  # one ledger and one form page
    root = tmp_path / "two_books"
    root.mkdir()
    for book in keep:
        for rel in book["pages"]:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(samples / rel, root / rel)
    (root / "manifest.json").write_text(json.dumps({**manifest, "books": keep}), encoding="utf-8")
    truth = [t for t in _truth(samples) if t["book_type"] == "birth"]

    result = run_campaign(_params(root, workers=2))
    assert [b["era"] for b in result["books"]] == ["2016+", "2006-2015"]
    assert result["pages_read"] == 2 and result["quarantined"] == 0
    assert result["records_staged"] >= 0.99 * len(truth)
    with db.session_scope(database()) as session:
        names = {r.fields["child.full_name"]["text"] for r in session.scalars(select(Record))}
    right = sum(t["fields"]["child.full_name"] in names for t in truth)
    assert right >= 0.9 * len(truth)
