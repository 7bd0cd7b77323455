"""Benchmark: person linking of OCR-damaged mentions, sohoa against Splink, scored against the true persons.

    .venv/bin/python benchmarks/link_bench.py --mentions 100000 --seed 4401 [--contenders sohoa,splink] [--json]
    .venv/bin/python benchmarks/link_bench.py --mentions 1000000 --incremental 10000 --contenders sohoa --json

1. A Cao Bằng population from ``samples.population`` (one simulation of as many communes as the size needs,
   so people move, marry and die across communes) gives every record of every book type and era.
2. Records are taken in registration order; ``samples.ocr_noise`` damages their names and dates the way
   handwriting OCR does; ``linkage.mentions_from_record`` turns them into mentions (normalization included)
   until there are ``--mentions`` of them. Every mention keeps the true person behind it.
3. Each contender runs in its own process (so its seconds and peak memory are its own) on the same
   mentions: **sohoa** links them all, in record order, into one ``linkage.LinkIndex`` with the default
   ``Linker`` settings, 100,000 mentions per ``link`` call (books arriving; one call up to 100k);
   **Splink** (DuckDB) dedupes the same normalized fields (see :func:`splink_settings`), trains u by random
   sampling and m by EM, predicts and clusters at a match probability of 0.95.
4. Reported per contender: pairwise precision, recall and F1 of same-person links against the truth, the
   share of mentions sent to review, seconds and CPU-seconds (linking only: data preparation is shared and
   reported apart) and peak resident memory of its process. sohoa's review share is the mentions whose decision asks a
   reviewer; Splink's is the mentions in a pair scored between 0.5 and 0.95 (its review band) whose two
   mentions it did not put in one cluster anyway.

``--incremental N`` (sohoa alone) links ``--mentions`` mentions, then ``N`` more (the next in record
order) in one call into the built index, and reports ``build_seconds``, ``incremental_seconds`` and their
ratio ``incremental_share_of_build`` (precision and recall are then of all the mentions).

Splink is an optional peer (the ``bench`` dependency group); without it the benchmark runs sohoa alone and
says "splink not installed".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkage import Linker, Mention, mentions_from_record
from samples.ocr_noise import OcrNoise
from samples.population import Population, SampleRecord, simulate
from sohoa import config
from sohoa.fields import BOOK_TYPES

CONTENDERS: Final[tuple[str, ...]] = ("sohoa", "splink")
MENTIONS_PER_COMMUNE: Final[float] = 46_000.0  # measured: a scale-1.0 commune, 1950–2025, every book
MAX_COMMUNE_SCALE: Final[float] = 4.0
SPLINK_THRESHOLD: Final[float] = 0.95  # match probability at which Splink's pairs are clustered
SPLINK_REVIEW_FROM: Final[float] = 0.5  # pairs in [0.5, 0.95) go to a reviewer
CHUNK: Final[int] = 100_000  # sohoa: mentions per Linker.link call
SWEEP: Final[tuple[float, ...]] = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)  # Splink thresholds also scored


def say(message: str) -> None:
    """Progress on stderr (stdout is kept for the report)."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# ============================================================================================ data
@dataclass
class Dataset:
    """The mentions every contender links, and the true person behind each."""

    mentions: list[Mention]
    truth: list[str]
    records: int = 0
    communes: int = 0
    damaged_share: float = 0.0  # share of name and date fields the OCR noise changed
    seconds: float = 0.0


def population_for(mentions: int, seed: int) -> Population:
    """A population that should give about ``mentions`` mentions (12% spare)."""
    units = max(mentions * 1.12 / MENTIONS_PER_COMMUNE, 0.04)
    communes = max(1, math.ceil(units / MAX_COMMUNE_SCALE))
    return simulate(seed, communes=communes, scale=units / communes)


def ordered_records(population: Population) -> Iterator[tuple[str, str, str, SampleRecord]]:
    """(record id, book type, era, record) of every record, in registration order."""
    keyed = []
    for b, book_type in enumerate(BOOK_TYPES):
        for era in (e.id for e in config.eras()):
            for i, record in enumerate(population.records(book_type, era)):
                keyed.append((record.registration_date, b, era, i, book_type, record))
    keyed.sort(key=lambda k: k[:4])
    for _day, _b, era, i, book_type, record in keyed:
        yield f"{book_type}/{era}/{record.office}/{i}", book_type, era, record


