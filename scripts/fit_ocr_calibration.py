"""Fit the OCR confidence calibration (``configs/ocr_calibration.yaml``) on freshly made sample pages.

    OMP_THREAD_LIMIT=1 nice -n 5 .venv/bin/python scripts/fit_ocr_calibration.py \\
        --pages 24 --seeds 7001-7010 --heldout 7100-7104 --workers 2

For every seed and both styles (typed, handwritten) it makes sample books (``samples.make.make_samples``: every
era and book type, ledgers and forms), reads them with ``ocr.read.read_page`` (tesserocr, raw confidences), and
compares every field with the truth (``ocr.evaluate.same_text``); each field's group takes the class of its
page (``ocr.confidence.page_class``). The table is fitted on ``--seeds`` and
checked on ``--heldout``: confident_share and confident_exact per style, layout kind and field type are printed
as JSON on stdout. ``--work DIR`` keeps the pages and the observations, so ``--reuse`` refits without OCR.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr import confidence
from ocr.calibration import Observation, Table, dump_table, fit, summary
from ocr.correct import correct
from ocr.evaluate import fold, image_key, page_fonts, same_text
from ocr.read import field_kinds
from sohoa.config import layout as load_layout
from sohoa.errors import InputError, SohoaError
from sohoa.fields import BOOK_TYPES

log = logging.getLogger("fit_ocr_calibration")

STYLES = ("typed", "handwritten")
ERAS_COUNT = 4


@dataclass(frozen=True)
class Field:
    """One field of one sample page as read, with its truth."""

    seed: int
    style: str
    font: str
    layout: str
    kind: str
    key: str
    text: str
    truth: str
    raw: float
    exact: bool
    image: str = ""  # the truth's image path (observations stored before it was kept get it back)
    page: str = ""  # the page's class (ocr.confidence.page_class)

    def corrected(self) -> Field:
        """This field with today's :func:`ocr.correct.correct` applied (observations stored by an earlier
        run are refitted as the reader now returns them)."""
        text = correct(self.text, self.kind)
        if text == self.text or self.kind == "choice":
            return self
        return replace(self, text=text, exact=fold(text) == fold(self.truth))

    def observation(self) -> Observation:
        group = confidence.group(self.text, self.raw, self.kind, self.key, self.page)
        return Observation(group, self.raw, self.exact, self.style, self.layout)


# --------------------------------------------------------------------------- arguments
def seed_list(text: str) -> list[int]:
    """``7001-7005,7010`` → [7001, 7002, 7003, 7004, 7005, 7010]."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            seeds += list(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise InputError(f"bad seed list {text!r}", hint="write seeds as 7001-7010,7020") from None
    return seeds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=24, help="pages per seed and style (default 24)")
    ap.add_argument("--seeds", type=seed_list, default=seed_list("7001-7010"), help="fit seeds (7001-7099)")
    ap.add_argument(
        "--heldout", type=seed_list, default=seed_list("7100-7104"), help="check seeds (7100-7199)"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="keep pages and observations here")
    ap.add_argument("--reuse", action="store_true", help="reuse pages and observations found in --work")
    ap.add_argument("--out", type=Path, default=confidence.REPO_ROOT / "configs" / confidence.FILE_NAME)
    ap.add_argument("--target", type=float, default=0.997, help="exactness of confident fields in the fit")
    ap.add_argument("--dry-run", action="store_true", help="print the figures, do not write --out")
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- sample pages
def sample_plan(seed: int, pages: int) -> tuple[list[str], int]:
    """Book types and pages per book giving about ``pages`` pages over every era (types rotate by seed)."""
    if pages >= ERAS_COUNT * len(BOOK_TYPES):
        return list(BOOK_TYPES), math.ceil(pages / (ERAS_COUNT * len(BOOK_TYPES)))
    n = max(1, math.ceil(pages / ERAS_COUNT))
    start = seed % len(BOOK_TYPES)
    rotated = [*BOOK_TYPES[start:], *BOOK_TYPES[:start]]
    return rotated[:n], 1


