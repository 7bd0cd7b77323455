"""normalize — raw OCR text → typed, checked values (pure functions; bundled data loaded once).

Every normalizer takes the raw text and returns a :class:`Normalized` (``raw``, ``value``, canonical
``text``, ``confidence`` 0..1, ``issues``); none raises on any input string. :func:`normalize_field`
dispatches on the layout field types of ``sohoa.fields.FIELD_TYPES``; :func:`validate_record` checks a
whole record against the rules of its era.
"""

from normalize.dates import (
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
from normalize.dispatch import NORMALIZERS, normalize_field, normalize_record
from normalize.ethnicity import EthnicGroup, ethnic_group, ethnic_groups, normalize_ethnicity
from normalize.names import PersonName, family_names, normalize_name, split_name
from normalize.places import Place, Unit, normalize_place, place_key, units
from normalize.result import ISSUE_CATALOGUE, Issue, Normalized, issue
from normalize.simple import (
    IdNumber,
    normalize_checkbox,
    normalize_choice,
    normalize_id_number,
    normalize_nationality,
    normalize_number,
    normalize_sex,
    normalize_text,
)
from normalize.syllables import is_valid_syllable
from normalize.text import (
    ascii_key,
    comparison_key,
    loose_key,
    modern_tone_placement,
    old_tone_placement,
    strip_diacritics,
)
from normalize.validate import age_bounds, timeliness, validate_record

__all__ = [
    "ISSUE_CATALOGUE",
    "NORMALIZERS",
    "EthnicGroup",
    "IdNumber",
    "Issue",
    "Normalized",
    "PartialDate",
    "PersonName",
    "Place",
    "Unit",
    "age_bounds",
    "ascii_key",
    "comparison_key",
    "cross_check",
    "date_to_words",
    "ethnic_group",
    "ethnic_groups",
    "family_names",
    "int_to_words",
    "is_valid_syllable",
    "issue",
    "loose_key",
    "modern_tone_placement",
    "normalize_checkbox",
    "normalize_choice",
    "normalize_date",
    "normalize_date_words",
    "normalize_ethnicity",
    "normalize_field",
    "normalize_id_number",
    "normalize_name",
    "normalize_nationality",
    "normalize_number",
    "normalize_place",
    "normalize_record",
    "normalize_sex",
    "normalize_text",
    "normalize_year",
    "old_tone_placement",
    "place_key",
    "resolve_two_digit_year",
    "split_name",
    "strip_diacritics",
    "timeliness",
    "units",
    "validate_record",
    "words_to_int",
]
