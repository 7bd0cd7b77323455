"""``sohoa demo`` on a fresh folder: samples → campaign → scripted review → load and export → reports;
a rerun adds and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from loaders import db
from loaders.models import AuditLog, Book, Page, Record, RecordState
from sohoa.demo import APPROVE_SHARE, DEMO_ERAS, DEMO_TYPES, PAGES_PER_BOOK

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def run_demo(cwd: Path, name: str) -> tuple[int, str, str]:
    """Run ``sohoa demo`` in ``cwd``; output goes to files (a lingering Prefect server can hold a pipe)."""
    env = {**os.environ, "COLUMNS": "200", "SOHOA_DATA_DIR": str(cwd / "store")}
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


def test_demo_runs_the_whole_chain_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    code, out, err = run_demo(tmp_path, "first")
    assert code == 0, err[-3000:]
    text = " ".join(out.split())
    assert "Where to look next" in text and "sohoa serve" in text and "sohoa status" in text

    data = tmp_path / "store"  # everything under SOHOA_DATA_DIR, nothing in ./data
    assert not (tmp_path / "data").exists()
    manifest = json.loads((data / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["books"]) == len(DEMO_ERAS) * len(DEMO_TYPES)
    truth = (data / "demo" / "truth.jsonl").read_text(encoding="utf-8").splitlines()
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
    assert first["loaded"] == round(APPROVE_SHARE * records)
    assert f"{len(manifest['books'])} sổ đã quét, 0 sổ bỏ qua" in text

    packages = sorted(p.parent for p in (data / "export").glob("*/manifest.json"))
    assert packages and all(list((p / "pdf").glob("*.pdf")) for p in packages)
    exported = sum(len(list((p / "pdf").glob("*.pdf"))) for p in packages)
    assert exported == first["loaded"]
    reports = sorted(p.name for p in (data / "reports").iterdir())
    assert [r.split("_")[0] for r in reports if r.endswith(".xlsx")] == ["progress", "quality", "vital"]

    code, out, err = run_demo(tmp_path, "second")
    assert code == 0, err[-3000:]
    again = " ".join(out.split())
    assert f"0 sổ đã quét, {len(manifest['books'])} sổ bỏ qua" in again
    assert "0 bản ghi vừa được phê duyệt" in again and "0 gói mới ghi" in again
    assert counts() == first
    engine.dispose()
