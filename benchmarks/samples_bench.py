"""Benchmark: how fast ``make_samples`` renders ledger pages (goal: 100 pages in under 60 s on 2 cores).

    .venv/bin/python benchmarks/samples_bench.py --pages 100 --workers 2 [--style typed,handwritten] [--json]

Each style is one run of birth ledgers of 2006–2015 (the widest layout: 20 columns), 10 pages per book;
the time includes simulating the population, rendering, damaging, encoding and writing the files.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samples.make import make_samples


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(pages: int, workers: int, style: str, seed: int, out: Path) -> dict[str, Any]:
    per_book = min(10, pages)
    books = max(1, pages // per_book)
    started = time.perf_counter()
    cpu_before = _cpu()
    manifest = make_samples(
        out,
        seed,
        books_per_type=books,
        pages_per_book=per_book,
        style=style,
        eras=["2006-2015"],
        types=["birth"],
        workers=workers,
    )
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    n_pages = sum(len(b["pages"]) for b in manifest["books"])
    n_records = sum(d["records"] for b in manifest["books"] for d in b["page_details"])
    size = sum(p.stat().st_size for p in (out / "books").rglob("*") if p.is_file())
    return {
        "style": style,
        "workers": workers,
        "pages": n_pages,
        "records": n_records,
        "seconds": round(seconds, 2),
        "pages_per_second": round(n_pages / seconds, 3),
        "cpu_seconds": round(cpu, 1),  # this process and its workers: independent of other load
        "megabytes": round(size / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100, help="ledger pages per style (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes (default 2)")
    parser.add_argument("--style", default="typed,handwritten", help="comma-separated styles to time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the pages in this folder")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = []
    for style in [s.strip() for s in args.style.split(",") if s.strip()]:
        if args.out is not None:
            results.append(run(args.pages, args.workers, style, args.seed, args.out / style))
        else:
            with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
                results.append(run(args.pages, args.workers, style, args.seed, Path(tmp)))
    if args.json:
        sys.stdout.write(json.dumps({"benchmark": "samples", "results": results}, indent=1) + "\n")
    else:
        for r in results:
            sys.stdout.write(
                f"{r['style']:>12}: {r['pages']} pages ({r['records']} records) in {r['seconds']:.1f} s "
                f"with {r['workers']} workers = {r['pages_per_second']:.2f} pages/s "
                f"({r['cpu_seconds']:.0f} CPU-s), {r['megabytes']} MB\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
