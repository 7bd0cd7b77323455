"""Ethnic groups, sex, nationality, tick boxes, choices, ID and registration numbers, the dispatcher."""

from __future__ import annotations

import pytest

from normalize import (
    PartialDate,
    ethnic_group,
    ethnic_groups,
    normalize_checkbox,
    normalize_choice,
    normalize_ethnicity,
    normalize_field,
    normalize_id_number,
    normalize_nationality,
    normalize_number,
    normalize_record,
    normalize_sex,
    normalize_text,
)
from sohoa.fields import FIELD_TYPES

# ------------------------------------------------------------------------------------ ethnic groups
GSO_1979_FIRST = ["Kinh", "Tày", "Thái", "Hoa", "Khơ-me", "Mường", "Nùng", "Mông", "Dao", "Gia-rai", "Ngái"]


def test_the_54_groups_in_gso_order() -> None:
    groups = ethnic_groups()
    assert len(groups) == 54
    assert [g.code for g in groups] == [f"{i:02d}" for i in range(1, 55)]
    assert [g.name for g in groups[: len(GSO_1979_FIRST)]] == GSO_1979_FIRST
    assert len({g.code_2008 for g in groups}) == 54
    assert ethnic_group("06") is not None and ethnic_group("06").code_2008 == "04"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "name", "code"),
    [
        ("Tày", "Tày", "02"), ("TÀY", "Tày", "02"), ("dân tộc Tày", "Tày", "02"), ("Tay", "Tày", "02"),
        ("Nùng", "Nùng", "07"), ("Nùng An", "Nùng", "07"), ("Nùng Phàn Slinh", "Nùng", "07"),
        ("Mông", "Mông", "08"), ("H'Mông", "Mông", "08"), ("H'mông", "Mông", "08"), ("Hmông", "Mông", "08"),
        ("HMông", "Mông", "08"), ("Mèo", "Mông", "08"), ("Mông Hoa", "Mông", "08"),
        ("Dao", "Dao", "09"), ("Mán", "Dao", "09"), ("Dao Đỏ", "Dao", "09"), ("Dao Tiền", "Dao", "09"),
        ("Sán Chay", "Sán Chay", "15"), ("Cao Lan", "Sán Chay", "15"), ("Sán Chỉ", "Sán Chay", "15"),
        ("Lô Lô", "Lô Lô", "43"), ("Kinh", "Kinh", "01"), ("Việt", "Kinh", "01"), ("Hoa", "Hoa", "04"),
        ("Hán", "Hoa", "04"), ("Khmer", "Khơ-me", "05"), ("Ê Đê", "Ê-đê", "12"), ("Sán Dìu", "Sán Dìu", "18"),
        ("Ngái", "Ngái", "11"), ("Nùnq", "Nùng", "07"), ("Giáy", "Giáy", "25"), ("Pà Thẻn", "Pà Thẻn", "46"),
    ],
)  # fmt: skip
def test_ethnic_variants(raw: str, name: str, code: str) -> None:
    result = normalize_ethnicity(raw)
    assert result.value is not None, result.issues
    assert (result.text, result.value.code) == (name, code)


def test_tho_is_read_as_tay_in_cao_bang_and_flagged() -> None:
    result = normalize_ethnicity("Thổ")
    assert result.value is not None and result.value.name == "Tày"
    assert "ethnicity_ambiguous" in result.codes
    other = normalize_ethnicity("Thổ", tho_is_tay=False)
    assert other.value is not None and other.value.code == "24"


def test_unknown_ethnicity() -> None:
    result = normalize_ethnicity("Martian")
    assert result.value is None and result.text == "Martian" and "ethnicity_unknown" in result.codes


# ------------------------------------------------------------------------------------ sex
@pytest.mark.parametrize(
    ("raw", "value", "text"),
    [
        ("Nam", "male", "Nam"), ("NAM", "male", "Nam"), ("nam.", "male", "Nam"), ("Trai", "male", "Nam"),
        ("Nữ", "female", "Nữ"), ("nữ", "female", "Nữ"), ("Nu", "female", "Nữ"), ("Nừ", "female", "Nữ"),
        ("Nũ", "female", "Nữ"), ("Gái", "female", "Nữ"), ("Narn", "male", "Nam"),
    ],
)  # fmt: skip
def test_sex(raw: str, value: str, text: str) -> None:
    result = normalize_sex(raw)
    assert (result.value, result.text) == (value, text)


