"""Calibrated field confidence: the grades from normalize/, the table, pool-adjacent-violators and the fit."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from ocr import confidence
from ocr.calibration import (
    BELOW,
    CONFIDENT,
    Observation,
    Table,
    bins,
    cap_below,
    choose_cut,
    dump_table,
    fallbacks,
    fit,
    fit_steps,
    fold_at_cut,
    load_table,
    lower_bound,
    pav,
    summary,
)
from ocr.confidence import field_confidence, grade, group
from ocr.engines import FakeEngine
from sohoa.errors import ConfigError
from sohoa.fields import FIELD_TYPES


# --------------------------------------------------------------------------- grades
@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("", "name", "blank"),  # no ink: the engine did not run, confidence 1
        ("15/03/1987", "date", "valid"),
        ("31/02/1987", "date", "invalid"),  # parses, cannot exist
        ("15/O3/1987", "date", "odd"),  # a letter read for a digit, fixed by normalize/
        ("3l/xx", "date", "invalid"),
        ("Nguyễn Văn An", "name", "valid"),
        ("Nguyẽn Vản An", "name", "odd"),  # syllables that are not Vietnamese
        ("Nguyễn V4n An", "name", "invalid"),
        ("Tày", "ethnicity", "valid"),
        ("Tàu", "ethnicity", "invalid"),
        ("Nam", "sex", "valid"),
        ("Nữ", "sex", "valid"),
        ("Xà", "sex", "invalid"),
        ("Việt Nam", "nationality", "valid"),
        ("123", "number", "valid"),
        ("ổ", "number", "invalid"),
        ("036087001234", "id_number", "valid"),
        ("03608700123", "id_number", "invalid"),  # 11 digits
        ("1987", "year", "valid"),
        ("Hưng Đạo, Hòa An, Cao Bằng", "place", "valid"),
        ("Mẹ", "text", "valid"),
        ("Hẹ", "text", "valid"),  # a real syllable: only the raw confidence can doubt it
        ("Mẹx", "text", "odd"),
        ("on_time", "choice", "valid"),  # ocr.read gives the option key of a recognized caption
        ("Đúng hẹn", "choice", "invalid"),
    ],
)
def test_grade(text: str, kind: str, expected: str) -> None:
    assert grade(text, kind, 1.0) == expected


@pytest.mark.parametrize(
    ("text", "kind", "key", "expected"),
    [
        ("Cha", "text", "declarant.relationship", "valid"),
        ("cha", "text", "declarant.relationship", "odd"),  # books write it capitalized
        ("Hẹ", "text", "declarant.relationship", "odd"),  # not a relationship
        ("Bản thân", "text", "note", "valid"),
        ("Xác định lại dân tộc", "text", "note", "long"),  # a sentence: one wrong tone goes unnoticed
        ("xác định lại dân tộc", "text", "note", "odd"),
        ("Triệu Văn Hìn", "name", "child.full_name", "rare"),  # given name not in the list (Mìn misread?)
        ("xã Tam Kim, huyện Nguyên Bình, tỉnh Cao Bằng", "place", "child.birth_place", "valid"),
        ("Trạm y tế xã Tam Kim, huyện Nguyên Bình, tỉnh Cao Bằng", "place", "child.birth_place", "valid"),
        ("Tam Kim, Nguyên Bình, cao Bằng", "place", "child.birth_place", "odd"),
        ("X. Trung Phúc, H. Trùng khánh, Cao Bằng", "place", "child.birth_place", "odd"),
        ("X. Yên Sơn, H Hà Quảng, Cao Bằng", "place", "child.birth_place", "odd"),  # the dot is lost
        ("Xã Tam Kim, huyện Nguyên Bình", "place", "child.birth_place", "odd"),
        ("X. BÌnh Dương, H. Hoà An, Cao Bằng", "place", "child.birth_place", "odd"),
    ],
)
def test_grade_uses_case_vocabulary_and_key(text: str, kind: str, key: str, expected: str) -> None:
    assert grade(text, kind, 0.95, key) == expected


def test_an_empty_text_is_blank_only_when_no_ink_was_read() -> None:
    assert grade("", "text", 1.0) == "blank"
    assert grade("  ", "date", 0.0) == "empty"  # an unreadable cell
    assert grade("", "place", 0.4) == "empty"  # specks read as marks, then dropped
    assert group("", 1.0, "name") == "name/blank"


def test_every_field_type_has_a_grade() -> None:
    for kind in FIELD_TYPES:
        assert grade("Abc 12", kind, 0.9) in confidence.GRADES


# --------------------------------------------------------------------------- the table
def _table() -> Table:
    return Table(
        {
            "date/valid": [(0.0, 0.2), (0.8, 0.6), (0.95, 0.998)],
            "*/valid": [(0.0, 0.1), (0.9, 0.95)],
            "*/blank": [(0.0, 0.999)],
            "*/*": [(0.0, 0.05)],
        }
    )


def test_table_steps_and_fallbacks() -> None:
    table = _table()
    assert table("date/valid", 0.5) == 0.2
    assert table("date/valid", 0.8) == 0.6
    assert table("date/valid", 0.97) == 0.998
    assert table("name/valid", 0.92) == 0.95  # falls back to */valid
    assert table("name/blank", 1.0) == 0.999
    assert table("name/invalid", 0.99) == 0.05  # falls back to */*
    assert Table({})("name/valid", 0.42) == pytest.approx(0.42)  # no table: raw


def test_table_rejects_bad_steps() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        Table({"date/valid": [(0.0, 0.9), (0.5, 0.1)]})
    with pytest.raises(ValueError, match="sorted"):
        Table({"date/valid": [(0.5, 0.1), (0.0, 0.9)]})
    with pytest.raises(ValueError, match="grade"):
        Table({"date": [(0.0, 0.1)]})


def test_table_yaml_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        dump_table(Table(_table().groups, 0.97, {"seeds": "7001-7002"}), "fitted today\nby a test")
    )
    text = path.read_text()
    assert text.startswith("# fitted today\n# by a test\n")
    again = load_table(path)
    assert again.cut == 0.97 and again.meta["seeds"] == "7001-7002"
    assert again("date/valid", 0.96) == 0.998
    path.write_text("groups: [1, 2")
    with pytest.raises(ConfigError, match="sai định dạng") as info:
        load_table(path)
    assert "fit_ocr_calibration" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="không đọc được tệp hiệu chỉnh OCR"):
        load_table(tmp_path / "missing.yaml")


def test_field_confidence_uses_the_installed_table() -> None:
    with confidence.using(_table()):
        assert field_confidence("15/03/1987", 0.97, "date", "child.birth_date") == 0.998
        assert field_confidence("31/02/1987", 0.99, "date", "child.birth_date") == 0.05
        assert field_confidence("", 1.0, "name", "mother.full_name") == 0.999
    with confidence.using(None):  # what the calibration fit reads with
        assert field_confidence("31/02/1987", 0.99, "date", "child.birth_date") == 0.99


def test_a_missing_calibration_file_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confidence, "calibration_path", lambda: tmp_path / "nope.yaml")
    confidence.reset()
    try:
        with pytest.raises(ConfigError, match="thiếu tệp hiệu chỉnh OCR") as info:
            field_confidence("An", 0.9, "name", "child.full_name")
        assert "fit_ocr_calibration" in (info.value.hint or "")
    finally:
        monkeypatch.undo()
        confidence.reset()


# --------------------------------------------------------------------------- fitting
def test_pav_pools_violators_into_a_non_decreasing_fit() -> None:
    assert pav([0.5, 0.3, 0.8], [1, 1, 1]) == [(0, 2, pytest.approx(0.4)), (2, 3, 0.8)]
    assert pav([0.9, 0.1], [1, 3]) == [(0, 2, pytest.approx(0.3))]
    rng = np.random.default_rng(1)
    values = rng.random(50).tolist()
    means = [m for _, _, m in pav(values, [1.0] * 50)]
    assert means == sorted(means)
    assert sum((e - s) * m for s, e, m in pav(values, [1.0] * 50)) == pytest.approx(sum(values))


def test_bins_hold_at_least_min_bin_and_never_split_equal_values() -> None:
    points = [(0.5, True)] * 7 + [(0.7, False)] * 3 + [(0.9, True)] * 12
    out = bins(points, 5)
    assert [n for _, _, n in out] == [7, 15] or all(n >= 5 for _, _, n in out)
    assert sum(n for _, _, n in out) == 22
    assert out[0][0] == 0.5


def test_lower_bound_is_cautious_for_few_fields() -> None:
    assert lower_bound(40, 40) < 0.97
    assert lower_bound(4000, 4000) > 0.999
    assert lower_bound(0, 0) == 0.0
    assert lower_bound(50, 100) < 0.5


def _synthetic(n: int, seed: int) -> list[Observation]:
    """Exactness rises with the raw confidence; invalid dates are always wrong, blanks always right."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        raw = rnd.random()
        style = rnd.choice(["typed", "handwritten"])
        exact = rnd.random() < raw**3 if style == "typed" else rnd.random() < raw**8
        out.append(Observation("name/valid", raw, exact, style, "ledger"))
        out.append(Observation("date/invalid", raw, False, style, "ledger"))
        out.append(Observation("text/blank", 1.0, True, style, "form"))
    return out


