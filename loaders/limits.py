"""How long a text a person may type, per kind: the one home of these limits.

Field values are limited by their layout type (a name, a date, a place…); notes and reasons by what they are.
A longer text is refused with :class:`TooLongError` before anything changes (never cut short in silence).
The review app says it in Vietnamese (``review.routes.common.too_long_message``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sohoa.errors import InputError

#: Characters per field type of the layouts (``sohoa.fields.FIELD_TYPES``); other types: :data:`FIELD_DEFAULT`.
FIELD_LIMITS: Final[Mapping[str, int]] = {
    "name": 100,
    "date": 40,
    "date_words": 200,
    "year": 10,
    "number": 30,
    "id_number": 30,
    "sex": 20,
    "choice": 100,
    "ethnicity": 60,
    "nationality": 60,
    "place": 300,
    "text": 1000,
}
FIELD_DEFAULT: Final[int] = 1000
#: Characters of the free texts that go with a decision.
NOTE: Final[int] = 500  # a rejection's note, a spot check's note
REASON: Final[int] = 500  # a correction's reason


class TooLongError(InputError):
    """A text longer than its kind allows; ``what`` names it (a field key, ``note``, ``reason``)."""

    def __init__(self, what: str, kind: str, length: int, limit: int) -> None:
        super().__init__(
            f"{what} dài {length} ký tự; loại {kind} chỉ nhận tối đa {limit} ký tự",
            hint="rút ngắn nội dung; chưa có gì được lưu",
        )
        self.what = what
        self.kind = kind
        self.length = length
        self.limit = limit


def field_limit(kind: str) -> int:
    """The most characters a field of layout type ``kind`` takes."""
    return FIELD_LIMITS.get(kind, FIELD_DEFAULT)


def check_length(text: str, limit: int, *, what: str, kind: str) -> str:
    """``text`` unchanged, or :class:`TooLongError` when it has more than ``limit`` characters."""
    if len(text) > limit:
        raise TooLongError(what, kind, len(text), limit)
    return text


def check_fields(texts: Mapping[str, str], types: Mapping[str, str]) -> None:
    """:class:`TooLongError` for the first field text (in key order) longer than its type allows."""
    for key in sorted(texts):
        kind = types.get(key, "text")
        check_length(texts[key], field_limit(kind), what=key, kind=kind)
