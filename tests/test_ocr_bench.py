"""benchmarks/ocr_bench.py: how pages are spread over eras and book types, the memory figures, the JSON report
of a two-page run with the contenders CI has (img2table, an optional peer, reported as not installed)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "ocr_bench.py"


def _load() -> ModuleType:
    if "ocr_bench" in sys.modules:
        return sys.modules["ocr_bench"]
    spec = importlib.util.spec_from_file_location("ocr_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ocr_bench"] = module
    spec.loader.exec_module(module)
    return module


ob = _load()


@pytest.mark.parametrize(
    ("n", "kind"), [(1, "ledger"), (2, "ledger"), (20, "ledger"), (40, "all"), (7, "form")]
)
def test_pages_are_spread_over_eras_and_types(n: int, kind: str) -> None:
    parts = ob.plan_parts(n, 9101, kind)
    assert sum(p.pages * len(p.types) for p in parts) == n
    pairs = [(p.era, t) for p in parts for t in p.types]
    assert len(pairs) == len(set(pairs))  # one call per pair at most
    eras = {p.era for p in parts}
    if kind == "ledger":
        assert "2016+" not in eras
    if kind == "form":
        assert eras == {"2016+"}
    if n >= 18:
        assert len(eras) == (4 if kind == "all" else 3)
        counts = [p.pages for p in parts]
        assert max(counts) - min(counts) <= 1  # as even as the count allows


def test_the_plan_depends_on_the_seed_only() -> None:
    assert ob.plan_parts(5, 1, "ledger") == ob.plan_parts(5, 1, "ledger")
    assert ob.plan_parts(5, 1, "ledger") != ob.plan_parts(5, 2, "ledger")


def test_memory_report() -> None:
    rss = [100.0, 120.0, 121.0, 121.5, 122.0, 122.0, 123.0, 124.0]
    m = ob.memory_report(rss)
    assert m["rss_mb"] == {"25%": 120.0, "50%": 121.5, "75%": 122.0, "100%": 124.0}
    assert m["peak_rss_mb"] == 124.0
    assert m["memory_flat_mb"] == 4.0
    assert ob.memory_report([]) == {}
    assert ob.memory_report([50.0])["memory_flat_mb"] == 0.0


def test_ratios() -> None:
    contenders = {
        "sohoa": {"status": "ok", "pages_per_s": 2.0, "field_exact": 0.99},
        "img2table": {"status": "ok", "pages_per_s": 0.25, "field_exact": 0.5},
        "pytesseract-page": {"status": "not installed"},
    }
    assert ob.ratios(contenders) == {
        "sohoa_vs_img2table_speed": 8.0,
        "sohoa_vs_img2table_field_exact_gain": 0.49,
    }
    assert ob.ratios({"sohoa": {"status": "not available"}}) == {}


def test_unknown_contenders_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        ob.parse_args(["--contenders", "sohoa,abbyy"])
    assert "abbyy" in capsys.readouterr().err


def test_child_output_on_stdout_is_silenced(capfd: pytest.CaptureFixture[str]) -> None:
    from ocr_peers import stdout_to_devnull

    with stdout_to_devnull():
        subprocess.run([sys.executable, "-c", "print('noise')"], check=True)
    print("kept")
    assert capfd.readouterr().out == "kept\n"


@pytest.mark.tesseract
@pytest.mark.timeout(1800)  # per-cell pytesseract is a subprocess per cell: slow on a busy machine
def test_two_pages_every_contender_json(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "img2table", None)  # as in CI, where the bench group is not installed
    monkeypatch.setitem(sys.modules, "img2table.ocr", None)
    # seed 4239 gives one ledger page (other, 1999-2005: 9 columns) and one form page (other, 2016+)
    args = ["--pages", "2", "--seed", "4239", "--style", "typed", "--kind", "all", "--json"]
    assert ob.main([*args, "--contenders", "sohoa,img2table,pytesseract-cells,pytesseract-page"]) == 0
    out = capfd.readouterr().out
    report: dict[str, Any] = json.loads(out)  # exactly one JSON object on stdout
    assert out.count("\n") == 1
    assert report["pages"] == 2
    assert (report["style"], report["seed"], report["kind"]) == ("typed", 4239, "all")
    assert {"cpu", "cores", "python", "tesseract"} <= set(report["machine"])
    c = report["contenders"]
    assert c["img2table"]["status"] == "not installed"
    for name in ("sohoa", "pytesseract-cells", "pytesseract-page"):
        assert c[name]["status"] == "ok", c[name]
        assert c[name]["pages"] == 2
        assert c[name]["pages_per_s"] > 0
        assert c[name]["page_errors"] == 0
        assert 0.0 <= c[name]["field_exact"] <= 1.0
        assert c[name]["records_found"] >= 0.9, name  # typed pages: the grid and the labels are found
        assert c[name]["by_font"]
    sohoa = c["sohoa"]
    assert sohoa["field_exact"] >= 0.8
    assert {"confident_share", "confident_exact", "by_type", "peak_rss_mb", "memory_flat_mb"} <= set(sohoa)
    assert set(sohoa["rss_mb"]) == {"25%", "50%", "75%", "100%"}
    # the engine's share is measured and is part of the whole page's cost
    assert 0 < sohoa["engine_cpu_s_per_page"] < sohoa["cpu_s_per_page"]
    assert sohoa["engine_calls_per_page"] >= 10
    assert "confident_share" not in c["pytesseract-page"]
    assert set(report["ratios"]) == {
        "sohoa_vs_pytesseract-cells_speed",
        "sohoa_vs_pytesseract-cells_field_exact_gain",
        "sohoa_vs_pytesseract-cells_cpu_speed",
        "sohoa_vs_pytesseract-page_speed",
        "sohoa_vs_pytesseract-page_field_exact_gain",
        "sohoa_vs_pytesseract-page_cpu_speed",
    }