def test_fit_is_monotone_and_confident_means_right() -> None:
    observations = _synthetic(6000, 1)
    table = fit(observations, target=0.99)
    for steps in table.groups.values():
        ys = [p for _, p in steps]
        assert ys == sorted(ys)
    raws = np.linspace(0, 1, 101)
    assert all(table("date/invalid", r) < CONFIDENT for r in raws)
    assert table("text/blank", 1.0) >= CONFIDENT
    fresh = _synthetic(6000, 2)
    scored = [(table(o.group, o.raw), o) for o in fresh]
    by_style = summary(scored, "style")
    for figures in by_style.values():
        assert figures["confident_exact"] >= 0.98
    assert summary(scored)["all"]["confident_share"] > 0.3


def test_choose_cut_serves_the_worst_slice() -> None:
    typed = [(0.95, Observation("name/valid", 0.95, True, "typed", "ledger"))] * 100
    hand = [(0.95, Observation("name/valid", 0.95, i % 10 != 0, "handwritten", "ledger")) for i in range(100)]
    hand += [(0.99, Observation("name/valid", 0.99, True, "handwritten", "ledger"))] * 100
    assert choose_cut(typed, 0.995) == 0.95
    assert choose_cut(typed + hand, 0.995) == 0.99


def test_confident_is_the_threshold_of_the_scoring() -> None:
    from ocr import evaluate

    assert evaluate.CONFIDENT == CONFIDENT


