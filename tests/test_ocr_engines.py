"""OCR engines: the interface with a fake engine, calibration, and real Tesseract reading Vietnamese lines."""

from __future__ import annotations

import multiprocessing
import os
import threading
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageDraw, ImageFont

from ocr.engines import (
    EngineUnavailable,
    FakeEngine,
    OcrEngine,
    Recognition,
    Word,
    calibrate,
    field_confidence,
    find_tessdata,
    make_engine,
)
from ocr.engines import base as engine_base
from ocr.engines.base import clean_text, is_blank, percentiles_u8

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ["Nguyễn Thị Hương", "15/03/1987", "xã Hưng Đạo, huyện Hòa An"]


def render_line(text: str, size: int = 36, margin: int = 12) -> np.ndarray:
    """One line of text, black on white, as a cell crop would be."""
    font = ImageFont.truetype(FONT, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    im = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 255)
    ImageDraw.Draw(im).text((margin - left, margin - top), text, font=font, fill=0)
    return np.asarray(im)


def render_block(lines: list[str], size: int = 36) -> np.ndarray:
    crops = [render_line(t, size) for t in lines]
    width = max(c.shape[1] for c in crops)
    return np.vstack([np.pad(c, ((0, 0), (0, width - c.shape[1])), constant_values=255) for c in crops])


# --------------------------------------------------------------------------- fake engine
def test_fake_engine_in_call_order() -> None:
    engine = FakeEngine(["Nguyễn Văn An", ("15/03/1987", 0.4)], default="?")
    crop = np.full((40, 300), 255, np.uint8)
    first = engine.recognize(crop, kind="name")
    assert isinstance(first, Recognition)
    assert first.text == "Nguyễn Văn An" and first.confidence == pytest.approx(0.99)
    assert [w.text for w in first.words] == ["Nguyễn", "Văn", "An"]
    assert first.words[0].bbox == (0, 0, 100, 40) and first.words[2].bbox == (200, 0, 100, 40)
    assert first.bbox == (0, 0, 300, 40)
    second = engine.recognize(crop, mode="line", kind="date")
    assert second.text == "15/03/1987" and second.confidence == pytest.approx(0.4)
    assert engine.recognize(crop).text == "?"
    assert [(c.mode, c.kind) for c in engine.calls] == [("line", "name"), ("line", "date"), ("line", "text")]


def test_fake_engine_by_kind_and_by_function() -> None:
    by_kind = FakeEngine({"sex": "Nam", "year": ("1960", 0.7)})
    crop = np.zeros((30, 90, 3), np.uint8)  # BGR works too
    assert by_kind.recognize(crop, kind="sex").text == "Nam"
    assert by_kind.recognize(crop, kind="year").confidence == pytest.approx(0.7)
    assert by_kind.recognize(crop, kind="place").empty

    def read(image: np.ndarray, mode: str, kind: str) -> str:
        return f"{mode}:{kind}:{image.shape[1]}"

    assert FakeEngine(read).recognize(crop, mode="block", kind="text").text == "block:text:90"


def test_empty_text_has_zero_confidence_and_no_box() -> None:
    result = FakeEngine().recognize(np.zeros((10, 10), np.uint8))
    assert result.text == "" and result.empty and result.confidence == 0.0 and result.bbox is None


def test_padding_and_enlarging_are_undone_in_word_boxes() -> None:
    engine = FakeEngine(["Hòa An"], pad=10, min_height=40)
    result = engine.recognize(np.zeros((20, 100), np.uint8))  # enlarged ×2, then padded by 10
    assert engine.calls[0].shape == (60, 220)
    first, second = result.words[0].bbox, result.words[1].bbox
    assert first[:2] == (0, 0) and first[3] == 20  # in the caller's pixels, clipped to its crop
    assert second[0] + second[2] == 100


def test_blank_crops_are_not_read() -> None:
    engine = FakeEngine(["should not be used"], blank_contrast=40)
    paper = np.full((40, 200), 235, np.uint8)
    paper[::7, ::11] = 225  # paper texture, no ink
    result = engine.recognize(paper, kind="name")
    assert result.blank and result.text == "" and result.confidence == 1.0 and not engine.calls
    assert is_blank(paper) and not is_blank(render_line("An"))


def test_bad_arguments() -> None:
    engine = FakeEngine()
    crop = np.zeros((10, 10), np.uint8)
    with pytest.raises(ValueError, match="mode"):
        engine.recognize(crop, mode="page")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        engine.recognize(crop, kind="nickname")
    with pytest.raises(ValueError, match="uint8"):
        engine.recognize(crop.astype(np.float32))
    with pytest.raises(ValueError):
        engine.recognize(np.zeros((0, 5), np.uint8))


def test_every_engine_is_an_ocr_engine() -> None:
    assert isinstance(FakeEngine(), OcrEngine)
    with pytest.raises(EngineUnavailable, match="không có bộ đọc OCR"):
        make_engine("easyocr")


# --------------------------------------------------------------------------- confidence and calibration
def test_field_confidence_is_the_lowest_word_confidence() -> None:
    words = [Word("xã", 0.97, (0, 0, 1, 1)), Word("Hưng", 0.62, (0, 0, 1, 1)), Word("Đạo", 0.9, (0, 0, 1, 1))]
    assert field_confidence(words) == pytest.approx(0.62)
    assert field_confidence([]) == 0.0


