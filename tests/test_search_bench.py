"""Smoke test of the person-search benchmark: a small SQLite database, one JSON object, both searches agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "search_bench.py"


def test_json_on_sqlite_with_the_same_answers_as_the_full_scan() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--records", "4000", "--queries", "4", "--db", "sqlite", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    report = json.loads(out)
    assert report["db"] == "sqlite" and report["mentions"] == 12000 and report["queries"] == 12
    for scope in ("commune", "all_offices"):
        figures = report[scope]
        assert figures["same_answers"] is True
        assert figures["sohoa"]["mean_ms"] > 0 and figures["scan"]["mean_ms"] > 0
