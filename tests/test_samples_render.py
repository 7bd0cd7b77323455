"""Sample pages and books: fonts cover Vietnamese, pages render, make_samples is deterministic and complete."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from samples.render.fonts import (
    FAMILIES,
    HANDWRITING_FAMILIES,
    TYPED_FAMILIES,
    VIETNAMESE_LETTERS,
    missing_glyphs,
)
from samples.render.ledger import ledger_capacity
from sohoa import config
from sohoa.errors import DataDirError, InputError


# --------------------------------------------------------------------------- population
@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str], list[dict[str, str]]]:
    """A few true records per (book type, era) from a small simulated population."""
    from samples.population import draw_books, simulate_for

    wanted = [("birth", "2006-2015", 8), ("death", "2016+", 1), ("marriage", "2016+", 1)]
    pop = simulate_for(11, {(t, e): n for t, e, n in wanted})
    out = {}
    for t, e, n in wanted:
        book = draw_books(pop, 1, t, e, 1, n)[0]
        rows = []
        for i, rec in enumerate(book.records, start=1):
            fields = dict(rec.fields)
            fields.update(
                {"registration.number": str(i), "registration.volume": "01", "registration.page": "2"}
            )
            rows.append(fields)
        out[(t, e)] = rows
    return out


# --------------------------------------------------------------------------- helpers
def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _truth(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- fonts
@pytest.mark.parametrize("family", list(FAMILIES))
def test_fonts_cover_every_vietnamese_letter(family: str) -> None:
    assert missing_glyphs(family) == []
    assert len(VIETNAMESE_LETTERS) == 2 * 67


def test_font_families_and_licences_are_bundled() -> None:
    from samples.render.fonts import FONT_DIR

    assert {"Itim", "Patrick Hand", "Dancing Script"} <= set(HANDWRITING_FAMILIES)
    assert len(TYPED_FAMILIES) >= 2
    assert sum(p.stat().st_size for p in FONT_DIR.glob("*.ttf")) < 3_000_000
    for stem in ("NotoSerif", "Roboto", "Itim", "PatrickHand", "DancingScript"):
        assert "SIL Open Font License" in (FONT_DIR / f"OFL-{stem}.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- single pages
@pytest.mark.parametrize(
    ("book_type", "era", "style"), [("birth", "2006-2015", "handwritten"), ("death", "2016+", "typed")]
)
def test_render_page_returns_a_box_for_every_field(
    records: dict[tuple[str, str], list[dict[str, str]]], book_type: str, era: str, style: str
) -> None:
    from samples.render.canvas import office_lines
    from samples.render.page import PageSpec, choose_pen, render_page

    layout = config.layout(book_type, era)
    n = 1 if layout.kind == "form" else 8
    pen = choose_pen(np.random.default_rng(1), style, layout.kind)  # type: ignore[arg-type]
    rows = records[(book_type, era)]
    assert len(rows) == n
    spec = PageSpec(layout, rows, pen, office_lines("01705"), "01", 2, seed=(5, 0, 1))
    page = render_page(spec)
    height, width = page.image.shape[:2]
    assert len(page.boxes) == n
    for row in page.boxes:
        assert set(row) == set(layout.field_keys)
        for x, y, w, h in row.values():
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height and w > 0 and h > 0
    again = render_page(spec)
    assert again.encode() == page.encode()


def test_typed_values_are_inked_inside_their_boxes(
    records: dict[tuple[str, str], list[dict[str, str]]],
) -> None:
    from samples.render.canvas import office_lines
    from samples.render.page import PageSpec, choose_pen, render_page

    layout = config.layout("marriage", "2016+")
    pen = choose_pen(np.random.default_rng(2), "typed", "form")
    record = records[("marriage", "2016+")][0]
    page = render_page(PageSpec(layout, [record], pen, office_lines("01705"), "01", 1, seed=(1,), damage=0.0))
    grey = np.asarray(Image.fromarray(page.image).convert("L"))
    x, y, w, h = page.boxes[0]["bride.full_name"]
    assert grey[y : y + h, x : x + w].min() < 100  # ink
    assert record["bride.full_name"]


# --------------------------------------------------------------------------- make_samples
def test_make_samples_is_deterministic_and_complete(tmp_path: Path) -> None:
    from samples.make import make_samples

    calls: list[tuple[int, int]] = []
    kwargs: dict[str, Any] = {"pages_per_book": 2, "eras": ["2006-2015", "2016+"], "types": ["death"]}
    manifest = make_samples(
        tmp_path / "a", 7, workers=1, progress=lambda d, t: calls.append((d, t)), **kwargs
    )
    make_samples(tmp_path / "b", 7, workers=2, **kwargs)
    make_samples(tmp_path / "c", 8, workers=1, **kwargs)
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert a == b  # same seed, any number of workers: the same bytes
    assert a != c
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)

    root = tmp_path / "a"
    assert manifest == json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"] == "sohoa.samples" and manifest["seed"] == 7 and manifest["style"] == "mixed"
    assert [(bk["era"], bk["book_type"], bk["layout_kind"]) for bk in manifest["books"]] == [
        ("2006-2015", "death", "ledger"),
        ("2016+", "death", "form"),
    ]
    truth = _truth(root)
    for book in manifest["books"]:
        assert book["volume"] == "01"
        assert len(book["pages"]) == 2 == len(book["page_details"])
        assert book["year_from"] <= book["year_to"]
        layout = config.layout(book["book_type"], book["era"])
        rows = [d["records"] for d in book["page_details"]]
        if book["layout_kind"] == "ledger":
            assert all(8 <= r <= min(20, ledger_capacity(layout)) for r in rows)
        else:
            assert rows == [1, 1]
        records = [t for t in truth if t["book_id"] == book["book_id"]]
        assert len(records) == sum(rows)
        assert [int(t["fields"]["registration.number"]) for t in records] == list(range(1, len(records) + 1))
        for detail in book["page_details"]:
            assert detail["image"] in book["pages"]
            assert detail["rotation"] in (0, 90, 180, 270)
            assert detail["style"] in ("typed", "handwritten")
            assert detail["font"] in FAMILIES
            on_page = [t for t in records if t["image"] == detail["image"]]
            assert [t["row"] for t in on_page] == list(range(1, detail["records"] + 1))
            assert all(t["page"] == detail["page"] for t in on_page)
        for t in records:
            assert (root / t["image"]).is_file()
            assert set(t["fields"]) == set(layout.field_keys)
            assert all(isinstance(v, str) for v in t["fields"].values())
            assert set(t["bbox"]) == set(layout.field_keys)
            assert t["persons"] and t["office"] == book["office"]
            if "registration.volume" in t["fields"]:
                assert t["fields"]["registration.volume"] == "01"
    with Image.open(root / truth[0]["image"]) as im:
        x, y, w, h = truth[0]["bbox"]["registration.date"]
        assert x + w <= im.width and y + h <= im.height


def test_make_samples_styles_and_fonts(tmp_path: Path) -> None:
    from samples.make import make_samples

    manifest = make_samples(
        tmp_path,
        3,
        books_per_type=2,
        pages_per_book=1,
        style="handwritten",
        eras=["2016+"],
        types=["death"],
        workers=1,
    )
    details = [d for b in manifest["books"] for d in b["page_details"]]
    assert {d["style"] for d in details} == {"handwritten"}
    assert {d["font"] for d in details} <= set(HANDWRITING_FAMILIES)
    assert len(manifest["books"]) == 2


def _damage_of(seed: int, book: int, page: int) -> Any:
    """The damage render_page draws for page (seed, book, page) of a typed form book."""
    from samples.render.damage import plan_damage

    rng = np.random.default_rng(np.random.SeedSequence([seed, book, page]).spawn(2)[1])
    return plan_damage(rng, handwritten=False, kind="form")


def test_some_pages_are_turned_and_recorded(tmp_path: Path) -> None:
    """About 3% of pages are put on the scanner sideways or upside down; the manifest says which."""
    share = sum(1 for i in range(600) if _damage_of(7, 0, i).rotation) / 600
    assert 0.005 < share < 0.08

    from samples.make import make_samples

    seed = next(s for s in range(1000) if any(_damage_of(s, 0, p).rotation for p in range(3)))
    manifest = make_samples(
        tmp_path, seed, pages_per_book=3, style="typed", eras=["2016+"], types=["other"], workers=1
    )
    details = manifest["books"][0]["page_details"]
    assert [d["rotation"] for d in details] == [_damage_of(seed, 0, p).rotation for p in range(3)]
    detail = next(d for d in details if d["rotation"])
    with Image.open(tmp_path / detail["image"]) as im:
        assert (im.height > im.width) == (detail["rotation"] == 180)  # forms are portrait


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"eras": ["1990s"]}, InputError),
        ({"types": ["adoption"]}, InputError),
        ({"style": "crayon"}, InputError),
        ({"books_per_type": 0}, InputError),
        ({"pages_per_book": -1}, InputError),
        ({"workers": 0}, InputError),
        ({"eras": []}, InputError),
    ],
)
def test_bad_arguments_say_how_to_fix_them(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    from samples.make import make_samples

    with pytest.raises(error) as info:
        make_samples(tmp_path / "out", 1, **kwargs)
    assert info.value.hint  # type: ignore[attr-defined]


def test_unwritable_output_is_a_data_dir_error(tmp_path: Path) -> None:
    from samples.make import make_samples

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataDirError):
        make_samples(blocker, 1)
    with pytest.raises(DataDirError):
        make_samples(blocker / "below", 1)
    with pytest.raises(InputError):
        make_samples(tmp_path / "out", -5)
