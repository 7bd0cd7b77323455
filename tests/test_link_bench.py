"""Smoke test of the linking benchmark: sohoa alone on 2000 mentions, one JSON object, sane figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "link_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("link_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["link_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_json_with_sohoa_alone(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--mentions", "2000", "--seed", "4401", "--contenders", "sohoa", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mentions"] == 2000 and report["seed"] == 4401
    assert report["machine"]["cores"] >= 1
    assert list(report["contenders"]) == ["sohoa"]
    figures = report["contenders"]["sohoa"]
    expected = {"precision", "recall", "f1", "review_share", "seconds", "cpu_seconds", "peak_rss_mb"}
    assert expected <= set(figures)
    assert figures["precision"] >= 0.95
    assert 0.2 <= figures["recall"] <= 1.0
    assert 0.0 <= figures["review_share"] <= 0.5
    assert figures["seconds"] > 0 and figures["peak_rss_mb"] > 20
    assert 0.1 <= report["data"]["damaged_field_share"] <= 0.5


def test_pair_scores_and_components(bench: ModuleType) -> None:
    truth = ["a", "a", "a", "b", "b", "c"]
    assert bench.pair_scores([0, 0, 0, 1, 1, 2], truth) == (1.0, 1.0, 1.0)
    precision, recall, _f1 = bench.pair_scores([0, 0, 1, 1, 1, 2], truth)
    assert (precision, recall) == (0.5, 0.5)  # 2 hits, (0,1) and (3,4), of 4 predicted and 4 true
    labels = bench.components(6, [(0, 1), (1, 2), (4, 5)])
    assert labels[0] == labels[1] == labels[2] != labels[3] and labels[4] == labels[5] != labels[3]


def test_says_when_splink_is_missing(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert bench.available(["sohoa", "splink"]) == (["sohoa"], {"splink": "splink not installed"})


def test_incremental_times_a_late_book(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--mentions", "1500", "--incremental", "300", "--seed", "4402", "--contenders", "sohoa", "--json"]
    assert bench.main(argv) == 0
    figures = json.loads(capsys.readouterr().out)["contenders"]["sohoa"]
    assert figures["build_mentions"] == 1500 and figures["incremental_mentions"] == 300
    assert figures["incremental_seconds"] > 0 and figures["build_seconds"] > 0
    assert figures["incremental_share_of_build"] == pytest.approx(
        figures["incremental_seconds"] / figures["build_seconds"], rel=0.1
    )
    assert figures["precision"] >= 0.95


def test_incremental_needs_sohoa_alone(bench: ModuleType) -> None:
    with pytest.raises(SystemExit):
        bench.parse(["--incremental", "10"])
