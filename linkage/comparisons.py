"""Comparisons of two mentions, field by field, as levels with Fellegi–Sunter weights.

Each comparison maps a pair to a level (``exact``, ``tone``, ``diacritics_lost``, ``ocr``, ``different``,
``null`` for a missing value); a level has ``m`` (probability of the level for the same person) and ``u``
(for different persons), and its weight is ``log2(m / u)``. For exact name matches ``u`` is the name's
frequency among the mentions (:class:`NameFrequencies`), so a common given name (Hùng) counts less than a
rare one. Name parts are compared separately; the given name weighs most, Văn/Thị weigh little because
they are frequent. Fuzzy similarity is computed in bulk with rapidfuzz ``cpdist`` (see :func:`score_pairs`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from linkage.mention import LOOKALIKE_DIGITS, Mention, NamePart, joined_name, markless, ocr_fold
from normalize import PartialDate

__all__ = [
    "DEFAULT_LEVELS",
    "FREQUENCY_KEYS",
    "NAME_PARTS",
    "Evidence",
    "NameFrequencies",
    "compare_birth_date",
    "compare_id_number",
    "compare_name_part",
    "compare_residence",
    "frequency_key",
    "level_weight",
    "locality",
    "resplit_parts",
    "score_pair",
    "score_pairs",
]

NAME_PARTS: Final[tuple[str, ...]] = ("given", "middle", "family")
NULL: Final[str] = "null"
SYLLABLES: Final[str] = "syllables"  # a name part moved by a merged or split syllable (see resplit_parts)

# comparison -> level -> (m, u). The name levels "exact", "tone", "diacritics_lost" and "vowel_mark" take u
# from the name frequencies when known (:data:`FREQUENCY_KEYS`). The m of the name levels is set for
# handwriting OCR, where a third of the names come through damaged: tone slips and lost diacritics are
# common in copies of one name, a name read the same in both copies is the usual case but not an
# overwhelming one. For "tone", "diacritics_lost" and "vowel_mark" the u taken from the frequencies (the
# share of the name under the looser key) overstates how often two different persons meet at that level:
# they must also differ in spelling, and two persons sharing a looser key mostly spell it alike (Thị is
# nearly always Thị). Their m folds that factor in (so the m of a part no longer sum to 1): a damaged copy
# of a common middle or family name is no longer evidence against the pair (tuned on seeds 4402 and 4403:
# recall +0.02–0.05 at 10k and 100k mentions, precision 0.998–1.000 at 10k and 0.995–0.996 at 100k).
DEFAULT_LEVELS: Final[dict[str, dict[str, tuple[float, float]]]] = {
    "given": {
        "exact": (0.60, 0.01),
        "tone": (0.25, 0.002),
        "diacritics_lost": (0.25, 0.002),
        "ocr": (0.06, 0.003),
        "different": (0.002, 0.98),
        "syllables": (0.03, 0.001),
        "vowel_mark": (0.15, 0.002),
    },
    "middle": {
        "exact": (0.60, 0.10),
        "tone": (0.45, 0.01),
        "diacritics_lost": (0.45, 0.01),
        "ocr": (0.06, 0.02),
        "different": (0.03, 0.80),
        "syllables": (0.03, 0.01),
        "vowel_mark": (0.15, 0.01),
    },
    "family": {
        "exact": (0.60, 0.10),
        "tone": (0.40, 0.005),
        "diacritics_lost": (0.45, 0.01),
        "ocr": (0.06, 0.01),
        "different": (0.02, 0.85),
        "syllables": (0.03, 0.01),
        "vowel_mark": (0.12, 0.005),
    },
    "birth_date": {
        "exact": (0.85, 0.0001),
        "year": (0.90, 0.03),
        "transposed": (0.02, 0.0001),
        "one_digit": (0.1, 0.001),  # OCR misreads one digit of a date far more often than chance
        "year_one_digit": (0.1, 0.15),
        "different": (0.002, 0.97),
    },
    "sex": {"exact": (0.98, 0.5), "different": (0.02, 0.5)},
    "ethnicity": {"exact": (0.95, 0.4), "different": (0.05, 0.6)},
    # "office"/"elsewhere": a side without a residence placed by its record's commune office; the u of
    # "exact" and "office" is the share of mentions placed in that commune (one commune's books: no
    # evidence at all)
    "residence": {
        "exact": (0.7, 0.08),
        "different": (0.3, 0.92),
        "office": (0.6, 0.08),
        "elsewhere": (0.25, 0.92),
    },
    # CMND / CCCD numbers of one kind: one per person
    "id_number": {"exact": (0.95, 0.00001), "different": (0.03, 0.99)},
}
MIN_FREQUENCY: Final[float] = 0.0005  # floor of an estimated name frequency (a name seen once)


def level_weight(m: float, u: float) -> float:
    """Log-likelihood ratio in bits."""
    return math.log2(m / u)


def locality(m: Mention) -> str | None:
    """The commune of a mention: its residence, else the commune office that registered its record."""
    if m.residence:
        return m.residence
    return m.office if m.office and len(m.office) == 5 else None


# Name levels whose u is the frequency of the name under the key they agree on (the rarer, the stronger).
FREQUENCY_KEYS: Final[dict[str, str]] = {
    "exact": "key",
    "tone": "tone_free",
    "diacritics_lost": "ascii",
    "vowel_mark": "ascii",
}


def frequency_key(level: str, part: NamePart) -> str | None:
    """The key kind whose frequency is the u of a name level (None: the level's own u). A name written
    without any diacritic agrees exactly with every name of its bare spelling (``Be`` stands for Bế, Bé …):
    its exact match is weighed by the frequency of the bare spelling."""
    if level == "exact" and not part.has_marks:
        return "ascii"
    return FREQUENCY_KEYS.get(level)


class NameFrequencies:
    """How common each name part (and each commune) is among the mentions seen so far (incremental).

    A part is counted under its comparison key, its tone-free key and its diacritics-free key, so that an
    agreement but for tones (or diacritics) is weighed by how common the name is under that looser key."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {part: Counter() for part in NAME_PARTS}
        self.loose_counts: dict[tuple[str, str], Counter[str]] = {
            (part, kind): Counter() for part in NAME_PARTS for kind in ("tone_free", "ascii")
        }
        self.totals: dict[str, int] = dict.fromkeys(NAME_PARTS, 0)
        self.places: Counter[str] = Counter()
        self.places_total = 0

    def add(self, mentions: Iterable[Mention]) -> None:
        for m in mentions:
            for part in NAME_PARTS:
                name = getattr(m, part)
                if name.key:
                    self.counts[part][name.key] += 1
                    self.loose_counts[(part, "tone_free")][name.tone_free] += 1
                    self.loose_counts[(part, "ascii")][name.ascii] += 1
                    self.totals[part] += 1
            place = locality(m)
            if place:
                self.places[place] += 1
                self.places_total += 1

    def table(self, part: str, kind: str) -> Counter[str]:
        """The counts of one part under one key kind (``key``, ``tone_free`` or ``ascii``)."""
        return self.counts[part] if kind == "key" else self.loose_counts[(part, kind)]

    def place_frequency(self, place: str) -> float | None:
        """Share of the placed mentions in this commune, or None when too few were seen to say."""
        if self.places_total < 200:
            return None
        return max(self.places[place] / self.places_total, MIN_FREQUENCY)

    def frequency(self, part: str, key: str, kind: str = "key") -> float | None:
        """Share of the mentions with this name part (under the key ``kind``), or None when too few
        mentions were seen to say."""
        total = self.totals[part]
        if total < 200:
            return None
        return max(self.table(part, kind)[key] / total, MIN_FREQUENCY)


def compare_name_part(
    a: NamePart, b: NamePart, similarity: float | None = None, threshold: float = 0.8
) -> str:
    """Level of two name parts: exact / tone / diacritics_lost / ocr / different / null.

    ``similarity`` is the normalized Levenshtein similarity of the loose keys (computed when omitted).
    ``diacritics_lost`` needs one side without any diacritic: Hùng vs Hưng (both marked) is not a
    diacritics-lost copy but a different name.
    """
    if not a.key or not b.key:
        return NULL
    if a.key == b.key or a.loose == b.loose:
        return "exact"
    if a.tone_free == b.tone_free:
        return "tone"
    if a.ascii == b.ascii and (not a.has_marks or not b.has_marks):
        return "diacritics_lost"
    if markless(a.key) == markless(b.key):
        return "vowel_mark"  # both marked, one vowel mark lost or misread, the tones the same
    if similarity is None:
        similarity = Levenshtein.normalized_similarity(a.loose, b.loose)
    if similarity >= threshold and min(len(a.loose), len(b.loose)) >= 4:
        return "ocr"
    if a.ascii != b.ascii and ocr_fold(a.ascii) == ocr_fold(b.ascii):
        return "ocr"  # one letter OCR confuses with another (rn/m, u/n, cl/d …)
    return "different"


# Whole-name levels (no similarity computed) at which differing parts are read as moved syllables.
_RESPLIT_LEVELS: Final[frozenset[str]] = frozenset({"exact", "tone", "diacritics_lost", "vowel_mark", "ocr"})


def _one_sided(a: NamePart, b: NamePart) -> bool:
    return bool(a.key) != bool(b.key)


def resplit_parts(a: Mention, b: Mention, levels: dict[str, str]) -> list[str]:
    """The name parts to read as ``syllables``: the whole names agree once their spaces are dropped
    (exactly, but for tones, diacritics or a vowel mark, or for letters OCR confuses) while these parts
    differ or exist on one side only —
    OCR merged or split a syllable (``Triệu Thịnái`` / ``Triệu Thị Nái``), moving the part boundaries."""
    off = [
        part
        for part in NAME_PARTS
        if levels[part] == "different"
        or (levels[part] == NULL and _one_sided(getattr(a, part), getattr(b, part)))
    ]
    if not off:
        return []
    level = compare_name_part(joined_name(a), joined_name(b), similarity=0.0)
    return off if level in _RESPLIT_LEVELS else []


def _one_digit(a: PartialDate, b: PartialDate) -> bool:
    """The two dates, shown alike, differ in one digit, and that digit is a handwritten look-alike."""
    sa, sb = a.display(), b.display()
    if len(sa) != len(sb):
        return False
    differ = [(x, y) for x, y in zip(sa, sb, strict=True) if x != y]
    return len(differ) == 1 and differ[0][1] in LOOKALIKE_DIGITS.get(differ[0][0], "")


def compare_birth_date(a: PartialDate | None, b: PartialDate | None) -> str:
    """exact / year (one side less precise, agreeing) / transposed (day↔month) / one_digit / different.

    ``one_digit`` and ``year_one_digit``: the dates (the years: ``year_one_digit``, alone or one beside a
    fuller date) differ in one digit that handwriting OCR misreads (1↔7, 3↔8, 0↔6, 5↔6, 4↔9: 1985/1935,
    not 1980/1981 — namesakes born a year apart are common). ``one_digit`` is for dates known to the day
    or month on both sides.
    """
    if a is None or b is None:
        return NULL
    if a.precision == "day" and b.precision == "day":
        if a == b:
            return "exact"
        if a.year == b.year and a.day == b.month and a.month == b.day:
            return "transposed"
        return "one_digit" if _one_digit(a, b) else "different"
    if a.same_as(b):
        return "year"
    if a.precision == b.precision and _one_digit(a, b):
        return "one_digit" if a.precision == "month" else "year_one_digit"
    if a.precision != b.precision and _one_digit(PartialDate(a.year), PartialDate(b.year)):
        return "year_one_digit"  # a year alone against a fuller date whose year OCR may have misread
    return "different"


def compare_residence(a: Mention, b: Mention) -> str:
    """exact / different (both residences known), else office / elsewhere (a commune office stands in)."""
    if a.residence and b.residence:
        return "exact" if a.residence == b.residence else "different"
    la, lb = locality(a), locality(b)
    if la is None or lb is None:
        return NULL
    return "office" if la == lb else "elsewhere"


def compare_id_number(a: str | None, b: str | None) -> str:
    """exact / different for two numbers of one kind (CMND or CCCD); null otherwise."""
    if a is None or b is None or a.partition(":")[0] != b.partition(":")[0]:
        return NULL
    return "exact" if a == b else "different"


def _same(a: str | None, b: str | None) -> str:
    if a is None or b is None:
        return NULL
    return "exact" if a == b else "different"


@dataclass(slots=True)
class Evidence:
    """Why two mentions were judged the same person (or not): levels, weights and their total."""

    mention_id: str
    other_id: str
    levels: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # constraints and pair evidence, in words
    violation: str | None = None  # a hard constraint that forbids the link
    thresholds: tuple[float, float] | None = None  # (automatic, suggestion) in force for the decision

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "mention_id": self.mention_id,
            "other_id": self.other_id,
            "levels": dict(self.levels),
            "weights": {k: round(v, 3) for k, v in self.weights.items()},
            "total": round(self.total, 3),
            "notes": list(self.notes),
            "violation": self.violation,
        }


