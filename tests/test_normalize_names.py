"""Names and Vietnamese text primitives: real-world spellings, tone placement, keys, syllables, OCR slips."""

from __future__ import annotations

import unicodedata

import pytest

from normalize import (
    ascii_key,
    comparison_key,
    is_valid_syllable,
    loose_key,
    modern_tone_placement,
    normalize_name,
    old_tone_placement,
)
from normalize.syllables import choose, inventory


@pytest.mark.parametrize(
    ("raw", "text", "family", "middle", "given"),
    [
        ("Nguyễn Văn Hoà", "Nguyễn Văn Hòa", "Nguyễn", "Văn", "Hòa"),
        ("NGUYỄN THỊ THUỶ", "Nguyễn Thị Thủy", "Nguyễn", "Thị", "Thủy"),
        ("hoàng văn khoẻ", "Hoàng Văn Khỏe", "Hoàng", "Văn", "Khỏe"),
        ("  Nông   Thị\tHoa  ", "Nông Thị Hoa", "Nông", "Thị", "Hoa"),
        ("Bế Văn Đàn.", "Bế Văn Đàn", "Bế", "Văn", "Đàn"),
        ("Đặng Thuý Hằng", "Đặng Thúy Hằng", "Đặng", "Thúy", "Hằng"),
        ("Lý Thị Mỹ", "Lý Thị Mỹ", "Lý", "Thị", "Mỹ"),
        ("Giàng A Páo", "Giàng A Páo", "Giàng", "A", "Páo"),
        ("Vàng Seo Sử", "Vàng Seo Sử", "Vàng", "Seo", "Sử"),
        ("Triệu Tài Vinh", "Triệu Tài Vinh", "Triệu", "Tài", "Vinh"),
        ("Âu Dương Minh Tuấn", "Âu Dương Minh Tuấn", "Âu Dương", "Minh", "Tuấn"),
        ("Tôn Nữ Thị Hoà", "Tôn Nữ Thị Hòa", "Tôn Nữ", "Thị", "Hòa"),
        ("Lục Văn Quí", "Lục Văn Quí", "Lục", "Văn", "Quí"),
        ("Hà Thị Ngọc Thuỳ", "Hà Thị Ngọc Thùy", "Hà", "Thị Ngọc", "Thùy"),
        ("ma văn quyết", "Ma Văn Quyết", "Ma", "Văn", "Quyết"),
        ("Sầm Thị Khuyên", "Sầm Thị Khuyên", "Sầm", "Thị", "Khuyên"),
        ("Nông Văn Slinh", "Nông Văn Slinh", "Nông", "Văn", "Slinh"),
    ],
)
def test_real_world_names(raw: str, text: str, family: str, middle: str, given: str) -> None:
    result = normalize_name(raw)
    assert result.text == text
    assert result.raw == raw
    assert result.value is not None
    assert (result.value.family, result.value.middle, result.value.given) == (family, middle, given)
    assert result.value.full == text


def test_clean_names_have_full_confidence_and_no_issue() -> None:
    result = normalize_name("Nguyễn Văn An")
    assert result.confidence == 1.0
    assert result.issues == []


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Nguyẽn Văn An", "Nguyễn Văn An"),  # ẽ read for ễ
        ("NGUYẼN VĂN AN", "Nguyễn Văn An"),
        ("Ngưyễn Văn An", "Nguyễn Văn An"),  # ư read for u
        ("Trần Thj Lan", "Trần Thị Lan"),  # j read for ị in the middle name
        ("Nguyễn Văn Hùnq", "Nguyễn Văn Hùng"),  # q read for g
    ],
)
def test_ocr_slips_corrected_when_one_answer_is_clearly_best(raw: str, fixed: str) -> None:
    result = normalize_name(raw)
    assert result.text == fixed
    assert "name_syllable_corrected" in result.codes
    assert result.confidence < 1.0
    assert result.raw == raw


def test_hung_hung_ambiguity_is_not_guessed() -> None:
    result = normalize_name("Nguyễn Văn Hưùng")  # Hùng or Hưng: equally close, equally common
    assert result.value is not None
    assert result.value.given == "Hưùng"
    assert "name_syllable_ambiguous" in result.codes
    issue = next(i for i in result.issues if i.code == "name_syllable_ambiguous")
    assert "Hùng" in issue.message and "Hưng" in issue.message


def test_valid_syllables_are_never_changed() -> None:
    for name in ("Nguyễn Văn Hùng", "Nguyễn Văn Hưng", "Lê Thị Hoa", "Lê Thị Hòa", "Trần Văn Thi"):
        assert normalize_name(name).text == name


def test_given_position_does_not_guess_thi() -> None:
    # "Thj" as a given name could be Thi or Thị: no frequency advantage there, so no guess
    result = normalize_name("Nguyễn Văn Thj")
    assert result.value is not None and result.value.given == "Thj"
    assert "name_syllable_ambiguous" in result.codes