def make_pages(folder: Path, seed: int, style: str, pages: int, workers: int) -> None:
    from samples.make import make_samples

    types, per_book = sample_plan(seed, pages)
    make_samples(folder, seed, pages_per_book=per_book, style=style, types=types, workers=workers)


# --------------------------------------------------------------------------- OCR in worker processes
_engine: Any = None


def _init_worker() -> None:
    global _engine
    from ocr.engines import make_engine

    logging.basicConfig(level=logging.ERROR)
    confidence.install(None)  # raw confidences: the fit maps them
    _engine = make_engine("tesserocr")


def _read(task: tuple[str, str, str]) -> list[dict[str, Any]]:
    from ocr.load import iter_pages
    from ocr.read import read_page

    path, book_type, era = task
    lay = load_layout(book_type, era)
    out: list[dict[str, Any]] = []
    for page in iter_pages(Path(path)):
        for record in read_page(page, lay, _engine):
            out.append({**record.to_dict(), "image": path})
    return out


def read_all(folder: Path, pool: ProcessPoolExecutor) -> list[dict[str, Any]]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tasks = [
        (str(folder / page), book["book_type"], book["era"])
        for book in manifest["books"]
        for page in book["pages"]
    ]
    return [r for rs in pool.map(_read, tasks) for r in rs]


