"""Benchmark (issue 5): end-to-end pages per minute through the scan-batch flow against the raw OCR
throughput of the same pages, with 1 and 2 workers, and the peak memory of the whole process tree.

    .venv/bin/python benchmarks/flow_bench.py --pages 40 --seed 9501 [--style typed] [--workers 1,2]
        [--no-link] [--keep DIR] [--json]

One birth book of N ledger pages (2006–2015) is made once with ``samples.make.make_samples`` (beyond 200 pages,
several generated books of 200 pages, seeds seed, seed+1, …, scanned as one book; ``--keep DIR`` keeps them
for the next run). Then, for each worker count W:

* **raw OCR**: the same files read with :func:`ocr.job.read_page_file` (decode, layout, OCR, quality: what
  a flow worker does) in a warm pool of W processes started as the flow's are (``flows.pool.warm_worker``:
  OpenCV on one thread, the engine loaded), nothing else: no database, no Prefect;
* **flow**: :func:`flows.scan.run_scan` on a fresh SQLite database: Prefect (its temporary API server
  started beforehand by a no-op flow, so its start is not counted), ingest with sha256, one Prefect task
  per page, each in a thread of the flow's process handing its page to W OCR processes (the pool's start
  included: ``flows.pool.OcrTaskRunner``), normalization and staging per page, person linking, and
  the batch closed. ``flow_overhead`` is ``1 - flow_pages_per_min / raw_pages_per_min`` at the same W.

The resident memory of this process and all its children is sampled every 0.2 s during each flow run
(``peak_tree_mb``, split by kind of process, and at every tenth of the pages read), with the CPU seconds of
each kind of process (``cpu_by_process_s``) and when the pages were listed, the first and the last page
read, and the run ended (``timeline_s``, seconds from the start of the run). CPU seconds of the whole
tree (``cpu_s``: this process, its workers, Prefect's temporary server) are the steadier figure on a shared
machine: ``flow_cpu_overhead`` is ``flow cpu_s / raw cpu_s - 1``. ``OMP_THREAD_LIMIT=1``: one core per worker.
``--skip-raw`` runs the flow only (e.g. a long memory run).
"""

from __future__ import annotations

import os

os.environ["OMP_THREAD_LIMIT"] = "1"

import argparse
import json
import logging
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

log = logging.getLogger("flow_bench")

BOOK_TYPE, ERA = "birth", "2006-2015"


class TreeMemory:
    """Samples the resident memory of this process plus its children until stopped; keeps the peak (MB),
    and the CPU seconds each process used while sampled (by kind: the flow's own process, its workers,
    Prefect's temporary server; a process that ends between two samples loses its last 0.2 s at most)."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.every_s = every_s
        self.peak_mb = 0.0
        self.latest_mb = 0.0
        self.peak_parts: dict[str, float] = {}
        self._kinds: dict[int, str] = {}
        self._cpu: dict[int, tuple[float, float]] = {}  # pid -> (CPU at first sight, CPU at last sight)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _kind(self, proc: psutil.Process, me: int) -> str:
        if proc.pid not in self._kinds:
            self._kinds[proc.pid] = "bench" if proc.pid == me else _kind(proc.cmdline())
        return self._kinds[proc.pid]

    def _sample(self) -> dict[str, float]:
        me = psutil.Process()
        parts: dict[str, float] = {}
        for proc in [me, *me.children(recursive=True)]:
            try:
                with proc.oneshot():
                    rss = proc.memory_info().rss / 2**20
                    times = proc.cpu_times()
                kind = self._kind(proc, me.pid)
            except psutil.Error:
                continue
            used = times.user + times.system
            first = self._cpu.get(proc.pid, (used, used))[0]
            self._cpu[proc.pid] = (first, used)
            parts[kind] = parts.get(kind, 0.0) + rss
        return parts

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds used while sampled, per kind of process."""
        out: dict[str, float] = {}
        for pid, (first, last) in self._cpu.items():
            kind = self._kinds.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + last - first
        return {k: round(v, 1) for k, v in sorted(out.items())}

    def _run(self) -> None:
        while not self._stop.is_set():
            parts = self._sample()
            total = self.latest_mb = sum(parts.values())
            if total > self.peak_mb:
                self.peak_mb, self.peak_parts = total, {k: round(v) for k, v in parts.items()}
            self._stop.wait(self.every_s)

    def __enter__(self) -> TreeMemory:
        self._sample()  # the CPU of the processes already there counts from now
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, its finished children and its live ones, so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        live += times.user + times.system
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime + live


