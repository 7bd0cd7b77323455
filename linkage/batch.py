"""Blocking and scoring of many mention pairs at once, on the integer columns of :mod:`linkage.features`.

:func:`candidate_pairs` finds every earlier mention sharing a block with each new mention (blocks are
dicts from hashed keys to row numbers, kept between calls so new mentions meet the old ones without a
rebuild); :class:`PairScorer` gives each pair the same levels and weights as
:func:`linkage.comparisons.score_pair` plus :func:`linkage.constraints.pair_evidence`, computed with numpy
(name similarities with rapidfuzz ``cpdist`` on the distinct pairs of names only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from linkage.blocking import BlockingRule
from linkage.comparisons import FREQUENCY_KEYS, MIN_FREQUENCY, NAME_PARTS, NameFrequencies, level_weight
from linkage.constraints import SPOUSE_WHOLE_MATCH, SPOUSE_WHOLE_NEAR
from linkage.features import FeatureTable, IntArray, PartColumns, Vocabulary
from linkage.mention import LOOKALIKE_DIGITS

__all__ = [
    "BIRTH_LEVELS",
    "COMPARISONS",
    "NAME_LEVELS",
    "Blocks",
    "PairScorer",
    "ScoredPairs",
    "Screened",
    "candidate_pairs",
    "rule_keys",
]

FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]
# Level names by code, as the comparisons of linkage.comparisons name them.
NAME_LEVELS: Final[tuple[str, ...]] = (
    "exact",
    "tone",
    "diacritics_lost",
    "ocr",
    "different",
    "null",
    "syllables",
    "vowel_mark",
)
BIRTH_LEVELS: Final[tuple[str, ...]] = (
    "exact",
    "year",
    "transposed",
    "one_digit",
    "year_one_digit",
    "different",
    "null",
)
SAME_LEVELS: Final[tuple[str, ...]] = ("exact", "different", "null")
RESIDENCE_LEVELS: Final[tuple[str, ...]] = ("exact", "different", "office", "elsewhere", "null")
R_EXACT: Final[int] = 0
R_OFFICE: Final[int] = 2
EXACT, TONE, LOST, OCR, DIFFERENT, NULL, SYLLABLES, VOWEL = range(8)
B_EXACT, B_YEAR, B_TRANSPOSED, B_ONE_DIGIT, B_YEAR_ONE_DIGIT, B_DIFFERENT, B_NULL = range(7)
# (code, level name, key kind) of the name levels weighed by the name's frequency under that key
_FREQUENCY_LEVELS: Final[tuple[tuple[int, str, str], ...]] = tuple(
    (NAME_LEVELS.index(level), level, kind) for level, kind in FREQUENCY_KEYS.items()
)
SPOUSE_THRESHOLD: Final[float] = 0.8  # pair_evidence compares the spouses' names at the default threshold
BOUND_SLACK: Final[float] = 1e-6  # rounding room when a pair's bound is held against a score
_MIX: Final[np.uint64] = np.uint64(0x9E3779B97F4A7C15)

# A block is a hashed key -> the rows in it, in the order they were added (one dict per rule).
Blocks = list[dict[int, list[int]]]


# ------------------------------------------------------------------------------------------ blocking
def _field(table: FeatureTable, name: str, rows: slice) -> IntArray:
    """Values of one blocking field for ``rows`` (0: the row has none)."""
    p, c = table.parts, table.ints
    year = c["year"][rows]
    if name in ("given_ascii", "middle_ascii", "family_ascii"):
        return p[name.removesuffix("_ascii")].ascii[rows]
    if name == "given_loose":
        return p["given"].loose[rows]
    if name == "middle_given_loose":
        given = p["given"].loose[rows]
        return np.where(given > 0, p["middle"].loose[rows] * (1 << 32) + given, 0)
    if name == "birth_year":
        return year
    if name == "birth_decade":
        return np.where(year > 0, year // 10 + 1, 0)
    if name == "birth_date":
        return np.where(c["precision"][rows] == 3, year * 372 + c["month"][rows] * 31 + c["day"][rows], 0)
    if name == "spouse_given_ascii":
        return p["spouse_given"].ascii[rows]
    if name == "name_ascii":
        return p["joined"].ascii[rows]
    if name == "name_folded":
        return p["joined"].folded[rows]
    return c[name][rows]  # sex, ethnicity, residence


def rule_keys(table: FeatureTable, rule: BlockingRule, start: int, stop: int) -> tuple[list[int], list[int]]:
    """The rows of ``start:stop`` that have every field of ``rule``, and their hashed keys."""
    rows = slice(start, stop)
    keys = np.zeros(stop - start, dtype=np.uint64)
    valid = np.ones(stop - start, dtype=np.bool_)
    with np.errstate(over="ignore"):
        for name in rule.fields:
            values = _field(table, name, rows)
            valid &= values > 0
            keys = keys * _MIX + values.astype(np.uint64)
    found = np.flatnonzero(valid)
    return (found + start).tolist(), keys.view(np.int64)[found].tolist()


def candidate_pairs(
    table: FeatureTable, rules: Sequence[BlockingRule], blocks: Blocks, start: int, stop: int
) -> tuple[IntArray, IntArray]:
    """Pairs (i, j), j < i, of rows sharing a block, for the rows ``start:stop``, sorted and unique.

    The rows are added to ``blocks`` as they are met, so each row meets every earlier one.
    """
    rows_parts: list[IntArray] = []
    others_parts: list[IntArray] = []
    for rule, block in zip(rules, blocks, strict=True):
        rows, keys = rule_keys(table, rule, start, stop)
        counts, others = _meet(block, rows, keys)
        rows_parts.append(np.repeat(np.asarray(rows, dtype=np.int64), counts))
        others_parts.append(np.asarray(others, dtype=np.int64))
    i = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
    j = np.concatenate(others_parts) if others_parts else np.zeros(0, dtype=np.int64)
    unique = _sorted_unique(i * (stop + 1) + j)
    return unique // (stop + 1), unique % (stop + 1)


def _sorted_unique(values: IntArray) -> IntArray:
    """``np.unique`` by sorting (numpy's hash-based unique is several times slower on large arrays)."""
    if not len(values):
        return values
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _meet(block: dict[int, list[int]], rows: list[int], keys: list[int]) -> tuple[list[int], list[int]]:
    counts: list[int] = []
    others: list[int] = []
    for row, key in zip(rows, keys, strict=True):
        members = block.get(key)
        if members is None:
            block[key] = [row]
            counts.append(0)
        else:
            others.extend(members)
            counts.append(len(members))
            members.append(row)
    return counts, others


# ------------------------------------------------------------------------------------------ scoring
# The comparisons of a pair, in the order score_pair adds their weights, with their level names by code.
COMPARISONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    *((part, NAME_LEVELS) for part in NAME_PARTS),
    ("birth_date", BIRTH_LEVELS),
    ("sex", SAME_LEVELS),
    ("ethnicity", SAME_LEVELS),
    ("residence", RESIDENCE_LEVELS),
    ("id_number", SAME_LEVELS),
)
GIVEN: Final[int] = 0
BIRTH: Final[int] = 3
RESIDENCE: Final[int] = 6
ID_NUMBER: Final[int] = 7


