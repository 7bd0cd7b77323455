"""Quality and preprocessing on pages drawn here: orientation, skew, light, flags, and the prepared page."""

from __future__ import annotations

import random
from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import preprocess as pp
from ocr.engines import FakeEngine
from ocr.load import PageImage
from ocr.prepare import prepare_page
from ocr.quality import FLAGS, Quality, QualitySettings, assess, detect_orientation, estimate_skew

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
FAMILY = ["Nguyễn", "Trần", "Lê", "Hoàng", "Nông", "Đàm", "Lương", "Bế"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh"]
GIVEN = ["Hương", "An", "Bình", "Dũng", "Hạnh", "Nghĩa", "Phượng", "Quỳnh", "Yến"]
PLACES = ["xã Hưng Đạo, huyện Hòa An", "TT. Nước Hai", "xã Đức Long", "P. Sông Bằng, TP. Cao Bằng"]


def _value(r: random.Random) -> str:
    kind = r.randrange(4)
    if kind == 0:
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"
    if kind == 1:
        return f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(1950, 2015)}"
    if kind == 2:
        return r.choice(PLACES)
    return r.choice(["Tày", "Nùng", "Kinh", "Mông", "Dao"])


@cache
def ledger(seed: int = 0, font: str = SANS) -> np.ndarray:
    """A ruled ledger page (2400×1680) with a title, header rows and one record per row."""
    r = random.Random(seed)
    w, h = 2400, 1680
    im = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(im)
    f = ImageFont.truetype(font, 22)
    d.text((w // 2 - 260, 40), "SỔ ĐĂNG KÝ KHAI SINH", font=ImageFont.truetype(font, 34), fill=0)
    x0, y0, x1, y1 = 80, 130, w - 80, h - 80
    widths = [r.uniform(0.6, 1.8) for _ in range(12)]
    xs = [x0 + (x1 - x0) * sum(widths[:i]) / sum(widths) for i in range(13)]
    rows = 12
    ys = [y0, y0 + 70] + [y0 + 70 + (y1 - y0 - 70) * (i + 1) / rows for i in range(rows)]
    for y in ys:
        d.line([(x0, y), (x1, y)], fill=0, width=3)
    for x in xs:
        d.line([(x, y0), (x, y1)], fill=0, width=3)
    for i in range(12):
        d.text(
            (xs[i] + 6, y0 + 20),
            ["Số", "Họ và tên", "Ngày sinh", "Dân tộc", "Nơi sinh"][i % 5],
            font=f,
            fill=0,
        )
    for row in range(rows):
        for col in range(12):
            text = _value(r)
            while text and d.textlength(text, font=f) > xs[col + 1] - xs[col] - 12:
                text = text[:-1]
            d.text((xs[col] + 6, ys[row + 1] + 12 + r.uniform(0, 40)), text, font=f, fill=r.randint(0, 60))
    return np.asarray(im)


@cache
def form(seed: int = 0, font: str = SERIF) -> np.ndarray:
    """A 2016+ form page (1650×2340): printed labels, dotted lines and typed values."""
    r = random.Random(seed)
    w, h = 1650, 2340
    im = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(im)
    f = ImageFont.truetype(font, 28)
    d.text((w // 2 - 330, 120), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=f, fill=0)
    labels = ["Họ, chữ đệm, tên:", "Ngày, tháng, năm sinh:", "Giới tính:", "Dân tộc:", "Quốc tịch:"]
    labels += ["Nơi sinh:", "Quê quán:", "Họ, chữ đệm, tên người mẹ:", "Nơi cư trú:", "Ghi chú:"]
    y = 300
    for label in labels:
        d.text((120, y), label, font=f, fill=0)
        lx = int(120 + d.textlength(label, font=f) + 14)
        for x in range(lx, w - 120, 10):
            d.ellipse([x, y + 31, x + 2, y + 33], fill=0)
        d.text((lx + 20, y - 4), _value(r), font=f, fill=0)
        y += 90
    return np.asarray(im)


def tilt(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turn counter-clockwise by ``degrees`` (positive: rows rise to the right), like a skewed scan."""
    return pp.rotate(image, degrees, fill=255)


# --------------------------------------------------------------------------- skew
@pytest.mark.parametrize("angle", [-3.0, -1.7, -0.4, 0.0, 0.25, 1.1, 2.6, 3.0])
def test_skew_of_ledger_within_a_tenth_of_a_degree(angle: float) -> None:
    quality = assess(tilt(ledger(1), angle))
    assert quality.skew_deg == pytest.approx(angle, abs=0.1)
    assert quality.rotation == 0


@pytest.mark.parametrize("angle", [-2.8, -0.9, 0.6, 2.2])
def test_skew_of_form_within_a_fifth_of_a_degree(angle: float) -> None:
    quality = assess(tilt(form(2), angle))
    assert quality.skew_deg == pytest.approx(angle, abs=0.2)
    assert quality.rotation == 0


def test_estimate_skew_on_a_mask() -> None:
    mask = np.zeros((600, 900), np.uint8)
    for y in range(50, 600, 40):
        cv2.line(mask, (20, y), (880, y), 255, 2)
    angle, gain = estimate_skew(pp.rotate(mask, 1.5, fill=0))
    assert angle == pytest.approx(1.5, abs=0.05) and gain > 0.5
    assert estimate_skew(np.zeros((50, 50), np.uint8)) == (0.0, 0.0)


# --------------------------------------------------------------------------- orientation
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.parametrize("page", ["ledger", "form"])
def test_turned_page_is_detected_and_corrected(page: str, turned: int) -> None:
    upright = ledger(3) if page == "ledger" else form(3)
    scan = pp.rotate90(tilt(upright, 1.2), turned)  # stored turned clockwise by `turned`
    quality = assess(scan)
    assert quality.rotation == (360 - turned) % 360
    assert quality.skew_deg == pytest.approx(1.2, abs=0.2)
    prepared = prepare_page(scan)
    assert prepared.image.shape == upright.shape
    # the prepared page is the upright page again (up to interpolation)
    diff = np.abs(prepared.image.astype(np.int16) - upright.astype(np.int16))[40:-40, 40:-40]
    assert float(diff.mean()) < 8.0


def test_orientation_with_other_fonts_and_a_dark_uneven_scan() -> None:
    upright = ledger(4, font=SERIF)
    shade = np.linspace(0.55, 1.0, upright.shape[1])[None, :]
    scan = pp.rotate90((upright * shade).astype(np.uint8), 180)
    orientation = detect_orientation(scan)
    assert orientation.rotation == 180 and orientation.method == "geometry"
    assert orientation.confidence > 0.5


def test_verifier_decides_when_geometry_is_unsure() -> None:
    # each text line is read upright, then turned: the fake reads the turned crops better
    undecided = QualitySettings(flip_margin=100.0)
    engine = FakeEngine([("Nguyễn", 0.2), ("Nguyễn", 0.9)] * undecided.verify_lines)
    orientation = detect_orientation(form(5), settings=undecided, verifier=engine)
    assert orientation.method == "ocr" and orientation.rotation == 180
    assert len(engine.calls) == 2 * undecided.verify_lines
    assert all(c.mode == "line" for c in engine.calls)
    # not consulted when the geometry is sure
    quiet = FakeEngine()
    assert detect_orientation(form(5), verifier=quiet).method == "geometry" and not quiet.calls


@pytest.mark.tesseract
def test_tesseract_verifier_on_a_page_turned_180() -> None:
    from ocr.engines.tesserocr_engine import TesserocrEngine

    undecided = QualitySettings(flip_margin=100.0)  # force the OCR check
    engine = TesserocrEngine()
    for turned in (0, 180):
        orientation = detect_orientation(pp.rotate90(form(6), turned), settings=undecided, verifier=engine)
        assert orientation.method == "ocr"
        assert orientation.rotation == turned


# --------------------------------------------------------------------------- flags
def test_clean_pages_have_no_flags() -> None:
    for page in (ledger(7), form(7)):
        quality = assess(page)
        assert quality.flags == (), quality.metrics
        assert quality.ok


def test_blank_pages() -> None:
    rng = np.random.default_rng(0)
    white = np.full((1700, 2400), 255, np.uint8)
    paper = np.clip(rng.normal(228, 6, (1700, 2400)), 0, 255).astype(np.uint8)
    gradient = (np.full((1700, 2400), 235.0) * np.linspace(0.6, 1.0, 2400)[None, :]).astype(np.uint8)
    border = cv2.rectangle(np.full((1700, 2400), 240, np.uint8), (0, 0), (2399, 1699), 30, 30)
    for page in (white, paper, gradient, border):
        quality = assess(page)
        assert "blank" in quality.flags
        assert quality.rotation == 0 and quality.skew_deg == 0.0
    assert "blank" not in assess(ledger(0)).flags


def test_blurred() -> None:
    page = ledger(8)
    assert "blurred" in assess(cv2.GaussianBlur(page, (0, 0), 3.5)).flags
    assert "blurred" not in assess(cv2.GaussianBlur(page, (0, 0), 0.8)).flags


def test_too_dark_and_too_light() -> None:
    page = ledger(9)
    dark = (page * 0.35).astype(np.uint8)
    faint = (255 - (255 - page.astype(np.float64)) * 0.25).astype(np.uint8)
    assert assess(dark).flags == ("too_dark",)
    assert assess(faint).flags == ("too_light",)
    yellowed = (page * 0.8 + 30).astype(np.uint8)
    assert assess(yellowed).flags == ()


def test_low_resolution() -> None:
    page = ledger(10)
    small = cv2.resize(page, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    assert "low_resolution" in assess(small).flags
    # measured on the upright page: the same whichever way the scan was stored
    assert "low_resolution" in assess(pp.rotate90(small, 90)).flags
    upright, turned = assess(page), assess(pp.rotate90(page, 270))
    assert turned.metrics["letter_height_px"] == pytest.approx(upright.metrics["letter_height_px"], rel=0.15)
    assert turned.metrics["sharpness"] == pytest.approx(upright.metrics["sharpness"], rel=0.15)
    assert "low_resolution" in assess(page, dpi=96).flags
    assert "low_resolution" not in assess(page, dpi=300).flags


def test_cut_off() -> None:
    page = ledger(11)
    assert "cut_off" in assess(page[:, 200:]).flags  # the table runs off the left edge
    assert "cut_off" in assess(page[300:, :]).flags  # ... off the top
    framed = cv2.copyMakeBorder(page, 25, 25, 25, 25, cv2.BORDER_CONSTANT, value=20)  # a scanner's dark frame
    assert "cut_off" not in assess(framed).flags


def test_quality_contract() -> None:
    quality = assess(tilt(ledger(12), 0.8))
    as_json = quality.to_dict()
    assert set(as_json) == {"skew_deg", "rotation", "flags"}
    assert as_json["skew_deg"] == pytest.approx(0.8, abs=0.1) and as_json["flags"] == []
    assert isinstance(as_json["skew_deg"], float) and isinstance(as_json["flags"], list)
    assert all(f in FLAGS for f in Quality(flags=("blank",)).flags)
    assert {"paper_level", "contrast", "ink_ratio", "sharpness", "letter_height_px"} <= set(quality.metrics)


def test_quality_of_a_4000_by_2800_page_is_measured_at_the_working_size() -> None:
    # speed is measured by benchmarks/ocr_bench.py (about 0.3 s on one core), not asserted here
    page = cv2.resize(tilt(ledger(13), 1.0), (4000, 2800), interpolation=cv2.INTER_LINEAR)
    quality = assess(page)
    assert quality.skew_deg == pytest.approx(1.0, abs=0.1)
    assert quality.metrics["scale"] == pytest.approx(2000 / 4000)


# --------------------------------------------------------------------------- preprocessing
def test_normalize_illumination_evens_out_a_shadow() -> None:
    page = ledger(14)
    shade = np.linspace(0.45, 1.0, page.shape[1])[None, :]
    shadowed = (page * shade).astype(np.uint8)
    evened = pp.normalize_illumination(shadowed)
    paper = page > 200
    left, right = evened[:, :600][paper[:, :600]], evened[:, -600:][paper[:, -600:]]
    assert abs(float(np.median(left)) - float(np.median(right))) < 10
    assert float(np.median(evened[page < 60])) < 120  # ink stays dark


def test_binarize_and_line_masks() -> None:
    page = ledger(15)
    ink = pp.binarize(pp.normalize_illumination(page))
    assert ink.dtype == np.uint8 and set(np.unique(ink)) <= {0, 255}
    horizontal, vertical = pp.line_masks(ink)
    rows = np.flatnonzero(np.count_nonzero(horizontal, axis=1) > 0.5 * page.shape[1])
    cols = np.flatnonzero(np.count_nonzero(vertical, axis=0) > 0.5 * page.shape[0])
    assert len(_groups(rows)) == 14  # 2 header rules + 12 row rules
    assert len(_groups(cols)) == 13
    text = pp.remove_lines(ink)
    assert np.count_nonzero(text) < np.count_nonzero(ink)


def _groups(indices: np.ndarray) -> list[int]:
    return [int(g[0]) for g in np.split(indices, np.flatnonzero(np.diff(indices) > 1) + 1) if len(g)]


def test_rotate90_round_trip_and_bad_values() -> None:
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert pp.rotate90(image, 90).shape == (4, 3)
    np.testing.assert_array_equal(pp.rotate90(pp.rotate90(image, 90), 270), image)
    np.testing.assert_array_equal(pp.rotate90(pp.rotate90(image, 180), 180), image)
    with pytest.raises(ValueError):
        pp.rotate90(image, 45)


def test_to_gray_and_downscale() -> None:
    bgr = np.zeros((100, 200, 3), np.uint8)
    assert pp.to_gray(bgr).shape == (100, 200)
    small, scale = pp.downscale(bgr, max_side=50)
    assert small.shape[:2] == (25, 50) and scale == 0.25
    same, one = pp.downscale(bgr, max_side=500)
    assert same is bgr and one == 1.0


def test_prepared_page_maps_boxes_back_to_the_scan() -> None:
    upright = ledger(16).copy()
    cv2.rectangle(upright, (1500, 900), (1540, 930), 0, -1)  # a black marker
    scan = pp.rotate90(tilt(upright, -1.4), 90)
    page = PageImage(image=scan, source=__import__("pathlib").Path("scan.png"), index=0, dpi=300)
    prepared = prepare_page(page)
    assert prepared.quality.rotation == 270 and prepared.source is page
    found = _marker(prepared.image)
    assert abs(found[0] - 1500) < 6 and abs(found[1] - 900) < 6
    x, y, w, h = prepared.bbox_to_source((1500, 900, 40, 30))
    region = scan[y : y + h, x : x + w]
    assert region.size and float(region.mean()) < 90  # the marker is there on the stored scan
    ink = prepared.ink()
    assert ink is prepared.ink() and ink.shape == prepared.shape


def _marker(image: np.ndarray) -> tuple[int, int]:
    """Top-left corner of the solid 40×30 black block."""
    solid = cv2.erode((image < 80).astype(np.uint8), np.ones((25, 35), np.uint8))
    ys, xs = np.nonzero(solid)
    return int(xs.min()) - 17, int(ys.min()) - 12


def test_prepare_page_leaves_a_blank_page_alone() -> None:
    white = np.full((800, 600), 250, np.uint8)
    prepared = prepare_page(white)
    assert prepared.quality.flags == ("blank",)
    assert prepared.image is white
    np.testing.assert_array_equal(prepared.matrix, np.array([[1.0, 0, 0], [0, 1.0, 0]]))
