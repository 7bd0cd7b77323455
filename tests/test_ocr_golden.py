"""Golden OCR output of a few fixed sample pages (real Tesseract): a change in what is read shows up here.

``tests/golden/ocr/<name>.json`` holds the OCR JSON of each page (the design's contract, one object per record)
with every field's raw engine confidence next to its calibrated one. Texts must match exactly; raw
confidences within :data:`RAW_TOLERANCE`; the calibrated confidence must still be what the current table
gives for a raw confidence within that tolerance. After an intended change, regenerate and review the diff:

    SOHOA_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_ocr_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ocr import confidence
from ocr.engines import OcrEngine, make_engine
from ocr.load import iter_pages
from ocr.read import field_kinds, read_page
from sohoa.config import layout as load_layout

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

GOLDEN = Path(__file__).parent / "golden" / "ocr"
UPDATE = os.environ.get("SOHOA_UPDATE_GOLDEN") == "1"
RAW_TOLERANCE = 0.05

#: name → (seed, style, book type, era): a typed ledger, a typed form, a handwriting-style ledger.
PAGES = {
    "ledger_typed_birth_2006": (7210, "typed", "birth", "2006-2015"),
    "form_typed_marriage_2016": (7211, "typed", "marriage", "2016+"),
    "ledger_handwritten_death_1999": (7212, "handwritten", "death", "1999-2005"),
}


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return make_engine("tesserocr")


def read_golden_page(folder: Path, name: str, engine: OcrEngine) -> dict[str, Any]:
    """Make the page ``name`` and read it: records with raw and calibrated confidence per field."""
    from samples.make import make_samples

    seed, style, book_type, era = PAGES[name]
    manifest = make_samples(
        folder, seed, pages_per_book=1, style=style, types=[book_type], eras=[era], workers=1
    )
    image = manifest["books"][0]["pages"][0]
    lay = load_layout(book_type, era)
    kinds = field_kinds(lay)
    with confidence.using(None):  # raw confidences; calibrated below exactly as ocr.read does
        records = [r.to_dict() for page in iter_pages(folder / image) for r in read_page(page, lay, engine)]
    page = confidence.page_class(f["confidence"] for r in records for f in r["fields"].values() if f["text"])
    for record in records:
        record["image"] = image
        for key, f in record["fields"].items():
            f["raw_confidence"] = f["confidence"]
            f["confidence"] = round(
                confidence.field_confidence(f["text"], f["confidence"], kinds[key], key, page), 4
            )
    return {
        "seed": seed,
        "style": style,
        "book_type": book_type,
        "era": era,
        "image": image,
        "page_class": page,
        "records": records,
    }


def calibrated_range(text: str, raw: float, kind: str, key: str, page: str = "") -> tuple[float, float]:
    """The calibrated confidences the current table gives for raw confidences within the tolerance."""
    values = [
        confidence.field_confidence(text, min(1.0, max(0.0, raw + d / 100)), kind, key, page)
        for d in range(-round(RAW_TOLERANCE * 100), round(RAW_TOLERANCE * 100) + 1)
    ]
    return min(values), max(values)


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """What differs between a golden page and a fresh read, one line per difference."""
    problems: list[str] = []
    want = {r["row"]: r for r in expected["records"]}
    have = {r["row"]: r for r in got["records"]}
    if sorted(want) != sorted(have):
        return [f"rows: expected {sorted(want)}, got {sorted(have)}"]
    if expected.get("page_class") != got.get("page_class"):
        problems.append(f"page class: {expected.get('page_class')} → {got.get('page_class')}")
    kinds = field_kinds(load_layout(expected["book_type"], expected["era"]))
    for row, record in want.items():
        for key, w in record["fields"].items():
            h = have[row]["fields"].get(key)
            where = f"row {row} {key}"
            if h is None or h["text"] != w["text"]:
                problems.append(f"{where}: text {w['text']!r} → {h and h['text']!r}")
                continue
            if abs(h["raw_confidence"] - w["raw_confidence"]) > RAW_TOLERANCE:
                problems.append(f"{where}: raw confidence {w['raw_confidence']} → {h['raw_confidence']}")
            lo, hi = calibrated_range(
                w["text"], w["raw_confidence"], kinds[key], key, expected.get("page_class", "")
            )
            if not lo - 1e-4 <= w["confidence"] <= hi + 1e-4:
                problems.append(f"{where}: golden confidence {w['confidence']} is no longer {lo}..{hi}")
    return problems


@pytest.mark.parametrize("name", sorted(PAGES))
def test_golden_page(name: str, engine: OcrEngine, tmp_path: Path) -> None:
    got = read_golden_page(tmp_path, name, engine)
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"rewrote {path.name}")
    assert path.is_file(), f"{path} is missing: run with SOHOA_UPDATE_GOLDEN=1 to write it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    problems = compare(expected, got)
    assert not problems, (
        f"{name}: {len(problems)} differences (SOHOA_UPDATE_GOLDEN=1 rewrites):\n" + "\n".join(problems[:40])
    )


def test_compare_reports_text_and_confidence_changes() -> None:
    calibrated = confidence.field_confidence("Nguyễn Văn An", 0.97, "name", "child.full_name")
    field = {"text": "Nguyễn Văn An", "confidence": calibrated, "raw_confidence": 0.97, "bbox": None}
    page = {
        "book_type": "birth",
        "era": "2006-2015",
        "records": [{"row": 1, "fields": {"child.full_name": field}}],
    }
    assert compare(page, page) == []
    changed = json.loads(json.dumps(page))
    changed["records"][0]["fields"]["child.full_name"]["text"] = "Nguyễn Văn Ân"
    assert "text" in compare(page, changed)[0]
    drifted = json.loads(json.dumps(page))
    drifted["records"][0]["fields"]["child.full_name"]["raw_confidence"] = 0.8
    assert "raw confidence" in compare(page, drifted)[0]
    moved = json.loads(json.dumps(page))
    moved["records"].append({"row": 2, "fields": {}})
    assert "rows" in compare(page, moved)[0]
