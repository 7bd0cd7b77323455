"""Person mentions → persons: blocking, comparisons, constraints, thresholds, evidence (issue: linking).

The pure, in-memory core: :func:`mentions_from_record` builds :class:`Mention` objects from raw field
texts; :class:`Linker` links them incrementally into a :class:`LinkIndex` and returns a :class:`Decision`
(with :class:`Evidence`, and any :class:`MergeSuggestion`) per mention. Linking is a batch path: new
mentions become rows of integer codes (:mod:`linkage.features`), are blocked with dict keys and scored
with numpy (:mod:`linkage.batch`), then assigned to persons in order; :func:`link_all` links from scratch.
:class:`linkage.reference.ReferenceLinker` is the slow per-mention linker the batch path must match.
"""

from linkage.blocking import BLOCKING_FIELDS, DEFAULT_RULES, BlockingError, BlockingRule, block_on
from linkage.comparisons import (
    DEFAULT_LEVELS,
    Evidence,
    NameFrequencies,
    compare_birth_date,
    compare_id_number,
    compare_name_part,
    compare_residence,
    locality,
    score_pair,
    score_pairs,
)
from linkage.constraints import pair_evidence, pair_violation, person_violation
from linkage.linker import (
    Decision,
    Linker,
    LinkIndex,
    LinkSettings,
    MergeSuggestion,
    Suggestion,
    corroborated,
    link_all,
)
from linkage.mention import LINKED_ROLES, Mention, NamePart, mentions_from_record

__all__ = [
    "BLOCKING_FIELDS",
    "DEFAULT_LEVELS",
    "DEFAULT_RULES",
    "LINKED_ROLES",
    "BlockingError",
    "BlockingRule",
    "Decision",
    "Evidence",
    "LinkIndex",
    "LinkSettings",
    "Linker",
    "Mention",
    "MergeSuggestion",
    "NameFrequencies",
    "NamePart",
    "Suggestion",
    "block_on",
    "compare_birth_date",
    "compare_id_number",
    "compare_name_part",
    "compare_residence",
    "corroborated",
    "link_all",
    "locality",
    "mentions_from_record",
    "pair_evidence",
    "pair_violation",
    "person_violation",
    "score_pair",
    "score_pairs",
]