def test_problems_are_flagged() -> None:
    assert "name_has_digits" in normalize_name("Nguyễn Văn 4n").codes
    assert "name_single_syllable" in normalize_name("Hùng").codes
    assert "name_family_unknown" in normalize_name("Xyz Văn An").codes or (
        "name_syllable_invalid" in normalize_name("Xyz Văn An").codes
    )
    assert "name_syllable_invalid" in normalize_name("Nguyễn Văn Schmidt").codes


@pytest.mark.parametrize("raw", ["không", "Không rõ", "chưa xác định", "KHÔNG CÓ", "x"])
def test_declared_absent_names(raw: str) -> None:
    result = normalize_name(raw)
    assert result.value is None
    assert result.codes == ["name_absent"]


@pytest.mark.parametrize("raw", ["", "   ", "...", "—"])
def test_blank_names(raw: str) -> None:
    result = normalize_name(raw)
    assert result.value is None and result.text == "" and result.issues == []


def test_field_is_attributed() -> None:
    result = normalize_name("Nguyẽn Văn An", field="child.full_name")
    assert all(i.field == "child.full_name" for i in result.issues)


# ------------------------------------------------------------------------------------ keys
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hoà", "hòa"),
        ("Thuỷ", "thủy"),
        ("Khoẻ", "Khỏe"),
        ("HOÀ", "hòa"),
        ("Quỳnh", "quỳnh"),
        ("Thuý", "Thúy"),
    ],
)
def test_comparison_key_equates_tone_placements(a: str, b: str) -> None:
    assert comparison_key(a) == comparison_key(b)


@pytest.mark.parametrize(("a", "b"), [("Hùng", "Hưng"), ("Hoa", "Hòa"), ("Lan", "Lân"), ("Thu", "Thư")])
def test_comparison_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert comparison_key(a) != comparison_key(b)


def test_comparison_key_nfd_and_spaces() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn  Văn Hoà")
    assert comparison_key(nfd) == comparison_key("nguyễn văn hòa") == "nguyễn văn hòa"


def test_ascii_key_for_blocking() -> None:
    assert ascii_key("Nguyễn Văn Hùng") == "nguyen van hung"
    assert ascii_key("Đàm Thị Hưng") == "dam thi hung"
    assert ascii_key("Hùng") == ascii_key("Hưng")  # merges them: blocking only, never deciding


def test_loose_key_folds_final_y() -> None:
    assert loose_key("Hồng Sỹ") == loose_key("Hồng Sĩ")
    assert loose_key("Lý") == loose_key("Lí")
    assert loose_key("Huy") != loose_key("Hui")
    assert loose_key("Máy") != loose_key("Mái")


def test_tone_placement_functions() -> None:
    assert modern_tone_placement("Hoà Thuỷ Khoẻ") == "Hòa Thủy Khỏe"
    assert old_tone_placement("Hòa Thủy Khỏe") == "Hoà Thuỷ Khoẻ"
    assert modern_tone_placement("HOÀ AN") == "HÒA AN"
    # placement never changes syllables whose mark has one place
    assert modern_tone_placement("Nguyễn Quốc Tuấn Giếng Quý") == "Nguyễn Quốc Tuấn Giếng Quý"
    assert modern_tone_placement("Khuỷu Thuở Hoài") == "Khuỷu Thuở Hoài"


# ------------------------------------------------------------------------------------ syllables
@pytest.mark.parametrize(
    "syllable",
    ["nguyễn", "quý", "quí", "giếng", "gìn", "gì", "khuya", "thuở", "khuỷu", "nghiêng", "hoằng", "Hoà", "hòa",
     "thuỷ", "ngoài", "xoong", "páo", "slinh", "sỹ", "mỹ", "kỳ", "yến", "uyên", "ươn", "quốc", "giuộc"],
)  # fmt: skip
def test_valid_syllables(syllable: str) -> None:
    assert is_valid_syllable(syllable)


@pytest.mark.parametrize(
    "syllable", ["nguyẽn", "ka", "ghu", "ngê", "cêt", "tìp", "hàc", "àá", "xyz", "thj", ""]
)
def test_invalid_syllables(syllable: str) -> None:
    assert not is_valid_syllable(syllable)


def test_inventory_size_is_plausible() -> None:
    # about 4,000 toneless bases; with tones some 17,000 written syllables
    assert 3000 < len(inventory()) < 6000


def test_choose_needs_a_margin() -> None:
    assert choose("nguyẽn", {"nguyễn": 1000}).best == "nguyễn"
    undecided = choose("hưùng", {"hùng": 100, "hưng": 80})
    assert undecided.best is None and {"hùng", "hưng"} <= set(undecided.candidates)
