"""Property tests: normalizing twice changes nothing, NFC and NFD agree, no input string raises."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalize import (
    Normalized,
    PartialDate,
    date_to_words,
    normalize_date,
    normalize_date_words,
    normalize_ethnicity,
    normalize_field,
    normalize_name,
    normalize_place,
    normalize_year,
    old_tone_placement,
    units,
)
from normalize.syllables import surfaces
from sohoa.fields import FIELD_TYPES

PROPERTY = settings(
    max_examples=int(os.environ.get("NORMALIZE_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ------------------------------------------------------------------------------------ strategies
SYLLABLES = sorted(surfaces())


@st.composite
def viet_names(draw: st.DrawFn) -> str:
    """Names as OCR gives them: valid or damaged syllables, any case, either tone placement, stray spaces."""
    words = []
    for _ in range(draw(st.integers(1, 5))):
        word = draw(st.sampled_from(SYLLABLES))
        if draw(st.booleans()):
            word = old_tone_placement(word)
        case = draw(st.sampled_from(["title", "upper", "lower"]))
        word = word.title() if case == "title" else word.upper() if case == "upper" else word
        if draw(st.integers(0, 9)) == 0:  # an OCR slip: one letter replaced
            i = draw(st.integers(0, len(word) - 1))
            word = word[:i] + draw(st.sampled_from("ẽjqlIrn0ươ")) + word[i + 1 :]
        words.append(word)
    sep = draw(st.sampled_from([" ", "  ", "\t", " \u00a0"]))
    tail = draw(st.sampled_from(["", ".", ",", " "]))
    return sep.join(words) + tail


@st.composite
def written_dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2099, 12, 31)))
    d, m, y = day.day, day.month, day.year
    layout = draw(st.integers(0, 8))
    text = [
        f"{d:02d}/{m:02d}/{y}",
        f"{d}/{m}/{y}",
        f"{d}-{m}-{y % 100:02d}",
        f"{d}.{m}.{y}",
        f"ngày {d} tháng {m} năm {y}",
        f"{d} tháng {m} năm {y}",
        date_to_words(PartialDate(y, m, d)),
        f"{y}",
        f"{m}/{y}",
    ][layout]
    return text.upper() if draw(st.booleans()) else text


@st.composite
def written_places(draw: st.DrawFn, run_on: bool = True) -> str:
    """Cao Bằng places as books write them; ``run_on`` allows parts joined by a bare space."""
    communes = [u for u in units("commune") if u.parent]
    districts = {u.code: u for u in units("district")}
    unit = draw(st.sampled_from(sorted(communes, key=lambda u: (u.code, u.name, u.period))))
    district = districts.get(unit.parent or "")
    # a bare name may be a province (Bình Dương): only the run-on variant leaves the level word out
    commune_word = draw(st.sampled_from([unit.kind, "X.", "xã", ""] if run_on else [unit.kind, "X.", "xã"]))
    district_word = draw(st.sampled_from(["huyện", "H.", ""]))
    parts = [f"{commune_word} {unit.name}".strip()]
    if district is not None and draw(st.booleans()):
        parts.append(f"{district_word} {district.name}".strip())
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["tỉnh Cao Bằng", "T. Cao Bằng", "Cao Bằng"])))
    if draw(st.booleans()):
        parts.insert(0, draw(st.sampled_from(["thôn Nà Pầu", "xóm 3", "Bản Giốc", "tổ 5"])))
    text = draw(st.sampled_from([", ", " - ", ",", " "] if run_on else [", ", " - ", ","])).join(parts)
    if draw(st.booleans()):
        text = old_tone_placement(text)
    return text.upper() if draw(st.integers(0, 4)) == 0 else text


def _idempotent(normalizer: Callable[[str], Normalized[Any]], raw: str) -> None:
    first = normalizer(raw)
    second = normalizer(first.text)
    assert second.text == first.text, (raw, first.text, second.text)
    assert second.value == first.value, (raw, first.value, second.value)


def _nfc_nfd_agree(normalizer: Callable[[str], Normalized[Any]], raw: str) -> None:
    composed = normalizer(unicodedata.normalize("NFC", raw))
    decomposed = normalizer(unicodedata.normalize("NFD", raw))
    assert composed.value == decomposed.value
    assert composed.text == decomposed.text


# ------------------------------------------------------------------------------------ idempotence
@PROPERTY
@given(st.one_of(viet_names(), st.text()))
def test_names_normalize_idempotently(raw: str) -> None:
    _idempotent(normalize_name, raw)


@PROPERTY
@given(st.one_of(written_dates(), st.text()))
def test_dates_normalize_idempotently(raw: str) -> None:
    _idempotent(normalize_date, raw)
    _idempotent(normalize_date_words, raw)
    _idempotent(normalize_year, raw)


@PROPERTY
@given(st.one_of(written_places(), st.text()))
def test_places_normalize_idempotently(raw: str) -> None:
    _idempotent(normalize_place, raw)


@PROPERTY
@given(st.text())
def test_ethnicity_normalizes_idempotently(raw: str) -> None:
    _idempotent(normalize_ethnicity, raw)


# ------------------------------------------------------------------------------------ NFC / NFD
@PROPERTY
@given(st.one_of(viet_names(), written_dates(), written_places(), st.text()))
def test_nfc_and_nfd_give_the_same_value(raw: str) -> None:
    for normalizer in (normalize_name, normalize_date, normalize_place, normalize_ethnicity):
        _nfc_nfd_agree(normalizer, raw)


# ------------------------------------------------------------------------------------ never raises
@PROPERTY
@given(st.sampled_from(FIELD_TYPES), st.text(), st.none() | st.integers(1800, 2100))
def test_no_string_raises_for_any_field_type(field_type: str, raw: str, pivot: int | None) -> None:
    result = normalize_field(field_type, raw, pivot_year=pivot, field="x.y")
    assert isinstance(result, Normalized)
    assert result.raw == raw
    assert 0.0 <= result.confidence <= 1.0
    assert "internal_error" not in result.codes
    assert all(i.message and i.code for i in result.issues)


# ------------------------------------------------------------------------------------ dates round trip
@PROPERTY
@given(st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_date_survives_words_and_back(day: dt.date) -> None:
    value = PartialDate.from_date(day)
    words = date_to_words(value)
    assert normalize_date(words).value == value
    assert normalize_date_words(value.display()).text == words


@PROPERTY
@given(written_places(run_on=False))
def test_generated_places_resolve_in_cao_bang(raw: str) -> None:
    result = normalize_place(raw)
    if result.value is None:  # only a commune name shared by several communes, written without district
        assert "place_ambiguous" in result.codes, raw
    else:
        assert result.value.province_code == "04", raw
