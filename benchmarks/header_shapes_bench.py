"""Typed ledgers printed with other printers' column headers, read by ``sohoa ocr`` (issue 15, a first slice).

    .venv/bin/python benchmarks/header_shapes_bench.py --seed 15015 --split eval
        [--shapes layout,one_row,numbered] [--sohoa .venv/bin/sohoa] [--out DIR]

For each header shape, sample books are made (typed; 1999–2005 and 2006–2015; birth, death, marriage; two
pages a book; jittered column widths; ``--split eval`` draws only caption wordings and widths nothing is
fitted on), each page is read by the ``sohoa`` executable given (``sohoa ocr --json``, one process per page,
``OMP_THREAD_LIMIT=1``), and scored with :func:`ocr.evaluate.score`: records found, fields exact, the share of
fields confident, how many confident fields are exact, and how many pages were flagged ``structure_mismatch``.
``--sohoa`` may name another checkout's executable, to compare two versions on the same pages.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from ocr.evaluate import score

SHAPES = ("layout", "one_row", "numbered")


def make_books(sohoa: str, out: Path, seed: int, shape: str, split: str) -> dict[str, Any]:
    if not (out / "manifest.json").exists():
        subprocess.run(
            [sohoa, "samples", "make", "--out", str(out), "--seed", str(seed), "--pages-per-book", "2",
             "--eras", "1999-2005,2006-2015", "--types", "birth,death,marriage", "--style", "typed",
             "--header-shape", shape, "--split", split, "--widths", "jitter"],
            check=True, capture_output=True,
        )  # fmt: skip
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return manifest


def read_book_pages(
    sohoa: str, root: Path, manifest: dict[str, Any]
) -> tuple[list[dict[str, Any]], int, int]:
    """Every page's records, the number of pages, and how many were flagged ``structure_mismatch``."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "SOHOA_DATA_DIR": str(root / "data")}
    results: list[dict[str, Any]] = []
    pages = flagged = 0
    for book in manifest["books"]:
        for page in book["pages"]:
            pages += 1
            command = [sohoa, "ocr", str(root / page), "--book-type", book["book_type"], "--era", book["era"]]
            run = subprocess.run([*command, "--json"], capture_output=True, text=True, env=env)
            records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
            flagged += any("structure_mismatch" in r["quality"]["flags"] for r in records)
            results += [{**r, "image": page} for r in records]
    return results, pages, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=15015)
    parser.add_argument("--split", choices=("fit", "eval"), default="eval")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--sohoa", default=str(Path(sys.executable).with_name("sohoa")))
    parser.add_argument("--out", type=Path, default=None, help="where the sample books go (kept)")
    args = parser.parse_args()
    out = args.out or Path(mkdtemp(prefix="header-shapes-"))
    print("shape      pages flagged records   fields exact   confident  confident exact")
    for shape in args.shapes.split(","):
        root = out / f"{shape}-{args.split}-{args.seed}"
        manifest = make_books(args.sohoa, root, args.seed, shape, args.split)
        truth = [json.loads(line) for line in (root / "truth.jsonl").read_text().splitlines() if line]
        results, pages, flagged = read_book_pages(args.sohoa, root, manifest)
        s = score(results, truth, root=root)
        fields, sure = s.fields, s.confident
        print(
            f"{shape:10s} {pages:5d} {flagged:7d} {s.records_found:3d}/{s.records_truth:<3d} "
            f"{fields.exact:5d}/{fields.total:<5d} {100 * fields.exact / max(1, fields.total):5.1f}% "
            f"{100 * sure.total / max(1, fields.total):4.0f}%  "
            f"{100 * sure.exact / max(1, sure.total):6.2f}% ({sure.total - sure.exact} wrong)",
            flush=True,
        )


if __name__ == "__main__":
    main()