def _weight(
    levels: dict[str, dict[str, tuple[float, float]]],
    comparison: str,
    level: str,
    frequency: float | None = None,
) -> float:
    if level == NULL:
        return 0.0
    m, u = levels[comparison][level]
    if (level in FREQUENCY_KEYS or level == "office") and frequency is not None:
        u = frequency
    return level_weight(m, u)


def score_pair(
    a: Mention,
    b: Mention,
    *,
    frequencies: NameFrequencies | None = None,
    levels: dict[str, dict[str, tuple[float, float]]] | None = None,
    similarities: Sequence[float] | None = None,
    threshold: float = 0.8,
) -> Evidence:
    """Field-by-field evidence for ``a`` and ``b`` being the same person (no constraints applied)."""
    table = DEFAULT_LEVELS if levels is None else levels
    evidence = Evidence(a.id, b.id)
    for i, part in enumerate(NAME_PARTS):
        pa, pb = getattr(a, part), getattr(b, part)
        sim = None if similarities is None else similarities[i]
        level = compare_name_part(pa, pb, sim, threshold)
        freq = None
        kind = frequency_key(level, pa)
        if kind is not None and frequencies is not None:
            freq = frequencies.frequency(part, getattr(pa, kind), kind)
        evidence.levels[part] = level
        evidence.weights[part] = _weight(table, part, level, freq)
    for part in resplit_parts(a, b, evidence.levels):
        evidence.levels[part] = SYLLABLES
        evidence.weights[part] = _weight(table, part, SYLLABLES)
    for comparison, level in (
        ("birth_date", compare_birth_date(a.birth_date, b.birth_date)),
        ("sex", _same(a.sex, b.sex)),
        ("ethnicity", _same(a.ethnicity, b.ethnicity)),
        ("residence", compare_residence(a, b)),
        ("id_number", compare_id_number(a.id_number, b.id_number)),
    ):
        place = locality(a)
        freq = None
        placed = level == "office" or (comparison == "residence" and level == "exact")
        if placed and frequencies is not None and place is not None:
            freq = frequencies.place_frequency(place)
        evidence.levels[comparison] = level
        evidence.weights[comparison] = _weight(table, comparison, level, freq)
    return evidence


def score_pairs(
    pairs: Sequence[tuple[Mention, Mention]],
    *,
    frequencies: NameFrequencies | None = None,
    levels: dict[str, dict[str, tuple[float, float]]] | None = None,
    threshold: float = 0.8,
) -> list[Evidence]:
    """:func:`score_pair` for many pairs, the name similarities computed at once with ``cpdist``."""
    if not pairs:
        return []
    sims = np.column_stack(
        [
            process.cpdist(
                [getattr(a, part).loose for a, _ in pairs],
                [getattr(b, part).loose for _, b in pairs],
                scorer=Levenshtein.normalized_similarity,
                workers=-1 if len(pairs) > 5000 else 1,
            )
            for part in NAME_PARTS
        ]
    )
    return [
        score_pair(
            a, b, frequencies=frequencies, levels=levels, similarities=sims[i].tolist(), threshold=threshold
        )
        for i, (a, b) in enumerate(pairs)
    ]