def test_sex_unknown() -> None:
    assert normalize_sex("xyz").value is None
    assert normalize_sex("N").value is None  # could be Nam or Nữ: not guessed


# ------------------------------------------------------------------------------------ nationality
@pytest.mark.parametrize(
    ("raw", "code"),
    [("Việt Nam", "VN"), ("Việt nam", "VN"), ("VN", "VN"), ("VIỆT NAM", "VN"), ("Viet Nam", "VN"),
     ("Viêt Narn", "VN"), ("V.N", "VN"), ("Trung Quốc", "CN"), ("Lào", "LA"), ("không quốc tịch", "STATELESS")],
)  # fmt: skip
def test_nationality(raw: str, code: str) -> None:
    assert normalize_nationality(raw).value == code


def test_nationality_text_and_unknown() -> None:
    assert normalize_nationality("Việt nam").text == "Việt Nam"
    assert normalize_nationality("Atlantis").codes == ["nationality_unknown"]


# ------------------------------------------------------------------------------------ tick boxes
LABELS = {"on_time": "Đúng hạn", "late": "Quá hạn", "re_registration": "Đăng ký lại"}


def test_one_ticked_box_of_a_group() -> None:
    result = normalize_checkbox({"on_time": 0.04, "late": 0.52, "re_registration": 0.03}, labels=LABELS)
    assert result.value == "late" and result.text == "Quá hạn" and result.confidence > 0.8


def test_no_box_and_several_boxes() -> None:
    assert normalize_checkbox({"on_time": 0.03, "late": 0.05}).codes == ["checkbox_none"]
    several = normalize_checkbox({"on_time": 0.4, "late": 0.5}, labels=LABELS)
    assert several.value is None and several.codes == ["checkbox_multiple"]


def test_faint_tick_is_flagged() -> None:
    result = normalize_checkbox({"on_time": 0.15, "late": 0.03})
    assert result.value == "on_time" and result.codes == ["checkbox_faint"] and result.confidence < 0.5


def test_single_box() -> None:
    assert normalize_checkbox(0.6).value is True
    assert normalize_checkbox(0.02).value is False
    assert normalize_checkbox(0.15).value is None
    assert normalize_checkbox(float("nan")).value is None


def test_choice_from_text_and_ratios() -> None:
    assert normalize_choice("Quá hạn", options=LABELS).value == "late"
    assert normalize_choice("qua han", options=LABELS).value == "late"
    assert normalize_choice("Đúng hạm", options=LABELS).value == "on_time"
    assert normalize_choice("", ratios={"on_time": 0.5, "late": 0.0}, options=LABELS).value == "on_time"
    assert normalize_choice("Khác", options=LABELS).codes == ["choice_unknown"]
    assert normalize_choice("0.45").value is True


# ------------------------------------------------------------------------------------ ID numbers
def test_cmnd_and_cccd() -> None:
    cmnd = normalize_id_number("085 123 456")
    assert cmnd.value is not None and cmnd.value.kind == "cmnd" and cmnd.text == "085123456"
    cccd = normalize_id_number("004 087 001 234", sex="Nam", birth_year=1987)
    assert cccd.value is not None and cccd.value.kind == "cccd"
    assert (cccd.value.province_code, cccd.value.birth_year, cccd.value.sex) == ("04", 1987, "male")
    assert cccd.issues == []
    child = normalize_id_number("004318001234", sex="female", birth_year=2018)
    assert child.issues == []


def test_passport_numbers_are_ids_of_their_own_kind() -> None:
    foreign = normalize_id_number("E00070932")
    assert foreign.value is not None and foreign.value.kind == "passport" and foreign.text == "E00070932"
    assert foreign.issues == [] and foreign.confidence <= 0.9
    vietnamese = normalize_id_number("Hộ chiếu: b 1234567")
    assert vietnamese.value is not None and vietnamese.value.number == "B1234567"
    slipped = normalize_id_number("C12O4567")  # OCR read a zero as O
    assert slipped.value is not None and slipped.value.number == "C1204567"
    # a national number keeps winning, and what is neither stays an error
    assert normalize_id_number("O85l23456").value.kind == "cmnd"  # type: ignore[union-attr]
    assert "id_length" in normalize_id_number("E12").codes
    assert "id_length" in normalize_id_number("EE1234567890123").codes


