"""Places: abbreviations, OCR slips, old and new units, the whole Cao Bằng gazetteer as an oracle."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from normalize import PartialDate, normalize_place, place_key, units
from normalize.places import DATA_DIR
from sohoa import config


@pytest.mark.parametrize(
    ("raw", "codes", "text"),
    [
        ("xã Hưng Đạo, huyện Bảo Lạc, tỉnh Cao Bằng", ("04", "043", "01351"), "xã Hưng Đạo, huyện Bảo Lạc, tỉnh Cao Bằng"),
        ("X.Nam Tuấn, H.Hoà An, T.Cao Bằng", ("04", "051", "01660"), "xã Nam Tuấn, huyện Hòa An, tỉnh Cao Bằng"),
        ("X. Nam Tuấn - H. Hoà An - T. Cao Bằng", ("04", "051", "01660"), "xã Nam Tuấn, huyện Hòa An, tỉnh Cao Bằng"),
        ("Nam Tuấn, Hòa An, Cao Bằng", ("04", "051", "01660"), "xã Nam Tuấn, huyện Hòa An, tỉnh Cao Bằng"),
        ("TT. Nước Hai - Hoà An", ("04", "051", "01654"), "thị trấn Nước Hai, huyện Hòa An, tỉnh Cao Bằng"),
        ("XÃ ĐÀM THUỶ, HUYỆN TRÙNG KHÁNH", ("04", "047", "01495"), "xã Đàm Thủy, huyện Trùng Khánh, tỉnh Cao Bằng"),
        ("P. Sông Hiến, TP. Cao Bằng", ("04", "040", "01267"), "phường Sông Hiến, thành phố Cao Bằng, tỉnh Cao Bằng"),
        ("phường Hoà Chung, thị xã Cao Bằng", ("04", "040", "01285"), "phường Hòa Chung, thành phố Cao Bằng, tỉnh Cao Bằng"),
        ("xã Hồng Sĩ, huyện Hà Quảng", ("04", "045", "01429"), "xã Hồng Sỹ, huyện Hà Quảng, tỉnh Cao Bằng"),
        ("xa Nam Tuan huyen Hoa An tinh Cao Bang", ("04", "051", "01660"), "xã Nam Tuấn, huyện Hòa An, tỉnh Cao Bằng"),
        ("Xã Hưng Đao, Huyện Bảo Lac", ("04", "043", "01351"), "xã Hưng Đạo, huyện Bảo Lạc, tỉnh Cao Bằng"),
        ("Quốc Toản, Quảng Hòa", ("04", "049", "01474"), "xã Quốc Toản, huyện Quảng Hòa, tỉnh Cao Bằng"),
        ("TP Cao Bằng", ("04", "040", None), "thành phố Cao Bằng, tỉnh Cao Bằng"),
        ("Cao Bằng", ("04", None, None), "tỉnh Cao Bằng"),
        ("Hoà An, Cao Bằng", ("04", "051", None), "huyện Hòa An, tỉnh Cao Bằng"),
    ],
)  # fmt: skip
def test_cao_bang_places(raw: str, codes: tuple[str, str | None, str | None], text: str) -> None:
    result = normalize_place(raw)
    assert result.value is not None, result.issues
    assert (result.value.province_code, result.value.district_code, result.value.commune_code) == codes
    assert result.text == text
    assert result.value.name == text
    assert result.raw == raw


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ("xã Cần Yên, huyện Thông Nông", ("04", "044", "01366")),
        ("huyện Trà Lĩnh, tỉnh Cao Bằng", ("04", "046", None)),
        ("Phục Hoà, Cao Bằng", ("04", "050", None)),
        ("huyện Quảng Uyên", ("04", "049", None)),
        ("xã Triệu Ẩu, huyện Phục Hoà", ("04", "050", "01630")),
        ("xã Trương Vương, huyện Hoà An", ("04", "051", "01699")),
        ("xã Thông Hoè, huyện Trùng Khánh", ("04", "047", "01525")),
        ("thị trấn Hùng Quốc, huyện Trà Lĩnh", ("04", "046", "01447")),
    ],
)
def test_former_units(raw: str, codes: tuple[str, str | None, str | None]) -> None:
    result = normalize_place(raw)
    assert result.value is not None
    assert (result.value.province_code, result.value.district_code, result.value.commune_code) == codes
    assert result.value.period == "former"
    assert "place_former_unit" in result.codes


def test_units_of_2025() -> None:
    result = normalize_place("phường Thục Phán, tỉnh Cao Bằng")
    assert result.value is not None
    assert (result.value.commune_code, result.value.district_code, result.value.period) == (
        "01273",
        None,
        "2025",
    )
    # after 1/7/2025 a commune without district is first looked for among the new units
    new = normalize_place("xã Hạnh Phúc", on_date=dt.date(2025, 8, 1))
    old = normalize_place("xã Hạnh Phúc", on_date=PartialDate(2019, 5, 1))
    assert new.value is not None and new.value.commune_code == "01618" and new.value.period == "2025"
    assert old.value is not None and old.value.commune_code == "01624" and old.value.period == "pre2025"
    assert new.text == "xã Hạnh Phúc, tỉnh Cao Bằng"


def test_detail_before_the_units_is_kept() -> None:
    result = normalize_place("thôn Nà Pầu, xã Đàm Thuỷ, huyện Trùng Khánh, tỉnh Cao Bằng")
    assert result.value is not None and result.value.detail == "thôn Nà Pầu"
    assert result.text == "thôn Nà Pầu, xã Đàm Thủy, huyện Trùng Khánh, tỉnh Cao Bằng"
    hospital = normalize_place("Bệnh viện đa khoa tỉnh Cao Bằng")
    assert hospital.value is not None and hospital.value.province_code == "04"
    assert hospital.value.detail == "Bệnh viện đa khoa"


def test_ambiguous_commune_is_not_guessed() -> None:
    result = normalize_place("xã Hưng Đạo, tỉnh Cao Bằng")  # three communes of that name
    assert result.value is not None
    assert result.value.commune_code is None and result.value.province_code == "04"
    assert "place_ambiguous" in result.codes
    alone = normalize_place("xã Hưng Đạo")
    assert alone.value is None


@pytest.mark.parametrize(
    ("raw", "province", "text"),
    [
        ("thành phố Hà Nội", "01", "thành phố Hà Nội"),
        ("Hà Nội", "01", "thành phố Hà Nội"),
        ("TP.HCM", "79", "thành phố Hồ Chí Minh"),
        ("Tp. Hồ Chí Minh", "79", "thành phố Hồ Chí Minh"),
        ("tỉnh Thừa Thiên - Huế", "46", "tỉnh Thừa Thiên Huế"),
        ("Bà Rịa - Vũng Tàu", "77", "tỉnh Bà Rịa - Vũng Tàu"),
        ("Lạng Sơn", "20", "tỉnh Lạng Sơn"),
        ("tinh Bac Kan", "06", "tỉnh Bắc Kạn"),
        ("T. Thanh Hoá", "38", "tỉnh Thanh Hóa"),
        (
            "xã Tân Thành, huyện Yên Sơn, tỉnh Tuyên Quang",
            "08",
            "xã Tân Thành, huyện Yên Sơn, tỉnh Tuyên Quang",
        ),
        ("Yên Sơn, Tuyên Quang", "08", "Yên Sơn, tỉnh Tuyên Quang"),
    ],
)
def test_other_provinces(raw: str, province: str, text: str) -> None:
    result = normalize_place(raw)
    assert result.value is not None
    assert result.value.province_code == province
    assert result.value.district_code is None and result.value.commune_code is None
    assert result.text == text


def test_outside_the_gazetteer_only_the_province_is_checked() -> None:
    result = normalize_place("xã Tân Thành, huyện Yên Sơn, tỉnh Tuyên Quang")
    assert "place_outside_gazetteer" in result.codes


def test_former_provinces() -> None:
    result = normalize_place("tỉnh Nghệ Tĩnh")
    assert result.value is not None and result.value.province_code is None
    assert "place_former_province" in result.codes
    cao_lang = normalize_place("xã Nam Tuấn, huyện Hoà An, tỉnh Cao Lạng")
    assert cao_lang.value is not None and cao_lang.value.commune_code == "01660"
    assert cao_lang.value.province_code == "04"


@pytest.mark.parametrize("raw", ["Foo Bar", "Paris", "xã Foo", "12345", "không rõ"])
def test_unknown_places_kept_verbatim(raw: str) -> None:
    result = normalize_place(raw)
    assert result.value is None
    assert result.text == raw
    assert "place_unknown" in result.codes


def test_unknown_commune_in_known_district() -> None:
    result = normalize_place("xã Foo, huyện Hoà An")
    assert (
        result.value is not None and result.value.district_code == "051" and result.value.commune_code is None
    )
    assert "place_part_unknown" in result.codes
    assert result.text == "xã Foo, huyện Hòa An, tỉnh Cao Bằng"


# ------------------------------------------------------------------------------------ oracle
def test_every_current_commune_resolves_with_its_district() -> None:
    by_code = {o.code: o for o in config.offices()}
    communes = [o for o in config.offices() if o.level == "commune"]
    assert len(communes) >= 150
    for commune in communes:
        district = by_code[commune.parent_code or ""]
        for raw in (
            f"{commune.kind} {commune.name}, {district.kind} {district.name}",
            f"{commune.name}, {district.name}, Cao Bằng",
        ):
            result = normalize_place(raw)
            assert result.value is not None, raw
            assert result.value.commune_code == commune.code, raw
            assert result.value.district_code == district.code, raw


def test_every_2025_unit_resolves() -> None:
    doc = json.loads(Path(DATA_DIR / "cao_bang_2025.json").read_text(encoding="utf-8"))
    assert len(doc["communes"]) == 56
    for unit in doc["communes"]:
        result = normalize_place(f"{unit['kind']} {unit['name']}, tỉnh Cao Bằng", on_date=dt.date(2025, 7, 1))
        assert result.value is not None and result.value.commune_code == unit["code"], unit
        assert result.value.period == "2025"


def test_every_former_commune_resolves_with_its_district() -> None:
    doc = json.loads(Path(DATA_DIR / "cao_bang_former.json").read_text(encoding="utf-8"))
    names = {u.code: u for u in units("district")}
    current = {(place_key(o.name), o.parent_code): o.code for o in config.offices() if o.level == "commune"}
    for unit in doc["former_communes"]:
        district = names[unit["district_code"]]
        result = normalize_place(f"xã {unit['name']}, huyện {district.name}")
        assert result.value is not None, unit
        # a name still in use in the same district means today's unit (Cải Viên 01405 → 01402)
        expected = current.get((place_key(unit["name"]), unit["district_code"]), unit["code"])
        assert result.value.commune_code == expected, (unit, result.value)


def test_gazetteer_has_the_63_provinces() -> None:
    provinces = {u.code for u in units("province")}
    assert len(provinces) == 63
