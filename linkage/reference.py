"""The per-mention linker, kept as the reference the batch path of :class:`~linkage.linker.Linker` must match.

One mention at a time: candidates from string block keys, every candidate pair scored in Python, each
candidate person judged by its best mention with the conflicting comparisons of
:data:`~linkage.linker.CONFLICTING` taken from its worst. Slow (about 0.5 ms a mention); tests compare the
batch decisions with these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from linkage.blocking import blocking_keys
from linkage.comparisons import Evidence, NameFrequencies, score_pairs
from linkage.constraints import pair_evidence, person_violation
from linkage.linker import CONFLICT_BELOW, CONFLICTING, Decision, LinkSettings, Suggestion, corroborated
from linkage.mention import Mention

__all__ = ["ReferenceLinker"]


class ReferenceLinker:
    """``ReferenceLinker(settings).link(mentions)`` → decisions; ``.clusters()`` → persons as id sets."""

    def __init__(self, settings: LinkSettings | None = None) -> None:
        self.settings = settings or LinkSettings()
        self.rules = self.settings.rules()
        self.persons: dict[str, list[Mention]] = {}
        self.person_of: dict[str, str] = {}
        self.blocks: dict[str, list[Mention]] = defaultdict(list)
        self.frequencies = NameFrequencies()
        self._next = 0

    def clusters(self) -> list[frozenset[str]]:
        return [frozenset(m.id for m in ms) for ms in self.persons.values()]

    def _add(self, mention: Mention, person_id: str) -> None:
        self.persons.setdefault(person_id, []).append(mention)
        self.person_of[mention.id] = person_id
        for key in blocking_keys(mention, self.rules):
            self.blocks[key].append(mention)

    def _candidates(self, mention: Mention) -> list[Mention]:
        seen: dict[str, Mention] = {}
        for key in blocking_keys(mention, self.rules):
            for other in self.blocks.get(key, ()):
                seen.setdefault(other.id, other)
        return list(seen.values())

    def score_person_candidates(self, mention: Mention) -> list[Suggestion]:
        """Every candidate person with its best evidence (hard violations recorded), best first."""
        s = self.settings
        others = self._candidates(mention)
        evidences = score_pairs(
            [(mention, o) for o in others],
            frequencies=self.frequencies,
            levels=s.levels,
            threshold=s.fuzzy_threshold,
        )
        best: dict[str, Evidence] = {}
        worst: dict[tuple[str, str], float] = {}
        for other, ev in zip(others, evidences, strict=True):
            pid = self.person_of[other.id]
            for comparison in CONFLICTING:
                worst[(pid, comparison)] = min(worst.get((pid, comparison), 0.0), ev.weights[comparison])
            weight, notes = pair_evidence(mention, other, bonus=s.pair_bonus, penalty=s.pair_penalty)
            if notes:
                ev.weights["pair"] = weight
                ev.notes.extend(notes)
            if pid not in best or ev.total > best[pid].total:
                best[pid] = ev
        out = []
        for pid, ev in best.items():
            for comparison in CONFLICTING:
                conflict = worst[(pid, comparison)]
                if conflict < min(ev.weights[comparison], CONFLICT_BELOW):
                    ev.weights[comparison] = conflict
                    ev.notes.append(f"{comparison} conflicts with another mention of {pid}")
            ev.violation = person_violation(mention, self.persons[pid])
            out.append(Suggestion(pid, ev))
        out.sort(key=lambda sg: (-sg.score, sg.person_id))
        return out

    def link(self, new_mentions: Iterable[Mention]) -> list[Decision]:
        s = self.settings
        mentions = list(new_mentions)
        self.frequencies.add(mentions)
        decisions: list[Decision] = []
        for mention in mentions:
            auto, suggest = s.thresholds(len(self.persons))
            scored = self.score_person_candidates(mention)
            allowed = [sg for sg in scored if sg.evidence.violation is None]
            rejected = [sg for sg in scored if sg.evidence.violation is not None and sg.score >= suggest]
            top = allowed[0] if allowed else None
            runner_up = allowed[1].score if len(allowed) > 1 else float("-inf")
            if (
                top is not None
                and top.score >= auto
                and runner_up <= top.score - s.margin
                and (not s.require_corroboration or corroborated(top.evidence))
            ):
                decision = Decision(mention.id, top.person_id, "auto", top.evidence, rejected=rejected)
            else:
                suggestions = [sg for sg in allowed if sg.score >= suggest][: s.max_suggestions]
                self._next += 1
                decision = Decision(mention.id, f"L{self._next:07d}", "new", None, suggestions, rejected)
            self._add(mention, decision.person_id)
            decisions.append(decision)
        return decisions