@dataclass(slots=True)
class ScoredPairs:
    """Pairs (i, j) with the level code of every comparison (columns as :data:`COMPARISONS`), the pair
    evidence weight and the total weight."""

    i: IntArray
    j: IntArray
    levels: LevelArray  # shape (pairs, len(COMPARISONS))
    pair: FloatArray
    total: FloatArray


def _level_table(levels: dict[str, tuple[float, float]], names: Sequence[str]) -> FloatArray:
    return np.array(
        [0.0 if name == "null" else level_weight(*levels[name]) for name in names], dtype=np.float64
    )


@dataclass(slots=True)
class Screened:
    """The candidate pairs of a run of new rows after :meth:`PairScorer.screen`: the pairs that can reach
    the lowest score that matters, fully scored (``pairs``; ``kept`` their positions among all pairs),
    and for every pair its ``j`` and the weights the conflict rule reads (given name, birth date)."""

    pairs: ScoredPairs
    kept: IntArray
    j: IntArray
    conflict: dict[str, FloatArray]


class PairScorer:
    """Weights of pairs, as :func:`~linkage.comparisons.score_pair` and the pair evidence give them."""

    def __init__(
        self,
        levels: dict[str, dict[str, tuple[float, float]]],
        *,
        fuzzy_threshold: float,
        pair_bonus: float,
        pair_penalty: float,
    ) -> None:
        self.levels = levels
        self.fuzzy_threshold = fuzzy_threshold
        self.pair_bonus = pair_bonus
        self.pair_penalty = pair_penalty
        self.tables: list[FloatArray] = [_level_table(levels[c], names) for c, names in COMPARISONS]
        self.frequency_weights: dict[tuple[str, str], FloatArray] = {}  # (part, level) -> by key code
        self.placed: dict[str, FloatArray] = {}  # residence level ("office", "exact") -> by place code

    def prepare(self, vocab: Vocabulary, frequencies: NameFrequencies) -> None:
        """The weight of an exact (tone, diacritics-lost) name part by the code of its key (tone-free,
        diacritics-free key), from the name frequencies."""
        for part in NAME_PARTS:
            total = frequencies.totals[part]
            for level, kind in FREQUENCY_KEYS.items():
                m, u = self.levels[part][level]
                weights = np.full(len(vocab), level_weight(m, u), dtype=np.float64)
                if total >= 200:
                    # an exact bare name (no diacritic: its key is its ascii key) by the bare frequency
                    kinds = (kind, "ascii") if level == "exact" else (kind,)
                    for counted in kinds:
                        counts = frequencies.table(part, counted)
                        codes = vocab.codes_of(list(counts))
                        shares = np.fromiter(counts.values(), dtype=np.float64, count=len(counts)) / total
                        weights[codes] = np.log2(m / np.maximum(shares, MIN_FREQUENCY))
                self.frequency_weights[(part, level)] = weights
        for level in ("office", "exact"):
            m, u = self.levels["residence"][level]
            weights = np.full(len(vocab), level_weight(m, u), dtype=np.float64)
            if frequencies.places_total >= 200:
                for place, count in frequencies.places.items():
                    weights[vocab.code(place)] = level_weight(
                        m, max(count / frequencies.places_total, MIN_FREQUENCY)
                    )
            self.placed[level] = weights

    def weights(self, table: FeatureTable, pairs: ScoredPairs, column: int) -> FloatArray:
        """The weight of one comparison (a column of :data:`COMPARISONS`) for every pair."""
        return self.column_weights(table, column, pairs.levels[:, column], pairs.i)

    def column_weights(self, table: FeatureTable, column: int, level: LevelArray, i: IntArray) -> FloatArray:
        """The weights of one comparison's levels ``level`` of the pairs whose new rows are ``i``."""
        weight = self.tables[column][level]
        if column < len(NAME_PARTS):
            part = NAME_PARTS[column]
            for code, name, kind in _FREQUENCY_LEVELS:
                chosen = np.flatnonzero(level == code)
                keys = getattr(table.parts[part], kind)[i[chosen]]
                weight[chosen] = self.frequency_weights[(part, name)][keys]
        elif column == RESIDENCE:
            for code, name in ((R_OFFICE, "office"), (R_EXACT, "exact")):
                chosen = np.flatnonzero(level == code)
                weight[chosen] = self.placed[name][table.ints["place"][i[chosen]]]
        return weight

    def part_ceiling(self, table: FeatureTable, column: int, rows: IntArray) -> FloatArray:
        """The most a name part (a column of :data:`COMPARISONS`) can weigh in a pair of each of ``rows``."""
        part = NAME_PARTS[column]
        ceiling = np.full(len(rows), float(self.tables[column].max()), dtype=np.float64)
        for _code, name, kind in _FREQUENCY_LEVELS:
            keys = getattr(table.parts[part], kind)[rows]
            np.maximum(ceiling, self.frequency_weights[(part, name)][keys], out=ceiling)
        return ceiling

    def screen(
        self, table: FeatureTable, vocab: Vocabulary, i: IntArray, j: IntArray, low: float
    ) -> Screened:
        """Every pair's given-name and birth-date weights, and the full score of the pairs that can reach
        ``low``: the given name, birth date, sex, ethnic group, residence and identity number are weighed
        for every pair, the middle and family names and the spouse only bounded from above (the most
        their parts of the new row can weigh, the largest spouse bonus where both name a spouse); pairs
        whose bound falls short of ``low`` are not scored further. ``i`` is sorted."""
        given = name_levels(table.parts["given"], vocab, i, j, self.fuzzy_threshold)
        off = given == DIFFERENT
        off |= (given == NULL) & ((table.parts["given"].key[i] == 0) != (table.parts["given"].key[j] == 0))
        moved = np.flatnonzero(off)
        if len(moved):
            joined = name_levels(table.parts["joined"], vocab, i[moved], j[moved], 1.0, fuzzy=False)
            given[moved[(joined <= OCR) | (joined == VOWEL)]] = SYLLABLES
        conflict = {
            "given": self.column_weights(table, GIVEN, given, i),
            "birth_date": self.column_weights(table, BIRTH, birth_levels(table, i, j), i),
        }
        bound = conflict["given"] + conflict["birth_date"]
        for column, comparison in enumerate(("sex", "ethnicity"), start=BIRTH + 1):
            bound += self.tables[column][same_levels(table.ints[comparison], i, j)]
        bound += self.column_weights(table, RESIDENCE, residence_levels(table, i, j), i)
        bound += self.tables[ID_NUMBER][_id_levels(table, i, j)]
        first = int(i[0]) if len(i) else 0
        rows = np.arange(first, int(i[-1]) + 1 if len(i) else 0, dtype=np.int64)
        ceiling = self.part_ceiling(table, GIVEN + 1, rows) + self.part_ceiling(table, GIVEN + 2, rows)
        bound += ceiling[i - first]
        spouses = table.ints["has_spouse"]
        bound += np.where((spouses[i] > 0) & (spouses[j] > 0), self.pair_bonus + 2.0, 0.0)
        kept = np.flatnonzero(bound >= low - BOUND_SLACK)
        return Screened(self.score(table, vocab, i[kept], j[kept]), kept, j, conflict)

    def score(self, table: FeatureTable, vocab: Vocabulary, i: IntArray, j: IntArray) -> ScoredPairs:
        levels = np.empty((len(i), len(COMPARISONS)), dtype=np.int8)
        for column, part in enumerate(NAME_PARTS):
            levels[:, column] = name_levels(table.parts[part], vocab, i, j, self.fuzzy_threshold)
        resplit_levels(table, vocab, i, j, levels)
        levels[:, BIRTH] = birth_levels(table, i, j)
        for column, comparison in enumerate(("sex", "ethnicity"), start=BIRTH + 1):
            levels[:, column] = same_levels(table.ints[comparison], i, j)
        levels[:, RESIDENCE] = residence_levels(table, i, j)
        levels[:, ID_NUMBER] = _id_levels(table, i, j)
        pair = self.pair_weights(table, vocab, i, j)
        scored = ScoredPairs(i, j, levels, pair, np.zeros(len(i), dtype=np.float64))
        for column in range(len(COMPARISONS)):
            scored.total += self.weights(table, scored, column)
        scored.total += pair
        return scored

    def pair_weights(self, table: FeatureTable, vocab: Vocabulary, i: IntArray, j: IntArray) -> FloatArray:
        """The spouse evidence of :func:`~linkage.constraints.pair_evidence` (0 where a side names none)."""
        out = np.zeros(len(i), dtype=np.float64)
        has = np.flatnonzero((table.ints["has_spouse"][i] > 0) & (table.ints["has_spouse"][j] > 0))
        if not len(has):
            return out
        si, sj = i[has], j[has]
        family = name_levels(table.parts["spouse_family"], vocab, si, sj, SPOUSE_THRESHOLD)
        given = name_levels(table.parts["spouse_given"], vocab, si, sj, SPOUSE_THRESHOLD)
        whole = name_levels(table.parts["spouse_joined"], vocab, si, sj, SPOUSE_WHOLE_MATCH)
        near = whole <= OCR
        unsure = np.flatnonzero((given == DIFFERENT) & ~near & (whole != NULL))
        if len(unsure):
            near_whole = name_levels(
                table.parts["spouse_joined"], vocab, si[unsure], sj[unsure], SPOUSE_WHOLE_NEAR
            )
            near[unsure] = near_whole <= OCR
        match = ((given <= OCR) & ((family <= OCR) | (family == NULL))) | (whole <= OCR)
        married, born = table.ints["marriage_day"], table.ints["child_birth_latest"]
        before = ((married[si] > 0) & (born[sj] > 0) & (married[si] <= born[sj])).astype(np.float64) + (
            (married[sj] > 0) & (born[si] > 0) & (married[sj] <= born[si])
        ).astype(np.float64)
        weight = np.where(
            match, self.pair_bonus + before, np.where((given == DIFFERENT) & ~near, -self.pair_penalty, 0.0)
        )
        out[has] = weight
        return out


