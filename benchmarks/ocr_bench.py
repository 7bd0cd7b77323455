"""Benchmark (issue 3): sohoa's OCR against img2table, per-cell pytesseract and one whole-page pytesseract call.

    .venv/bin/python benchmarks/ocr_bench.py --pages 20 --seed 9101 --style typed [--kind ledger|form|all]
        [--contenders sohoa,img2table,pytesseract-cells,pytesseract-page] [--keep DIR]
        [--img2table-implicit-rows] [--json]

N sample pages are made once with ``samples.make.make_samples`` (seeded; ledger pages of the pre-2016 eras
spread over the book types by default, ``--kind form`` the 2016+ forms) and every contender reads the same
files from disk, one after the other in this one process, with ``OMP_THREAD_LIMIT=1``: ``pages_per_s`` is
per core. Each contender is scored with :func:`ocr.evaluate.score` against ``truth.jsonl`` (per font from
the manifest). For sohoa the resident memory is sampled after every page (25/50/75/100% of the pages, the
peak, and ``memory_flat_mb``: the growth from the 25% point to the end).

Contenders: ``sohoa`` (``ocr.read.read_page`` with one tesserocr engine reused), ``pytesseract-cells`` (the
same pipeline with the pytesseract engine: a subprocess per cell), and the peers of ``benchmarks/ocr_peers.py``:
``pytesseract-page`` and ``img2table`` (optional ``bench`` group: ``make bench-deps``; reported as
"not installed" when it cannot be imported, and "not applicable" on forms).
"""

from __future__ import annotations

import os

os.environ["OMP_THREAD_LIMIT"] = "1"  # before anything loads Tesseract: one core per contender

import argparse
import json
import logging
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ocr_peers import Contender, Img2Table, PytesseractPage

from ocr.engines import make_engine
from ocr.evaluate import page_fonts, score
from ocr.load import iter_pages
from ocr.read import read_page
from samples.make import make_samples
from sohoa import config
from sohoa.config import Layout

log = logging.getLogger("ocr_bench")
cv2.setNumThreads(1)  # one core per contender, as a flow worker runs (ocr.job.worker_engine)

CONTENDERS: tuple[str, ...] = ("sohoa", "img2table", "pytesseract-cells", "pytesseract-page")
KINDS: tuple[str, ...] = ("ledger", "form", "all")
#: contenders whose confidence is calibrated (the share marked confident means something)
CALIBRATED = frozenset({"sohoa", "pytesseract-cells"})


# --------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class BenchPage:
    path: Path
    book_type: str
    era: str
    kind: str  # ledger or form