def test_fold_at_cut_keeps_order() -> None:
    cut = 0.97
    ps = np.linspace(0, 1, 201)
    folded = [fold_at_cut(float(p), cut) for p in ps]
    assert folded == sorted(folded)
    assert fold_at_cut(0.95, cut) == BELOW and fold_at_cut(0.97, cut) == 0.97 and fold_at_cut(0.3, cut) == 0.3
    assert fold_at_cut(0.85, 0.8) == CONFIDENT


def test_low_raw_confidence_is_never_confident() -> None:
    steps = cap_below([(0.0, 0.95), (0.8, 0.99)], 0.6)
    assert steps == [(0.0, BELOW), (0.6, 0.95), (0.8, 0.99)]
    assert cap_below([(0.0, 0.3)], 0.6) == [(0.0, 0.3)]


def test_fit_steps_lowers_small_perfect_blocks() -> None:
    steps = fit_steps([(0.99, True)] * 30, min_bin=10)
    assert steps[-1][1] < 0.97  # 30 of 30 is not yet 99.5%


# --------------------------------------------------------------------------- the fitted table
def test_shipped_table_is_monotone_and_sensible() -> None:
    confidence.reset()
    table = confidence.table()
    assert table is not None
    raws = [i / 100 for i in range(101)]
    for name in table.groups:
        values = [table(name, r) for r in raws]
        assert values == sorted(values), name
    for kind in FIELD_TYPES:
        # a cell without ink is far more surely empty than one whose marks were dropped or unreadable
        assert field_confidence("", 1.0, kind, "x") > field_confidence("", 0.0, kind, "x"), kind
        assert field_confidence("", 1.0, kind, "x") >= 0.8, kind
        assert field_confidence("", 0.0, kind, "x") < CONFIDENT, kind
        for raw in raws:  # invalid or corrected values are never trusted at a glance
            assert table(f"{kind}/invalid", raw) < CONFIDENT and table(f"{kind}/odd", raw) < CONFIDENT
    assert field_confidence("31/02/1987", 0.99, "date", "child.birth_date") < CONFIDENT
    assert field_confidence("ổ", 0.99, "number", "registration.number") < CONFIDENT
    assert field_confidence("Xà", 0.99, "sex", "child.sex") < CONFIDENT
    assert field_confidence("15/03/1987", 0.2, "date", "child.birth_date") < CONFIDENT


def test_read_confidences_come_from_the_engine_raw() -> None:
    """Engines leave confidences raw; ocr.read applies field_confidence once (see test_ocr_read)."""
    crop = np.zeros((20, 80), np.uint8)
    rec = FakeEngine([("31/02/1987", 0.99)]).recognize(crop, kind="date")
    assert rec.confidence == pytest.approx(0.99)
    assert field_confidence(rec.text, rec.confidence, "date", "child.birth_date") < CONFIDENT


def test_page_class_is_the_median_raw_confidence_of_read_fields() -> None:
    assert confidence.page_class([0.96, 0.97, 0.2]) == "clear"
    assert confidence.page_class([0.96, 0.5, 0.2]) == "other"
    assert confidence.page_class([]) == "other"
    assert confidence.group("15/03/1987", 0.97, "date", "child.birth_date", "clear") == "date.clear/valid"
    assert confidence.group("15/03/1987", 0.97, "date", "child.birth_date") == "date/valid"


def test_page_class_groups_fall_back_to_the_field_type() -> None:
    assert fallbacks("date.clear/valid") == ("date.clear/valid", "date/valid", "*/valid", "*/*")
    assert fallbacks("date/valid") == ("date/valid", "*/valid", "*/*")
    table = Table({"date/valid": [(0.0, 0.5)], "date.clear/valid": [(0.0, 0.95)], "*/*": [(0.0, 0.1)]})
    assert table("date.clear/valid", 0.9) == 0.95
    assert table("date.other/valid", 0.9) == 0.5
    assert table("name.other/valid", 0.9) == 0.1