def _id_levels(table: FeatureTable, i: IntArray, j: IntArray) -> LevelArray:
    """Identity numbers: exact / different for numbers of one kind (CMND or CCCD), else null."""
    level = same_levels(table.ints["id_number"], i, j)
    level[table.ints["id_kind"][i] != table.ints["id_kind"][j]] = 2  # null
    return level


def resplit_levels(
    table: FeatureTable, vocab: Vocabulary, i: IntArray, j: IntArray, levels: LevelArray
) -> None:
    """:func:`~linkage.comparisons.resplit_parts`: name parts moved by a merged or split syllable become
    ``syllables`` where the whole names (spaces dropped) agree. ``levels`` is changed in place."""
    off = np.zeros((len(i), len(NAME_PARTS)), dtype=np.bool_)
    for column, part in enumerate(NAME_PARTS):
        key = table.parts[part].key
        one_sided = (key[i] == 0) != (key[j] == 0)
        off[:, column] = (levels[:, column] == DIFFERENT) | ((levels[:, column] == NULL) & one_sided)
    rows = np.flatnonzero(off.any(axis=1))
    if not len(rows):
        return
    joined = name_levels(table.parts["joined"], vocab, i[rows], j[rows], 1.0, fuzzy=False)
    rows = rows[(joined <= OCR) | (joined == VOWEL)]
    for column in range(len(NAME_PARTS)):
        moved = rows[off[rows, column]]
        levels[moved, column] = SYLLABLES


