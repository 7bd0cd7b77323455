"""The field-key contract shared by layouts, OCR output, ground truth, the database and exports.

A field key is ``role.attribute`` (``child.full_name``) or a record-level key
(``registration.number``, ``note``).  This module is the single list of what exists.
"""

from __future__ import annotations

from typing import Final

# Book groups in the order the province digitizes them (seed 004, II.3).
BOOK_TYPES: Final[tuple[str, ...]] = (
    "marriage",
    "birth",
    "parent_recognition",
    "marital_status",
    "death",
    "other",
)

ROLES_BY_BOOK_TYPE: Final[dict[str, tuple[str, ...]]] = {
    "birth": ("child", "mother", "father", "declarant"),
    "marriage": ("bride", "groom"),
    "parent_recognition": ("parent", "child", "declarant"),
    "marital_status": ("person", "applicant"),
    "death": ("deceased", "declarant"),
    "other": ("subject", "guardian", "ward"),
}

ATTRIBUTES: Final[tuple[str, ...]] = (
    "full_name",
    "birth_date",
    "birth_date_words",  # the 2016+ birth form repeats the date in words
    "birth_year",
    "sex",
    "ethnicity",
    "nationality",
    "birth_place",
    "home_town",
    "residence",
    "id_number",
    "death_date",
    "death_place",
    "death_cause",
    "relationship",
    "marital_status",
    "purpose",
)

REGISTRATION_ATTRIBUTES: Final[tuple[str, ...]] = ("number", "date", "volume", "page", "timeliness", "kind")
RECORD_KEYS: Final[tuple[str, ...]] = ("note",)

# Value types a layout may give a field; normalize/ turns each into a typed value.
FIELD_TYPES: Final[tuple[str, ...]] = (
    "text",
    "number",
    "name",
    "date",
    "date_words",
    "year",
    "sex",
    "ethnicity",
    "nationality",
    "place",
    "id_number",
    "choice",
)


def is_valid_key(key: str, book_type: str | None = None) -> bool:
    """True when ``key`` is a field key of the contract (and of ``book_type``'s roles, if given)."""
    if key in RECORD_KEYS:
        return True
    role, _, attribute = key.partition(".")
    if not attribute:
        return False
    if role == "registration":
        return attribute in REGISTRATION_ATTRIBUTES
    if attribute not in ATTRIBUTES:
        return False
    if book_type is None:
        return any(role in roles for roles in ROLES_BY_BOOK_TYPE.values())
    return role in ROLES_BY_BOOK_TYPE.get(book_type, ())


def role_of(key: str) -> str | None:
    """The person role of a key (``child`` for ``child.full_name``), or None for record-level keys."""
    role, _, attribute = key.partition(".")
    if not attribute or role == "registration":
        return None
    return role


def _keys(role: str, *attributes: str) -> tuple[str, ...]:
    return tuple(f"{role}.{a}" for a in attributes)


_REGISTRATION = _keys("registration", "number", "date", "volume", "page")

# Every field a record of a book type can carry, over all eras (a layout shows a subset of them).
# The sample generator produces all of them; ground truth keeps the ones the page's layout shows.
FIELDS_BY_BOOK_TYPE: Final[dict[str, tuple[str, ...]]] = {
    "marriage": (
        *_REGISTRATION,
        "registration.kind",  # first | re_registration | note (ghi chú kết hôn)
        *_keys("bride", "full_name", "birth_date", "ethnicity", "nationality", "residence", "id_number"),
        *_keys("groom", "full_name", "birth_date", "ethnicity", "nationality", "residence", "id_number"),
        "note",
    ),
    "birth": (
        *_REGISTRATION,
        "registration.timeliness",  # on_time | late | re_registration
        *_keys("child", "full_name", "birth_date", "birth_date_words", "sex", "ethnicity", "nationality"),
        *_keys("child", "birth_place", "home_town", "id_number"),
        *_keys("mother", "full_name", "birth_year", "ethnicity", "nationality", "residence"),
        *_keys("father", "full_name", "birth_year", "ethnicity", "nationality", "residence"),
        *_keys("declarant", "full_name", "relationship"),
        "note",
    ),
    "parent_recognition": (
        *_REGISTRATION,
        "registration.kind",  # parent_recognizes_child | child_recognizes_parent
        *_keys("parent", "full_name", "birth_date", "ethnicity", "nationality", "residence", "id_number"),
        "parent.relationship",  # cha | mẹ
        *_keys("child", "full_name", "birth_date", "sex", "ethnicity", "nationality", "residence"),
        *_keys("declarant", "full_name", "relationship"),
        "note",
    ),
    "marital_status": (
        *_REGISTRATION,
        "registration.kind",  # domestic_marriage | foreign_marriage | other_purpose
        *_keys(
            "person", "full_name", "birth_date", "sex", "ethnicity", "nationality", "residence", "id_number"
        ),
        *_keys("person", "marital_status", "purpose"),
        *_keys("applicant", "full_name", "relationship"),
        "note",
    ),
    "death": (
        *_REGISTRATION,
        "registration.timeliness",  # on_time | late | re_registration
        *_keys("deceased", "full_name", "birth_date", "sex", "ethnicity", "nationality", "id_number"),
        *_keys("deceased", "death_date", "death_place", "death_cause"),
        *_keys("declarant", "full_name", "relationship"),
        "note",
    ),
    "other": (
        *_REGISTRATION,
        "registration.kind",  # guardianship | end_guardianship | divorce_note | change_correction | ethnicity_change
        *_keys("subject", "full_name", "birth_date", "sex", "residence"),
        *_keys("guardian", "full_name", "birth_date", "residence", "relationship"),
        "note",  # e.g. "Thay đổi họ từ Nông Văn A thành Hoàng Văn A"
    ),
}
