"""One entry point per layout field type, and a whole record at once.

``normalize_field("date", "5/3/87", pivot_year=1995, field="child.birth_date")``. Context keywords a
normalizer does not use are ignored, so a caller can pass the same context to every field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final

from normalize.dates import PartialDate, cross_check, normalize_date, normalize_date_words, normalize_year
from normalize.ethnicity import normalize_ethnicity
from normalize.names import normalize_name
from normalize.places import normalize_place
from normalize.result import Normalized, issue
from normalize.simple import (
    normalize_choice,
    normalize_id_number,
    normalize_nationality,
    normalize_number,
    normalize_sex,
    normalize_text,
)

Normalizer = Callable[..., Normalized[Any]]

# Field type -> (normalizer, context keywords it accepts besides ``field``).
NORMALIZERS: Final[dict[str, tuple[Normalizer, tuple[str, ...]]]] = {
    "text": (normalize_text, ()),
    "number": (normalize_number, ()),
    "name": (normalize_name, ()),
    "date": (normalize_date, ("pivot_year",)),
    "date_words": (normalize_date_words, ("pivot_year",)),
    "year": (normalize_year, ("pivot_year",)),
    "sex": (normalize_sex, ()),
    "ethnicity": (normalize_ethnicity, ("tho_is_tay",)),
    "nationality": (normalize_nationality, ()),
    "place": (normalize_place, ("default_province", "on_date")),
    "id_number": (normalize_id_number, ("sex", "birth_year")),
    "choice": (normalize_choice, ("options", "ratios")),
}


def normalize_field(field_type: str, raw: str, **context: Any) -> Normalized[Any]:
    """Normalize ``raw`` as a value of the layout field type ``field_type`` (see sohoa.fields.FIELD_TYPES).

    Never raises: an unknown type, or a failure inside a normalizer, comes back as an issue.
    """
    field = context.get("field") if isinstance(context.get("field"), str) else None
    raw_text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    entry = NORMALIZERS.get(field_type)
    if entry is None:
        note = issue("field_type_unknown", field, field_type=field_type)
        return Normalized(raw_text, None, raw_text, 0.0, [note])
    normalizer, accepted = entry
    kwargs = {k: context[k] for k in accepted if k in context and context[k] is not None}
    try:
        return normalizer(raw_text, field=field, **kwargs)
    except Exception as exc:  # the contract is "never raises": report instead
        note = issue("internal_error", field, detail=type(exc).__name__)
        return Normalized(raw_text, None, raw_text, 0.0, [note])


def normalize_record(
    types: Mapping[str, str],
    raw: Mapping[str, str],
    *,
    ratios: Mapping[str, Mapping[str, float]] | None = None,
    options: Mapping[str, Mapping[str, str]] | None = None,
    **context: Any,
) -> dict[str, Normalized[Any]]:
    """Normalize every field of one record.

    ``types``: field key → field type (from the layout); ``raw``: field key → OCR text; ``ratios``: tick-box
    groups (field key → option → fill ratio); ``options``: tick-box or choice labels per field key.
    The registration date is read first: its year is the pivot of two-digit years and its date tells which
    administrative units were in force. Each person's sex and birth year are checked against their ID number,
    and a date written again in words (``child.birth_date_words``) against the date in digits.
    """
    out: dict[str, Normalized[Any]] = {}
    reg_type = types.get("registration.date")
    pivot = context.pop("pivot_year", None)
    on_date = context.pop("on_date", None)
    if reg_type is not None and "registration.date" in raw:
        reg = normalize_field(reg_type, raw["registration.date"], field="registration.date", pivot_year=pivot)
        out["registration.date"] = reg
        if isinstance(reg.value, PartialDate):
            pivot = pivot or reg.value.year
            on_date = on_date or reg.value.earliest()
    ordered = sorted(types, key=lambda k: k.endswith(".id_number"))  # IDs last: they use sex and year
    for key in ordered:
        if key in out:
            continue
        field_type = types[key]
        ctx = dict(context, field=key, pivot_year=pivot, on_date=on_date)
        if options and key in options:
            ctx["options"] = options[key]
        if ratios and key in ratios:
            ctx["ratios"] = ratios[key]
            out[key] = normalize_field(field_type, raw.get(key, ""), **ctx)
            continue
        if key not in raw:
            continue
        if key.endswith(".id_number"):
            role = key.rsplit(".", 1)[0]
            ctx["sex"] = _value(out.get(f"{role}.sex"))
            ctx["birth_year"] = _birth_year(out, role)
        out[key] = normalize_field(field_type, raw[key], **ctx)
    for key, words in list(out.items()):
        digits = out.get(key.removesuffix("_words")) if key.endswith("_date_words") else None
        if digits is not None:
            found = cross_check(digits, words, field=key)
            if found:
                out[key] = replace(
                    words, issues=[*words.issues, *found], confidence=min(words.confidence, 0.3)
                )
    return out


def _value(result: Normalized[Any] | None) -> Any:
    return result.value if result is not None else None


def _birth_year(out: Mapping[str, Normalized[Any]], role: str) -> int | None:
    date = _value(out.get(f"{role}.birth_date"))
    if isinstance(date, PartialDate):
        return date.year
    if isinstance(date, dt.date):
        return date.year
    year = _value(out.get(f"{role}.birth_year"))
    return year if isinstance(year, int) else None
