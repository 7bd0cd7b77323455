"""Benchmark: the progress report over N records (goal: 1,000,000 records in at most 5 s per database).

    .venv/bin/python benchmarks/report_bench.py [--records 1000000] [--db sqlite|postgres|both] [--json]

Each database is fresh: SQLite in a temporary folder, PostgreSQL a new database on
``postgresql+psycopg://postgres@127.0.0.1:5432`` (``--pg-admin-url``), dropped afterwards. The script
migrates it, syncs the 172 offices of configs/offices.yaml, and bulk-inserts one book per commune × era
× book group, a page per 10 records, N records (20 % staged, 10 % in review, 5 % rejected, 35 % approved,
30 % loaded) and an official record for each approved or loaded one, approved over the past year
(SQLite: executemany; PostgreSQL: COPY). Then it runs ANALYZE (PostgreSQL: VACUUM ANALYZE, as
autovacuum would) and times the whole progress report of the province (every office × era × book group,
4,128 rows) three times: building the figures, and rendering them as CSV.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, make_url, text

from loaders.db import make_engine, session_scope, upgrade
from loaders.models import Book, User
from loaders.registry import sync_offices
from reports.progress import build_progress
from reports.render import to_csv
from sohoa import config

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AS_OF = dt.date(2026, 3, 31)
CHUNK = 50_000
ROWS_PER_PAGE = 10
STATE_MIX = (("staged", 20), ("in_review", 10), ("rejected", 5), ("approved", 35), ("loaded", 30))
REASONS = ("illegible", "not_a_record", "rescan")
RUNS = 3


# --------------------------------------------------------------------------- synthetic rows
def _states(n: int, rng: random.Random) -> list[str]:
    names = [s for s, _w in STATE_MIX]
    weights = [w for _s, w in STATE_MIX]
    return rng.choices(names, weights, k=n)


FIELDS = [
    json.dumps(
        {
            "registration.number": {"text": str(i + 1), "confidence": 0.99},
            "registration.date": {"text": "12/03/2010", "confidence": 0.93},
            "child.full_name": {"text": "Nông Văn An", "confidence": 0.87},
            "child.birth_date": {"text": "01/02/2010", "confidence": 0.95},
        },
        ensure_ascii=False,
    )
    for i in range(500)
]


def _stamp(when: dt.datetime, dialect: str) -> str:
    """A timestamp as each database stores it (SQLite: naive UTC text, as SQLAlchemy writes it)."""
    if dialect == "sqlite":
        return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return when.isoformat()


def _books(engine: Engine) -> list[tuple[int, str, str, str]]:
    communes = [o.code for o in config.offices() if o.level == "commune"]
    rows = [
        {
            "office_code": c,
            "book_type": g.id,
            "era": e.id,
            "volume": "1",
            "status": "reviewing",
            "created_at": _now(),
        }
        for c in communes
        for e in config.eras()
        for g in config.book_groups()
    ]
    with engine.begin() as conn:
        conn.execute(insert(Book), rows)
        found = conn.execute(text("SELECT id, office_code, era, book_type FROM books ORDER BY id"))
        return [(int(i), o, e, t) for i, o, e, t in found]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plan_rows(
    n: int, books: list[tuple[int, str, str, str]], seed: int, dialect: str
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Chunks of page, record and official-record rows ready for the driver; record ids are 1..n."""
    rng = random.Random(seed)
    per_book = -(-n // len(books))
    first = dt.datetime.combine(AS_OF - dt.timedelta(days=365), dt.time(8), tzinfo=dt.UTC)
    start = _stamp(first, dialect)
    record_id = page_id = 0
    chunk: dict[str, list[dict[str, Any]]] = {"pages": [], "records": [], "official": []}
    for book_id, office, era, book_type in books:
        count = min(per_book, n - record_id)
        if count <= 0:
            break
        states = _states(count, rng)
        for k in range(count):
            if k % ROWS_PER_PAGE == 0:
                page_id += 1
                status = "quarantined" if rng.random() < 0.02 else "staged"
                chunk["pages"].append(
                    {"id": page_id, "book_id": book_id, "page_no": k // ROWS_PER_PAGE + 1,
                     "sha256": f"{page_id:064x}", "image_path": f"p{page_id}.png", "width": 2480,
                     "height": 3508, "quality": "{}", "status": status, "created_at": start}
                )  # fmt: skip
            record_id += 1
            state = states[k]
            chunk["records"].append(
                {"id": record_id, "page_id": page_id, "row_no": k % ROWS_PER_PAGE + 1, "book_id": book_id,
                 "book_type": book_type, "era": era, "state": state,
                 "reject_reason": rng.choice(REASONS) if state == "rejected" else None,
                 "fields": FIELDS[record_id % 500], "issues": "[]", "version": 1, "created_at": start,
                 "updated_at": start}
            )  # fmt: skip
            if state in ("approved", "loaded"):
                when = _stamp(first + dt.timedelta(seconds=rng.randrange(365 * 86400)), dialect)
                chunk["official"].append(
                    {"record_id": record_id, "book_id": book_id, "book_type": book_type, "era": era,
                     "office_code": office, "registration_date": "2010-03-12", "fields": "{}",
                     "approved_by": 1, "approved_at": when, "loaded_at": when if state == "loaded" else None}
                )  # fmt: skip
            if len(chunk["records"]) >= CHUNK:
                yield chunk
                chunk = {"pages": [], "records": [], "official": []}
    if chunk["records"]:
        yield chunk


# --------------------------------------------------------------------------- bulk loading
def _executemany(cursor: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    values = ", ".join(f":{c}" for c in columns)
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})", rows)