def name_levels(
    cols: PartColumns, vocab: Vocabulary, i: IntArray, j: IntArray, threshold: float, *, fuzzy: bool = True
) -> LevelArray:
    """:func:`~linkage.comparisons.compare_name_part` for every pair, as codes of :data:`NAME_LEVELS`
    (``fuzzy=False``: no similarity computed, the ``ocr`` level from folded letters only)."""
    ka, kb = cols.key[i], cols.key[j]
    null = (ka == 0) | (kb == 0)
    exact = (ka == kb) | (cols.loose[i] == cols.loose[j])
    tone = cols.tone_free[i] == cols.tone_free[j]
    lost = (cols.ascii[i] == cols.ascii[j]) & ~(cols.marks[i] & cols.marks[j])
    level = np.full(len(i), DIFFERENT, dtype=np.int8)
    rest = np.flatnonzero(~null & ~exact & ~tone & ~lost & (np.minimum(cols.length[i], cols.length[j]) >= 4))
    if len(rest) and fuzzy:
        similar = _similarities(vocab, cols.loose[i[rest]], cols.loose[j[rest]]) >= threshold
        level[rest[similar]] = OCR
    # a letter OCR confuses (rn/m, u/n …), then a vowel mark: overridden below by every closer level
    level[(cols.folded[i] == cols.folded[j]) & (cols.ascii[i] != cols.ascii[j])] = OCR
    level[cols.markless[i] == cols.markless[j]] = VOWEL
    level[lost] = LOST
    level[tone] = TONE
    level[exact] = EXACT
    level[null] = NULL
    return level


