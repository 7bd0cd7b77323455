"""A page of the wrong layout gives no record (issue 14): a form in a ledger book, a ledger in a form book, a grid
of far too many or few columns. Drawn pages with FakeEngine, then real sample pages with Tesseract (the job the
scan runs and ``sohoa ocr``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_ocr_layout import _page, draw_grid, layout4

from ocr.engines import FakeEngine
from ocr.job import read_page_file
from ocr.layout.check import FORM_LEADER_LINES, far_from, leader_lines
from ocr.read import read_page_full
from samples.make import make_samples
from sohoa.config import FormField, Layout, LedgerColumn, layout

SEED = 5313  # not used by any other test


def draw_form(lines: int = 14) -> np.ndarray:
    """A white page of ``lines`` labels, each followed by a dotted leader (a form without a ruled grid)."""
    img = np.full((1400, 1100), 250, np.uint8)
    for i in range(lines):
        y = 120 + i * 85
        cv2.putText(img, f"Nhan {i}:", (60, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
        for x in range(260, 1040, 9):
            cv2.circle(img, (x, y + 4), 1, 30, -1)
    return img


def wide_layout(columns: int = 12) -> Layout:
    keys = ["registration.number", "registration.date", "child.full_name", "child.birth_date", "child.sex"]
    keys += [
        "child.ethnicity",
        "child.nationality",
        "child.birth_place",
        "mother.full_name",
        "father.full_name",
    ]
    keys += ["declarant.full_name", "note"]
    return Layout(
        book_type="birth",
        era="2006-2015",
        kind="ledger",
        title="SỔ ĐĂNG KÝ KHAI SINH",
        header_rows=2,
        columns=[LedgerColumn(field=k, type="text", header=k, width=1.0) for k in keys[:columns]],
    )


def form_layout() -> Layout:
    labels = ["Họ, chữ đệm, tên:", "Ngày, tháng, năm sinh:", "Giới tính:", "Dân tộc:", "Quốc tịch:"]
    keys = ["child.full_name", "child.birth_date", "child.sex", "child.ethnicity", "child.nationality"]
    return Layout(
        book_type="birth",
        era="2016+",
        kind="form",
        title="SỔ ĐĂNG KÝ KHAI SINH",
        fields=[FormField(field=k, label=lb, type="text") for k, lb in zip(keys, labels, strict=True)],
    )


def test_far_from_tolerates_a_missed_rule_or_two() -> None:
    assert not far_from(3, 4) and not far_from(11, 12) and not far_from(20, 19) and not far_from(16, 19)
    assert far_from(19, 12) and far_from(12, 19) and far_from(4, 12) and far_from(0, 9)


def test_dotted_leaders_are_counted_per_line() -> None:
    form = draw_form(14)
    _, ink = cv2.threshold(form, 128, 255, cv2.THRESH_BINARY_INV)
    assert leader_lines(ink) == 14
    _, ledger_ink = cv2.threshold(draw_grid(), 128, 255, cv2.THRESH_BINARY_INV)
    assert leader_lines(ledger_ink) < FORM_LEADER_LINES


def test_a_form_page_in_a_ledger_book_gives_no_record() -> None:
    result = read_page_full(_page(draw_form()), layout4(), FakeEngine(default="x"))
    assert result.records == [] and "layout_mismatch" in result.flags
    assert result.mismatch is not None
    assert result.mismatch.reason.startswith("layout_mismatch: sổ kẻ bảng 4 cột")
    assert "biểu mẫu" in result.mismatch.seen and "không có bảng kẻ" in result.mismatch.seen


def test_a_grid_of_far_too_few_columns_gives_no_record_a_missed_rule_still_reads() -> None:
    engine = FakeEngine(default="x")
    result = read_page_full(_page(draw_grid()), wide_layout(12), engine)
    assert result.records == [] and result.mismatch is not None
    assert (
        result.mismatch.expected.startswith("sổ kẻ bảng 12 cột") and result.mismatch.seen == "bảng kẻ 4 cột"
    )
    damaged = read_page_full(_page(draw_grid(missing_col=2)), layout4(), engine)  # 3 of 4 columns found
    assert damaged.mismatch is None and len(damaged.records) == 3
    assert "columns_mismatch:3/4" in damaged.flags


def test_a_ledger_page_in_a_form_book_gives_no_record() -> None:
    result = read_page_full(
        _page(draw_grid(filled_rows=(0, 1, 2, 3, 4))), form_layout(), FakeEngine(default="")
    )
    assert result.records == [] and result.mismatch is not None
    assert result.mismatch.expected.startswith("biểu mẫu điền từng bản ghi")
    assert result.mismatch.seen.startswith("trang sổ kẻ bảng 4 cột, 5 hàng")


def test_a_page_with_loose_text_and_no_grid_keeps_its_flagged_record() -> None:
    img = np.full((900, 1200), 250, np.uint8)
    for y in range(150, 800, 80):
        cv2.putText(img, "Nguyen Van An 1990 Cao Bang", (80, y), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    result = read_page_full(_page(img), layout4(), FakeEngine())
    assert result.mismatch is None and len(result.records) == 1
    assert "grid_not_found" in result.records[0].flags


# --------------------------------------------------------------------------- real pages (Tesseract)
@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 2016+ death form and one 1999–2005 death ledger page (typed)."""
    out = tmp_path_factory.mktemp("mismatch_samples")
    manifest = make_samples(
        out, SEED, books_per_type=1, pages_per_book=1, style="typed", eras=["2016+", "1999-2005"],
        types=["death"], workers=1,
    )  # fmt: skip
    return {b["era"]: out / b["pages"][0] for b in manifest["books"]}


