"""An inventory of valid Vietnamese syllables, and conservative correction of OCR slips toward it.

The inventory is generated, not bundled: written onsets × written rhymes × the six tones, under the
spelling rules of the national orthography (c/k, g/gh, ng/ngh before front vowels; ``qu`` and ``gi``
onsets; ``y`` for ``i`` without onset; ``iê`` written ``yê`` without onset; checked rhymes ending in c, ch,
p, t take only the sắc and nặng tones). Sources: the rhyme table (bảng vần) of the primary-school
orthography and the phonotactics in Đoàn Thiện Thuật, *Ngữ âm tiếng Việt* (1977). A few extensions keep
Cao Bằng names valid: the onset ``p`` (Páo, Pác), the Tày onset ``sl`` (Slinh, Slam), final ``y`` after a
consonant (Sỹ, Mỹ, Kỳ) and the old ``qui`` spelling. ``normalize/data/extra_syllables.txt`` adds more.

The set over-generates a little (phonotactically possible syllables that are not words): that only makes
corrections rarer, which is the safe direction.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from normalize.text import TONE_CHAR, place_tone, split_tone

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"

ONSETS: Final[tuple[str, ...]] = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh",
    "p", "ph", "qu", "r", "s", "sl", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Rhymes as written after a consonant other than q (medial o/u included).
_RHYME_TABLE: Final[str] = """
    a ai ao au ay ac ach am an ang anh ap at
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e eo ec em en eng ep et
    ê êu êch êm ên ênh êp êt
    i ia iu ich im in inh ip it iêc iêm iên iêng iêp iêt iêu
    o oi oc om on ong op ot oong ooc
    ô ôi ôc ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua ui uc um un ung up ut uôc uôi uôm uôn uông uôt
    ư ưa ưi ưu ưc ưm ưng ưt ươc ươi ươm ươn ương ươp ươt ươu
    oa oai oay oac oach oam oan oang oanh oap oat oăc oăm oăn oăng oăt oe oeo oen oet
    uê uêch uênh uy uya uych uynh uyt uyu uyên uyêt uân uât uâng uây uơ