def _similarities(vocab: Vocabulary, a: IntArray, b: IntArray) -> FloatArray:
    """Normalized Levenshtein similarity of the strings of codes ``a`` and ``b``, each distinct pair once."""
    combined = a * len(vocab) + b
    unique = _sorted_unique(combined)
    inverse = np.searchsorted(unique, combined)
    strings = vocab.strings
    left = [strings[k] for k in (unique // len(vocab)).tolist()]
    right = [strings[k] for k in (unique % len(vocab)).tolist()]
    scores = process.cpdist(
        left,
        right,
        scorer=Levenshtein.normalized_similarity,
        workers=-1 if len(left) > 5000 else 1,
    )
    return np.asarray(scores, dtype=np.float64)[inverse]


def same_levels(column: IntArray, i: IntArray, j: IntArray) -> LevelArray:
    """exact / different / null of a coded value, as codes of :data:`SAME_LEVELS`."""
    a, b = column[i], column[j]
    level = np.where(a == b, 0, 1).astype(np.int8)
    level[(a == 0) | (b == 0)] = 2
    return level


def residence_levels(table: FeatureTable, i: IntArray, j: IntArray) -> LevelArray:
    """:func:`~linkage.comparisons.compare_residence`, as codes of :data:`RESIDENCE_LEVELS`."""
    residence, place = table.ints["residence"], table.ints["place"]
    level = np.where(place[i] == place[j], R_OFFICE, R_OFFICE + 1).astype(np.int8)
    level[(place[i] == 0) | (place[j] == 0)] = len(RESIDENCE_LEVELS) - 1
    both = (residence[i] > 0) & (residence[j] > 0)
    level[both] = np.where(residence[i][both] == residence[j][both], 0, 1)
    return level


_LOOKALIKE: Final[npt.NDArray[np.bool_]] = np.zeros((10, 10), dtype=np.bool_)
for _digit, _others in LOOKALIKE_DIGITS.items():
    for _other in _others:
        _LOOKALIKE[int(_digit), int(_other)] = True


def _two_digit_tables() -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """For two numbers 0–99 shown with two digits: how many digits differ, and whether exactly one does
    and it is a handwritten look-alike of the other."""
    values = np.arange(100)
    tens_a, ones_a = values[:, None] // 10, values[:, None] % 10
    tens_b, ones_b = values[None, :] // 10, values[None, :] % 10
    tens, ones = tens_a != tens_b, ones_a != ones_b
    count = tens.astype(np.int8) + ones.astype(np.int8)
    alike = (tens & _LOOKALIKE[tens_a, tens_b]) | (ones & _LOOKALIKE[ones_a, ones_b])
    return count, alike & (count == 1)


_DIGITS_DIFFERING, _ONE_LOOKALIKE = _two_digit_tables()


def _digit_differences(a_parts: Sequence[IntArray], b_parts: Sequence[IntArray]) -> npt.NDArray[np.bool_]:
    """Whether exactly one shown digit differs and it is a handwritten look-alike of the other, for
    numbers given as two-digit parts (0–99: a day, a month, a year's hundreds and its last two digits)."""
    count = np.zeros(len(a_parts[0]), dtype=np.int8)
    alike = np.zeros(len(a_parts[0]), dtype=np.bool_)
    for a, b in zip(a_parts, b_parts, strict=True):
        cell = a * 100 + b
        count += _DIGITS_DIFFERING.ravel()[cell]
        alike |= _ONE_LOOKALIKE.ravel()[cell]
    return alike & (count == 1)


def _two_digits(column: IntArray) -> IntArray:
    return np.minimum(column, 99)


def birth_levels(table: FeatureTable, i: IntArray, j: IntArray) -> LevelArray:
    """:func:`~linkage.comparisons.compare_birth_date` for every pair, as codes of :data:`BIRTH_LEVELS`."""
    c = table.ints
    ya, yb, ma, mb, da, db = (
        c["year"][i],
        c["year"][j],
        c["month"][i],
        c["month"][j],
        c["day"][i],
        c["day"][j],
    )
    pa, pb = c["precision"][i], c["precision"][j]
    century, late = (c["year"] // 100) % 100, c["year"] % 100
    ca, cb, la, lb = century[i], century[j], late[i], late[j]
    both_day = (pa == 3) & (pb == 3)
    same_year = ya == yb
    exact = both_day & same_year & (ma == mb) & (da == db)
    transposed = both_day & ~exact & same_year & (da == mb) & (ma == db)
    alike = _digit_differences(
        (_two_digits(da), _two_digits(ma), ca, la), (_two_digits(db), _two_digits(mb), cb, lb)
    )
    one_digit = (pa == pb) & alike & (ya >= 1000) & (yb >= 1000)
    same_as = same_year & ((ma == 0) | (mb == 0) | ((ma == mb) & ((da == 0) | (db == 0) | (da == db))))
    level = np.full(len(i), B_DIFFERENT, dtype=np.int8)
    year_alike = _digit_differences((ca, la), (cb, lb))
    level[(pa != pb) & year_alike & (ya >= 1000) & (yb >= 1000)] = B_YEAR_ONE_DIGIT
    level[~both_day & one_digit & (pa == 1)] = B_YEAR_ONE_DIGIT
    level[~both_day & one_digit & (pa == 2)] = B_ONE_DIGIT
    level[~both_day & same_as] = B_YEAR
    level[both_day & ~exact & ~transposed & one_digit] = B_ONE_DIGIT
    level[transposed] = B_TRANSPOSED
    level[exact] = B_EXACT
    level[(pa == 0) | (pb == 0)] = B_NULL
    return level
