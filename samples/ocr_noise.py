"""Text damage the way OCR of handwritten Vietnamese civil-registry books does it (seeded, ground truth kept).

:class:`OcrNoise` damages the name and date fields of a record (field keys as in ``SampleRecord.fields``);
every other field is left as it is. The same seed and record key always give the same damage, whatever
the order in which records are damaged.

What happens, and how often (:class:`NoiseRates`; the defaults look like handwriting OCR after the
engine, before normalization — the design notes measured 20–89% of handwritten fields read exactly,
depending on the hand, and names and dates are the hardest cells):

- **Names** (``*.full_name``): 35% of the fields are damaged, 65% come through untouched. A damaged field
  gets one kind of damage, and a second, different kind in 20% of cases. The kinds, by share:

  ======================  =====  ==========================================================================
  ``diacritics_lost``      30%   every diacritic of the whole field lost (``Nguyễn Thị Hằng`` → ``Nguyen Thi
                                 Hang``): an engine or a hand without Vietnamese marks
  ``tone``                 25%   one tone mark swapped for a look-alike (hỏi↔ngã, sắc↔huyền), dropped, or
                                 put on the wrong vowel of its syllable (``Hoà``/``Hòa``, ``Nguyễn`` →
                                 ``Nguỹên``)
  ``vowel_mark``           15%   one vowel mark lost: ư→u, ơ→o, ă→a, â→a, ê→e, ô→o (the tone stays)
  ``letters``              20%   one look-alike confusion: rn↔m, l→I/1, I→l, O→0, đ→d, n↔u, h→b, c↔e,
                                 cl↔d, i→l
  ``syllables``            10%   two syllables merged (``Văn Nam`` → ``VănNam``) or one split (``Nguyễn``
                                 → ``Ngu yễn``), half and half
  ======================  =====  ==========================================================================

- **Dates and years** (``registration.date``, ``*.birth_date``, ``*.death_date``, ``*.birth_year``): 20% of
  the fields are damaged, 80% untouched. ``digit`` (85%): one digit read as its look-alike — 1↔7, 3↔8,
  0↔6, 5↔6, 4↔9 — and a second digit in 20% of cases; ``separator`` (15%): a ``/`` read as ``1``, ``l``
  or ``-``.

A kind that cannot apply to a text (no tone mark to move, no digit with a look-alike) gives way to
another kind; a field none can change stays untouched and is reported so. Places, sexes and ethnic
groups are left clean: the benchmark measures linking under damaged names and dates.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DATE_KINDS",
    "NAME_KINDS",
    "Damage",
    "NoiseRates",
    "OcrNoise",
    "damage_date",
    "damage_name",
    "field_kind",
]

NAME_KINDS: Final[tuple[str, ...]] = ("diacritics_lost", "tone", "vowel_mark", "letters", "syllables")
DATE_KINDS: Final[tuple[str, ...]] = ("digit", "separator")
_DATE_ATTRIBUTES: Final[frozenset[str]] = frozenset({"date", "birth_date", "death_date", "birth_year"})

# combining marks (NFD)
_TONES: Final[tuple[str, ...]] = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # huyền sắc ngã hỏi nặng
_TONE_LOOKALIKE: Final[dict[str, tuple[str, ...]]] = {
    "\u0300": ("\u0301",),  # huyền → sắc
    "\u0301": ("\u0300",),  # sắc → huyền
    "\u0303": ("\u0309",),  # ngã → hỏi
    "\u0309": ("\u0303",),  # hỏi → ngã
    "\u0323": ("",),  # nặng (a dot below) → lost
}
_VOWEL_MARKS: Final[frozenset[str]] = frozenset({"\u0302", "\u0306", "\u031b"})  # circumflex, breve, horn
_VOWELS: Final[frozenset[str]] = frozenset("aeiouyAEIOUY")
# look-alike letters: text → what OCR reads instead
_LETTERS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("rn", ("m",)),
    ("m", ("rn",)),
    ("l", ("I", "1")),
    ("I", ("l",)),
    ("O", ("0",)),
    ("đ", ("d",)),
    ("Đ", ("D",)),
    ("n", ("u",)),
    ("u", ("n",)),
    ("h", ("b",)),
    ("c", ("e",)),
    ("e", ("c",)),
    ("cl", ("d",)),
    ("d", ("cl",)),
    ("i", ("l",)),
)
_DIGITS: Final[dict[str, str]] = {
    "1": "7",
    "7": "1",
    "3": "8",
    "8": "3",
    "0": "6",
    "6": "0",
    "5": "6",
    "4": "9",
}
_SEPARATORS: Final[tuple[str, ...]] = ("1", "l", "-")


def _default_name_kinds() -> dict[str, float]:
    return {"diacritics_lost": 0.30, "tone": 0.25, "vowel_mark": 0.15, "letters": 0.20, "syllables": 0.10}


def _default_date_kinds() -> dict[str, float]:
    return {"digit": 0.85, "separator": 0.15}


@dataclass(frozen=True)
class NoiseRates:
    """How often each damage happens (see the module notes for why these values)."""

    name_field: float = 0.35  # share of name fields damaged
    date_field: float = 0.20  # share of date and year fields damaged
    second_kind: float = 0.20  # chance that a damaged field gets a second kind (names) or digit (dates)
    name_kinds: Mapping[str, float] = field(default_factory=_default_name_kinds)
    date_kinds: Mapping[str, float] = field(default_factory=_default_date_kinds)


@dataclass(frozen=True, slots=True)
class Damage:
    """What OCR did to one field: the kinds of damage that changed it, and the text before and after."""

    field: str
    kinds: tuple[str, ...]
    before: str
    after: str


# ------------------------------------------------------------------------------------------ the kinds
def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def lose_diacritics(text: str, rng: random.Random) -> str:
    """Every diacritic of the field lost, đ read as d."""
    bare = "".join(c for c in _nfd(text) if not unicodedata.combining(c))
    return _nfc(bare.replace("đ", "d").replace("Đ", "D"))


def _syllable_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, c in enumerate(text + " "):
        if c.isspace():
            if start is not None:
                spans.append((start, i))
            start = None
        elif start is None:
            start = i
    return spans


def _retone(syllable: str, rng: random.Random) -> str:
    """One syllable (NFD) with its tone mark swapped, dropped or moved to another vowel."""
    tone_at = next((i for i, c in enumerate(syllable) if c in _TONES), None)
    if tone_at is None:
        return syllable
    tone = syllable[tone_at]
    bare = syllable[:tone_at] + syllable[tone_at + 1 :]
    vowels = [i for i, c in enumerate(bare) if c in _VOWELS]
    carrier = max(i for i in vowels if i < tone_at) if any(i < tone_at for i in vowels) else None
    others = [i for i in vowels if i != carrier]
    if others and rng.random() < 0.4:  # misplaced on another vowel of the syllable
        i = rng.choice(others) + 1
        while i < len(bare) and unicodedata.combining(bare[i]):
            i += 1
        return bare[:i] + tone + bare[i:]
    return syllable[:tone_at] + rng.choice(_TONE_LOOKALIKE[tone]) + syllable[tone_at + 1 :]


def swap_tone(text: str, rng: random.Random) -> str:
    """One tone mark swapped for a look-alike, dropped, or put on the wrong vowel."""
    decomposed = _nfd(text)
    spans = [s for s in _syllable_spans(decomposed) if any(c in _TONES for c in decomposed[s[0] : s[1]])]
    if not spans:
        return text
    a, b = rng.choice(spans)
    return _nfc(decomposed[:a] + _retone(decomposed[a:b], rng) + decomposed[b:])


def lose_vowel_mark(text: str, rng: random.Random) -> str:
    """One vowel mark lost (ư→u, ơ→o, ă→a, â→a, ê→e, ô→o), the tone kept."""
    decomposed = _nfd(text)
    marks = [i for i, c in enumerate(decomposed) if c in _VOWEL_MARKS]
    if not marks:
        return text
    i = rng.choice(marks)
    return _nfc(decomposed[:i] + decomposed[i + 1 :])


def confuse_letters(text: str, rng: random.Random) -> str:
    """One look-alike confusion (rn↔m, l→I/1, O→0, đ→d, n↔u, h→b, c↔e, cl↔d, i→l)."""
    found = [
        (i, source, targets)
        for source, targets in _LETTERS
        for i in range(len(text))
        if text.startswith(source, i)
    ]
    if not found:
        return text
    i, source, targets = rng.choice(found)
    return text[:i] + rng.choice(targets) + text[i + len(source) :]


def split_or_merge(text: str, rng: random.Random) -> str:
    """Two neighbouring syllables merged, or one syllable of four letters or more split in two."""
    spans = _syllable_spans(text)
    long = [(a, b) for a, b in spans if b - a >= 4]
    if len(spans) > 1 and (not long or rng.random() < 0.5):
        a, _b = rng.choice(spans[1:])
        return text[: a - 1] + text[a:]
    if not long:
        return text
    a, b = rng.choice(long)
    cut = rng.randint(a + 2, b - 2)
    return text[:cut] + " " + text[cut:]


def confuse_digit(text: str, rng: random.Random, original: str | None = None) -> str:
    """One digit read as its look-alike (1↔7, 3↔8, 0↔6, 5→6, 4→9), at a place still as in ``original``."""
    same = text if original is None else original
    digits = [i for i, c in enumerate(text) if c in _DIGITS and c == same[i]]
    if not digits:
        return text
    i = rng.choice(digits)
    return text[:i] + _DIGITS[text[i]] + text[i + 1 :]


def misread_separator(text: str, rng: random.Random) -> str:
    """A ``/`` read as ``1``, ``l`` or ``-``."""
    slashes = [i for i, c in enumerate(text) if c == "/"]
    if not slashes:
        return text
    i = rng.choice(slashes)
    return text[:i] + rng.choice(_SEPARATORS) + text[i + 1 :]


_NAME_DAMAGE: Final[dict[str, Callable[[str, random.Random], str]]] = {
    "diacritics_lost": lose_diacritics,
    "tone": swap_tone,
    "vowel_mark": lose_vowel_mark,
    "letters": confuse_letters,
    "syllables": split_or_merge,
}
_DATE_DAMAGE: Final[dict[str, Callable[[str, random.Random], str]]] = {
    "digit": confuse_digit,
    "separator": misread_separator,
}


# ------------------------------------------------------------------------------------------ fields
def _draw(weights: Mapping[str, float], rng: random.Random, exclude: tuple[str, ...]) -> list[str]:
    """Every kind not excluded, in a weighted random order (first = drawn by weight)."""
    left = {k: w for k, w in weights.items() if k not in exclude and w > 0}
    order: list[str] = []
    while left:
        kind = rng.choices(list(left), weights=list(left.values()))[0]
        order.append(kind)
        del left[kind]
    return order


def _apply_one(
    text: str,
    rng: random.Random,
    damage: Mapping[str, Callable[[str, random.Random], str]],
    weights: Mapping[str, float],
    done: tuple[str, ...],
) -> tuple[str, str | None]:
    """The text after the first kind (drawn by weight) that changes it, and that kind (None: none did)."""
    for kind in _draw(weights, rng, done):
        changed = damage[kind](text, rng)
        if changed != text:
            return changed, kind
    return text, None


def damage_name(
    text: str, rng: random.Random, rates: NoiseRates | None = None
) -> tuple[str, tuple[str, ...]]:
    """A name as OCR may read it, and the kinds of damage done (empty: untouched)."""
    r = rates or NoiseRates()
    if not text.strip() or rng.random() >= r.name_field:
        return text, ()
    text, first = _apply_one(text, rng, _NAME_DAMAGE, r.name_kinds, ())
    if first is None:
        return text, ()
    if rng.random() >= r.second_kind:
        return text, (first,)
    text, second = _apply_one(text, rng, _NAME_DAMAGE, r.name_kinds, (first,))
    return text, (first,) if second is None else (first, second)


def damage_date(
    text: str, rng: random.Random, rates: NoiseRates | None = None
) -> tuple[str, tuple[str, ...]]:
    """A date or a year as OCR may read it, and the kinds of damage done (empty: untouched)."""
    r = rates or NoiseRates()
    if not text.strip() or rng.random() >= r.date_field:
        return text, ()
    damaged, kind = _apply_one(text, rng, _DATE_DAMAGE, r.date_kinds, ())
    if kind is None:
        return text, ()
    if kind == "digit" and rng.random() < r.second_kind:
        damaged = confuse_digit(damaged, rng, original=text)
    return damaged, (kind,)


def field_kind(key: str) -> str | None:
    """``"name"``, ``"date"`` or None (left clean) for a field key."""
    attribute = key.rpartition(".")[2]
    if attribute == "full_name":
        return "name"
    return "date" if attribute in _DATE_ATTRIBUTES else None


class OcrNoise:
    """Seeded OCR damage of records: ``OcrNoise(seed).damage(fields, key)``."""

    def __init__(self, seed: int, rates: NoiseRates | None = None) -> None:
        self.seed = seed
        self.rates = rates or NoiseRates()

    def damage(self, fields: Mapping[str, str], key: str) -> tuple[dict[str, str], list[Damage]]:
        """The fields of one record as OCR read them, and one :class:`Damage` per name or date field.

        ``key`` names the record (any string unique to it): the damage depends on the seed and the key only.
        """
        rng = random.Random(f"sohoa.ocr:{self.seed}:{key}")
        out = dict(fields)
        report: list[Damage] = []
        for name in sorted(fields):
            kind = field_kind(name)
            if kind is None:
                continue
            before = fields[name]
            after, kinds = (damage_name if kind == "name" else damage_date)(before, rng, self.rates)
            out[name] = after
            report.append(Damage(name, kinds, before, after))
        return out, report