"""
RHYMES: Final[tuple[str, ...]] = tuple(_RHYME_TABLE.split())
_FRONT = ("e", "ê", "i", "y")
_MEDIAL = ("oa", "oă", "oe", "uê", "uy", "uâ", "uơ")
_CHECKED_FINALS = ("c", "ch", "p", "t")


def _surface_bases() -> set[str]:
    bases: set[str] = set()
    for onset in ONSETS:
        for rhyme in RHYMES:
            medial = rhyme.startswith(_MEDIAL)
            front = rhyme.startswith(_FRONT)
            if onset == "qu":
                if medial:
                    rest = rhyme[1:]
                    bases.add("qu" + rest)
                    if rest.startswith("y"):
                        bases.add("qu" + "i" + rest[1:])  # old spelling: Quí, quít
                continue
            if onset == "c" and (front or medial):
                continue
            if onset in ("g", "ng") and front:
                continue
            if onset in ("k", "gh", "ngh") and not front:
                continue
            if onset == "gi":
                if medial and not rhyme.startswith("uô"):
                    continue
                bases.add("g" + rhyme if rhyme.startswith("i") else "gi" + rhyme)
                continue
            if onset == "":
                if rhyme.startswith("iê"):
                    bases.add("y" + rhyme[1:])
                    continue
                if rhyme == "i":
                    bases.add("y")
            bases.add(onset + rhyme)
            if rhyme == "i" and onset not in ("", "gh", "ngh"):
                bases.add(onset + "y")  # Sỹ, Mỹ, Lý, Kỳ
    bases.update(("quôc", "quôn"))  # quốc, quôn: qu before ô
    return bases


def _allowed_tones(base: str) -> tuple[int, ...]:
    return (2, 5) if base.endswith(_CHECKED_FINALS) else (0, 1, 2, 3, 4, 5)


@cache
def _extra_syllables() -> frozenset[str]:
    path = DATA_DIR / "extra_syllables.txt"
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.update(unicodedata.normalize("NFC", w.lower()) for w in line.split())
    return frozenset(words)


@cache
def inventory() -> dict[str, frozenset[int]]:
    """Every valid toneless base and the tones it may take."""
    out: dict[str, frozenset[int]] = {b: frozenset(_allowed_tones(b)) for b in _surface_bases()}
    for word in _extra_syllables():
        parts = split_tone(word)
        if parts is not None:
            base, tone = parts
            out[base] = out.get(base, frozenset()) | {tone}
    return out


@cache
def surfaces() -> dict[str, tuple[str, int]]:
    """Every written form (lowercase, both tone placements) → (base, tone)."""
    out: dict[str, tuple[str, int]] = {}
    for base, tones in inventory().items():
        for tone in tones:
            for placement in ("modern", "old"):
                written = place_tone(base, tone, placement)  # type: ignore[arg-type]
                if written is not None:
                    out.setdefault(written, (base, tone))
    return out


@lru_cache(maxsize=131072)
def is_valid_syllable(syllable: str) -> bool:
    """True when ``syllable`` (any case, NFC) is a valid Vietnamese syllable, whatever its tone placement."""
    parts = split_tone(syllable.lower())
    if parts is None:
        return False
    tones = inventory().get(parts[0])
    return tones is not None and parts[1] in tones


# ----------------------------------------------------------------------------------------- correction
def _letter_parts(ch: str) -> tuple[str, frozenset[str], int]:
    """(base letter, quality marks, tone) of one lowercase letter: ``ễ`` → (``e``, {circumflex}, 4)."""
    if ch == "đ":
        return "d", frozenset("đ"), 0
    decomposed = unicodedata.normalize("NFD", ch)
    marks = frozenset(c for c in decomposed[1:] if c not in TONE_CHAR.values())
    tones = [t for t, c in TONE_CHAR.items() if c in decomposed[1:]]
    return decomposed[0], marks, (tones[0] if tones else 0)


# Letter pairs OCR confuses often (by shape), cheaper than an arbitrary substitution.
_OCR_CONFUSIONS: Final[frozenset[frozenset[str]]] = frozenset(
    frozenset(p)
    for p in ("ij", "il", "lt", "gq", "ce", "ao", "oc", "un", "nh", "vy", "uv", "ft", "ec", "bh", "mn", "rn")
)


# Whole-letter confusions cheaper than their parts (the dot of j read for the dot below of ị).
_SPECIAL_COSTS: Final[dict[frozenset[str], float]] = {frozenset("jị"): 0.5, frozenset("jì"): 0.75}


@lru_cache(maxsize=65536)
def substitution_cost(a: str, b: str) -> float:
    """Cost of reading letter ``b`` where ``a`` is written: marks cost less than letters."""
    if a == b:
        return 0.0
    special = _SPECIAL_COSTS.get(frozenset((a, b)))
    if special is not None:
        return special
    base_a, marks_a, tone_a = _letter_parts(a)
    base_b, marks_b, tone_b = _letter_parts(b)
    cost = 0.5 * (marks_a != marks_b) + 0.5 * (tone_a != tone_b)
    if base_a != base_b:
        cost += 0.5 if frozenset((base_a, base_b)) in _OCR_CONFUSIONS else 1.0
    return cost


@cache
def _alphabet() -> tuple[str, ...]:
    letters = {c for s in surfaces() for c in s}
    return tuple(sorted(letters))


@dataclass(frozen=True, slots=True)
class Candidate:
    syllable: str  # lowercase, modern placement
    cost: float


@lru_cache(maxsize=65536)
def neighbours(syllable: str) -> tuple[Candidate, ...]:
    """Valid syllables one edit away from ``syllable`` (lowercase), with the cost of that edit."""
    known = surfaces()
    found: dict[tuple[str, int], float] = {}

    def consider(written: str, cost: float) -> None:
        key = known.get(written)
        if key is not None and cost < found.get(key, math.inf):
            found[key] = cost

    s = syllable
    letters = _alphabet()
    for i, ch in enumerate(s):
        consider(s[:i] + s[i + 1 :], 1.0)
        for other in letters:
            if other != ch:
                consider(s[:i] + other + s[i + 1 :], substitution_cost(ch, other))
    for i in range(len(s) + 1):
        for other in letters:
            consider(s[:i] + other + s[i:], 1.0)
    if "rn" in s:
        consider(s.replace("rn", "m", 1), 0.5)
    out = []
    for (base, tone), cost in found.items():
        written = place_tone(base, tone)
        if written is not None:
            out.append(Candidate(written, cost))
    return tuple(sorted(out, key=lambda c: (c.cost, c.syllable)))


@dataclass(frozen=True, slots=True)
class Correction:
    """The outcome of trying to correct one invalid syllable."""

    best: str | None  # the corrected syllable (lowercase) when one answer is clearly best
    candidates: tuple[str, ...]  # the closest candidates considered (for the reviewer)


def choose(
    syllable: str,
    weight: dict[str, float] | None = None,
    *,
    max_cost: float = 1.0,
    frequency_factor: float = 0.25,
    margin: float = 0.3,
) -> Correction:
    """Correct an invalid lowercase syllable only when one valid candidate is clearly best.

    Score = edit cost − ``frequency_factor`` × log10(weight of the candidate in this name position). The best
    is accepted when its cost is at most ``max_cost`` and it beats the runner-up by ``margin``; otherwise no
    guess is made (``Hưùng`` stays as it is: Hùng and Hưng are equally close and equally common).
    """
    cands = [c for c in neighbours(syllable) if c.cost <= max_cost + 0.5]
    if not cands:
        return Correction(None, ())
    weights = weight or {}

    def score(c: Candidate) -> float:
        return c.cost - frequency_factor * math.log10(max(1.0, weights.get(c.syllable, 1.0)))

    ranked = sorted(cands, key=lambda c: (score(c), c.cost, c.syllable))
    shown = tuple(c.syllable for c in ranked[:4])
    best = ranked[0]
    if best.cost > max_cost:
        return Correction(None, shown)
    if len(ranked) > 1 and score(ranked[1]) - score(best) < margin:
        return Correction(None, shown)
    return Correction(best.syllable, shown)