def _kind(cmdline: list[str]) -> str:
    """What a child process is: the Prefect API server, a worker process, or something else."""
    text = " ".join(cmdline)
    if "uvicorn" in text or "prefect.server" in text:
        return "prefect_server"
    if "multiprocessing" in text or "spawn_main" in text:
        return "workers"
    return "other"


def _warm() -> None:
    """The same start as a flow worker's (flows.pool.warm_worker: OpenCV on one thread, engine made)."""
    from flows.pool import warm_worker

    warm_worker("tesserocr")


def _read(args: tuple[int, str]) -> int:
    from ocr.job import read_page_file

    page_id, path = args
    return len(read_page_file(page_id, path, 0, BOOK_TYPE, ERA).records)


def raw_ocr(files: list[Path], workers: int) -> dict[str, Any]:
    """Pages per minute of the bare page reads in a warm pool of ``workers`` processes."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_warm) as pool:
        list(pool.map(_read, [(-1, str(files[0]))] * workers))  # every worker loaded and warm
        started, cpu = time.perf_counter(), cpu_seconds()
        records = sum(pool.map(_read, list(enumerate(map(str, files)))))
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "seconds": round(seconds, 2),
        "pages_per_min": round(60 * len(files) / seconds, 1),
        "cpu_s": round(cpu, 1),
        "records": records,
    }


def flow_run(files: list[Path], book: dict[str, Any], workers: int, work: Path, link: bool) -> dict[str, Any]:
    """Pages per minute of one scan-batch flow run on a fresh SQLite database."""
    from flows.scan import run_scan
    from flows.settings import BookRef, ScanParams, database
    from loaders import db, registry
    from sohoa import config

    path = work / f"flow_w{workers}.db"
    path.unlink(missing_ok=True)  # a fresh database, also in a --keep folder used before
    url = f"sqlite:///{path}"
    os.environ[db.ENV_URL] = url
    db.upgrade(url)
    with db.session_scope(database()) as session:
        registry.sync_offices(session, config.offices())
    ref = BookRef(office=book["office"], book_type=BOOK_TYPE, era=ERA, volume=book["volume"])
    params = ScanParams(book=ref, files=files, source=str(files[0].parent), workers=workers, link=link)
    from flows import progress

    by_progress: dict[str, int] = {}
    times: dict[str, float] = {}

    def milestone(what: str, done: int, total: int) -> None:
        if what != "pages":
            return
        now = round(time.perf_counter() - started, 2)
        times.setdefault("pages_listed_s", now)
        if done == 1:
            times["first_page_s"] = now
        if done == total:
            times["last_page_s"] = now
        tenth = 10 * done // max(total, 1)
        if done and str(10 * tenth) + "%" not in by_progress and tenth >= 1:
            by_progress[f"{10 * tenth}%"] = round(memory.latest_mb)

    with TreeMemory() as memory:
        remove = progress.listen(milestone)
        started, cpu = time.perf_counter(), cpu_seconds()
        try:
            counts = run_scan(params)
        finally:
            remove()
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    database().dispose()
    return {
        "seconds": round(seconds, 2),
        "pages_per_min": round(60 * counts["pages_read"] / seconds, 1),
        "cpu_s": round(cpu, 1),
        "pages_read": counts["pages_read"],
        "records": counts["records_staged"],
        "cpu_by_process_s": memory.cpu_by_kind(),
        "timeline_s": {**times, "end_s": round(seconds, 2)},
        "peak_tree_mb": round(memory.peak_mb),
        "peak_by_process_mb": memory.peak_parts,
        "tree_mb_by_pages_done": by_progress,
    }


def _start_prefect() -> None:
    """Start Prefect's temporary API server now (a no-op flow), so no flow run below pays for it."""
    from prefect import flow

    @flow(name="flow-bench-warm-up")
    def warm_up() -> None:
        return None

    warm_up()


