"""Dates: every layout in the books, dates in words, years, pivots, impossible dates, OCR slips."""

from __future__ import annotations

import datetime as dt

import pytest

from normalize import (
    PartialDate,
    cross_check,
    date_to_words,
    int_to_words,
    normalize_date,
    normalize_date_words,
    normalize_year,
    resolve_two_digit_year,
    words_to_int,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/03/1987", (1987, 3, 5)),
        ("5/3/1987", (1987, 3, 5)),
        ("5-3-1987", (1987, 3, 5)),
        ("5.3.1987", (1987, 3, 5)),
        ("05 / 03 / 1987", (1987, 3, 5)),
        ("1987-03-05", (1987, 3, 5)),
        ("05031987", (1987, 3, 5)),
        ("ngày 5 tháng 3 năm 1987", (1987, 3, 5)),
        ("Ngày 05 tháng 03 năm 1987", (1987, 3, 5)),
        ("5 tháng 3 năm 1987", (1987, 3, 5)),
        ("ngày 05, tháng 03, năm 1987.", (1987, 3, 5)),
        ("ngay 5 thang 3 nam 1987", (1987, 3, 5)),
        ("NGÀY 5 THÁNG 3 NĂM 1987", (1987, 3, 5)),
        ("ngày mồng 5 tháng 3 năm 1987", (1987, 3, 5)),
        ("29/02/2000", (2000, 2, 29)),
        ("31/12/1999", (1999, 12, 31)),
    ],
)
def test_digit_layouts(raw: str, expected: tuple[int, int, int]) -> None:
    result = normalize_date(raw)
    assert result.value == PartialDate(*expected)
    assert result.text == f"{expected[2]:02d}/{expected[1]:02d}/{expected[0]}"
    assert result.issues == []
    assert result.confidence >= 0.95


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám", (2018, 3, 15)),
        ("ngày hai mươi mốt tháng mười một năm một nghìn chín trăm tám mươi", (1980, 11, 21)),
        ("Ngày mồng năm tháng tư năm hai ngàn lẻ năm", (2005, 4, 5)),
        ("ngày ba mươi tháng chín năm hai nghìn linh một", (2001, 9, 30)),
        ("ngày mười năm tháng năm năm một nghìn chín trăm chín mươi", (1990, 5, 15)),
        ("ngày hai mươi tư tháng mười hai năm hai nghìn mười", (2010, 12, 24)),
        ("ngày hai mươi bốn tháng tư năm hai nghìn", (2000, 4, 24)),
        ("Ngày mười bốn tháng giêng năm một nghìn chín trăm bảy mươi sáu", (1976, 1, 14)),
        ("ngày mùng một tháng một năm hai nghìn không trăm hai mươi mốt", (2021, 1, 1)),
        ("ngay hai muoi lam thang sau nam hai nghin khong tram hai muoi", (2020, 6, 25)),
        ("Ngày mười sáu tháng bảy năm một chín tám bảy", (1987, 7, 16)),
        ("ngày 15 tháng ba năm 2018", (2018, 3, 15)),
        ("ngày hai mươi nhăm tháng mười năm hai nghìn không trăm linh tư", (2004, 10, 25)),
    ],
)
def test_dates_in_words(raw: str, expected: tuple[int, int, int]) -> None:
    for normalizer in (normalize_date, normalize_date_words):
        result = normalizer(raw)
        assert result.value == PartialDate(*expected), (normalizer.__name__, raw)
        assert result.issues == []


def test_date_words_text_is_canonical_words() -> None:
    result = normalize_date_words("15/03/2018")
    assert result.text == "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"
    assert normalize_date_words(result.text).value == PartialDate(2018, 3, 15)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "một"), (4, "bốn"), (10, "mười"), (14, "mười bốn"), (15, "mười lăm"), (21, "hai mươi mốt"),
        (24, "hai mươi tư"), (25, "hai mươi lăm"), (30, "ba mươi"), (1987, "một nghìn chín trăm tám mươi bảy"),
        (2005, "hai nghìn không trăm linh năm"), (2018, "hai nghìn không trăm mười tám"), (2000, "hai nghìn"),
        (1905, "một nghìn chín trăm linh năm"), (2021, "hai nghìn không trăm hai mươi mốt"),
    ],
)  # fmt: skip
def test_numbers_in_words(n: int, words: str) -> None:
    assert int_to_words(n) == words
    from normalize.text import strip_diacritics

    assert words_to_int(strip_diacritics(words).split()) == n


@pytest.mark.parametrize("tokens", ["hai ba", "lam", "muoi muoi", "tram tram", "linh nam", "foo"])
def test_malformed_number_words(tokens: str) -> None:
    assert words_to_int(tokens.split()) is None


@pytest.mark.parametrize(
    ("raw", "pivot", "year"),
    [("5/3/87", 1995, 1987), ("15/6/03", 2005, 2003), ("1/1/05", 2005, 2005), ("1/1/06", 2005, 1906)],
)
def test_two_digit_years_use_the_pivot(raw: str, pivot: int, year: int) -> None:
    result = normalize_date(raw, pivot_year=pivot)
    assert result.value is not None and result.value.year == year
    assert "date_two_digit_year" in result.codes
    assert resolve_two_digit_year(int(raw.rsplit("/", 1)[1]), pivot) == year