def test_cccd_checks() -> None:
    assert "id_sex_mismatch" in normalize_id_number("004187001234", sex="Nam").codes
    assert "id_birth_year_mismatch" in normalize_id_number("004087001234", birth_year=1988).codes
    assert "id_province_unknown" in normalize_id_number("003087001234").codes
    assert "id_length" in normalize_id_number("12345").codes


def test_id_ocr_slips() -> None:
    result = normalize_id_number("O85l23456")
    assert result.value is not None and result.value.number == "085123456"
    assert "id_ocr_fixed" in result.codes and result.confidence < 0.8


# ------------------------------------------------------------------------------------ numbers and text
@pytest.mark.parametrize(
    ("raw", "value", "text"),
    [("123", 123, "123"), ("Số: 15", 15, "15"), ("15/2016", 15, "15/2016"), ("007", 7, "7")],
)
def test_numbers(raw: str, value: int, text: str) -> None:
    result = normalize_number(raw)
    assert (result.value, result.text) == (value, text)


def test_number_problems() -> None:
    assert normalize_number("l2").value == 12 and "number_ocr_fixed" in normalize_number("l2").codes
    assert normalize_number("abc").codes == ["number_invalid"]


def test_text_is_only_cleaned() -> None:
    result = normalize_text("  Con   đẻ ")
    assert result.value == "Con đẻ" and result.text == "Con đẻ" and result.raw == "  Con   đẻ "


# ------------------------------------------------------------------------------------ dispatcher
@pytest.mark.parametrize(
    ("field_type", "raw", "value"),
    [
        ("text", "abc", "abc"),
        ("number", "12", 12),
        ("date", "5/3/87", PartialDate(1987, 3, 5)),
        ("date_words", "ngày năm tháng ba năm một nghìn chín trăm tám mươi bảy", PartialDate(1987, 3, 5)),
        ("year", "1987", 1987),
        ("sex", "Nữ", "female"),
        ("nationality", "Việt Nam", "VN"),
        ("id_number", "085123456", None),
    ],
)
def test_dispatch(field_type: str, raw: str, value: object) -> None:
    result = normalize_field(field_type, raw, pivot_year=1995, field="x.y", unused_context=1)
    if value is not None:
        assert result.value == value
    assert all(i.field == "x.y" for i in result.issues)


def test_dispatch_covers_every_layout_type() -> None:
    for field_type in FIELD_TYPES:
        result = normalize_field(field_type, "Nguyễn Văn An")
        assert "field_type_unknown" not in result.codes, field_type
    assert normalize_field("nope", "x").codes == ["field_type_unknown"]


def test_normalize_record_uses_registration_year_and_checks_ids() -> None:
    types = {
        "registration.date": "date",
        "child.birth_date": "date",
        "child.sex": "sex",
        "child.id_number": "id_number",
        "registration.timeliness": "choice",
    }
    raw = {
        "registration.date": "10/03/95",
        "child.birth_date": "1/3/95",
        "child.sex": "Nam",
        "child.id_number": "004195001234",
    }
    out = normalize_record(types, raw, ratios={"registration.timeliness": {"on_time": 0.6, "late": 0.0}})
    assert out["child.birth_date"].value == PartialDate(1995, 3, 1)
    assert out["registration.timeliness"].value == "on_time"
    assert "id_sex_mismatch" in out["child.id_number"].codes  # digit 1 encodes a woman
    assert all(i.field == "child.id_number" for i in out["child.id_number"].issues)


def test_normalize_record_cross_checks_the_date_in_words() -> None:
    types = {"child.birth_date": "date", "child.birth_date_words": "date_words"}
    same = {
        "child.birth_date": "15/03/2018",
        "child.birth_date_words": "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám",
    }
    assert normalize_record(types, same)["child.birth_date_words"].issues == []
    other = dict(same, **{"child.birth_date": "16/03/2018"})
    words = normalize_record(types, other)["child.birth_date_words"]
    assert words.codes == ["date_words_mismatch"] and words.confidence <= 0.3