# --------------------------------------------------------------------------- comparing with the truth
def compare(folder: Path, seed: int, results: list[dict[str, Any]]) -> list[Field]:
    """Every truth field of the sample set in ``folder`` against what was read."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    fonts = page_fonts(manifest)
    got = {(image_key(r["image"], folder), int(r["row"])): r for r in results}
    fields: list[Field] = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        style, font = fonts.get(t["image"], ("?", "?"))
        lay = load_layout(t["book_type"], t["era"])
        kinds = field_kinds(lay)
        rec = got.get((t["image"], int(t["row"])))
        for key, truth in t["fields"].items():
            if key not in kinds:
                continue
            res = rec["fields"].get(key) if rec is not None else None
            text = str(res["text"]) if res else ""
            raw = float(res["confidence"]) if res else 0.0
            ok = same_text(str(truth), text, kinds[key], t["book_type"], key)
            fields.append(
                Field(seed, style, font, lay.kind, kinds[key], key, text, str(truth), raw, ok, t["image"])
            )
    return fields


def _truth_images(folder: Path) -> list[str]:
    """The image of every field :func:`compare` makes for ``folder``, in its order."""
    images: list[str] = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        kinds = field_kinds(load_layout(t["book_type"], t["era"]))
        images += [t["image"] for key in t["fields"] if key in kinds]
    return images


def with_pages(folder: Path, fields: list[Field]) -> list[Field]:
    """``fields`` with the class of their page (:func:`ocr.confidence.page_class` of the raw confidences
    of the page's fields with text, as :func:`ocr.read.read_page` computes it)."""
    if fields and not fields[0].image:
        images = _truth_images(folder)
        if len(images) != len(fields):
            raise InputError(f"{folder}: stored observations do not match truth.jsonl", hint="drop --reuse")
        fields = [replace(f, image=image) for f, image in zip(fields, images, strict=True)]
    raws: dict[str, list[float]] = defaultdict(list)
    for f in fields:
        if f.text:
            raws[f.image].append(f.raw)
    return [replace(f, page=confidence.page_class(raws[f.image])) for f in fields]


def observe(
    folder: Path, seed: int, style: str, args: argparse.Namespace, pool: ProcessPoolExecutor
) -> list[Field]:
    """The fields of one seed and style: from ``observations.jsonl`` with ``--reuse``, else made and read."""
    cache = folder / "observations.jsonl"
    if args.reuse and cache.is_file():
        lines = cache.read_text(encoding="utf-8").splitlines()
        return with_pages(folder, [Field(**json.loads(line)).corrected() for line in lines])
    started = time.monotonic()
    make_pages(folder, seed, style, args.pages, args.workers)
    made = time.monotonic()
    fields = with_pages(folder, compare(folder, seed, read_all(folder, pool)))
    log.info(
        "seed %d %s: %d fields, made in %.0f s, read in %.0f s",
        seed,
        style,
        len(fields),
        made - started,
        time.monotonic() - made,
    )
    cache.write_text(
        "".join(json.dumps(asdict(f), ensure_ascii=False) + "\n" for f in fields), encoding="utf-8"
    )
    return fields


def collect(seeds: list[int], work: Path, args: argparse.Namespace, pool: ProcessPoolExecutor) -> list[Field]:
    fields: list[Field] = []
    for seed in seeds:
        for style in STYLES:
            fields += observe(work / f"{seed}-{style}", seed, style, args, pool)
    return fields


# --------------------------------------------------------------------------- figures and the table
def figures(table: Table, fields: list[Field]) -> dict[str, Any]:
    """confident_share / confident_exact of ``fields`` under ``table``, overall and per slice."""
    scored = [(table(o.group, o.raw), o) for o in (f.observation() for f in fields)]
    exact = sum(f.exact for f in fields) / len(fields) if fields else 0.0
    out: dict[str, Any] = {"fields": len(fields), "field_exact": round(exact, 4), **summary(scored)["all"]}
    for by in ("style", "layout", "kind"):
        out[f"by_{by}"] = summary(scored, by)
    combos = [(p, Observation(o.group, o.raw, o.exact, f"{o.style}/{o.layout}")) for p, o in scored]
    out["by_style_layout"] = summary(combos, "style")
    return out


def header(args: argparse.Namespace, fit_fields: list[Field], check: dict[str, Any]) -> str:
    pages = args.pages * len(STYLES)
    return "\n".join(
        [
            "OCR field-confidence calibration: (field type.page class/grade, raw engine confidence) → probability",
            "the text is exactly right; see ocr/confidence.py and ocr/calibration.py. Generated, do not edit: rerun",
            f"  .venv/bin/python scripts/fit_ocr_calibration.py --pages {args.pages} "
            f"--seeds {_span(args.seeds)} --heldout {_span(args.heldout)}",
            f"fitted {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} on seeds {_span(args.seeds)} "
            f"({len(args.seeds) * pages} pages, {len(fit_fields)} fields; typed and handwritten, every era and book type)",
            f"held out: seeds {_span(args.heldout)} ({len(args.heldout) * pages} pages, {check['fields']} fields): "
            f"confident_share {check['confident_share']}, confident_exact {check['confident_exact']}",
        ]
    )


def _span(seeds: list[int]) -> str:
    return (
        f"{seeds[0]}-{seeds[-1]}"
        if seeds == list(range(seeds[0], seeds[-1] + 1))
        else ",".join(map(str, seeds))
    )


@contextlib.contextmanager
def workdir(given: Path | None) -> Iterator[Path]:
    """``given`` (created), or a temporary folder removed afterwards."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="sohoa-calibration-") as tmp:
        yield Path(tmp)


def run(args: argparse.Namespace) -> dict[str, Any]:
    overlap = set(args.seeds) & set(args.heldout)
    if overlap:
        raise InputError(
            f"seeds {sorted(overlap)} are both fitted and held out", hint="use disjoint seed lists"
        )
    with (
        workdir(args.work) as work,
        ProcessPoolExecutor(
            max_workers=args.workers, mp_context=get_context("spawn"), initializer=_init_worker
        ) as pool,
    ):
        fit_fields = collect(args.seeds, work, args, pool)
        check_fields = collect(args.heldout, work, args, pool)
    table = fit([f.observation() for f in fit_fields], target=args.target)
    heldout = figures(table, check_fields)
    report: dict[str, Any] = {
        "cut": round(table.cut, 4),
        "fit": figures(table, fit_fields),
        "heldout": heldout,
    }
    if not args.dry_run:
        meta = {
            "seeds": _span(args.seeds),
            "heldout": _span(args.heldout),
            "pages_per_seed": args.pages * len(STYLES),
            "fields": len(fit_fields),
            "target": args.target,
            "date": dt.date.today().isoformat(),
        }
        text = dump_table(Table(table.groups, table.cut, meta), header(args, fit_fields, heldout))
        args.out.write_text(text, encoding="utf-8")
        log.info("wrote %s", args.out)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    try:
        report = run(args)
    except SohoaError as exc:
        log.error("%s", exc)
        return 2
    sys.stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