@pytest.mark.tesseract
def test_a_real_form_read_as_a_ledger_and_a_ledger_read_as_a_form_are_set_aside(
    pages: dict[str, Path],
) -> None:
    form, ledger = str(pages["2016+"]), str(pages["1999-2005"])
    wrong = read_page_file(1, form, 0, "death", "1999-2005")
    assert wrong.records == [] and wrong.quarantine_reason is not None
    assert wrong.quarantine_reason.startswith(
        "layout_mismatch: sổ kẻ bảng 12 cột (sổ đăng ký khai tử 1999-2005)"
    )
    assert "biểu mẫu" in wrong.quarantine_reason and wrong.quality["layout_mismatch"]["seen"]
    also_wrong = read_page_file(2, ledger, 0, "death", "2016+")
    assert also_wrong.records == [] and also_wrong.quarantine_reason is not None
    assert also_wrong.quarantine_reason.startswith("layout_mismatch: biểu mẫu điền từng bản ghi")
    assert "trang sổ kẻ bảng 12 cột" in also_wrong.quarantine_reason
    right = read_page_file(3, form, 0, "death", "2016+")
    assert right.quarantine_reason is None and len(right.records) == 1
    assert len(layout("death", "1999-2005").columns) == 12


@pytest.mark.tesseract
def test_sohoa_ocr_says_so_in_one_line_and_exits_non_zero(pages: dict[str, Path]) -> None:
    cmd = [sys.executable, "-m", "sohoa.cli", "ocr", str(pages["2016+"]), "--book-type", "death"]
    env = {**os.environ, "COLUMNS": "400"}
    done = subprocess.run([*cmd, "--era", "1999-2005", "--json"], capture_output=True, text=True, env=env)
    assert done.returncode == 5
    assert done.stdout.strip() == ""  # no record
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "không khớp bố cục death 1999-2005" in lines[0]
    assert "cần sổ kẻ bảng 12 cột" in lines[0] and "thấy trang biểu mẫu" in lines[0]
    ok = subprocess.run([*cmd, "--era", "2016+", "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and len(ok.stdout.strip().splitlines()) == 1
