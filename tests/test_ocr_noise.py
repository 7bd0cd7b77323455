"""OCR-like damage of names and dates: seeded, at the documented rates, and only the kinds it claims."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter

import pytest

from samples.ocr_noise import (
    DATE_KINDS,
    NAME_KINDS,
    NoiseRates,
    OcrNoise,
    confuse_digit,
    damage_date,
    damage_name,
    field_kind,
    lose_diacritics,
    lose_vowel_mark,
    split_or_merge,
    swap_tone,
)

NAMES = (
    "Nguyễn Thị Hằng",
    "Hoàng Văn Tường",
    "Lương Đức Mạnh",
    "Nông Thị Thủy",
    "Đàm Văn Quỳnh",
    "Bế Thị Lưu",
    "Triệu Văn Sỹ",
    "Lục Thị Ngân",
    "Vương Minh Đạt",
    "Sầm Thị Huyền",
)
RECORD = {
    "registration.date": "03/02/2006",
    "child.full_name": "Lương Thị Thu Trang",
    "child.birth_date": "25/12/2005",
    "child.sex": "Nữ",
    "child.ethnicity": "Nùng",
    "child.birth_place": "xã Ngọc Côn, huyện Trùng Khánh, tỉnh Cao Bằng",
    "mother.full_name": "Nguyễn Thị Hòa",
    "mother.birth_year": "1976",
    "father.full_name": "Lương Văn Tài",
    "father.birth_year": "1979",
}


def _tones_removed(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if c not in "\u0300\u0301\u0303\u0309\u0323")


def test_seeded_and_independent_of_order() -> None:
    a, b = OcrNoise(7), OcrNoise(7)
    keys = [f"birth/2006-2015/04567/{i}" for i in range(200)]
    forward = [a.damage(RECORD, k) for k in keys]
    backward = [b.damage(RECORD, k) for k in reversed(keys)][::-1]
    assert forward == backward
    other = [OcrNoise(8).damage(RECORD, k)[0] for k in keys]
    assert other != [f[0] for f in forward]


def test_only_names_and_dates_change() -> None:
    noise = OcrNoise(1)
    for i in range(300):
        texts, report = noise.damage(RECORD, str(i))
        assert {d.field for d in report} == {k for k in RECORD if field_kind(k) is not None}
        for key, value in RECORD.items():
            if field_kind(key) is None:
                assert texts[key] == value
        for d in report:
            assert (d.before == d.after) == (not d.kinds)
            assert texts[d.field] == d.after


def test_name_damage_rates() -> None:
    rates = NoiseRates()
    rng = random.Random(11)
    n = 20000
    results = [damage_name(NAMES[i % len(NAMES)], rng, rates) for i in range(n)]
    damaged = [kinds for _text, kinds in results if kinds]
    assert len(damaged) / n == pytest.approx(rates.name_field, abs=0.015)
    firsts = Counter(kinds[0] for kinds in damaged)
    for kind in NAME_KINDS:
        assert firsts[kind] / len(damaged) == pytest.approx(rates.name_kinds[kind], abs=0.025), kind
    seconds = sum(len(kinds) == 2 for kinds in damaged) / len(damaged)
    assert seconds == pytest.approx(rates.second_kind, abs=0.02)
    assert all(len(set(kinds)) == len(kinds) for kinds in damaged)
    untouched = [text for text, kinds in results if not kinds]
    assert all(text in NAMES for text in untouched)


def test_date_damage_rates() -> None:
    rates = NoiseRates()
    rng = random.Random(12)
    dates = [
        f"{d:02d}/{m:02d}/{y}" for d, m, y in zip(range(1, 29), range(1, 13), range(1950, 2025), strict=False)
    ]
    n = 20000
    results = [(dates[i % len(dates)], *damage_date(dates[i % len(dates)], rng, rates)) for i in range(n)]
    damaged = [(before, after, kinds) for before, after, kinds in results if kinds]
    assert len(damaged) / n == pytest.approx(rates.date_field, abs=0.015)
    kinds = Counter(k[0] for _b, _a, k in damaged)
    assert set(kinds) <= set(DATE_KINDS)
    assert kinds["digit"] / len(damaged) == pytest.approx(rates.date_kinds["digit"], abs=0.025)
    for before, after, _k in damaged:
        assert len(before) == len(after) and before != after
    assert all(before == after for before, after, k in results if not k)


def test_untouched_share_of_records() -> None:
    noise = OcrNoise(3)
    reports = [d for i in range(3000) for d in noise.damage(RECORD, f"r{i}")[1]]
    names = [d for d in reports if field_kind(d.field) == "name"]
    dates = [d for d in reports if field_kind(d.field) == "date"]
    untouched_names = sum(not d.kinds for d in names) / len(names)
    untouched_dates = sum(not d.kinds for d in dates) / len(dates)
    assert untouched_names == pytest.approx(1 - noise.rates.name_field, abs=0.02)
    assert untouched_dates == pytest.approx(1 - noise.rates.date_field, abs=0.02)


@pytest.mark.parametrize("name", NAMES)
def test_each_kind_does_what_it_says(name: str) -> None:
    rng = random.Random(name)
    for _ in range(20):
        bare = lose_diacritics(name, rng)
        assert bare.isascii() and len(bare) == len(name)
        toned = swap_tone(name, rng)
        assert _tones_removed(toned) == _tones_removed(name)
        unmarked = lose_vowel_mark(name, rng)
        assert lose_diacritics(unmarked, rng) == bare and unmarked != name
        spaced = split_or_merge(name, rng)
        assert spaced.replace(" ", "") == name.replace(" ", "") and spaced != name


def test_digit_confusions_are_look_alikes() -> None:
    rng = random.Random(5)
    pairs: Counter[str] = Counter()
    for _ in range(2000):
        before = "01/03/1987"
        after = confuse_digit(before, rng)
        (i,) = [k for k in range(len(before)) if before[k] != after[k]]
        pairs[before[i] + after[i]] += 1
    assert set(pairs) <= {"17", "71", "38", "83", "06", "60", "56", "49"}
    assert {"17", "38", "06", "83", "71"} <= set(pairs)
