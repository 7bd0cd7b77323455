"""Accuracy of the whole OCR (real Tesseract) on freshly made sample pages, scored by ``ocr.evaluate.score``:
fields exact, records found, and calibrated confidence ("confident" fields are right), per style and field type.

Seeds 7201 (typed) and 7202 (handwriting-style): no one else uses 7200–7299 (the calibration is fitted on
7001–7099 and checked on 7100–7199). Every era, so ledgers and the 2016+ forms; two book types per style.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest

from ocr.evaluate import CONFIDENT, Score, page_fonts, score
from sohoa.config import layout as load_layout

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

SEEDS = {"typed": 7201, "handwritten": 7202}
TYPES = {"typed": ["birth", "marriage"], "handwritten": ["death", "birth"]}

#: Floors per field type, a margin under what these seeds measured (see the final report of issue 3).
TYPED_FLOORS = {"date": 0.98, "name": 0.97, "number": 0.95, "place": 0.97, "sex": 0.97, "ethnicity": 0.97}
HANDWRITTEN_FLOORS = {"date": 0.33, "name": 0.6, "number": 0.5, "place": 0.35, "sex": 0.7, "ethnicity": 0.7}

_engine: Any = None


def wilson_upper(successes: int, total: int, z: float = 1.96) -> float:
    """The upper end of the Wilson score interval of a proportion (95% by default)."""
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre + margin) / (1 + z * z / total)


def _init() -> None:
    global _engine
    from ocr.engines import make_engine

    _engine = make_engine("tesserocr")


def _read(task: tuple[str, str, str]) -> list[dict[str, Any]]:
    from ocr.load import iter_pages
    from ocr.read import read_page

    path, book_type, era = task
    lay = load_layout(book_type, era)
    return [
        {**r.to_dict(), "image": path} for p in iter_pages(Path(path)) for r in read_page(p, lay, _engine)
    ]


def read_samples(folder: Path) -> Score:
    """Every page of a samples folder read in two processes, scored against its truth."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tasks = [(str(folder / p), b["book_type"], b["era"]) for b in manifest["books"] for p in b["pages"]]
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"), initializer=_init) as pool:
        results = [r for rs in pool.map(_read, tasks) for r in rs]
    truth = [json.loads(line) for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    return score(results, truth, fonts=page_fonts(manifest), root=folder)


@pytest.fixture(scope="module", params=["typed", "handwritten"])
def scored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Score]]:
    from samples.make import make_samples

    style = str(request.param)
    folder = tmp_path_factory.mktemp(f"accuracy-{style}")
    make_samples(folder, SEEDS[style], pages_per_book=1, style=style, types=TYPES[style], workers=2)
    result = read_samples(folder)
    print(f"\n{style}: {json.dumps(result.to_dict(), ensure_ascii=False)}")
    yield style, result


def test_records_found(scored: tuple[str, Score]) -> None:
    _, result = scored
    assert result.records_truth > 0
    assert result.records_found_rate >= 0.995


def test_fields_exact(scored: tuple[str, Score]) -> None:
    style, result = scored
    if style == "typed":
        assert result.fields.rate >= 0.99
    else:  # handwriting-style: reported per font, aimed at 90%
        assert result.fields.rate >= 0.6


def test_confident_fields_are_right(scored: tuple[str, Score]) -> None:
    style, result = scored
    assert result.threshold == CONFIDENT
    assert result.confident.total > 0
    # The goal is 99.5% exact among confident fields, measured on 31,088 held-out fields in benchmarks/RESULTS.md.
    # These few hundred fields cannot pin a rate that close to 1 (one error more or less moves it by 0.3%): the
    # test fails when they show, at 95% confidence, that the rate is under the goal.
    assert wilson_upper(result.confident.exact, result.confident.total) >= 0.995, (
        f"{style}: {result.confident.to_dict()}"
    )
    floor = 0.7 if style == "typed" else 0.15  # the share reviewers can trust at a glance
    assert result.confident_share >= floor


def test_field_type_floors(scored: tuple[str, Score]) -> None:
    style, result = scored
    floors = TYPED_FLOORS if style == "typed" else HANDWRITTEN_FLOORS
    low = {
        kind: round(result.by_type[kind].rate, 3)
        for kind, floor in floors.items()
        if kind in result.by_type and result.by_type[kind].rate < floor
    }
    assert not low, f"{style}: field types under their floor: {low}"