def test_engines_give_raw_confidences_calibration_is_elsewhere() -> None:
    """One calibration path: engines return the lowest word confidence, ocr.confidence calibrates it."""
    crop = np.zeros((20, 60), np.uint8)
    result = FakeEngine(["Nguyễn An"], confidence=0.83).recognize(crop, kind="name")
    assert result.confidence == pytest.approx(0.83) == result.raw_confidence
    assert FakeEngine().calibration is None
    assert calibrate(0.83, "name") == pytest.approx(0.83)
    assert calibrate(1.7, "date") == 1.0 and calibrate(float("nan"), "date") == 0.0


def test_clean_text_is_nfc_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", "Hương")
    assert clean_text([f"  {decomposed}  An ", "", " Hòa "], "line") == "Hương An Hòa"
    assert clean_text(["Hương", "  ", "Hòa An"], "block") == "Hương\nHòa An"


# --------------------------------------------------------------------------- model files
def test_find_tessdata_honours_tessdata_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "vie.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert find_tessdata("vie") == tmp_path / "tessdata"


def test_find_tessdata_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(engine_base, "_SEARCH", ())
    with pytest.raises(EngineUnavailable, match="không tìm thấy mô hình Tesseract") as info:
        find_tessdata("vie")
    assert "tesseract-ocr-vie" in str(info.value) and "TESSDATA_PREFIX" in str(info.value)


# --------------------------------------------------------------------------- real Tesseract
@pytest.fixture(scope="module")
def tesserocr_engine() -> OcrEngine:
    return make_engine("tesserocr")


@pytest.fixture(scope="module")
def pytesseract_engine() -> OcrEngine:
    return make_engine("pytesseract")


@pytest.mark.tesseract
@pytest.mark.parametrize("text", LINES)
@pytest.mark.parametrize("engine_name", ["tesserocr", "pytesseract"])
def test_tesseract_reads_vietnamese_lines_exactly(
    engine_name: str, text: str, request: pytest.FixtureRequest
) -> None:
    engine: OcrEngine = request.getfixturevalue(f"{engine_name}_engine")
    result = engine.recognize(render_line(text), mode="line", kind="text")
    assert result.text == text
    assert unicodedata.is_normalized("NFC", result.text)
    assert 0.5 < result.confidence <= 1.0
    assert " ".join(w.text for w in result.words) == text
    assert all(0.0 <= w.confidence <= 1.0 for w in result.words)
    crop_h, crop_w = render_line(text).shape
    for word in result.words:
        x, y, w, h = word.bbox
        assert x >= 0 and y >= 0 and w > 0 and h > 0
        assert x + w <= crop_w and y + h <= crop_h


@pytest.mark.tesseract
@pytest.mark.parametrize("engine_name", ["tesserocr", "pytesseract"])
def test_tesseract_block_word_and_blank(engine_name: str, request: pytest.FixtureRequest) -> None:
    engine: OcrEngine = request.getfixturevalue(f"{engine_name}_engine")
    block = engine.recognize(render_block(LINES[:2]), mode="block", kind="text")
    assert block.text == "\n".join(LINES[:2])
    assert engine.recognize(render_line("Hương"), mode="word", kind="name").text == "Hương"
    blank = engine.recognize(np.full((50, 300), 255, np.uint8), kind="name")
    assert blank.blank and blank.text == ""
    # a small crop is enlarged before reading; boxes come back in its own pixels
    small = render_line("Hòa An", size=14, margin=4)
    result = engine.recognize(small, kind="place")
    assert result.text == "Hòa An"
    assert result.bbox is not None and result.bbox[2] <= small.shape[1]


@pytest.mark.tesseract
def test_tesserocr_reuses_one_api_per_thread(tesserocr_engine: OcrEngine) -> None:
    from ocr.engines import tesserocr_engine as module

    assert os.environ.get("OMP_THREAD_LIMIT") == "1"
    tesserocr_engine.recognize(render_line("An"))
    key = next(iter(module._local.apis))
    api = module._local.apis[key]
    tesserocr_engine.recognize(render_line("Bình"))
    assert module._local.apis[key] is api  # reused, not recreated

    seen: list[object] = []

    def other_thread() -> None:
        seen.append(tesserocr_engine.recognize(render_line("Dũng")).text)
        seen.append(module._local.apis[key])

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen[0] == "Dũng" and seen[1] is not api


def _read_in_child(text: str) -> str:
    from ocr.engines.tesserocr_engine import TesserocrEngine

    return TesserocrEngine().recognize(render_line(text)).text


@pytest.mark.tesseract
def test_tesserocr_in_a_forked_worker(tesserocr_engine: OcrEngine) -> None:
    tesserocr_engine.recognize(render_line("An"))  # the parent has an API before forking
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_read_in_child, ["Nông Văn Dũng"]) == ["Nông Văn Dũng"]


@given(
    hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=2, max_side=60)),
    st.lists(st.floats(0, 100), min_size=1, max_size=4),
)
def test_percentiles_from_the_histogram_equal_numpys(image: np.ndarray, qs: list[float]) -> None:
    np.testing.assert_allclose(percentiles_u8(image, tuple(qs)), np.percentile(image, qs), rtol=0, atol=1e-9)