def _mentions(population: Population, wanted: int, seed: int) -> Dataset:
    noise = OcrNoise(seed)
    data = Dataset([], [])
    fields = damaged = 0
    for rid, book_type, era, record in ordered_records(population):
        if len(data.mentions) >= wanted:
            break
        texts, report = noise.damage(record.fields, rid)
        fields += len(report)
        damaged += sum(bool(d.kinds) for d in report)
        for m in mentions_from_record(book_type, texts, rid, era=era):
            data.mentions.append(m)
            data.truth.append(record.persons[m.role])
        data.records += 1
    del data.mentions[wanted:], data.truth[wanted:]
    data.damaged_share = damaged / fields if fields else 0.0
    return data


def build_dataset(mentions: int, seed: int) -> Dataset:
    """``mentions`` OCR-damaged mentions of a simulated population (more communes if one run is short)."""
    started = time.perf_counter()
    population = population_for(mentions, seed)
    say(f"simulated {len(population.communes)} communes, {len(population.persons):,} persons")
    data = _mentions(population, mentions, seed)
    while len(data.mentions) < mentions:
        say(f"only {len(data.mentions):,} mentions: one more commune")
        population.add_commune(scale=MAX_COMMUNE_SCALE)
        data = _mentions(population, mentions, seed)
    say(f"{len(data.mentions):,} mentions of {data.records:,} damaged records")
    data.communes = len(population.communes)
    data.seconds = time.perf_counter() - started
    return data