#: Pages of one generated book at most: the population simulator fills one commune's birth book of an era
#: with about 2,200 records (200 pages), not 22,000. A longer batch is made of several such books (seeds
#: seed, seed+1, …) whose pages are scanned as one book.
PAGES_PER_PART = 200


def make_pages(out: Path, pages: int, seed: int, style: str) -> tuple[dict[str, Any], list[Path]]:
    """The first generated book's entry and ``pages`` page files (reused from ``out`` when made there
    before with the same arguments: ``--keep``)."""
    from samples.make import make_samples

    made_with = {"pages": pages, "seed": seed, "style": style}
    stamp = out / "flow_bench.json"
    parts = [min(PAGES_PER_PART, pages - start) for start in range(0, pages, PAGES_PER_PART)]
    folders = [out if len(parts) == 1 else out / f"part{i:02d}" for i in range(len(parts))]
    fresh = not (stamp.is_file() and json.loads(stamp.read_text()) == made_with)
    book: dict[str, Any] = {}
    files: list[Path] = []
    for i, (folder, count) in enumerate(zip(folders, parts, strict=True)):
        if fresh:
            make_samples(
                folder, seed + i, books_per_type=1, pages_per_book=count, style=style,
                eras=[ERA], types=[BOOK_TYPE],
            )  # fmt: skip
        entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["books"][0]
        book = book or entry
        files += [(folder / p).resolve() for p in entry["pages"]]
    if fresh:
        stamp.write_text(json.dumps(made_with))
    return book, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=9501)
    parser.add_argument("--style", choices=["typed", "handwritten", "mixed"], default="typed")
    parser.add_argument("--workers", default="1,2", help="Comma-separated worker counts.")
    parser.add_argument("--skip-raw", action="store_true", help="Flow runs only (e.g. a long memory run).")
    parser.add_argument("--no-link", action="store_true", help="Leave person linking out of the flow runs.")
    parser.add_argument(
        "--keep",
        type=Path,
        help="Keep the pages and databases in this folder (its pages are reused next time).",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    work = args.keep or Path(tempfile.mkdtemp(prefix="flow_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SOHOA_DATA_DIR", str(work / "data"))
    import flows  # noqa: F401  (before Prefect: sohoa's defaults, e.g. no analytics, its home under the data folder)

    started = time.perf_counter()
    book, files = make_pages(work / "samples", args.pages, args.seed, args.style)
    made_s = time.perf_counter() - started
    _start_prefect()

    runs: dict[str, Any] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        raw = None if args.skip_raw else raw_ocr(files, workers)
        flow = flow_run(files, book, workers, work, link=not args.no_link)
        runs[str(workers)] = {"raw": raw, "flow": flow}
        if raw is not None:
            runs[str(workers)]["flow_overhead"] = round(1 - flow["pages_per_min"] / raw["pages_per_min"], 3)
            runs[str(workers)]["flow_cpu_overhead"] = round(flow["cpu_s"] / raw["cpu_s"] - 1, 3)
        log.warning("workers %s: raw %s, flow %s", workers, raw, flow)
    result: dict[str, Any] = {
        "pages": len(files),
        "seed": args.seed,
        "style": args.style,
        "link": not args.no_link,
        "samples_s": round(made_s, 1),
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    if "1" in runs and "2" in runs:
        result["speedup_2_vs_1"] = {
            kind: round(runs["2"][kind]["pages_per_min"] / runs["1"][kind]["pages_per_min"], 2)
            for kind in ("raw", "flow")
            if runs["1"][kind] and runs["2"][kind]
        }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
