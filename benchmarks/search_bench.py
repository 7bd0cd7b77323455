"""Benchmark: person search (the reviewers' ``/persons`` page) against the way it worked before migration 0002.

    .venv/bin/python benchmarks/search_bench.py [--records 300000] [--db sqlite|postgres|both]
        [--queries 20] [--json]

Each database is built as ``report_bench.py`` builds it (offices, one book per commune × era × book group,
N records), then each record gets three mentions (child, mother, father) with names drawn from
``samples/data`` and a person each, every fifth mention sharing the person of an earlier one. Then three
kinds of query, ``--queries`` of each, drawn from the mentions: a full name as written, the same without
diacritics, and a family name with the start of a given name (``nong h``). Each runs for two scopes: one
commune (a reviewer) and every office (an administrator), with

* **sohoa**: :func:`loaders.person_search.search_persons` (the database filters on ``name_key`` first);
* **scan**: the search before migration 0002, kept here as the peer: every mention in scope read in person
  order and matched in Python.

Reported per database, scope and contender: the mean and the worst milliseconds per query, and whether
both found the same persons for every query.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report_bench import PG_ADMIN_URL, _analyze, _prepare, fresh_postgres
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from loaders.db import make_engine, session_scope
from loaders.models import Book, PersonMention, Record, name_key
from loaders.person_search import MAX_HITS, _hit, _keys, _matches, search_persons
from normalize.text import ascii_key

DATA = Path(__file__).resolve().parent.parent / "samples" / "data"
ROLES = ("child", "mother", "father")
CHUNK = 30_000


# --------------------------------------------------------------------------- names and mentions
def _names(rng: random.Random) -> Callable[[], str]:
    families = [line.split("\t")[1] for line in _lines("family_names.tsv")]
    givens = [n.strip() for line in _lines("given_names.tsv") for n in line.split("\t")[3].split(",")]
    middles = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Xuân", "Thanh", "Quang", "Hữu", "Gia"]
    return lambda: f"{rng.choice(families)} {rng.choice(middles)} {rng.choice(givens)}"


def _lines(name: str) -> list[str]:
    text_ = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text_.splitlines() if line.strip() and not line.startswith("#")]


def _add_mentions(url: str, seed: int) -> int:
    """Three mentions per record, each with a person (a fifth of them an earlier mention's person)."""
    rng = random.Random(seed)
    name = _names(rng)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            record_ids = [int(r) for r in conn.execute(text("SELECT id FROM records ORDER BY id")).scalars()]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            person_id = mention_id = 0
            written: list[tuple[int, str]] = []  # (person id, name) of earlier mentions
            for start in range(0, len(record_ids), CHUNK // 3):
                chunk = record_ids[start : start + CHUNK // 3]
                persons, mentions = [], []
                for record_id in chunk:
                    for role in ROLES:
                        if written and rng.random() < 0.2:
                            pid, full = rng.choice(written)
                        else:
                            person_id += 1
                            pid, full = person_id, name()
                            persons.append((pid, full))
                        mention_id += 1
                        written.append((pid, full))
                        mentions.append((mention_id, record_id, role, full, name_key(full), 1980, "{}", pid))
                cursor.executemany(
                    "INSERT INTO persons (id, display_name, created_at) VALUES (%s, %s, CURRENT_TIMESTAMP)"
                    if engine.dialect.name == "postgresql"
                    else "INSERT INTO persons (id, display_name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)",
                    persons,
                )
                marks = ", ".join(["%s" if engine.dialect.name == "postgresql" else "?"] * 8)
                cursor.executemany(
                    "INSERT INTO person_mentions (id, record_id, role, full_name, name_key, birth_year, attrs,"
                    f" person_id) VALUES ({marks})",
                    mentions,
                )
            raw.commit()
        finally:
            raw.close()
        _analyze(engine)
        return mention_id
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the peer
def scan_search(session: Session, offices: Collection[str] | None, query: str) -> list[int]:
    """Person search before migration 0002: every mention in scope read, in person order, and matched."""
    plain = ascii_key(query) == " ".join(query.lower().split())
    words = _keys(query, plain)
    rows = (
        select(
            PersonMention.person_id,
            PersonMention.full_name,
            PersonMention.record_id,
            PersonMention.role,
            PersonMention.birth_year,
            PersonMention.sex,
        )
        .join(Record, Record.id == PersonMention.record_id)
        .join(Book, Book.id == Record.book_id)
        .where(PersonMention.person_id.is_not(None))
        .order_by(PersonMention.person_id, PersonMention.record_id)
    )
    if offices is not None:
        rows = rows.where(Book.office_code.in_(sorted(offices)))
    found = []
    mentions = session.execute(rows.execution_options(yield_per=5000))
    for person_id, group in itertools.groupby(mentions, key=lambda row: row[0] or 0):
        named = list(group)
        if any(_matches(words, _keys(row[1], plain)) for row in named):
            found.append(_hit(person_id, named))
    found.sort(key=lambda h: (-len(h.records), h.display_name, h.person_id))
    return [h.person_id for h in found[:MAX_HITS]]


def sohoa_search(session: Session, offices: Collection[str] | None, query: str) -> list[int]:
    return [h.person_id for h in search_persons(session, offices, query)]


# --------------------------------------------------------------------------- timing
def _queries(engine: Engine, n: int, seed: int) -> tuple[str, list[str]]:
    """A commune with mentions, and the queries drawn from its mentions."""
    rng = random.Random(seed + 1)
    with engine.connect() as conn:
        office = conn.execute(text("SELECT office_code FROM books ORDER BY id LIMIT 1")).scalar_one()
        names = list(
            conn.execute(
                text(
                    "SELECT m.full_name FROM person_mentions m JOIN records r ON r.id = m.record_id "
                    "JOIN books b ON b.id = r.book_id WHERE b.office_code = :office"
                ),
                {"office": office},
            ).scalars()
        )
    picked = rng.sample(names, min(n, len(names)))
    plain = [ascii_key(q) for q in picked]
    partial = [f"{ascii_key(q).split()[0]} {ascii_key(q).split()[-1][:1]}" for q in picked]
    return office, picked + plain + partial


def _time(engine: Engine, search: Callable[..., list[int]], scope: Any, queries: list[str]) -> dict[str, Any]:
    times, answers = [], []
    for query in queries:
        with session_scope(engine) as session:
            started = time.perf_counter()
            answers.append(search(session, scope, query))
            times.append(1000 * (time.perf_counter() - started))
    return {
        "mean_ms": round(statistics.fmean(times), 1),
        "worst_ms": round(max(times), 1),
        "answers": answers,
    }


def run(url: str, db: str, records: int, queries: int, seed: int) -> dict[str, Any]:
    _prepare(url, records, seed)
    mentions = _add_mentions(url, seed)
    engine = make_engine(url)
    try:
        office, asked = _queries(engine, queries, seed)
        result: dict[str, Any] = {"db": db, "records": records, "mentions": mentions, "queries": len(asked)}
        for scope_name, scope in (("commune", {office}), ("all_offices", None)):
            figures = {
                name: _time(engine, search, scope, asked)
                for name, search in (("sohoa", sohoa_search), ("scan", scan_search))
            }
            same = figures["sohoa"].pop("answers") == figures["scan"].pop("answers")
            speedup = figures["scan"]["mean_ms"] / max(figures["sohoa"]["mean_ms"], 0.01)
            result[scope_name] = {**figures, "same_answers": same, "speedup": round(speedup, 1)}
        result["load_average"] = round(os.getloadavg()[0], 1)
        return result
    finally:
        engine.dispose()


def run_sqlite(records: int, queries: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sohoa-search-bench-") as folder:
        return run(f"sqlite:///{Path(folder) / 'bench.db'}", "sqlite", records, queries, seed)


def run_postgres(records: int, queries: int, seed: int, admin_url: str) -> dict[str, Any]:
    with fresh_postgres(admin_url) as url:
        return run(url, "postgres", records, queries, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--queries", type=int, default=20, help="Queries of each kind (three kinds).")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="One JSON object per database on stdout.")
    args = parser.parse_args(argv)
    results = []
    if args.db in ("sqlite", "both"):
        results.append(run_sqlite(args.records, args.queries, args.seed))
    if args.db in ("postgres", "both"):
        results.append(run_postgres(args.records, args.queries, args.seed, args.pg_admin_url))
    for result in results:
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
            continue
        print(f"{result['db']}: {result['records']:,} records, {result['mentions']:,} mentions")
        for scope in ("commune", "all_offices"):
            r = result[scope]
            print(
                f"  {scope:>11}: sohoa {r['sohoa']['mean_ms']} ms (worst {r['sohoa']['worst_ms']}), "
                f"scan {r['scan']['mean_ms']} ms (worst {r['scan']['worst_ms']}): {r['speedup']}x, "
                f"same answers: {r['same_answers']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