def test_two_digit_year_without_pivot_is_flagged() -> None:
    result = normalize_date("5/3/87")
    assert result.value is not None and result.value.year == 1987
    assert "date_two_digit_year_assumed" in result.codes
    assert result.confidence <= 0.6


@pytest.mark.parametrize(
    "raw", ["31/02/1990", "29/02/1999", "32/01/2000", "05/13/2000", "0/5/2000", "31/04/2010"]
)
def test_impossible_dates_are_flagged_never_guessed(raw: str) -> None:
    result = normalize_date(raw)
    assert result.value is None
    assert result.codes == ["date_impossible"]
    assert result.text == raw


@pytest.mark.parametrize(
    ("raw", "expected", "before"),
    [
        ("O5/O3/l987", (1987, 3, 5), "l987"),
        ("2S/12/199B", (1998, 12, 25), "2S"),
        ("ngày l5 tháng 3 năm 2OO1", (2001, 3, 15), "2OO1"),
        ("1I/1O/2010", (2010, 10, 11), "1I"),
    ],
)
def test_ocr_digit_slips_fixed_with_lower_confidence(
    raw: str, expected: tuple[int, int, int], before: str
) -> None:
    result = normalize_date(raw)
    assert result.value == PartialDate(*expected)
    assert "date_ocr_fixed" in result.codes
    assert any(before in i.message for i in result.issues)
    assert result.confidence < 0.8


@pytest.mark.parametrize(
    ("raw", "value", "text"),
    [
        ("1987", PartialDate(1987), "1987"),
        ("năm 1987", PartialDate(1987), "1987"),
        ("tháng 3/1987", PartialDate(1987, 3), "03/1987"),
        ("3/1987", PartialDate(1987, 3), "03/1987"),
        ("Năm một nghìn chín trăm tám mươi bảy", PartialDate(1987), "1987"),
    ],
)
def test_partial_dates(raw: str, value: PartialDate, text: str) -> None:
    result = normalize_date(raw)
    assert result.value == value
    assert result.text == text
    assert result.value is not None and result.value.precision in ("year", "month")


@pytest.mark.parametrize(
    "raw", ["hello", "12/7/0", "ngày x tháng y năm z", "1/2/3/4", "tháng 13 năm 2000", "99999"]
)
def test_unreadable_dates(raw: str) -> None:
    result = normalize_date(raw)
    assert result.value is None
    assert result.issues and result.issues[0].severity == "error"


@pytest.mark.parametrize(
    "raw", ["", "  ", "..../..../........", "ngày ... tháng ... năm ...", "Ngày tháng năm"]
)
def test_blank_dates_and_bare_printed_labels(raw: str) -> None:
    result = normalize_date(raw)
    assert result.value is None and result.issues == [] and result.text == ""


def test_year_out_of_range() -> None:
    assert normalize_date("01/01/1700").codes == ["date_out_of_range"]


@pytest.mark.parametrize(
    ("raw", "pivot", "year", "code"),
    [
        ("1987", None, 1987, None),
        ("sinh năm 1960", None, 1960, None),
        ("l987", None, 1987, "date_ocr_fixed"),
        ("87", 2000, 1987, "date_two_digit_year"),
        ("35 tuổi", 2000, 1965, "year_from_age"),
        ("05/03/1987", None, 1987, "year_from_date"),
        ("một nghìn chín trăm tám mươi bảy", None, 1987, None),
    ],
)
def test_years(raw: str, pivot: int | None, year: int, code: str | None) -> None:
    result = normalize_year(raw, pivot_year=pivot)
    assert result.value == year
    assert result.text == str(year)
    if code is None:
        assert result.issues == []
    else:
        assert code in result.codes


def test_age_without_pivot_is_not_guessed() -> None:
    assert normalize_year("35 tuổi").value is None


def test_cross_check() -> None:
    digits = normalize_date("15/03/2018")
    same = normalize_date_words("Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám")
    other = normalize_date_words("Ngày mười sáu tháng ba năm hai nghìn không trăm mười tám")
    assert cross_check(digits, same) == []
    mismatch = cross_check(digits, other, field="child.birth_date_words")
    assert [i.code for i in mismatch] == ["date_words_mismatch"]
    assert mismatch[0].field == "child.birth_date_words"
    assert cross_check(digits, normalize_date("")) == []
    assert cross_check(dt.date(2018, 3, 15), PartialDate(2018, 3, 15)) == []
    assert cross_check(PartialDate(2018), PartialDate(2018, 3, 15)) == []


def test_partial_date_helpers() -> None:
    d = PartialDate(2000, 2)
    assert d.earliest() == dt.date(2000, 2, 1) and d.latest() == dt.date(2000, 2, 29)
    assert PartialDate(1999).latest() == dt.date(1999, 12, 31)
    assert PartialDate(1987, 3, 5).isoformat() == "1987-03-05"
    assert PartialDate(1987, 3).to_date() is None
    assert date_to_words(PartialDate(1987)) == "Năm một nghìn chín trăm tám mươi bảy"
