"""Linking a simulated province at scale, measured against the simulator's true person ids.

As a test (fast): the batch linker gives the per-mention reference linker's decisions, and adding books
incrementally to an index gives nearly the persons of one run over everything. As a script, it measures
pairwise precision / recall / F1 of same-person links, the share of mentions sent to review, seconds and
peak memory at any size::

    .venv/bin/python tests/test_linkage_scale.py --mentions 100000 --seed 1 [--incremental 10000]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import pickle
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import Linker, LinkSettings, Mention, NamePart, mentions_from_record
from linkage.batch import (
    BIRTH,
    BIRTH_LEVELS,
    GIVEN,
    NAME_LEVELS,
    RESIDENCE_LEVELS,
    birth_levels,
    candidate_pairs,
    name_levels,
    residence_levels,
)
from linkage.comparisons import compare_birth_date, compare_name_part, compare_residence
from linkage.features import Vocabulary, encode
from linkage.linker import Decision, link_all
from linkage.reference import ReferenceLinker
from normalize import PartialDate
from samples.population import simulate
from sohoa.fields import BOOK_TYPES

log = logging.getLogger("link_scale")
ERAS_NEWEST_FIRST = ("2016+", "2006-2015", "1999-2005", "1976-1999")
MENTIONS_PER_COMMUNE = 45_000  # a scale-1.0 commune, every book type and era
CACHE = Path("/tmp/sohoa-link-cache")
CACHE_VERSION = 2  # raise when Mention changes


def population_mentions(seed: int, communes: int, scale: float) -> tuple[list[Mention], dict[str, str]]:
    """Every mention of every book, in the digitization order (eras newest first, book groups in order)."""
    population = simulate(seed, communes=communes, scale=scale)
    mentions: list[Mention] = []
    truth: dict[str, str] = {}
    for era in ERAS_NEWEST_FIRST:
        for book_type in BOOK_TYPES:
            for n, record in enumerate(population.records(book_type, era)):
                rid = f"{book_type}/{era}/{record.office}/{n}"
                for m in mentions_from_record(
                    book_type,
                    record.fields,
                    rid,
                    era=era,
                    registration_date=record.registration_date,
                    office=record.office,
                ):
                    mentions.append(m)
                    truth[m.id] = record.persons[m.role]
    return mentions, truth


def cached_mentions(mentions: int, seed: int) -> tuple[list[Mention], dict[str, str]]:
    communes = max(1, math.ceil(mentions / MENTIONS_PER_COMMUNE))
    scale = round(mentions / (communes * MENTIONS_PER_COMMUNE), 3)
    path = CACHE / f"mentions-v{CACHE_VERSION}-{seed}-{communes}-{scale}.pickle"
    if path.exists():
        with path.open("rb") as f:
            loaded: tuple[list[Mention], dict[str, str]] = pickle.load(f)
        return loaded
    built = population_mentions(seed, communes, scale)
    CACHE.mkdir(exist_ok=True)
    with path.open("wb") as f:
        pickle.dump(built, f, protocol=pickle.HIGHEST_PROTOCOL)
    return built


def pair_count(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pairwise_scores(clusters: Iterable[Iterable[str]], truth: dict[str, str]) -> dict[str, float]:
    """Precision, recall and F1 of same-person pairs, counted through the cluster × person table."""
    cells: Counter[tuple[int, str]] = Counter()
    sizes: list[int] = []
    for k, cluster in enumerate(clusters):
        members = list(cluster)
        sizes.append(len(members))
        for mid in members:
            cells[(k, truth[mid])] += 1
    hits = pair_count(cells.values())
    predicted = pair_count(sizes)
    true = pair_count(Counter(truth.values()).values())
    precision = hits / predicted if predicted else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def review_share(decisions: Sequence[Decision]) -> float:
    return sum(d.needs_review for d in decisions) / max(len(decisions), 1)


# ------------------------------------------------------------------------------------------ tests
@pytest.fixture(scope="module")
def small() -> tuple[list[Mention], dict[str, str]]:
    return population_mentions(3, communes=1, scale=0.15)


def _summary(decisions: Sequence[Decision]) -> list[tuple[str, str, bool, int]]:
    return [(d.mention_id, d.action, bool(d.suggestions), len(d.rejected)) for d in decisions]


def test_batch_linker_matches_the_reference(small: tuple[list[Mention], dict[str, str]]) -> None:
    mentions, _ = small
    for chosen in (LinkSettings(), LinkSettings(require_corroboration=True, margin=2.0)):
        reference = ReferenceLinker(chosen)
        expected = reference.link(mentions)
        index, decisions = link_all(mentions, chosen)
        assert _summary(decisions) == _summary(expected)
        assert set(index.clusters()) == set(reference.clusters())
        for got, want in zip(decisions, expected, strict=True):
            assert [s.person_id for s in got.suggestions] == [s.person_id for s in want.suggestions]
            if got.evidence is not None and want.evidence is not None:
                assert got.evidence.total == pytest.approx(want.evidence.total)


def test_screening_keeps_every_pair_that_can_reach_the_lowest_score(
    small: tuple[list[Mention], dict[str, str]],
) -> None:
    mentions, _ = small
    linker = Linker()
    index = linker.new_index()
    linker.link(mentions[:2000], index)
    rest = mentions[2000:3500]
    index.frequencies.add(rest)
    start = index.append_rows(rest)
    linker.scorer.prepare(index.vocab, index.frequencies)
    i, j = candidate_pairs(index.table, index.rules, index.blocks, start, len(index))
    full = linker.scorer.score(index.table, index.vocab, i, j)
    for low in (0.0, 8.0, 14.0, 20.0):
        screened = linker.scorer.screen(index.table, index.vocab, i, j, low)
        assert set(np.flatnonzero(full.total >= low).tolist()) <= set(screened.kept.tolist())
        np.testing.assert_allclose(screened.pairs.total, full.total[screened.kept])
        np.testing.assert_array_equal(screened.pairs.levels, full.levels[screened.kept])
        np.testing.assert_allclose(
            screened.conflict["given"], linker.scorer.weights(index.table, full, GIVEN)
        )
        np.testing.assert_allclose(
            screened.conflict["birth_date"], linker.scorer.weights(index.table, full, BIRTH)
        )
        if low >= 20.0:
            assert len(screened.kept) < len(i) / 2  # most candidate pairs are never fully scored


def test_incremental_books_nearly_match_one_run(small: tuple[list[Mention], dict[str, str]]) -> None:
    mentions, truth = small
    once, _ = link_all(mentions)
    linker = Linker()
    index = linker.new_index()
    for start in range(0, len(mentions), 997):
        linker.link(mentions[start : start + 997], index)
    # The name frequencies grow book by book, so a few weights differ from one run over everything.
    incremental, one_run = (pairwise_scores(x.clusters(), truth) for x in (index, once))
    assert incremental["precision"] >= 0.99
    assert abs(incremental["f1"] - one_run["f1"]) <= 0.01


# ------------------------------------------------------------------------------------------ script
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mentions: int, seed: int, incremental: int, settings: LinkSettings) -> dict[str, object]:
    """Link ``mentions`` mentions of a population from scratch (and then ``incremental`` more)."""
    started = time.perf_counter()
    all_mentions, truth = cached_mentions(mentions + incremental, seed)
    log.info("%d mentions ready in %.1f s", len(all_mentions), time.perf_counter() - started)
    base, extra = (
        all_mentions[: len(all_mentions) - incremental],
        all_mentions[len(all_mentions) - incremental :],
    )
    memory_before = _peak_mb()
    linker = Linker(settings)
    index = linker.new_index()
    started, cpu = time.perf_counter(), time.process_time()
    decisions = linker.link(base, index)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    base_truth = {m.id: truth[m.id] for m in base}
    result: dict[str, object] = {
        "seed": seed,
        "mentions": len(base),
        **{k: round(v, 4) for k, v in pairwise_scores(index.clusters(), base_truth).items()},
        "review_share": round(review_share(decisions), 4),
        "merge_suggestions": len(index.merge_suggestions),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "peak_mb": round(_peak_mb(), 0),
        "peak_mb_before_linking": round(memory_before, 0),
    }
    if extra:
        started, cpu_added = time.perf_counter(), time.process_time()
        more = linker.link(extra, index)
        added, cpu_added = time.perf_counter() - started, time.process_time() - cpu_added
        result |= {
            "incremental_mentions": len(extra),
            "incremental_seconds": round(added, 2),
            "incremental_cpu_seconds": round(cpu_added, 2),
            "incremental_share_of_rebuild": round(added / seconds, 4),
            "incremental_cpu_share_of_rebuild": round(cpu_added / cpu, 4),
            "incremental_review_share": round(review_share(more), 4),
            **{f"after_{k}": round(v, 4) for k, v in pairwise_scores(index.clusters(), truth).items()},
        }
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--incremental", type=int, default=0, help="then add this many more mentions")
    parser.add_argument("--settings", type=Path, help="a LinkSettings JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    chosen = LinkSettings.load(args.settings) if args.settings else LinkSettings()
    result = measure(args.mentions, args.seed, args.incremental, chosen)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()


# ------------------------------------------------------------------------------------------ properties
_SYLLABLES = (
    "Hùng",
    "Hưng",
    "Hung",
    "Hòa",
    "Hoà",
    "Hoa",
    "Nguyễn",
    "Nguyen",
    "Ngyễn",
    "Sỹ",
    "Sĩ",
    "Phượng",
    "Phuợng",
    "",
)
_years = st.one_of(st.integers(1975, 1982), st.sampled_from([1935, 1985, 1944, 1994, 1919, 1979, 2005]))
_dates = st.one_of(
    st.none(),
    st.builds(PartialDate, _years),
    st.builds(PartialDate, _years, st.integers(1, 12)),
    st.builds(PartialDate, _years, st.integers(1, 12), st.sampled_from([1, 2, 6, 7, 10, 11, 16, 17, 30])),
)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.sampled_from(_SYLLABLES), min_size=2, max_size=8),
    dates=st.lists(_dates, min_size=2, max_size=8),
    places=st.lists(st.sampled_from([None, "01481", "01482"]), min_size=2, max_size=8),
    offices=st.lists(st.sampled_from([None, "01481", "01482", "048"]), min_size=2, max_size=8),
)
def test_vectorised_levels_equal_the_scalar_comparisons(
    names: list[str], dates: list[PartialDate | None], places: list[str | None], offices: list[str | None]
) -> None:
    n = min(len(names), len(dates), len(places), len(offices))
    mentions = [
        Mention(
            id=str(k),
            record_id=str(k),
            book_type="birth",
            role="child",
            given=NamePart.of(names[k]),
            birth_date=dates[k],
            residence=places[k],
            office=offices[k],
        )
        for k in range(n)
    ]
    vocab = Vocabulary()
    table = encode(mentions, vocab)
    pairs = [(a, b) for a in range(n) for b in range(n)]
    i = np.array([a for a, _ in pairs], dtype=np.int64)
    j = np.array([b for _, b in pairs], dtype=np.int64)
    given_levels = name_levels(table.parts["given"], vocab, i, j, 0.8)
    birth = birth_levels(table, i, j)
    residence = residence_levels(table, i, j)
    for k, (a, b) in enumerate(pairs):
        x, y = mentions[a], mentions[b]
        assert NAME_LEVELS[given_levels[k]] == compare_name_part(x.given, y.given)
        assert BIRTH_LEVELS[birth[k]] == compare_birth_date(x.birth_date, y.birth_date)
        assert RESIDENCE_LEVELS[residence[k]] == compare_residence(x, y)