@dataclass
class Samples:
    """The pages made for one run, their truth records and (style, font) per truth image path."""

    root: Path
    pages: list[BenchPage] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    fonts: dict[str, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Part:
    """One ``make_samples`` call: one era, some book types, ``pages`` pages each."""

    era: str
    types: tuple[str, ...]
    pages: int


def plan_parts(n: int, seed: int, kind: str) -> list[Part]:
    """``n`` pages spread over the (era, book type) pairs of ``kind`` (shuffled by ``seed``), as few calls
    as possible: the pairs of one era with the same page count share a call."""
    eras = [e.id for e in config.eras() if kind == "all" or e.layout_kind == kind]
    types = [g.id for g in config.book_groups()]
    pairs = [(e, t) for e in eras for t in types]
    order = np.random.default_rng(np.random.SeedSequence([seed, 7])).permutation(len(pairs))
    counts: dict[tuple[str, str], int] = {}
    for i in range(n):
        pair = pairs[int(order[i % len(pairs)])]
        counts[pair] = counts.get(pair, 0) + 1
    groups: dict[tuple[str, int], list[str]] = {}
    for (era, book_type), count in counts.items():
        groups.setdefault((era, count), []).append(book_type)
    parts = [
        Part(era, tuple(t for t in types if t in chosen), count) for (era, count), chosen in groups.items()
    ]
    return sorted(parts, key=lambda p: (eras.index(p.era), p.pages))


def _part_seed(seed: int, index: int) -> int:
    """A seed per ``make_samples`` call (the same seed in every call would give every book the same pen)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def make_pages(out: Path, n: int, seed: int, style: str, kind: str) -> Samples:
    """Make ``n`` sample pages under ``out`` (one sub-folder per call) and collect pages, truth and fonts."""
    started = time.perf_counter()
    samples = Samples(out)
    for i, part in enumerate(plan_parts(n, seed, kind)):
        prefix = f"part{i:02d}"
        manifest = make_samples(
            out / prefix,
            _part_seed(seed, i),
            books_per_type=1,
            pages_per_book=part.pages,
            style=style,
            eras=[part.era],
            types=list(part.types),
        )
        _collect(samples, out / prefix, prefix, manifest)
    samples.seconds = time.perf_counter() - started
    return samples


def _collect(samples: Samples, folder: Path, prefix: str, manifest: dict[str, Any]) -> None:
    for book in manifest["books"]:
        for image in book["pages"]:
            samples.pages.append(
                BenchPage(folder / image, book["book_type"], book["era"], book["layout_kind"])
            )
    for image, style_font in page_fonts(manifest).items():
        samples.fonts[f"{prefix}/{image}"] = style_font
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record["image"] = f"{prefix}/{record['image']}"
        samples.truth.append(record)


# --------------------------------------------------------------------------- contenders
class Sohoa(Contender):
    """sohoa's pipeline (:func:`ocr.read.read_page`) with one engine reused for every page."""

    def __init__(self, name: str, engine: str) -> None:
        self.name = name
        self.engine = make_engine(engine)
        # CPU time inside the engine (Tesseract and the crop's padding), to show what is left once the
        # engine's own cost is taken out: the floor no change to sohoa's own code can go under
        self.engine_cpu = 0.0
        self.engine_calls = 0
        self.pages = 0
        recognize = self.engine.recognize

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return recognize(*args, **kwargs)
            finally:
                self.engine_cpu += time.process_time() - started
                self.engine_calls += 1

        self.engine.recognize = timed  # type: ignore[method-assign]

    def warm_up(self) -> None:
        warm = getattr(self.engine, "warm_up", None)
        if warm is not None:
            warm()

    def read(self, path: Path, layout: Layout) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for page in iter_pages(path):
            self.pages += 1
            for record in read_page(page, layout, self.engine):
                result = record.to_dict()
                result["image"] = str(path)  # the contract gives the file name; truth keys are paths
                records.append(result)
        return records

    def stats(self) -> dict[str, Any]:
        if not self.pages:
            return {}
        return {
            "engine_cpu_s_per_page": round(self.engine_cpu / self.pages, 3),
            "engine_calls_per_page": round(self.engine_calls / self.pages, 1),
        }

    def close(self) -> None:
        self.engine.close()


def _make_contender(name: str, *, implicit_rows: bool) -> Contender:
    makers: dict[str, Callable[[], Contender]] = {
        "sohoa": lambda: Sohoa("sohoa", "tesserocr"),
        "pytesseract-cells": lambda: Sohoa("pytesseract-cells", "pytesseract"),
        "pytesseract-page": PytesseractPage,
        "img2table": lambda: Img2Table(implicit_rows=implicit_rows),
    }
    return makers[name]()


def open_contender(name: str, *, implicit_rows: bool = False) -> tuple[Contender | None, dict[str, Any]]:
    """The contender called ``name``, or None and a status saying why it cannot run (``implicit_rows``:
    img2table's setting of that name)."""
    try:
        contender = _make_contender(name, implicit_rows=implicit_rows)
    except ImportError as exc:
        return None, {"status": "not installed", "detail": str(exc), "hint": "make bench-deps"}
    except Exception as exc:
        return None, {"status": "not available", "detail": f"{type(exc).__name__}: {exc}"}
    contender.warm_up()
    return contender, {"status": "ok"}


# --------------------------------------------------------------------------- measuring
def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (pytesseract's subprocesses)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Run:
    """What one contender produced on its pages, and what it cost."""

    pages: list[BenchPage]
    results: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    rss: list[float] = field(default_factory=list)
    errors: int = 0
    done: int = 0


def run_contender(contender: Contender, pages: Sequence[BenchPage], *, track_memory: bool) -> Run:
    """Read every page with ``contender``, timing each read (loading the file included)."""
    run = Run(list(pages))
    for page in pages:
        layout = config.layout(page.book_type, page.era)
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            run.results += contender.read(page.path, layout)
        except Exception as exc:  # a peer failing on a page is a result, not a crash of the benchmark
            log.warning("%s failed on %s: %s", contender.name, page.path, exc)
            run.errors += 1
        run.seconds += time.perf_counter() - wall
        run.cpu += cpu_seconds() - cpu
        run.done += 1
        if track_memory:
            run.rss.append(rss_mb())
        _progress(contender.name, run, len(pages))
    return run


def _progress(name: str, run: Run, total: int) -> None:
    """A log line every tenth of the pages (a long run on a busy machine shows where it is)."""
    if run.done % max(1, total // 10) and run.done != total:
        return
    rss = f", rss {run.rss[-1]:.1f} MB" if run.rss else ""
    log.info("%s: %d/%d pages, %.1f s, %.1f CPU-s%s", name, run.done, total, run.seconds, run.cpu, rss)


def memory_report(rss: Sequence[float]) -> dict[str, Any]:
    """Resident memory at 25/50/75/100% of the pages, the peak, and the growth after the 25% point."""
    if not rss:
        return {}
    at = {f"{q}%": round(rss[max(0, -(-len(rss) * q // 100) - 1)], 1) for q in (25, 50, 75, 100)}
    return {
        "rss_mb": at,
        "peak_rss_mb": round(max(rss), 1),
        "memory_flat_mb": round(at["100%"] - at["25%"], 1),
    }


def summarize(name: str, run: Run, samples: Samples) -> dict[str, Any]:
    """Speed, accuracy (and for sohoa memory) of one contender's run."""
    images = {str(p.path.relative_to(samples.root).as_posix()) for p in run.pages}
    truth = [t for t in samples.truth if t["image"] in images]
    scored = score(run.results, truth, fonts=samples.fonts, root=samples.root).to_dict()
    n = len(run.pages)
    out: dict[str, Any] = {
        "status": "ok",
        "pages": n,
        "seconds": round(run.seconds, 2),
        "pages_per_s": round(n / run.seconds, 3) if run.seconds else 0.0,
        "cpu_s_per_page": round(run.cpu / n, 3) if n else 0.0,
        "cpu_pages_per_s": round(n / run.cpu, 3) if run.cpu else 0.0,
        "page_errors": run.errors,
        "field_exact": scored["field_exact"],
        "records_found": scored["records_found"],
        "records_truth": scored["records_truth"],
        "records_extra": scored["records_extra"],
        "fields": scored["fields"],
    }
    if name in CALIBRATED:
        for key in ("confident_threshold", "confident_share", "confident_exact"):
            out[key] = scored[key]
    out.update({k: scored[k] for k in ("by_type", "by_style", "by_font")})
    if run.rss:
        out.update(memory_report(run.rss))
    return out


def ratios(contenders: dict[str, dict[str, Any]]) -> dict[str, float]:
    """sohoa's speed over each peer's (wall clock, and CPU time: steadier on a shared machine), and its field
    accuracy minus the peer's."""
    base = contenders.get("sohoa", {})
    if base.get("status") != "ok":
        return {}
    out: dict[str, float] = {}
    for name, peer in contenders.items():
        if name == "sohoa" or peer.get("status") != "ok" or not peer.get("pages_per_s"):
            continue
        out[f"sohoa_vs_{name}_speed"] = round(base["pages_per_s"] / peer["pages_per_s"], 2)
        if peer.get("cpu_pages_per_s") and base.get("cpu_pages_per_s"):
            out[f"sohoa_vs_{name}_cpu_speed"] = round(base["cpu_pages_per_s"] / peer["cpu_pages_per_s"], 2)
        out[f"sohoa_vs_{name}_field_exact_gain"] = round(base["field_exact"] - peer["field_exact"], 4)
    return out


def bench_one(name: str, samples: Samples, *, implicit_rows: bool = False) -> dict[str, Any]:
    """Open, run, score and close one contender on the pages it can read."""
    contender, status = open_contender(name, implicit_rows=implicit_rows)
    if contender is None:
        return status
    pages = [p for p in samples.pages if p.kind in contender.kinds]
    skipped = len(samples.pages) - len(pages)
    if not pages:
        contender.close()
        return {
            "status": "not applicable",
            "detail": f"reads {', '.join(sorted(contender.kinds))} pages only",
        }
    try:
        run = run_contender(contender, pages, track_memory=name == "sohoa")
    finally:
        contender.close()
    out = summarize(name, run, samples)
    out.update(contender.stats())
    if skipped:
        out["not_applicable_pages"] = skipped
    return out


# --------------------------------------------------------------------------- the machine
def tesseract_version() -> str:
    try:
        done = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].removeprefix("tesseract ").strip() if lines else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tesseract": tesseract_version(),
        "platform": platform.platform(),
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT"),
        "img2table": _version("img2table"),
        "tesserocr": _version("tesserocr"),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


# --------------------------------------------------------------------------- the run
def bench(
    pages: int,
    seed: int,
    style: str,
    kind: str,
    contenders: Sequence[str],
    out: Path,
    *,
    implicit_rows: bool = False,
) -> dict[str, Any]:
    """Make the pages under ``out``, run every contender on them and report (the ``--json`` object);
    ``implicit_rows`` is img2table's setting of that name."""
    info = machine()
    samples = make_pages(out, pages, seed, style, kind)
    results: dict[str, dict[str, Any]] = {}
    for name in contenders:
        log.info("%s: reading %d pages", name, len(samples.pages))
        results[name] = bench_one(name, samples, implicit_rows=implicit_rows)
        log.info("%s: %s", name, _one_line(results[name]))
        log.debug("%s: %s", name, json.dumps(results[name], ensure_ascii=False))
    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "machine": info,
        "pages": len(samples.pages),
        "records": len(samples.truth),
        "style": style,
        "kind": kind,
        "seed": seed,
        "img2table_implicit_rows": implicit_rows,
        "generate_s": round(samples.seconds, 1),
        "contenders": results,
        "ratios": ratios(results),
    }


def _one_line(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return str(result.get("status"))
    return (
        f"{result['pages_per_s']:.3f} pages/s, {result['field_exact']:.1%} fields exact, "
        f"{result['records_found']:.1%} records found"
    )


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, float | int) else "—"


def render(report: dict[str, Any]) -> None:
    """The report as rich tables (contenders, then sohoa's accuracy per font)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, shutil.get_terminal_size().columns))
    m = report["machine"]
    table = Table(
        title=f"OCR benchmark · {report['pages']} {report['kind']} pages ({report['records']} records) · "
        f"style {report['style']} · seed {report['seed']}",
        caption=f"{m['cpu']} · {m['cores']} cores · Python {m['python']} · Tesseract {m['tesseract']}",
    )
    for col in ("contender", "pages/s", "CPU s/page", "fields exact", "records found", "confident", "note"):
        table.add_column(col, justify="left" if col in ("contender", "note") else "right")
    for name, r in report["contenders"].items():
        if r.get("status") != "ok":
            table.add_row(name, "—", "—", "—", "—", "—", f"{r['status']}: {r.get('detail', '')}"[:60])
            continue
        confident = (
            f"{r['confident_share']:.1%} ({r['confident_exact']:.1%} right)"
            if "confident_share" in r
            else "—"
        )
        note = f"peak {r['peak_rss_mb']} MB, +{r['memory_flat_mb']} MB" if "peak_rss_mb" in r else ""
        if "engine_cpu_s_per_page" in r:
            note += f"; engine {r['engine_cpu_s_per_page']:.2f} CPU-s/page"
        table.add_row(
            name,
            f"{r['pages_per_s']:.3f}",
            f"{r['cpu_s_per_page']:.2f}",
            _pct(r["field_exact"]),
            _pct(r["records_found"]),
            confident,
            note,
        )
    console.print(table)
    _render_fonts(console, report)
    if report["ratios"]:
        console.print(", ".join(f"{k} = {v}" for k, v in report["ratios"].items()))


def _render_fonts(console: Any, report: dict[str, Any]) -> None:
    from rich.table import Table

    ok = {n: r for n, r in report["contenders"].items() if r.get("status") == "ok"}
    fonts = sorted({f for r in ok.values() for f in r["by_font"]})
    if not fonts:
        return
    table = Table(title="fields exact per font")
    table.add_column("font")
    for name in ok:
        table.add_column(name, justify="right")
    for font in fonts:
        cells = [ok[n]["by_font"].get(font, {}).get("rate") for n in ok]
        table.add_row(font, *(_pct(c) for c in cells))
    console.print(table)


def _contender_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown contender {', '.join(unknown) or '(none)'}: use any of {', '.join(CONTENDERS)}"
        )
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=20, help="sample pages to make and read (default 20)")
    parser.add_argument("--seed", type=int, default=9101)
    parser.add_argument("--style", choices=("typed", "handwritten", "mixed"), default="typed")
    parser.add_argument(
        "--kind", choices=KINDS, default="ledger", help="ledger (pre-2016), form (2016+), all"
    )
    parser.add_argument(
        "--contenders", type=_contender_list, default=list(CONTENDERS), help=",".join(CONTENDERS)
    )
    parser.add_argument("--keep", type=Path, default=None, help="make the pages in this folder and keep them")
    parser.add_argument(
        "--img2table-implicit-rows",
        action="store_true",
        help="img2table splits ruled rows at text-line gaps (off by default: ledgers rule every row)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--verbose", action="store_true", help="log each contender's full result on stderr as it finishes"
    )
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be 1 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    logging.getLogger("ocr").setLevel(logging.ERROR)
    logging.getLogger("samples").setLevel(logging.ERROR)
    run_args = (args.pages, args.seed, args.style, args.kind, args.contenders)
    if args.keep is not None:
        report = bench(*run_args, args.keep, implicit_rows=args.img2table_implicit_rows)
    else:
        with tempfile.TemporaryDirectory(prefix="sohoa-ocr-bench-") as tmp:
            report = bench(*run_args, Path(tmp), implicit_rows=args.img2table_implicit_rows)
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        render(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
