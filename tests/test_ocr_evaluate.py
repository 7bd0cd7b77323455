"""ocr.evaluate.score on hand-made truth and result dicts: exactness, choice fields, missing and extra records,
confident tallies, per-type and per-font tallies, and how image paths are matched (image_key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocr.evaluate import CONFIDENT, image_key, page_fonts, same_text, score

IMAGE = "books/b1/p0001.png"


def truth(
    row: int, fields: dict[str, str], *, image: str = IMAGE, book_type: str = "birth"
) -> dict[str, Any]:
    era = "2006-2015"
    return {"image": image, "row": row, "book_type": book_type, "era": era, "fields": fields}


def result(row: int, fields: dict[str, tuple[str, float]], *, image: str = IMAGE) -> dict[str, Any]:
    return {
        "image": image,
        "row": row,
        "fields": {k: {"text": t, "confidence": c, "bbox": None} for k, (t, c) in fields.items()},
    }


def test_exact_after_nfc_and_whitespace_folding() -> None:
    decomposed = "Nguye\u0302\u0303n  Va\u0306n An "  # NFD, doubled and trailing spaces
    s = score(
        [result(1, {"child.full_name": (decomposed, 0.95), "registration.number": ("7", 0.95)})],
        [truth(1, {"child.full_name": "Nguyễn Văn An", "registration.number": "1"})],
    )
    assert (s.fields.total, s.fields.exact) == (2, 1)
    assert s.by_type["name"].exact == 1
    assert s.by_type["number"].exact == 0
    assert s.by_key["registration.number"].rate == 0.0


def test_one_letter_off_is_not_exact() -> None:
    s = score(
        [result(1, {"child.full_name": ("Nguyen Văn An", 0.9)})],
        [truth(1, {"child.full_name": "Nguyễn Văn An"})],
    )
    assert s.fields.exact == 0
    assert s.to_dict()["field_exact"] == 0.0


def test_an_empty_truth_field_counts_and_text_read_there_is_an_error() -> None:
    s = score(
        [result(1, {"note": ("x", 0.5), "declarant.relationship": ("", 0.99)})],
        [truth(1, {"note": "", "declarant.relationship": ""})],
    )
    assert (s.fields.total, s.fields.exact) == (2, 1)


@pytest.mark.parametrize(
    ("true_text", "got", "exact"),
    [
        ("guardianship", "guardianship", True),  # both the option key
        ("Giám hộ", "guardianship", True),  # truth as the printed caption, OCR as its key
        ("Chấm dứt giám hộ", "end_guardianship", True),
        ("Giám hộ", "end_guardianship", False),
        ("guardianship", "Giám hộ", False),  # OCR must give the key, not the caption
    ],
)
def test_choice_fields_compare_by_option_key(true_text: str, got: str, exact: bool) -> None:
    s = score(
        [result(1, {"registration.kind": (got, 0.9)})],
        [truth(1, {"registration.kind": true_text}, book_type="other")],
    )
    assert s.by_type["choice"].exact == int(exact)
    assert same_text(true_text, got, "choice", "other", "registration.kind") is exact


def test_choice_rule_applies_to_choice_fields_only() -> None:
    assert not same_text("Giám hộ", "guardianship", "text", "other", "registration.kind")


def test_missing_and_extra_records() -> None:
    s = score(
        [result(1, {"child.full_name": ("An", 0.9)}), result(5, {"child.full_name": ("Bình", 0.9)})],
        [truth(1, {"child.full_name": "An"}), truth(2, {"child.full_name": "Bình"})],
    )
    assert (s.records_truth, s.records_found, s.records_extra) == (2, 1, 1)
    assert s.records_found_rate == 0.5
    # the missing record's fields count, as not read
    assert (s.fields.total, s.fields.exact) == (2, 1)
    d = s.to_dict()
    assert (d["records_found"], d["records_extra"], d["records_truth"]) == (0.5, 1, 2)


def test_a_field_missing_from_a_found_record_is_wrong() -> None:
    s = score([result(1, {})], [truth(1, {"child.full_name": "An"})])
    assert (s.records_found, s.fields.exact, s.confident.total) == (1, 0, 0)


def test_truth_fields_the_layout_does_not_read_are_left_out() -> None:
    s = score([result(1, {})], [truth(1, {"groom.full_name": "An", "child.sex": "Nam"})])
    assert s.fields.total == 1  # groom.* is not a column of a birth ledger


def test_confident_tallies() -> None:
    s = score(
        [
            result(
                1,
                {
                    "child.full_name": ("An", 0.99),  # confident, right
                    "child.sex": ("Nữ", 0.95),  # confident, wrong
                    "child.ethnicity": ("Tày", CONFIDENT),  # at the threshold counts as confident
                    "note": ("", 0.2),  # doubtful
                },
            )
        ],
        [truth(1, {"child.full_name": "An", "child.sex": "Nam", "child.ethnicity": "Tày", "note": ""})],
    )
    assert (s.confident.total, s.confident.exact) == (3, 2)
    assert s.confident_share == 0.75
    d = s.to_dict()
    assert d["confident_share"] == 0.75
    assert d["confident_exact"] == round(2 / 3, 4)
    assert d["confident_threshold"] == CONFIDENT
    assert sorted(s.observations) == sorted(
        [("name", 0.99, True), ("sex", 0.95, False), ("ethnicity", CONFIDENT, True), ("text", 0.2, True)]
    )


def test_threshold_is_a_parameter() -> None:
    s = score([result(1, {"child.sex": ("Nam", 0.7)})], [truth(1, {"child.sex": "Nam"})], threshold=0.5)
    assert (s.confident.total, s.threshold) == (1, 0.5)


def test_tallies_per_style_and_font() -> None:
    other = "books/b2/p0001.png"
    manifest = {
        "books": [
            {"page_details": [{"image": IMAGE, "style": "typed", "font": "Roboto"}]},
            {"page_details": [{"image": other, "style": "handwritten", "font": "Itim"}]},
        ]
    }
    fonts = page_fonts(manifest)
    assert fonts == {IMAGE: ("typed", "Roboto"), other: ("handwritten", "Itim")}
    s = score(
        [result(1, {"child.sex": ("Nam", 0.9)}), result(1, {"child.sex": ("Nain", 0.9)}, image=other)],
        [truth(1, {"child.sex": "Nam"}), truth(1, {"child.sex": "Nam"}, image=other)],
        fonts=fonts,
    )
    assert s.by_font["Roboto"].rate == 1.0
    assert s.by_font["Itim"].rate == 0.0
    assert set(s.by_style) == {"typed", "handwritten"}
    assert set(s.to_dict()["by_font"]) == {"Itim", "Roboto"}


def test_unknown_pages_fall_under_question_mark() -> None:
    s = score([result(1, {"child.sex": ("Nam", 0.9)})], [truth(1, {"child.sex": "Nam"})], fonts={})
    assert set(s.by_font) == {"?"}


def test_results_with_absolute_paths_match_truth_relative_to_root(tmp_path: Path) -> None:
    absolute = tmp_path / "books" / "b1" / "p0001.png"
    s = score(
        [result(1, {"child.sex": ("Nam", 0.9)}, image=str(absolute))],
        [truth(1, {"child.sex": "Nam"})],
        root=tmp_path,
    )
    assert s.records_found == 1
    assert s.fields.exact == 1


def test_without_root_an_absolute_path_does_not_match(tmp_path: Path) -> None:
    absolute = tmp_path / "books" / "b1" / "p0001.png"
    s = score([result(1, {"child.sex": ("Nam", 0.9)}, image=str(absolute))], [truth(1, {"child.sex": "Nam"})])
    assert (s.records_found, s.records_extra) == (0, 1)


def test_image_key(tmp_path: Path) -> None:
    inside = tmp_path / "books" / "b1" / "p0001.png"
    assert image_key(inside, tmp_path) == "books/b1/p0001.png"
    assert image_key(str(inside), str(tmp_path)) == "books/b1/p0001.png"
    assert image_key("books/b1/p0001.png") == "books/b1/p0001.png"
    outside = tmp_path.parent / "elsewhere.png"
    assert image_key(outside, tmp_path) == outside.as_posix()
    # a path given relative to the current folder is resolved before it is made relative to root
    assert image_key(Path("books") / "b1" / "p0001.png", Path.cwd()) == "books/b1/p0001.png"


def test_an_empty_run() -> None:
    s = score([], [])
    d = s.to_dict()
    assert (d["field_exact"], d["records_found"], d["confident_share"], d["confident_exact"]) == (
        0.0,
        0.0,
        0.0,
        0.0,
    )