# ============================================================================================ scores
def _pairs(counts: Counter[Any]) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def pair_scores(labels: Sequence[int], truth: Sequence[str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of the same-person links of a clustering (``labels[i]``)."""
    predicted = _pairs(Counter(labels))
    true = _pairs(Counter(truth))
    hits = _pairs(Counter(zip(labels, truth, strict=True)))
    precision = hits / predicted if predicted else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def components(size: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """A label per element: the connected components of ``pairs`` (union-find)."""
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(x) for x in range(size)]


# ============================================================================================ contenders
@dataclass
class LinkOutput:
    labels: list[int]  # a person label per mention
    review: int  # mentions sent to a reviewer
    scored: list[tuple[int, int, float]] = field(default_factory=list)  # Splink's pairs (sweep only)
    notes: dict[str, Any] = field(default_factory=dict)


def link_sohoa(
    mentions: list[Mention], seed: int, budget: float | None = None, incremental: int = 0
) -> LinkOutput:
    """Every mention, in record order, into one index, ``CHUNK`` mentions per ``Linker.link`` call (books
    arriving); past ``budget`` seconds it stops after the current call (the mentions linked are reported).

    With ``incremental``, the last ``incremental`` mentions are left out of that build and linked afterwards
    in one call into the built index (a book arriving late): ``notes`` holds both times and their ratio."""
    linker = Linker()
    index = linker.new_index()
    base = mentions[: len(mentions) - incremental]
    started, review, linked = time.perf_counter(), 0, 0
    for start in range(0, len(base), CHUNK):
        chunk = base[start : start + CHUNK]
        review += sum(d.needs_review for d in linker.link(chunk, index))
        linked += len(chunk)
        elapsed = time.perf_counter() - started
        say(f"sohoa: {linked:,} mentions linked in {elapsed:.0f} s")
        if budget is not None and elapsed > budget:
            break
    notes: dict[str, Any] = {}
    if incremental and linked == len(base):
        built = time.perf_counter() - started
        added = time.perf_counter()
        review += sum(d.needs_review for d in linker.link(mentions[len(base) :], index))
        seconds = time.perf_counter() - added
        linked += incremental
        say(f"sohoa: {incremental:,} more mentions linked into {len(base):,} in {seconds:.2f} s")
        notes = {
            "build_mentions": len(base),
            "build_seconds": round(built, 2),
            "incremental_mentions": incremental,
            "incremental_seconds": round(seconds, 3),
            "incremental_share_of_build": round(seconds / built, 4),
        }
    label_of = {pid: i for i, pid in enumerate(index.persons)}
    labels = [label_of[index.person_of[m.id]] for m in mentions[:linked]]
    return LinkOutput(labels, review, notes=notes)


def _text(value: str) -> str | None:
    return value or None


def splink_table(mentions: Sequence[Mention]) -> dict[str, list[Any]]:
    """The fields sohoa links on, normalized the same way, as columns for Splink."""
    rows = [
        {
            "unique_id": i,
            "given_name": _text(m.given.key),
            "given_ascii": _text(m.given.ascii),
            "middle_name": _text(m.middle.key),
            "middle_ascii": _text(m.middle.ascii),
            "family_name": _text(m.family.key),
            "family_ascii": _text(m.family.ascii),
            "middle_given_loose": _text(f"{m.middle.loose} {m.given.loose}".strip()),
            "birth_date": None
            if m.birth_date is None or m.birth_date.day is None
            else m.birth_date.isoformat(),
            "birth_year": None if m.birth_date is None else m.birth_date.year,
            "birth_decade": None if m.birth_date is None else str(m.birth_date.year // 10),
            "sex": m.sex,
            "ethnicity": m.ethnicity,
            "residence": m.residence,
            "spouse_given_ascii": None if m.spouse is None else _text(m.spouse[1].ascii),
        }
        for i, m in enumerate(mentions)
    ]
    return {column: [row[column] for row in rows] for column in rows[0]}


def _name_comparison(part: str) -> Any:
    """Null, exact (term-frequency adjusted), exact without diacritics, Jaro-Winkler 0.92 and 0.8, else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    key, bare = f"{part}_name", f"{part}_ascii"
    return cl.CustomComparison(
        output_column_name=part,
        comparison_levels=[
            cll.NullLevel(key),
            cll.ExactMatchLevel(key, term_frequency_adjustments=True),
            cll.ExactMatchLevel(bare).configure(label_for_charts="same without diacritics"),
            cll.JaroWinklerLevel(bare, 0.92),
            cll.JaroWinklerLevel(bare, 0.8),
            cll.ElseLevel(),
        ],
    )


def _birth_comparison() -> Any:
    """Null, same day, one character apart (an OCR digit), same year, years one apart, else (the shape of
    Splink's ``DateOfBirthComparison``, for dates known to the day or only to the year)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.CustomLevel("birth_date_l = birth_date_r", "same day"),
            cll.CustomLevel("levenshtein(birth_date_l, birth_date_r) <= 1", "date one digit apart"),
            cll.CustomLevel("birth_year_l = birth_year_r", "same year"),
            cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 1", "years one apart"),
            cll.ElseLevel(),
        ],
    )


def splink_settings() -> Any:
    """Name parts compared separately, birth date, sex, ethnicity, residence and the spouse's given name;
    predictions blocked on the same union of rules as sohoa's defaults."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            _name_comparison("given"),
            _name_comparison("middle"),
            _name_comparison("family"),
            _birth_comparison(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("ethnicity").configure(term_frequency_adjustments=True),
            cl.ExactMatch("residence").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("spouse_given_ascii", [0.92]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_ascii", "birth_year"),
            block_on("given_ascii", "family_ascii", "birth_decade"),
            block_on("birth_date", "sex"),
            block_on("middle_given_loose", "residence"),
            block_on("given_ascii", "family_ascii", "spouse_given_ascii"),
        ],
        retain_matching_columns=False,
    )


def _train_splink(linker: Any, seed: int) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("family_name", "middle_name", "given_name", "birth_year")], recall=0.5
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    # each session trains the comparisons its blocking rule leaves free: names, then the birth date
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_ascii", "family_ascii", "birth_decade")
    )


