"""Incremental linking of mentions to persons, with thresholds and the evidence of every decision.

``Linker(settings).link(new_mentions, index)`` links each new mention against everyone already in the
``index`` (and the new mentions before it): candidates come from the blocking rules, each candidate person
is scored by its best-matching mention (field weights from :mod:`linkage.comparisons` plus the pair
evidence of :mod:`linkage.constraints`), persons a hard constraint forbids are set aside, and

- the best person scoring ``auto_threshold`` or more, ahead of the next by ``margin``, gets the mention;
- otherwise the mention starts a new person, and the persons scoring ``suggest_threshold`` or more are
  returned as suggestions for a reviewer, each with its :class:`~linkage.comparisons.Evidence`.

Nothing is rebuilt: books of any era can arrive in any order. The settings are one pydantic object, saved
as JSON beside every run (:meth:`LinkSettings.save`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from linkage.blocking import DEFAULT_RULES, BlockingRule, block_on, blocking_keys
from linkage.comparisons import DEFAULT_LEVELS, Evidence, NameFrequencies, score_pairs
from linkage.constraints import pair_evidence, person_violation
from linkage.mention import Mention

# A person is scored by its best-matching mention, except that these comparisons take the most conflicting
# mention's weight: one mention agreeing cannot hide another disagreeing (no chaining through a namesake).
CONFLICTING: Final[tuple[str, ...]] = ("given", "birth_date")

__all__ = ["CONFLICTING", "Decision", "LinkIndex", "LinkSettings", "Linker", "Suggestion", "corroborated"]


def _default_levels() -> dict[str, dict[str, tuple[float, float]]]:
    return {c: dict(levels) for c, levels in DEFAULT_LEVELS.items()}


class LinkSettings(BaseModel):
    """Everything that decides a linking run (saved as JSON with the run)."""

    model_config = ConfigDict(extra="forbid")

    auto_threshold: float = Field(default=18.0, description="score (bits) at or above which a link is made")
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

    def rules(self) -> list[BlockingRule]:
        return [block_on(*fields) for fields in self.blocking_rules]

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinkSettings:
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))


def corroborated(evidence: Evidence) -> bool:
    """False for names agreeing with only a birth year and nothing else to place the person.

    A birth's mother or father is known by name and birth year only; against a child of the same name born
    that year, with no residence to compare and no spouse named on both sides, namesakes are too common
    for an automatic link: the pair goes to review.
    """
    levels = evidence.levels
    if evidence.weights.get("pair", 0.0) > 0:
        return True
    return not (levels.get("birth_date") == "year" and levels.get("residence") == "null")


@dataclass(slots=True)
class Suggestion:
    person_id: str
    evidence: Evidence

    @property
    def score(self) -> float:
        return self.evidence.total


@dataclass(slots=True)
class Decision:
    """What happened to one mention: linked automatically to a person, or a new person (maybe to review)."""

    mention_id: str
    person_id: str
    action: Literal["auto", "new"]
    evidence: Evidence | None = None  # the best evidence for the person chosen (auto)
    suggestions: list[Suggestion] = field(default_factory=list)  # persons a reviewer should consider
    rejected: list[Suggestion] = field(default_factory=list)  # high scores a hard constraint forbade

    @property
    def needs_review(self) -> bool:
        return bool(self.suggestions)


class LinkIndex:
    """Everything linked so far, in memory: persons with their mentions, blocks and name frequencies."""

    def __init__(self, rules: Sequence[BlockingRule] = DEFAULT_RULES) -> None:
        self.rules = list(rules)
        self.persons: dict[str, list[Mention]] = {}
        self.person_of: dict[str, str] = {}
        self.blocks: dict[str, list[Mention]] = defaultdict(list)
        self.frequencies = NameFrequencies()
        self._next = 0

    def new_person_id(self) -> str:
        self._next += 1
        return f"L{self._next:07d}"

    def add(self, mention: Mention, person_id: str) -> None:
        if mention.id in self.person_of:
            raise ValueError(f"mention {mention.id} is already linked to {self.person_of[mention.id]}")
        self.persons.setdefault(person_id, []).append(mention)
        self.person_of[mention.id] = person_id
        for key in blocking_keys(mention, self.rules):
            self.blocks[key].append(mention)

    def candidates(self, mention: Mention) -> list[Mention]:
        seen: dict[str, Mention] = {}
        for key in blocking_keys(mention, self.rules):
            for other in self.blocks.get(key, ()):
                seen.setdefault(other.id, other)
        return list(seen.values())

    def clusters(self) -> list[frozenset[str]]:
        """The persons as sets of mention ids."""
        return [frozenset(m.id for m in ms) for ms in self.persons.values()]


class Linker:
    def __init__(self, settings: LinkSettings | None = None) -> None:
        self.settings = settings or LinkSettings()
        self.rules = self.settings.rules()

    def new_index(self) -> LinkIndex:
        return LinkIndex(self.rules)

    def score_person_candidates(self, mention: Mention, index: LinkIndex) -> list[Suggestion]:
        """Every candidate person with its best evidence (hard violations recorded, not removed), best first."""
        s = self.settings
        others = [o for o in index.candidates(mention) if o.id != mention.id]
        evidences = score_pairs(
            [(mention, o) for o in others],
            frequencies=index.frequencies,
            levels=s.levels,
            threshold=s.fuzzy_threshold,
        )
        best: dict[str, Evidence] = {}
        worst: dict[tuple[str, str], float] = {}  # (person, comparison) -> most conflicting weight
        for other, ev in zip(others, evidences, strict=True):
            for comparison in CONFLICTING:
                key = (index.person_of[other.id], comparison)
                worst[key] = min(worst.get(key, 0.0), ev.weights[comparison])
            weight, notes = pair_evidence(mention, other, bonus=s.pair_bonus, penalty=s.pair_penalty)
            if notes:
                ev.weights["pair"] = weight
                ev.notes.extend(notes)
            pid = index.person_of[other.id]
            if pid not in best or ev.total > best[pid].total:
                best[pid] = ev
        out = []
        for pid, ev in best.items():
            for comparison in CONFLICTING:
                conflict = worst[(pid, comparison)]
                if conflict < min(ev.weights[comparison], 0.0):
                    ev.weights[comparison] = conflict
                    ev.notes.append(f"{comparison} conflicts with another mention of {pid}")
            ev.violation = person_violation(mention, index.persons[pid])
            out.append(Suggestion(pid, ev))
        out.sort(key=lambda sg: (-sg.score, sg.person_id))
        return out

    def link(self, new_mentions: Iterable[Mention], index: LinkIndex) -> list[Decision]:
        """Link ``new_mentions`` (in order) into ``index``; returns one decision per mention."""
        s = self.settings
        mentions = list(new_mentions)
        index.frequencies.add(mentions)
        decisions: list[Decision] = []
        for mention in mentions:
            scored = self.score_person_candidates(mention, index)
            allowed = [sg for sg in scored if sg.evidence.violation is None]
            rejected = [
                sg for sg in scored if sg.evidence.violation is not None and sg.score >= s.suggest_threshold
            ]
            top = allowed[0] if allowed else None
            runner_up = allowed[1].score if len(allowed) > 1 else float("-inf")
            if (
                top is not None
                and top.score >= s.auto_threshold
                and runner_up <= top.score - s.margin
                and (not s.require_corroboration or corroborated(top.evidence))
            ):
                decision = Decision(mention.id, top.person_id, "auto", top.evidence, rejected=rejected)
            else:
                suggestions = [sg for sg in allowed if sg.score >= s.suggest_threshold][: s.max_suggestions]
                decision = Decision(mention.id, index.new_person_id(), "new", None, suggestions, rejected)
            index.add(mention, decision.person_id)
            decisions.append(decision)
        return decisions
