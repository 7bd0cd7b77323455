"""Grid detection on drawn ledgers (broken, faint, doubled, curved rules; merged headers), label matching,
leaders and tick boxes on drawn forms — no Tesseract (FakeEngine where an engine is needed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import preprocess as pp
from ocr.engines import FakeEngine, OcrEngineError, Word
from ocr.engines.base import Mode
from ocr.layout.form import (
    box_fill,
    find_labels,
    group_lines,
    missed_lines,
    read_values,
    remove_leaders,
    row_boxes,
)
from ocr.layout.ledger import find_grid, ledger_cells, map_columns, text_lines
from ocr.load import PageImage
from ocr.read import choice_key, clean_value, fold, ink_box, read_page
from sohoa.config import Layout, LedgerColumn

ROWS = [200, 260, 330, 430, 530, 630, 730, 830]  # table top, header split, header bottom, 5 body rules
COLS = [100, 260, 620, 900, 1300]
GROUP_SPAN = (620, 1300)  # the upper header cell merged over the last two columns


def draw_grid(
    *,
    broken: bool = False,
    faint: bool = False,
    doubled: bool = False,
    curved: bool = False,
    missing_col: int | None = None,
    filled_rows: tuple[int, ...] = (0, 1, 2),
) -> np.ndarray:
    """A white page with a 4-column ledger, 2 header rows (merged group cell) and 5 body rows."""
    img = np.full((1000, 1400), 250, np.uint8)
    ink = 175 if faint else 30
    x0, x1 = COLS[0], COLS[-1]
    for i, y in enumerate(ROWS):
        a, b = GROUP_SPAN if i == 1 else (x0, x1)
        if curved and i >= 3:
            xs = np.linspace(a, b, 40)
            ys = y + 5 * np.sin((xs - a) / (b - a) * np.pi)
            pts = np.stack([xs, ys], axis=1).astype(np.int32)
            cv2.polylines(img, [pts], False, ink, 2)
        else:
            cv2.line(img, (a, y), (b, y), ink, 2)
        if doubled and i == 5:
            cv2.line(img, (a, y + 5), (b, y + 5), ink, 2)
    for j, x in enumerate(COLS):
        if j == missing_col:
            continue
        top = ROWS[1] if j == 3 else ROWS[0]  # the rule under the merged cell starts at the header split
        cv2.line(img, (x, top), (x, ROWS[-1]), ink, 2)
    if broken:
        for y in ROWS[3:]:
            for gx in range(150, 1300, 190):
                img[y - 3 : y + 4, gx : gx + 12] = 250
        for x in COLS[1:-1]:
            for gy in range(360, 830, 150):
                img[gy : gy + 10, x - 3 : x + 4] = 250
    for r in filled_rows:
        top = ROWS[2 + r]
        for j in range(len(COLS) - 1):
            cv2.putText(img, f"A{r}{j}", (COLS[j] + 20, top + 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    cv2.putText(img, "SO DANG KY", (500, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    return img


def layout4(widths: tuple[float, ...] = (0.5, 1.1, 0.8, 1.2)) -> Layout:
    keys = [
        ("registration.number", "number"),
        ("child.full_name", "name"),
        ("child.sex", "sex"),
        ("note", "text"),
    ]
    return Layout(
        book_type="birth",
        era="2006-2015",
        kind="ledger",
        title="SỔ",
        header_rows=2,
        columns=[
            LedgerColumn(field=k, type=t, header=k, width=w) for (k, t), w in zip(keys, widths, strict=True)
        ],
    )


def _close(found: list[float], expected: list[int], tol: float = 6) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= tol for f, e in zip(found, expected, strict=True)
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"broken": True},
        {"faint": True},
        {"doubled": True},
        {"curved": True},
        {"broken": True, "faint": True},
    ],
    ids=["clean", "broken", "faint", "doubled", "curved", "broken+faint"],
)
def test_grid_is_found_with_imperfect_rules(options: dict[str, bool]) -> None:
    grid = find_grid(pp.binarize(draw_grid(**options)), header_rows=2)
    assert grid.found and not grid.flags
    # the short rule under the merged group cell is not a row rule: the first band holds both header rows
    expected = [y for y in ROWS if y != ROWS[1]]
    assert _close([r.pos for r in grid.rows], expected, tol=8 if options.get("curved") else 6)
    assert grid.header_rows == 1
    assert _close([c.pos for c in grid.columns], COLS)
    assert len(grid.body_bands) == 5


def test_a_long_header_split_rule_counts_as_a_header_row() -> None:
    global GROUP_SPAN
    saved = GROUP_SPAN
    GROUP_SPAN = (260, 1300)
    try:
        grid = find_grid(pp.binarize(draw_grid()), header_rows=2)
    finally:
        GROUP_SPAN = saved
    assert _close([r.pos for r in grid.rows], ROWS) and grid.header_rows == 2
    assert len(grid.body_bands) == 5


def test_cells_lie_inside_the_rules_and_text_is_not_cut() -> None:
    gray = draw_grid(curved=True)
    grid = find_grid(pp.binarize(gray), header_rows=2)
    page = ledger_cells(grid, layout4(), gray.shape[:2])
    assert [r.row for r in page.rows] == [1, 2, 3, 4, 5]
    cell = page.rows[0].cells["child.full_name"]
    x, y, w, h = cell.bbox
    assert COLS[1] < x < COLS[1] + 10 and COLS[2] - 10 < x + w < COLS[2]
    assert ROWS[2] < y < ROWS[2] + 10 and ROWS[3] - 12 < y + h < ROWS[3]
    text_ink = pp.remove_lines(pp.binarize(gray))
    box = ink_box(text_ink, cell.bbox)
    assert box is not None and box[1] > y and box[1] + box[3] <= y + h


def test_a_missing_column_rule_is_flagged_and_placed_by_the_widths() -> None:
    grid = find_grid(pp.binarize(draw_grid(missing_col=2)), header_rows=2)
    assert len(grid.columns) == 4
    # widths proportional to the drawn columns put the missing boundary near x=620
    widths = tuple(float(b - a) for a, b in itertools.pairwise(COLS))
    edges, flags = map_columns(grid, layout4(widths))
    assert flags == ["columns_mismatch:3/4"]
    assert abs(edges[1][1] - 620) < 5 and abs(edges[2][0] - 620) < 5
    assert abs(edges[0][1] - 260) < 5 and abs(edges[2][1] - 900) < 5


def test_no_grid_on_a_page_without_rules() -> None:
    img = np.full((800, 1000), 250, np.uint8)
    cv2.putText(img, "no table here", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 20, 3)
    grid = find_grid(pp.binarize(img), header_rows=2)
    assert not grid.found and "grid_not_found" in grid.flags


def test_text_lines_keep_diacritics_and_drop_specks() -> None:
    ink = np.zeros((120, 200), np.uint8)
    ink[10:14, 40:46] = 255  # a diacritic above the first line
    ink[18:40, 10:180] = 255  # line 1
    ink[55:77, 10:150] = 255  # line 2
    ink[110:112, 90:92] = 255  # a speck far below
    assert text_lines(ink) == [(10, 40), (55, 77)]


def _page(gray: np.ndarray) -> PageImage:
    return PageImage(image=gray, source=Path("ledger.png"), index=0)


def test_blank_rows_are_not_records_and_rows_are_numbered() -> None:
    engine = FakeEngine(lambda img, mode, kind: "x")
    records = read_page(_page(draw_grid(filled_rows=(0, 1, 3))), layout4(), engine)
    assert [r.row for r in records] == [1, 2, 3]
    assert all(set(r.fields) == {c.field for c in layout4().columns} for r in records)
    rec = records[0].to_dict()
    assert rec["fields"]["child.full_name"]["text"] == "x" and rec["book_type"] == "birth"
    assert set(rec["quality"]) == {"skew_deg", "flags"}
    x, _y, w, _h = rec["fields"]["child.full_name"]["bbox"]
    assert COLS[1] <= x and x + w <= COLS[2]


def test_an_unreadable_row_is_still_a_record() -> None:
    calls = {"n": 0}

    def script(img: np.ndarray, mode: Mode, kind: str) -> str:
        if img.shape[1] > 1000:  # a band strip read for the header (ocr.layout.header): not a cell
            return "x"
        calls["n"] += 1
        if calls["n"] <= 4:  # every cell of the first row fails
            raise OcrEngineError("boom")
        return "ok"

    records = read_page(_page(draw_grid()), layout4(), FakeEngine(script))
    assert len(records) == 3
    first = records[0]
    assert "row_unreadable" in first.flags
    assert all(f.text == "" and f.confidence == 0.0 for f in first.fields.values())
    assert records[1].fields["note"].text == "Ok"  # free text starts with a capital (ocr.correct)


def test_fold() -> None:
    assert fold("  Nguye\u0302\u0303n \n Văn  An ") == "Nguyễn Văn An"


# --------------------------------------------------------------------------- forms
def _words(line: str, y: int) -> list[Word]:
    out, x = [], 20
    for t in line.split():
        out.append(Word(t, 0.9, (x, y, 12 * len(t), 20)))
        x += 12 * len(t) + 10
    return out


def test_labels_are_matched_in_order_and_repeats_are_consumed() -> None:
    words = [
        *_words("Họ, chữ đệm, tên: Lò Văn A", 100),
        *_words("Năm sinh: 1990 Dân tộc: Thái", 150),
        *_words("Họ, chữ đệm, tên người cha: Lò Văn B", 200),
        *_words("Năm sinh: 1960 Dân tộc: Thái", 250),
        *_words("1à: Cha", 300),
    ]
    lines = group_lines(words)
    assert len(lines) == 5
    labels = find_labels(
        lines,
        [
            ("child.full_name", "Họ, chữ đệm, tên:"),
            ("child.birth_year", "Năm sinh:"),
            ("child.ethnicity", "Dân tộc:"),
            ("father.full_name", "Họ, chữ đệm, tên người cha:"),
            ("father.birth_year", "Năm sinh:"),
            ("father.ethnicity", "Dân tộc:"),
            ("parent.relationship", "Là:"),
            ("note", "Ghi chú:"),
        ],
    )
    assert [labels[k].line for k in ("child.full_name", "child.ethnicity", "father.full_name")] == [0, 1, 2]
    assert labels["father.birth_year"].line == 3 and labels["father.ethnicity"].line == 3
    assert labels["father.ethnicity"].bbox[0] > labels["father.birth_year"].bbox[0]
    assert labels["parent.relationship"].line == 4
    assert "note" not in labels


def test_leaders_are_removed_and_letters_kept() -> None:
    gray = np.full((200, 800), 250, np.uint8)
    cv2.putText(gray, "Ho ten:", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    cv2.putText(gray, "Lo Van A", (250, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    for x in range(160, 760, 8):
        gray[88:91, x : x + 3] = 30
    ink = pp.binarize(gray)
    clean_gray, clean_ink, _ = remove_leaders(gray, ink)
    assert not clean_ink[86:93, 160:240].any() and not clean_ink[86:93, 420:760].any()
    assert clean_ink[50:85, 250:400].any() and (clean_gray[50:85, 250:400] < 100).any()


def test_tick_box_fill() -> None:
    ink = np.zeros((200, 600), np.uint8)
    cv2.rectangle(ink, (50, 60), (80, 90), 255, 2)  # empty box
    cv2.rectangle(ink, (300, 60), (330, 90), 255, 2)  # ticked box
    cv2.line(ink, (304, 64), (326, 86), 255, 3)
    cv2.line(ink, (326, 64), (304, 86), 255, 3)
    empty, box = box_fill(ink, (95, 65, 80, 22), 22.0)
    ticked, tbox = box_fill(ink, (345, 65, 80, 22), 22.0)
    assert box is not None and tbox is not None and abs(box[0] - 50) <= 2
    assert empty < 0.05 < 0.15 < ticked


def test_clean_value_drops_specks_and_edge_marks() -> None:
    assert clean_value("  _Trung tâm Y tế. ") == "Trung tâm Y tế."
    assert clean_value("+") == "" and clean_value("- '") == ""
    assert clean_value("Tày _") == "Tày" and clean_value("085963907:") == "085963907"
    assert clean_value("Việ† Nam") == "Việt Nam"
    assert clean_value("H'Mông") == "H'Mông" and clean_value(".xóm Nà") == "xóm Nà"


def test_a_choice_column_reads_as_the_option_key() -> None:
    assert choice_key("other", "registration.kind", "Thay đổi, cải chính", 0.9)[0] == "change_correction"
    text, conf = choice_key("other", "registration.kind", "Giám hô", 0.9)
    assert text == "guardianship" and 0.7 < conf < 0.9
    assert choice_key("other", "registration.kind", "xyz", 0.9) == ("xyz", 0.45)


def test_a_page_with_ink_but_no_grid_still_gives_a_flagged_record() -> None:
    img = np.full((900, 1200), 250, np.uint8)
    for y in range(150, 800, 80):
        cv2.putText(img, "Nguyen Van An 1990 Cao Bang", (80, y), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    records = read_page(_page(img), layout4(), FakeEngine())
    assert len(records) == 1
    assert "grid_not_found" in records[0].flags and "row_unreadable" in records[0].flags
    assert all(f.confidence == 0.0 and f.text == "" for f in records[0].fields.values())


def _form_image() -> tuple[np.ndarray, list[Word]]:
    gray = np.full((320, 1000), 250, np.uint8)
    cv2.putText(gray, "Ho ten:", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    cv2.putText(gray, "Lo Van A", (220, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    cv2.rectangle(gray, (20, 180), (48, 208), 20, 2)
    cv2.putText(gray, "Dung han", (60, 205), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    cv2.rectangle(gray, (320, 180), (348, 208), 20, 2)
    cv2.line(gray, (324, 184), (344, 204), 20, 3)
    cv2.line(gray, (344, 184), (324, 204), 20, 3)
    cv2.putText(gray, "Qua han", (360, 205), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    words = [
        Word("Họ", 0.9, (20, 58, 45, 24)),
        Word("tên:", 0.9, (75, 58, 70, 24)),
        Word("Đúng", 0.9, (60, 183, 80, 24)),
        Word("hạn", 0.9, (150, 183, 60, 24)),
        Word("Quá", 0.9, (360, 183, 60, 24)),
        Word("hạn", 0.9, (430, 183, 60, 24)),
    ]
    return gray, words


def test_form_values_follow_their_labels_and_the_ticked_box_wins() -> None:
    gray, words = _form_image()
    ink = pp.binarize(gray)
    engine = FakeEngine(lambda img, mode, kind: "Lo Van A")
    values, flags = read_values(
        gray,
        ink,
        words,
        [("child.full_name", "Họ tên:", "name"), ("note", "Ghi chú:", "text")],
        [("registration.timeliness", {"on_time": "Đúng hạn", "late": "Quá hạn"})],
        engine,
        22.0,
    )
    name = values["child.full_name"]
    assert name.text == "Lo Van A" and name.bbox is not None and name.bbox[0] >= 150
    assert engine.calls and engine.calls[0].mode == "line"
    assert values["registration.timeliness"].text == "late"
    assert values["registration.timeliness"].confidence > 0.5
    assert values["note"].text == "" and values["note"].confidence == 0.0
    assert flags == ["label_not_found:note"]


def test_lines_the_page_read_skipped_are_found() -> None:
    gray, words = _form_image()
    ink = pp.binarize(gray)
    # the page read returned only the tick-box line: the label line is reported as missed
    missed = missed_lines(ink, words[2:], 22.0)
    assert len(missed) == 1
    x, y, w, h = missed[0]
    assert y < 58 and y + h > 82 and x <= 20 and x + w >= 340
    assert missed_lines(ink, words, 22.0) == []


def test_boxes_pair_with_options_in_order_when_a_caption_is_spoilt() -> None:
    gray, words = _form_image()
    # a big tick over the first box runs out of it and over its caption: the caption is not read
    cv2.line(gray, (24, 196), (34, 206), 20, 3)
    cv2.line(gray, (34, 206), (62, 168), 20, 3)
    gray[180:210, 320:350] = 250
    cv2.rectangle(gray, (320, 180), (348, 208), 20, 2)  # the second box now empty
    ink = pp.binarize(gray)
    values, _ = read_values(
        gray,
        ink,
        [w for w in words if w.text not in ("Đúng", "hạn") or w.bbox[0] > 300],
        [],
        [("registration.timeliness", {"on_time": "Đúng hạn", "late": "Quá hạn"})],
        FakeEngine(),
        22.0,
    )
    assert values["registration.timeliness"].text == "on_time"
    boxes = row_boxes(ink, [(360, 183, 130, 24)], 22.0)
    assert len(boxes) == 2 and boxes[0][1][0] < boxes[1][1][0] and boxes[0][0] > boxes[1][0]