def link_splink(
    mentions: list[Mention], seed: int, budget: float | None = None, incremental: int = 0
) -> LinkOutput:
    """Splink with DuckDB: train (u by random sampling, m by EM), predict, cluster at the threshold."""
    from splink import DuckDBAPI
    from splink import Linker as SplinkLinker

    db_api = DuckDBAPI()
    table = db_api.register(splink_table(mentions))
    linker = SplinkLinker(table, splink_settings(), log_level=logging.WARNING)
    _train_splink(linker, seed)
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_REVIEW_FROM)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, SPLINK_THRESHOLD)
    cluster_of = dict(clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall())
    label_of = {c: i for i, c in enumerate(dict.fromkeys(cluster_of.values()))}
    labels = [label_of[cluster_of[i]] for i in range(len(mentions))]
    scored = (
        predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r, match_probability").fetchall()
    )
    undecided = [(a, b) for a, b, p in scored if p < SPLINK_THRESHOLD and cluster_of[a] != cluster_of[b]]
    band = {x for pair in undecided for x in pair}
    settings = getattr(linker, "_settings_obj", None)
    notes = {"lambda": getattr(settings, "_probability_two_random_records_match", None)}
    return LinkOutput(labels, len(band), [(int(a), int(b), float(p)) for a, b, p in scored], notes)


LINKERS = {"sohoa": link_sohoa, "splink": link_splink}


# ============================================================================================ processes
def worker(
    contender: str, data_path: Path, out_path: Path, seed: int, budget: float | None, incremental: int = 0
) -> None:
    """Run one contender on the pickled mentions and write its result (JSON) to ``out_path``."""
    with data_path.open("rb") as f:
        mentions: list[Mention] = pickle.load(f)
    started, cpu = time.perf_counter(), time.process_time()
    output = LINKERS[contender](mentions, seed, budget, incremental)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    sweep = {
        str(t): components(len(mentions), [(a, b) for a, b, p in output.scored if p >= t]) for t in SWEEP
    }
    result = {
        "labels": output.labels,
        "review": output.review,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sweep": sweep if output.scored else {},
        "notes": output.notes,
    }
    out_path.write_text(json.dumps(result), encoding="utf-8")


