"""Incremental linking of mentions to persons, with thresholds and the evidence of every decision.

``Linker(settings).link(new_mentions, index)`` links each new mention against everyone already in the
``index`` (and the new mentions before it): candidates come from the blocking rules, each candidate person
is scored by its best-matching mention (field weights from :mod:`linkage.comparisons` plus the pair
evidence of :mod:`linkage.constraints`), persons a hard constraint forbids are set aside, and

- the best person scoring ``auto_threshold`` or more, ahead of the next by ``margin``, gets the mention
  (the thresholds rise by ``bits_per_doubling`` and ``suggest_bits_per_doubling`` bits per doubling of the
  persons past ``scale_persons``, and by ``late_bits_per_doubling`` past ``knee_persons``:
  :meth:`LinkSettings.thresholds`), unless nothing beyond names was
  compared (:func:`beyond_names`) or, past ``scale_persons``, a comparison disagrees by more than
  ``veto_below`` bits;
- otherwise the mention starts a new person, and the persons scoring ``suggest_threshold`` or more are
  returned as suggestions for a reviewer, each with its :class:`~linkage.comparisons.Evidence`.

Candidate pairs are screened first (:meth:`~linkage.batch.PairScorer.screen`): only those whose score can
reach the lowest that could change a decision (:meth:`Linker.low`, rising with the thresholds) are scored
in full. Nothing is rebuilt: books of any era can arrive in any order. The settings are one pydantic object, saved
as JSON beside every run (:meth:`LinkSettings.save`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from linkage.batch import (
    COMPARISONS,
    NAME_LEVELS,
    R_EXACT,
    R_OFFICE,
    RESIDENCE,
    Blocks,
    FloatArray,
    PairScorer,
    ScoredPairs,
    candidate_pairs,
    rule_keys,
)
from linkage.blocking import DEFAULT_RULES, BlockingRule, block_on
from linkage.comparisons import DEFAULT_LEVELS, FREQUENCY_KEYS, NAME_PARTS, Evidence, NameFrequencies
from linkage.constraints import pair_evidence, person_violation
from linkage.features import FeatureTable, IntArray, Vocabulary, encode
from linkage.mention import Mention

# A person is scored by its best-matching mention, except that these comparisons take the most conflicting
# mention's weight: one mention agreeing cannot hide another disagreeing (no chaining through a namesake).
CONFLICTING: Final[tuple[str, ...]] = ("given", "birth_date")
# Only a real disagreement conflicts: a weight below this (bits). A year one digit apart (about 0 bits, OCR
# damage as often as not) in another mention of the person does not take the best mention's agreement away.
CONFLICT_BELOW: Final[float] = -3.0

__all__ = [
    "CONFLICTING",
    "CONFLICT_BELOW",
    "Decision",
    "LinkIndex",
    "LinkSettings",
    "Linker",
    "MergeSuggestion",
    "Suggestion",
    "beyond_names",
    "corroborated",
    "link_all",
]

log = logging.getLogger(__name__)
CHUNK: Final[int] = 50_000  # new mentions blocked and scored together (bounds the memory of the pairs)
_OWN_ID: Final[re.Pattern[str]] = re.compile(r"L(\d+)")


def _default_levels() -> dict[str, dict[str, tuple[float, float]]]:
    return {c: dict(levels) for c, levels in DEFAULT_LEVELS.items()}


class LinkSettings(BaseModel):
    """Everything that decides a linking run (saved as JSON with the run)."""

    model_config = ConfigDict(extra="forbid")

    auto_threshold: float = Field(default=12.0, description="score (bits) at or above which a link is made")
    suggest_threshold: float = Field(default=8.0, description="score at or above which a reviewer is asked")
    margin: float = Field(default=4.0, ge=0, description="the best person must beat the next by this much")
    max_suggestions: int = Field(default=3, ge=0)
    fuzzy_threshold: float = Field(
        default=0.8, gt=0, le=1, description="Levenshtein similarity for the ocr level"
    )
    pair_bonus: float = Field(default=6.0, ge=0, description="spouse named beside both mentions agrees")
    pair_penalty: float = Field(default=6.0, ge=0, description="spouse named beside both mentions differs")
    require_corroboration: bool = Field(
        default=False,
        description="an automatic link needs more than names and a birth year (see corroborated)",
    )
    require_beyond_names: bool = Field(
        default=True,
        description="an automatic link needs a birth date, residence, identity number or spouse compared "
        "(see beyond_names)",
    )
    veto_below: float | None = Field(
        default=-3.0,
        description="past scale_persons persons, no automatic link when any comparison weighs less than "
        "this (bits): a real disagreement (a different birth date, family name or spouse) goes to review "
        "(None: off)",
    )
    scale_persons: int = Field(
        default=4096,
        ge=1,
        description="persons in the index up to which the thresholds apply as given (see thresholds)",
    )
    bits_per_doubling: float = Field(
        default=2.0,
        ge=0,
        description="added to the automatic threshold per doubling of the persons past scale_persons",
    )
    suggest_bits_per_doubling: float | None = Field(
        default=2.75,
        ge=0,
        description="added to the suggestion threshold per doubling (None: bits_per_doubling)",
    )
    knee_persons: int | None = Field(
        default=None,
        ge=1,
        description="persons past which each doubling adds late_bits_per_doubling to both thresholds "
        "instead (None: no knee)",
    )
    late_bits_per_doubling: float = Field(
        default=1.25,
        ge=0,
        description="added to both thresholds per doubling of the persons past knee_persons",
    )
    levels: dict[str, dict[str, tuple[float, float]]] = Field(default_factory=_default_levels)
    blocking_rules: list[list[str]] = Field(default_factory=lambda: [list(r.fields) for r in DEFAULT_RULES])

    @field_validator("blocking_rules")
    @classmethod
    def _rules_valid(cls, value: list[list[str]]) -> list[list[str]]:
        if not value:
            raise ValueError("give at least one blocking rule, e.g. [['given_ascii', 'birth_year']]")
        for fields in value:
            block_on(*fields)
        return value

    @field_validator("levels")
    @classmethod
    def _levels_valid(
        cls, value: dict[str, dict[str, tuple[float, float]]]
    ) -> dict[str, dict[str, tuple[float, float]]]:
        missing = sorted(set(DEFAULT_LEVELS) - set(value))
        if missing:
            raise ValueError(f"levels lack the comparisons {missing}")
        for comparison, table in value.items():
            for level, (m, u) in table.items():
                if not (0 < m <= 1 and 0 < u <= 1):
                    raise ValueError(f"levels[{comparison!r}][{level!r}]: m and u must lie in (0, 1]")
            lacking = sorted(set(DEFAULT_LEVELS.get(comparison, {})) - set(table))
            if lacking:
                raise ValueError(f"levels[{comparison!r}] lacks the levels {lacking}")
        return value

    def thresholds(self, persons: int) -> tuple[float, float]:
        """(automatic, suggestion) thresholds against an index of ``persons`` persons.

        The weights say how much likelier a pair is the same person than two persons drawn at random; the
        odds that any one candidate is the person fall as the index grows (more namesakes born the same
        year), so each doubling of the persons past ``scale_persons`` asks ``bits_per_doubling`` more of an
        automatic link and ``suggest_bits_per_doubling`` more of a suggestion (rising faster than the
        automatic threshold, it keeps the share sent to review from growing with the index). Past
        ``knee_persons`` persons each doubling adds ``late_bits_per_doubling`` to both instead."""
        doublings = math.log2(max(persons, self.scale_persons) / self.scale_persons)
        late = 0.0
        if self.knee_persons is not None:
            knee = math.log2(max(self.knee_persons, self.scale_persons) / self.scale_persons)
            late = max(doublings - knee, 0.0)
            doublings -= late
        suggest_bits = (
            self.bits_per_doubling
            if self.suggest_bits_per_doubling is None
            else self.suggest_bits_per_doubling
        )
        return (
            self.auto_threshold + self.bits_per_doubling * doublings + self.late_bits_per_doubling * late,
            self.suggest_threshold + suggest_bits * doublings + self.late_bits_per_doubling * late,
        )

    def rules(self) -> list[BlockingRule]:
        return [block_on(*fields) for fields in self.blocking_rules]

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinkSettings:
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))


def corroborated(evidence: Evidence) -> bool:
    """False for names agreeing with only a birth year and nothing else that is personal.

    A birth's mother or father is known by name and birth year only; against a child of the same name born
    that year, namesakes are too common in a province for an automatic link. Personal evidence is a full
    birth date, an identity number, a residence named on both records, or the spouse named beside both;
    a commune office alone (``office``) places the person only roughly. Without any: the pair goes to
    review.
    """
    levels = evidence.levels
    if evidence.weights.get("pair", 0.0) > 0 or levels.get("id_number") == "exact":
        return True
    if levels.get("birth_date") != "year":
        return True
    return levels.get("residence") == "exact"


def beyond_names(evidence: Evidence) -> bool:
    """False when nothing but names, sex and ethnic group could be compared (no birth date, residence,
    identity number or spouse on both records): namesakes alone, too common for an automatic link."""
    levels = evidence.levels
    if "pair" in evidence.weights:
        return True
    return any(levels.get(c, "null") != "null" for c in ("birth_date", "residence", "id_number"))


@dataclass(slots=True)
class Suggestion:
    person_id: str
    evidence: Evidence

    @property
    def score(self) -> float:
        return self.evidence.total


@dataclass(slots=True)
class MergeSuggestion:
    """Two existing persons that look like one: a later mention matched both strongly. Never automatic.

    ``evidence`` holds the mention's evidence against each person; ``mention_id`` is that mention.
    """

    person_ids: tuple[str, str]
    mention_id: str
    evidence: tuple[Evidence, Evidence]

    @property
    def score(self) -> float:
        return min(ev.total for ev in self.evidence)

    def as_dict(self) -> dict[str, object]:
        return {
            "person_ids": list(self.person_ids),
            "mention_id": self.mention_id,
            "score": round(self.score, 3),
            "evidence": [ev.as_dict() for ev in self.evidence],
        }


@dataclass(slots=True)
class Decision:
    """What happened to one mention: linked automatically to a person, or a new person (maybe to review)."""

    mention_id: str
    person_id: str
    action: Literal["auto", "new"]
    evidence: Evidence | None = None  # the best evidence for the person chosen (auto)
    suggestions: list[Suggestion] = field(default_factory=list)  # persons a reviewer should consider
    rejected: list[Suggestion] = field(default_factory=list)  # high scores a hard constraint forbade
    merges: list[MergeSuggestion] = field(default_factory=list)  # persons this mention says are one

    @property
    def needs_review(self) -> bool:
        """A reviewer should look: persons to consider, or two persons this mention says are one."""
        return bool(self.suggestions or self.merges)


class LinkIndex:
    """Everything linked so far, in memory: persons, their mentions as rows of codes, blocks, frequencies.

    Rows are appended in the order mentions arrive; ``blocks`` (one dict per rule, hashed key → rows) and
    the :class:`~linkage.features.FeatureTable` grow with them, so a later :meth:`Linker.link` compares new
    mentions with every earlier one without rebuilding anything.
    """

    def __init__(self, rules: Sequence[BlockingRule] = DEFAULT_RULES) -> None:
        self.rules = list(rules)
        self.persons: dict[str, list[Mention]] = {}
        self.person_of: dict[str, str] = {}
        self.frequencies = NameFrequencies()
        self.mentions: list[Mention] = []
        self.vocab = Vocabulary()
        self.table = FeatureTable()
        self.blocks: Blocks = [{} for _ in self.rules]
        self.person_ids: list[str] = []  # person number -> id
        self.person_number: dict[str, int] = {}
        self.person_rows: IntArray = np.zeros(0, dtype=np.int64)  # row -> person number
        self.merge_suggestions: list[MergeSuggestion] = []
        self._merged: set[tuple[str, str]] = set()
        self._next = 0

    def __len__(self) -> int:
        return len(self.mentions)

    def new_person_id(self) -> str:
        self._next += 1
        return f"L{self._next:07d}"

    def add(self, mention: Mention, person_id: str) -> None:
        """Put one already-linked mention in the index (counted in the name frequencies)."""
        self.add_many([mention], [person_id])

    def add_many(self, mentions: Sequence[Mention], person_ids: Sequence[str]) -> None:
        """Load already-linked mentions in bulk (e.g. from the database): no scoring, only indexing."""
        if len(mentions) != len(person_ids):
            raise ValueError(f"{len(mentions)} mentions but {len(person_ids)} person ids")
        self.frequencies.add(mentions)
        start = self.append_rows(mentions)
        self.index_rows(start, len(self))
        for mention, person_id in zip(mentions, person_ids, strict=True):
            self.assign(start, mention, person_id)
            start += 1

    def append_rows(self, mentions: Sequence[Mention]) -> int:
        """Encode ``mentions`` as new rows (not yet in blocks nor persons); returns the first new row."""
        batch: set[str] = set()
        for m in mentions:
            if m.id in self.person_of or m.id in batch:
                raise ValueError(
                    f"mention {m.id} is already linked to {self.person_of.get(m.id, 'this batch')}"
                )
            batch.add(m.id)
        start = len(self.mentions)
        self.mentions.extend(mentions)
        self.table.extend(encode(mentions, self.vocab))
        self.person_rows = np.concatenate([self.person_rows, np.full(len(mentions), -1, dtype=np.int64)])
        return start

    def index_rows(self, start: int, stop: int) -> None:
        """Put rows ``start:stop`` in the blocks without comparing them with anything."""
        for rule, block in zip(self.rules, self.blocks, strict=True):
            rows, keys = rule_keys(self.table, rule, start, stop)
            for row, key in zip(rows, keys, strict=True):
                block.setdefault(key, []).append(row)

    def assign(self, row: int, mention: Mention, person_id: str) -> None:
        number = self.person_number.get(person_id)
        if number is None:
            number = self.person_number[person_id] = len(self.person_ids)
            self.person_ids.append(person_id)
            self.persons[person_id] = []
            own = _OWN_ID.fullmatch(person_id)
            if own is not None:
                self._next = max(self._next, int(own.group(1)))
        self.persons[person_id].append(mention)
        self.person_of[mention.id] = person_id
        self.person_rows[row] = number

    def suggest_merge(self, merge: MergeSuggestion) -> bool:
        """Record a merge suggestion once per pair of persons; True when it is new."""
        key = (min(merge.person_ids), max(merge.person_ids))
        if key in self._merged:
            return False
        self._merged.add(key)
        self.merge_suggestions.append(merge)
        return True

    def clusters(self) -> list[frozenset[str]]:
        """The persons as sets of mention ids."""
        return [frozenset(m.id for m in ms) for ms in self.persons.values()]


@dataclass(slots=True)
class _Candidate:
    """A candidate person of one mention: its best pair, the pair's weights and the person's score."""

    person: int
    pair: int  # index of the best pair in the chunk's ScoredPairs
    score: float
    conflicts: dict[str, float] = field(default_factory=dict)  # comparison -> a worse mention's weight


@dataclass(slots=True)
class _Chunk:
    """The candidate pairs of a run of new rows, with what the assignment reads of them."""

    pairs: ScoredPairs  # the pairs that can score ``low`` or more, fully scored
    kept: IntArray  # their positions among all the candidate pairs
    start: int
    bounds: list[int]  # all the pairs of row r: bounds[r - start] : bounds[r - start + 1]
    j: IntArray  # the earlier row of every candidate pair
    conflict_weights: dict[str, FloatArray]  # of every candidate pair
    low: float  # persons scoring below this change no decision of the chunk (see Linker.low)


class Linker:
    def __init__(self, settings: LinkSettings | None = None) -> None:
        self.settings = settings or LinkSettings()
        self.rules = self.settings.rules()
        s = self.settings
        self.scorer = PairScorer(
            s.levels, fuzzy_threshold=s.fuzzy_threshold, pair_bonus=s.pair_bonus, pair_penalty=s.pair_penalty
        )

    def new_index(self) -> LinkIndex:
        return LinkIndex(self.rules)

    def low(self, persons: int) -> float:
        """The score below which a candidate person changes no decision against an index of at least
        ``persons`` persons: not a suggestion (nor a rejected one), and not a runner-up close enough to
        hold back an automatic link (the thresholds only rise as persons are added)."""
        auto, suggest = self.settings.thresholds(persons)
        return min(suggest, auto - self.settings.margin)

    def link(self, new_mentions: Iterable[Mention], index: LinkIndex) -> list[Decision]:
        """Link ``new_mentions`` (in order) into ``index``; returns one decision per mention."""
        mentions = list(new_mentions)
        index.frequencies.add(mentions)
        start = index.append_rows(mentions)
        self.scorer.prepare(index.vocab, index.frequencies)
        decisions: list[Decision] = []
        for first in range(start, len(index), CHUNK):
            stop = min(first + CHUNK, len(index))
            i, j = candidate_pairs(index.table, index.rules, index.blocks, first, stop)
            low = self.low(len(index.persons))
            screened = self.scorer.screen(index.table, index.vocab, i, j, low)
            chunk = _Chunk(
                screened.pairs,
                screened.kept,
                first,
                np.searchsorted(i, np.arange(first, stop + 1)).tolist(),
                j,
                screened.conflict,
                low,
            )
            decisions.extend(self._assign_rows(index, chunk, stop))
            log.debug(
                "linked rows %d-%d: %d candidate pairs, %d scored", first, stop, len(i), len(screened.kept)
            )
        return decisions

    # ----------------------------------------------------------------------------------- assignment
    def _assign_rows(self, index: LinkIndex, chunk: _Chunk, stop: int) -> list[Decision]:
        strong = np.flatnonzero(chunk.pairs.total >= chunk.low)
        strong_rows = chunk.pairs.i[strong].tolist()
        groups: dict[int, list[int]] = {}
        for k, row in zip(strong.tolist(), strong_rows, strict=True):
            groups.setdefault(row, []).append(k)
        decisions = []
        for row in range(chunk.start, stop):
            mention = index.mentions[row]
            found = groups.get(row)
            candidates = self._candidates(index, chunk, row, found) if found else []
            if candidates:
                decision = self._decide(index, chunk, mention, candidates)
            else:
                decision = Decision(mention.id, index.new_person_id(), "new")
            index.assign(row, mention, decision.person_id)
            decisions.append(decision)
        return decisions

    def _candidates(self, index: LinkIndex, chunk: _Chunk, row: int, strong: list[int]) -> list[_Candidate]:
        """The candidate persons scoring at least ``low`` after the conflict rule, with their best pair."""
        pairs, persons = chunk.pairs, index.person_rows
        best: dict[int, int] = {}
        totals = pairs.total
        for k in strong:
            person = int(persons[pairs.j[k]])
            if person not in best or totals[k] > totals[best[person]]:
                best[person] = k
        lo, hi = chunk.bounds[row - chunk.start], chunk.bounds[row - chunk.start + 1]
        slice_persons = persons[chunk.j[lo:hi]]
        out = []
        for person, k in best.items():
            candidate = _Candidate(person, k, float(totals[k]))
            mask = slice_persons == person
            for comparison in CONFLICTING:
                weights = chunk.conflict_weights[comparison]
                worst = min(float(weights[lo:hi][mask].min()), 0.0)
                if worst < min(float(weights[chunk.kept[k]]), CONFLICT_BELOW):
                    candidate.conflicts[comparison] = worst
            if candidate.conflicts:
                candidate.score = sum(self._weights(index, chunk, candidate).values())
            if candidate.score >= chunk.low:
                out.append(candidate)
        return out

    def _weights(self, index: LinkIndex, chunk: _Chunk, candidate: _Candidate) -> dict[str, float]:
        """The weights of a candidate's best pair, in the order score_pair gives them, conflicts applied."""
        pairs, k = chunk.pairs, candidate.pair
        key_i = int(pairs.i[k])
        out: dict[str, float] = {}
        for column, level in enumerate(pairs.levels[k].tolist()):
            comparison = COMPARISONS[column][0]
            kind = FREQUENCY_KEYS.get(NAME_LEVELS[level]) if column < len(NAME_PARTS) else None
            if kind is not None:  # the exact weight table also holds bare names by their bare frequency
                code = getattr(index.table.parts[comparison], kind)[key_i]
                weight = float(self.scorer.frequency_weights[(comparison, NAME_LEVELS[level])][code])
            elif column == RESIDENCE and level in (R_OFFICE, R_EXACT):
                name = "office" if level == R_OFFICE else "exact"
                weight = float(self.scorer.placed[name][index.table.ints["place"][key_i]])
            else:
                weight = float(self.scorer.tables[column][level])
            out[comparison] = candidate.conflicts.get(comparison, weight)
        if pairs.pair[k] != 0.0:
            out["pair"] = float(pairs.pair[k])
        return out

    def _evidence(self, index: LinkIndex, chunk: _Chunk, mention: Mention, candidate: _Candidate) -> Evidence:
        """The evidence of a candidate person, as a reviewer sees it."""
        s = self.settings
        pairs, k = chunk.pairs, candidate.pair
        other = index.mentions[int(pairs.j[k])]
        ev = Evidence(mention.id, other.id)
        codes = pairs.levels[k].tolist()
        ev.levels = {name: names[code] for (name, names), code in zip(COMPARISONS, codes, strict=True)}
        ev.weights = self._weights(index, chunk, candidate)
        weight, notes = pair_evidence(mention, other, bonus=s.pair_bonus, penalty=s.pair_penalty)
        if notes:
            ev.weights["pair"] = weight
            ev.notes.extend(notes)
        person_id = index.person_ids[candidate.person]
        ev.notes.extend(f"{c} conflicts with another mention of {person_id}" for c in candidate.conflicts)
        return ev

    def _decide(
        self, index: LinkIndex, chunk: _Chunk, mention: Mention, candidates: list[_Candidate]
    ) -> Decision:
        s = self.settings
        candidates.sort(key=lambda c: (-c.score, index.person_ids[c.person]))
        auto, suggest = s.thresholds(len(index.persons))
        candidates, violations = self._checked(index, mention, candidates, suggest)
        allowed = [c for c, v in zip(candidates, violations, strict=True) if v is None]

        built: dict[int, Suggestion] = {}

        def suggestion(candidate: _Candidate, violation: str | None = None) -> Suggestion:
            found = built.get(candidate.person)
            if found is None:
                evidence = self._evidence(index, chunk, mention, candidate)
                evidence.violation = violation
                evidence.thresholds = (auto, suggest)
                found = built[candidate.person] = Suggestion(index.person_ids[candidate.person], evidence)
            return found

        rejected = [
            suggestion(c, v)
            for c, v in zip(candidates, violations, strict=True)
            if v is not None and c.score >= suggest
        ]
        top = suggestion(allowed[0]) if allowed else None
        runner_up = allowed[1].score if len(allowed) > 1 else float("-inf")
        merges = self._merges(index, mention, allowed, suggestion, auto)
        if (
            top is not None
            and top.score >= auto
            and runner_up <= top.score - s.margin
            and (not s.require_corroboration or corroborated(top.evidence))
            and (not s.require_beyond_names or beyond_names(top.evidence))
            and not self._vetoed(top.evidence, len(index.persons))
        ):
            return Decision(mention.id, top.person_id, "auto", top.evidence, rejected=rejected, merges=merges)
        suggestions = [suggestion(c) for c in allowed if c.score >= suggest][: s.max_suggestions]
        return Decision(mention.id, index.new_person_id(), "new", None, suggestions, rejected, merges)

    @staticmethod
    def _checked(
        index: LinkIndex, mention: Mention, candidates: list[_Candidate], suggest: float
    ) -> tuple[list[_Candidate], list[str | None]]:
        """The candidates (best first) whose hard constraints can change the decision, with the violation
        of each: every one scoring ``suggest`` or more (suggestions, rejected ones), then the others until
        two are allowed (the top and the runner-up); the rest cannot matter and are left unchecked."""
        checked: list[_Candidate] = []
        violations: list[str | None] = []
        allowed = 0
        for candidate in candidates:
            if candidate.score < suggest and allowed >= 2:
                break
            found = person_violation(mention, index.persons[index.person_ids[candidate.person]])
            checked.append(candidate)
            violations.append(found)
            allowed += found is None
        return checked, violations

    def _vetoed(self, evidence: Evidence, persons: int) -> bool:
        """A real disagreement in an index large enough for namesakes to be common (``veto_below``)."""
        s = self.settings
        if s.veto_below is None or persons <= s.scale_persons:
            return False
        return min(evidence.weights.values(), default=0.0) < s.veto_below

    def _merges(
        self,
        index: LinkIndex,
        mention: Mention,
        allowed: list[_Candidate],
        suggestion: Callable[[_Candidate], Suggestion],
        auto: float,
    ) -> list[MergeSuggestion]:
        """A merge suggestion when the mention matches its two best persons at the automatic threshold
        and nothing forbids those two being one person (new suggestions only, once per pair)."""
        if len(allowed) < 2 or allowed[1].score < auto:
            return []
        first, second = (index.person_ids[c.person] for c in allowed[:2])
        if any(person_violation(m, index.persons[first]) for m in index.persons[second]):
            return []
        evidence = (suggestion(allowed[0]).evidence, suggestion(allowed[1]).evidence)
        merge = MergeSuggestion((first, second), mention.id, evidence)
        return [merge] if index.suggest_merge(merge) else []


def link_all(
    mentions: Iterable[Mention], settings: LinkSettings | None = None
) -> tuple[LinkIndex, list[Decision]]:
    """Link ``mentions`` from scratch: the index of persons and one decision per mention."""
    linker = Linker(settings)
    index = linker.new_index()
    return index, linker.link(mentions, index)