def _load_sqlite(engine: Engine, chunks: Iterator[dict[str, list[dict[str, Any]]]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for chunk in chunks:
            _executemany(cursor, "pages", chunk["pages"])
            _executemany(cursor, "records", chunk["records"])
            _executemany(cursor, "official_records", chunk["official"])
        raw.commit()
    finally:
        raw.close()


def _copy(cursor: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(list(row.values()))


def _load_postgres(engine: Engine, chunks: Iterator[dict[str, list[dict[str, Any]]]]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            for chunk in chunks:
                _copy(cursor, "pages", chunk["pages"])
                _copy(cursor, "records", chunk["records"])
                _copy(cursor, "official_records", chunk["official"])
            for table in ("pages", "records", "official_records"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        raw.commit()
    finally:
        raw.close()


def _prepare(url: str, n: int, seed: int) -> float:
    """Migrate, add offices, a reviewer, books, pages and records; the seconds the bulk load took."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            sync_offices(session, config.offices())
            session.add(User(id=1, username="bench", password_hash="x", role="reviewer"))
        books = _books(engine)
        started = time.perf_counter()
        chunks = _plan_rows(n, books, seed, engine.dialect.name)
        if engine.dialect.name == "postgresql":
            _load_postgres(engine, chunks)
        else:
            _load_sqlite(engine, chunks)
        seconds = time.perf_counter() - started
        _analyze(engine)
        return seconds
    finally:
        engine.dispose()


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------- timing
def _time_report(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    builds, renders, cpus = [], [], []
    rows = 0
    try:
        for _ in range(RUNS):
            started, cpu = time.perf_counter(), time.process_time()
            with session_scope(engine) as session:
                report = build_progress(session, as_of=AS_OF)
            built = time.perf_counter()
            to_csv(report.primary)
            builds.append(built - started)
            renders.append(time.perf_counter() - built)
            cpus.append(time.process_time() - cpu)
            rows = len(report.primary.rows)
        with engine.connect() as conn:
            records = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
    finally:
        engine.dispose()
    return {
        "records": records,
        "report_rows": rows,
        "build_seconds": [round(s, 3) for s in builds],
        "csv_seconds": [round(s, 3) for s in renders],
        "best_total_seconds": round(min(b + r for b, r in zip(builds, renders, strict=True)), 3),
        "client_cpu_seconds": [round(s, 3) for s in cpus],  # this process only (SQLite runs in it)
        "load_average": round(os.getloadavg()[0], 1),
    }


def run_sqlite(n: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sohoa-report-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        load = _prepare(url, n, seed)
        return {"db": "sqlite", "load_seconds": round(load, 1), **_time_report(url)}


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"sohoa_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_postgres(n: int, seed: int, admin_url: str) -> dict[str, Any]:
    with fresh_postgres(admin_url) as url:
        load = _prepare(url, n, seed)
        return {"db": "postgres", "load_seconds": round(load, 1), **_time_report(url)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="One JSON object per database on stdout.")
    args = parser.parse_args(argv)
    results = []
    if args.db in ("sqlite", "both"):
        results.append(run_sqlite(args.records, args.seed))
    if args.db in ("postgres", "both"):
        results.append(run_postgres(args.records, args.seed, args.pg_admin_url))
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"{result['db']:>8}: {result['records']:,} records loaded in {result['load_seconds']} s; "
                f"progress report ({result['report_rows']} rows) best {result['best_total_seconds']} s "
                f"(build {result['build_seconds']}, csv {result['csv_seconds']}, "
                f"client CPU {result['client_cpu_seconds']}; load average {result['load_average']})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
