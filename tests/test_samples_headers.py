"""Printers' ledger headers: shapes, caption wordings and column widths, split into fit and eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_samples_render import _hashes

from samples import headers
from samples.render.canvas import Canvas, RuleQuality
from samples.render.ledger import HEADER_SHAPES, HeaderStyle, LedgerGeometry, LedgerHeader, render_ledger
from samples.render.page import choose_pen
from sohoa import config
from sohoa.errors import InputError

# sha256 of the pages and truth of the run in test_default_output_unchanged, computed before header
# shapes existed (commit 47aaa90): the default must keep drawing exactly this
BEFORE = {
    "books/1976-1999_birth_01296_q01/p0001.png": "118244bb6c08a0ee22d1be4a37c58207018aab60a18c5717503ee34142ab312d",
    "books/1976-1999_death_01296_q01/p0001.png": "2466920f8a81a66e47640a350f9744b579ba5e244335110a94f5325b330da2f8",
    "books/1976-1999_marriage_01296_q01/p0001.png": "0b520f8cae996da6a214db46912952bec25c087470fa5f41621781a6276002f0",
    "books/2006-2015_birth_01296_q01/p0001.png": "82d759e4ffce3e99fa494792f8693c2e957691115f931e251a83f90a8d6f0f75",
    "books/2006-2015_death_01296_q01/p0001.png": "8caf7e507045a1ca8d907d13de9ad0c9fa88be1f6bd92a118956775c0624c7ce",
    "books/2006-2015_marriage_01296_q01/p0001.png": "524f2a062677270b03a201ffaf3c6f25061b4fe060dcf4774075e9374828aec8",
    "truth.jsonl": "7be71dd167b3f8f7fa397224cc2af19eb73c52ae0814d365872a4d8a0f6d248e",
}
SMALL = {"eras": ["1976-1999", "2006-2015"], "types": ["birth", "death", "marriage"]}


def _ledger_layouts() -> list[Any]:
    out = []
    for era in config.eras():
        for group in config.book_groups():
            layout = config.layout(group.id, era.id)
            if layout.kind == "ledger":
                out.append(layout)
    return out


def _make(out: Path, **options: Any) -> dict[str, Any]:
    from samples.make import make_samples

    return make_samples(
        out, 3, books_per_type=1, pages_per_book=1, style="mixed", workers=1, **SMALL, **options
    )


# --------------------------------------------------------------------------- default unchanged
def test_default_output_unchanged(tmp_path: Path) -> None:
    manifest = _make(tmp_path / "a")
    got = {k: v for k, v in _hashes(tmp_path / "a").items() if k != "manifest.json"}
    assert got == BEFORE
    for book in manifest["books"]:
        assert book["header"] == {
            "header_shape": "layout",
            "split": "fit",
            "width_factors": None,
            "captions": None,
        }


# --------------------------------------------------------------------------- shapes
def _draw(shape: str, book_type: str = "birth", era: str = "1976-1999") -> tuple[np.ndarray, LedgerGeometry]:
    layout = config.layout(book_type, era)
    rows = [{c.field: "" for c in layout.columns} for _ in range(8)]
    canvas = Canvas(4000, 2800)
    rng = np.random.default_rng(1)
    pen = choose_pen(np.random.default_rng(2), "typed", "ledger").pen()
    geometry = LedgerGeometry([], [], [], 0)
    render_ledger(
        canvas,
        layout,
        LedgerHeader(("UBND xã A",), layout.title, "Năm 1990", "01", 1),
        rows,
        pen,
        rng,
        quality=RuleQuality(faint=0, broken=0, doubled=0, width=2),
        handwritten=False,
        header_style=HeaderStyle(shape=shape),
        geometry=geometry,
    )
    return np.asarray(canvas.printed), geometry


def _rule_rows(printed: np.ndarray, geometry: LedgerGeometry, share: float) -> list[int]:
    """y of the horizontal rules in the header at least ``share`` of the table width long (OpenCV)."""
    import cv2

    left, right = geometry.edges[0], geometry.edges[-1]
    band = (printed[geometry.header_rules[0] - 8 : geometry.body_top + 8, left:right] > 128).astype(np.uint8)
    length = int((right - left) * share)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min(length, 400), 1))
    lines = cv2.morphologyEx(band, cv2.MORPH_OPEN, kernel)
    rows = np.flatnonzero(lines.sum(axis=1) >= length)
    ys: list[int] = []
    for y in rows:
        if not ys or y - ys[-1] > 6:
            ys.append(int(y))
    return ys


@pytest.mark.parametrize(
    ("shape", "bands", "full_rules"),
    [("layout", 2, 2), ("one_row", 1, 2), ("numbered", 3, 3), ("three_rows", 3, 3)],
)
def test_header_bands(shape: str, bands: int, full_rules: int) -> None:
    """Full-width rules (top, [numbers], bottom) and, across the groups, the rule under the group row."""
    printed, geometry = _draw(shape)
    assert len(geometry.header_rules) == full_rules
    assert len(_rule_rows(printed, geometry, 0.9)) == full_rules
    # any horizontal rule at least a tenth of the table long: the group row's rules count too
    assert len(_rule_rows(printed, geometry, 0.1)) == bands + 1


def test_numbered_prints_column_numbers() -> None:
    layout = config.layout("birth", "1976-1999")
    for shape in ("numbered", "three_rows"):
        _, geometry = _draw(shape)
        texts = dict(geometry.header_texts)
        for i in range(len(layout.columns)):
            box = texts[f"({i + 1})"]
            assert box is not None
            assert geometry.header_rules[-2] <= box[1] and box[3] <= geometry.header_rules[-1]
    _, geometry = _draw("layout")
    assert "(1)" not in dict(geometry.header_texts)


def test_one_row_folds_groups() -> None:
    _, geometry = _draw("one_row")
    texts = [t for t, _ in geometry.header_texts]
    assert "Họ và tên mẹ" in texts and "Mẹ" not in texts


# --------------------------------------------------------------------------- fit / eval
def test_fit_and_eval_captions_disjoint() -> None:
    for attr, (fit, ev) in {**headers.CAPTION_VARIANTS, **headers.GROUP_VARIANTS}.items():
        assert not {v.casefold() for v in fit} & {v.casefold() for v in ev}, attr
    for layout in _ledger_layouts():
        for i in range(len(layout.columns)):
            fit = {v.casefold() for v in headers.caption_choices(layout, i, "fit")}
            ev = {v.casefold() for v in headers.caption_choices(layout, i, "eval")}
            assert ev, (layout.book_type, layout.era, layout.columns[i].field)
            assert not fit & ev
        for c in layout.columns:
            if c.group:
                fit = {v.casefold() for v in headers.group_choices(c.group, "fit")}
                ev = {v.casefold() for v in headers.group_choices(c.group, "eval")}
                assert ev and not fit & ev, c.group


def test_choose_header_eval_never_uses_fit_wording() -> None:
    for layout in _ledger_layouts():
        for k in range(6):
            style = headers.choose_header(np.random.default_rng(k), layout, "mixed", "eval", "jitter")
            assert style is not None and style.captions is not None and style.width_factors is not None
            for i, text in enumerate(style.captions):
                fit = {v.casefold() for v in headers.caption_choices(layout, i, "fit")}
                assert text is not None and text.casefold() not in fit
            low, high = headers.WIDTH_RANGES["eval"]
            assert all(low <= f <= high for f in style.width_factors)
    layout = config.layout("birth", "1976-1999")
    assert headers.choose_header(np.random.default_rng(0), layout, "layout", "fit", "layout") is None


def test_shapes_split_and_widths_in_manifest_same_bytes(tmp_path: Path) -> None:
    opts = {"header_shape": "mixed", "split": "eval", "widths": "jitter"}
    manifest = _make(tmp_path / "a", **opts)
    _make(tmp_path / "b", **opts)
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert manifest["split"] == "eval" and manifest["header_shape"] == "mixed"
    shapes = set()
    for book in manifest["books"]:
        h = book["header"]
        shapes.add(h["header_shape"])
        assert h["split"] == "eval" and h["header_shape"] in HEADER_SHAPES
        assert len(h["width_factors"]) == len(config.layout(book["book_type"], book["era"]).columns)
    assert len(shapes) > 1
    # the values are the same as on the default pages; only their boxes move
    default = tmp_path / "c"
    _make(default)

    def fields(root: Path) -> list[Any]:
        lines = (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()
        return [(r["book_id"], r["row"], r["fields"]) for r in map(json.loads, lines)]

    assert fields(tmp_path / "a") == fields(default)
    assert _hashes(tmp_path / "a") != _hashes(default)


def test_bad_header_options(tmp_path: Path) -> None:
    from samples.make import make_samples

    for bad in ({"header_shape": "two_rows"}, {"split": "test"}, {"widths": "wide"}):
        with pytest.raises(InputError):
            make_samples(tmp_path, 1, **bad)
