"""``sohoa demo`` on a fresh folder: samples made, books and pages registered, a rerun adds nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from loaders import db
from loaders.models import AuditLog, Book, Page


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "SOHOA_DATA_DIR": str(cwd / "data")}
    env.pop("SOHOA_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sohoa.cli", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_demo_registers_every_sample_page_once(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Where to look next" in first.stdout

    manifest = json.loads((tmp_path / "data" / "demo" / "manifest.json").read_text(encoding="utf-8"))
    expected_pages = sum(len(b["pages"]) for b in manifest["books"])
    assert len(manifest["books"]) == 24  # 6 book types x 4 eras

    engine = db.make_engine(f"sqlite:///{tmp_path / 'data' / 'sohoa.db'}")

    def counts() -> tuple[int, int, int]:
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(Book)) or 0,
                conn.scalar(select(func.count()).select_from(Page)) or 0,
                conn.scalar(select(func.count()).select_from(AuditLog)) or 0,
            )

    books, pages, audits = counts()
    assert (books, pages) == (24, expected_pages)
    assert audits >= books + pages

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 new pages" in second.stdout
    assert counts()[:2] == (books, pages)
    engine.dispose()