def run_contender(
    contender: str,
    data_path: Path,
    seed: int,
    workdir: Path,
    budget: float | None = None,
    incremental: int = 0,
) -> dict[str, Any]:
    """The raw result of one contender, run in a fresh Python process."""
    out_path, log_path = workdir / f"{contender}.json", workdir / f"{contender}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", contender]
    command += ["--data", str(data_path), "--out", str(out_path), "--seed", str(seed)]
    command += [] if budget is None else ["--budget", str(budget)]
    command += ["--incremental", str(incremental)] if incremental else []
    with log_path.open("w", encoding="utf-8") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8")[-3000:]
        raise RuntimeError(f"{contender} failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
    return result


def summarize(raw: dict[str, Any], truth: Sequence[str]) -> dict[str, Any]:
    """The reported figures of one contender."""
    linked = len(raw["labels"])
    precision, recall, f1 = pair_scores(raw["labels"], truth[:linked])
    out: dict[str, Any] = {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "review_share": round(raw["review"] / linked, 5),
        "seconds": round(raw["seconds"], 2),
        "cpu_seconds": round(raw.get("cpu_seconds", 0.0), 1),
        "peak_rss_mb": round(raw["peak_rss_mb"], 1),
    }
    if linked < len(truth):
        out["linked"] = linked  # stopped at the time budget: figures of the mentions linked
    if raw["sweep"]:
        out["threshold"] = SPLINK_THRESHOLD
        out["review_band"] = [SPLINK_REVIEW_FROM, SPLINK_THRESHOLD]
        out["sweep"] = {
            t: [round(x, 5) for x in pair_scores(labels, truth)] for t, labels in raw["sweep"].items()
        }
    out.update(raw["notes"])
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln
        ]
        cpu = models[0] if models else ""
    pages = os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(pages * os.sysconf("SC_PAGE_SIZE") / 2**30, 1) if pages else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def available(contenders: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The contenders that can run, and why the others cannot."""
    runnable, skipped = [], {}
    for c in contenders:
        if c == "splink" and importlib.util.find_spec("splink") is None:
            skipped[c] = "splink not installed"
        else:
            runnable.append(c)
    return runnable, skipped


def benchmark(
    mentions: int, seed: int, contenders: Sequence[str], budget: float | None = None, incremental: int = 0
) -> dict[str, Any]:
    runnable, skipped = available(contenders)
    for reason in skipped.values():
        sys.stderr.write(reason + "\n")
    data = build_dataset(mentions + incremental, seed)
    report: dict[str, Any] = {"mentions": len(data.mentions), "seed": seed, "machine": machine()}
    report["data"] = {
        "records": data.records,
        "communes": data.communes,
        "persons": len(set(data.truth)),
        "damaged_field_share": round(data.damaged_share, 4),
        "prepare_seconds": round(data.seconds, 1),
    }
    report["contenders"] = {}
    with tempfile.TemporaryDirectory(prefix="sohoa-link-bench-") as tmp:
        data_path = Path(tmp) / "mentions.pkl"
        with data_path.open("wb") as f:
            pickle.dump(data.mentions, f, protocol=pickle.HIGHEST_PROTOCOL)
        truth = data.truth
        del data
        for contender in runnable:
            say(f"linking with {contender}")
            raw = run_contender(contender, data_path, seed, Path(tmp), budget, incremental)
            report["contenders"][contender] = summarize(raw, truth)
    if skipped:
        report["skipped"] = skipped
    return report


# ============================================================================================ output
def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    data = report["data"]
    table = Table(
        title=f"Linking {report['mentions']:,} OCR-damaged mentions (seed {report['seed']}; "
        f"{data['records']:,} records, {data['persons']:,} true persons, "
        f"{data['damaged_field_share']:.0%} of name/date fields damaged)"
    )
    for column in ("contender", "precision", "recall", "F1", "review share", "seconds", "CPU s", "peak MB"):
        table.add_column(column, justify="left" if column == "contender" else "right")
    for name, c in report["contenders"].items():
        table.add_row(
            name,
            f"{c['precision']:.4f}",
            f"{c['recall']:.4f}",
            f"{c['f1']:.4f}",
            f"{c['review_share']:.2%}",
            f"{c['seconds']:.1f}",
            f"{c['cpu_seconds']:.1f}",
            f"{c['peak_rss_mb']:.0f}",
        )
    console = Console()
    console.print(table)
    for name, c in report["contenders"].items():
        for t, (p, r, f1) in c.get("sweep", {}).items():
            console.print(f"  {name} clustered at {t}: precision {p:.4f} recall {r:.4f} F1 {f1:.4f}")
    for name, c in report["contenders"].items():
        if "incremental_seconds" in c:
            console.print(
                f"  {name}: {c['incremental_mentions']:,} more mentions into {c['build_mentions']:,} in "
                f"{c['incremental_seconds']:.2f} s, {c['incremental_share_of_build']:.2%} of the build "
                f"({c['build_seconds']:.1f} s)"
            )
    for name, reason in report.get("skipped", {}).items():
        console.print(f"  {name}: {reason}")
    console.print(
        f"  data prepared in {data['prepare_seconds']:.0f} s; load {report['machine']['load_average']}"
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=10_000, help="mentions to link (default 10000)")
    parser.add_argument("--seed", type=int, default=4401)
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated: sohoa,splink")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--budget", type=float, default=None, help="sohoa: stop after the call that passes this many seconds"
    )
    parser.add_argument(
        "--incremental",
        type=int,
        default=0,
        help="sohoa alone: link --mentions, then this many more into the built index, and time both",
    )
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [c for c in args.contenders.split(",") if c.strip() and c.strip() not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose among {', '.join(CONTENDERS)}")
    if args.mentions < 2:
        parser.error("--mentions must be at least 2")
    if args.incremental < 0:
        parser.error("--incremental must be 0 or more")
    if args.incremental and not args.worker and args.contenders.strip() != "sohoa":
        parser.error("--incremental times sohoa alone: add --contenders sohoa")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        worker(args.worker, args.data, args.out, args.seed, args.budget, args.incremental)
        return 0
    contenders = list(dict.fromkeys(c.strip() for c in args.contenders.split(",") if c.strip()))
    report = benchmark(args.mentions, args.seed, contenders, args.budget, args.incremental)
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
