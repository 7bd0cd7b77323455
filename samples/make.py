"""``make_samples``: sample books (page images) with their ground truth, from one simulated population.

For every selected era × book type (eras in configuration order, book types in priority order) it draws
``books_per_type`` books from a population simulated once, decides how many records each page holds
(8–20 rows on a ledger page, one record on a form page), fills in the registration number (sequential
in the book), volume ("01", "02", … per office × book type × era) and page, renders the pages in a pool
of processes and writes::

    DIR/books/<book_id>/p0001.png (or .jpg)   the page images
    DIR/truth.jsonl                           one JSON object per record (fields, boxes, person ids)
    DIR/manifest.json                         the books, their pages and how each page was made

Every page is seeded from (seed, book index, page index): the same arguments give the same bytes
whatever the number of workers or the order pages finish in.

Boxes (``bbox`` in truth.jsonl) are ``[x, y, w, h]`` in pixels of the image as saved, i.e. after skew and
rotation: the axis-aligned box around the (turned) value. For an empty value it is the empty cell, dotted
line or tick-box group where the value would be. Tick-box fields (``registration.kind``,
``registration.timeliness``) hold the option key (``on_time``) in truth; ledgers write the option's caption.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from samples import headers
from samples.render.canvas import office_lines
from samples.render.ledger import HeaderStyle, ledger_capacity
from samples.render.page import STYLES, PageSpec, PenStyle, Style, choose_pen, render_page
from sohoa import config
from sohoa.config import Layout
from sohoa.errors import DataDirError, InputError
from sohoa.fields import BOOK_TYPES

log = logging.getLogger(__name__)

GENERATOR = "sohoa.samples"
LEDGER_ROWS = (8, 20)  # records on a ledger page, inclusive
HANDWRITTEN_SHARE = {"ledger": 0.8, "form": 0.2}  # style "mixed": chance that a book is handwritten
Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class _Page:
    index: int  # position in the whole run
    book_id: str
    page: int  # 1-based
    rel_stem: str  # "books/<book_id>/p0001"
    spec: PageSpec


@dataclass(frozen=True)
class _Written:
    index: int
    image: str  # path relative to the output folder, posix
    rotation: int
    skew_deg: float
    boxes: list[dict[str, list[int]]]


@dataclass
class _Book:
    book_id: str
    office: str
    book_type: str
    era: str
    volume: str
    layout_kind: str
    pen: PenStyle
    records: list[Any]  # SampleRecord, registration fields filled in
    rows: list[int]  # records per page
    pages: list[_Page]
    header: HeaderStyle | None = None  # ledger column header (None: as the layout says)


def _seed_int(*parts: int) -> int:
    """A 32-bit integer derived from ``parts`` (stable across runs and platforms)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def _rng(*parts: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(parts)))


def _era_slug(era: str) -> str:
    return era.replace("+", "plus")


def _validate(
    out: Path,
    seed: int,
    books_per_type: int,
    pages_per_book: int,
    style: str,
    eras: Sequence[str] | None,
    types: Sequence[str] | None,
    workers: int | None,
    header_shape: str = "layout",
    split: str = "fit",
    widths: str = "layout",
) -> tuple[list[str], list[str]]:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed phải là số nguyên không âm, không phải {seed!r}", hint="ví dụ --seed 1")
    for name, value in (("books_per_type", books_per_type), ("pages_per_book", pages_per_book)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(
                f"{name} phải là số nguyên dương, không phải {value!r}", hint=f"đặt {name} từ 1 trở lên"
            )
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(
            f"workers phải là số nguyên dương, không phải {workers!r}",
            hint="bỏ trống để dùng mỗi lõi CPU một tiến trình",
        )
    if style not in STYLES:
        raise InputError(f"không có kiểu {style!r}", hint=f"dùng một trong: {', '.join(STYLES)}")
    for what, chosen, known in (
        ("kiểu tiêu đề cột", header_shape, headers.SHAPE_CHOICES),
        ("phần (split)", split, headers.SPLITS),
        ("kiểu độ rộng cột", widths, headers.WIDTH_CHOICES),
    ):
        if chosen not in known:
            raise InputError(f"không có {what} {chosen!r}", hint=f"dùng một trong: {', '.join(known)}")
    known_eras = [e.id for e in config.eras()]
    chosen_eras = _select("giai đoạn", eras, known_eras)
    chosen_types = _select("loại sổ", types, [g.id for g in config.book_groups()])
    _prepare_out(out)
    return chosen_eras, chosen_types


def _select(what: str, wanted: Sequence[str] | None, known: list[str]) -> list[str]:
    if wanted is None:
        return list(known)
    if isinstance(wanted, str):
        wanted = [wanted]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InputError(
            f"không có {what} {', '.join(map(repr, unknown))}",
            hint=f"dùng một hoặc nhiều trong: {', '.join(known)}",
        )
    if not wanted:
        raise InputError(
            f"chưa chọn {what} nào",
            hint=f"chọn ít nhất một trong: {', '.join(known)}, hoặc None để lấy tất cả",
        )
    return [k for k in known if k in set(wanted)]


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DataDirError(
            f"thư mục đầu ra {out} là một tệp", hint="chọn một đường dẫn thư mục (chưa có sẽ được tạo)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirError(
            f"không ghi được vào thư mục đầu ra {out}: {exc.strerror or exc}",
            hint="chọn một thư mục ghi được, hoặc sửa quyền của thư mục",
        ) from None


def _population_needs(rows: dict[tuple[str, str], list[list[int]]]) -> dict[tuple[str, str], tuple[int, int]]:
    """What to simulate for: (book_type, era) -> (communes, records each must hold).

    At most three offices per book type and era: more books come as further volumes of the same offices,
    which keeps the simulation (the slow part for big runs) small.
    """
    needs: dict[tuple[str, str], tuple[int, int]] = {}
    for (era, book_type), per_book in rows.items():
        offices = min(len(per_book), 3)
        books_per_office = -(-len(per_book) // offices)
        needs[(book_type, era)] = (offices, books_per_office * max(sum(r) for r in per_book))
    return needs


def _simulate(seed: int, needs: dict[tuple[str, str], tuple[int, int]]) -> Any:
    from samples import population

    simulate_for = getattr(population, "simulate_for", None)
    if simulate_for is not None:
        return simulate_for(seed, needs)
    return population.simulate(seed, communes=max(c for c, _ in needs.values()))


def _plan_rows(rng: np.random.Generator, layout: Layout, pages: int) -> list[int]:
    """Records per page: one on a form; 8–20 on a ledger, fewer on layouts too wide for 20 rows."""
    if layout.kind == "form":
        return [1] * pages
    low, high = LEDGER_ROWS
    high = min(high, ledger_capacity(layout))
    return [int(r) for r in rng.integers(low, high + 1, size=pages)]


def _subtitle(records: Sequence[Any]) -> str:
    years = sorted({r.registration_date.year for r in records})
    if not years:
        return ""
    return f"Năm {years[0]}" if years[0] == years[-1] else f"Từ năm {years[0]} đến năm {years[-1]}"


def _plan_books(
    seed: int,
    books_per_type: int,
    pages_per_book: int,
    style: str,
    eras: list[str],
    types: list[str],
    header_shape: str = "layout",
    split: str = "fit",
    widths: str = "layout",
) -> list[_Book]:
    from samples.population import draw_books

    layouts = {(e, t): config.layout(t, e) for e in eras for t in types}
    all_eras = [x.id for x in config.eras()]
    # rows per page first, so every book is drawn with exactly the records its pages hold
    rows: dict[tuple[str, str], list[list[int]]] = {}
    for e in eras:
        for t in types:
            rng = _rng(seed, 1, all_eras.index(e), BOOK_TYPES.index(t))
            rows[(e, t)] = [_plan_rows(rng, layouts[(e, t)], pages_per_book) for _ in range(books_per_type)]
    needs = _population_needs(rows)
    log.info("simulating a population for %d records", sum(sum(r) for v in rows.values() for r in v))
    population = _simulate(seed, needs)

    books: list[_Book] = []
    volumes: dict[tuple[str, str, str], int] = {}
    for e in eras:
        for t in types:
            layout = layouts[(e, t)]
            per_book = rows[(e, t)]
            most = max(sum(r) for r in per_book)
            drawn = draw_books(
                population,
                _seed_int(seed, 2, all_eras.index(e), BOOK_TYPES.index(t)),
                t,
                e,
                books_per_type,
                most,
            )
            if len(drawn) != books_per_type:
                log.warning("%s %s: %d books drawn, %d asked for", e, t, len(drawn), books_per_type)
            for sample, page_rows in zip(drawn, per_book, strict=False):
                page_rows = _trim(page_rows, len(sample.records), sample.book_type, sample.era)
                if not page_rows:
                    continue
                key = (sample.office, t, e)
                volumes[key] = volumes.get(key, 0) + 1
                volume = f"{volumes[key]:02d}"
                book_index = len(books)
                brng = _rng(seed, 3, book_index)
                kind = layout.kind
                if style == "mixed":
                    book_style: Style = "handwritten" if brng.random() < HANDWRITTEN_SHARE[kind] else "typed"
                else:
                    book_style = "handwritten" if style == "handwritten" else "typed"
                pen = choose_pen(brng, book_style, kind)
                book_id = f"{_era_slug(e)}_{t}_{sample.office}_q{volume}"
                header = None
                if kind == "ledger":  # its own stream: the default draws exactly what it drew before
                    hrng = _rng(seed, 4, book_index, headers.SPLITS.index(split))
                    header = headers.choose_header(hrng, layout, header_shape, split, widths)
                records = _number(sample.records[: sum(page_rows)], volume, page_rows)
                lines = office_lines(sample.office)
                subtitle = _subtitle(records)
                pages: list[_Page] = []
                start = 0
                for p, n in enumerate(page_rows):
                    on_page = records[start : start + n]
                    start += n
                    spec = PageSpec(
                        layout=layout,
                        records=tuple(dict(r.fields) for r in on_page),
                        pen=pen,
                        office_lines=lines,
                        volume=volume,
                        page=p + 1,
                        subtitle=subtitle,
                        seed=(seed, book_index, p),
                        header=header,
                    )
                    pages.append(_Page(-1, book_id, p + 1, f"books/{book_id}/p{p + 1:04d}", spec))
                books.append(
                    _Book(book_id, sample.office, t, e, volume, kind, pen, records, page_rows, pages, header)
                )
    index = 0
    for book in books:
        for i, page in enumerate(book.pages):
            book.pages[i] = replace(page, index=index)
            index += 1
    return books


def _trim(page_rows: list[int], available: int, book_type: str, era: str) -> list[int]:
    """Drop rows from the end of the book when fewer records were drawn than its pages hold."""
    out: list[int] = []
    left = available
    for n in page_rows:
        if left <= 0:
            break
        take = min(n, left)
        if take < n and n > 1 and take < LEDGER_ROWS[0]:
            log.warning("%s %s: last page holds only %d records", era, book_type, take)
        out.append(take)
        left -= take
    if sum(out) < sum(page_rows):
        log.warning("%s %s: %d records drawn for %d places", era, book_type, available, sum(page_rows))
    return out


def _number(records: Sequence[Any], volume: str, page_rows: list[int]) -> list[Any]:
    """Copies of the records with registration number, volume and page filled in."""
    out = []
    n = 0
    for page, count in enumerate(page_rows, start=1):
        for _ in range(count):
            rec = records[n]
            fields = dict(rec.fields)
            fields["registration.number"] = str(n + 1)
            fields["registration.volume"] = volume
            fields["registration.page"] = str(page)
            out.append(replace(rec, fields=fields))
            n += 1
    return out


# --------------------------------------------------------------------------- rendering
def _render_one(page: _Page, out_dir: str) -> _Written:
    """Render one page and write its image (runs in a worker process)."""
    rendered = render_page(page.spec)
    rel = f"{page.rel_stem}.{rendered.extension}"
    target = Path(out_dir) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(rendered.encode())
    return _Written(page.index, rel, rendered.rotation, round(rendered.damage.skew_deg, 3), rendered.boxes)


def _init_worker() -> None:
    """One OpenCV thread per worker (the pool is the parallelism); load the fonts ahead of the pages."""
    import cv2

    from samples.render.fonts import FAMILIES, font

    cv2.setNumThreads(1)
    for family in FAMILIES:
        font(family, 30)


def _nothing() -> None:
    """A first task: makes the pool start its workers now."""


def _render_all(
    pages: list[_Page], out: Path, pool: ProcessPoolExecutor | None, progress: Progress | None
) -> list[_Written]:
    total = len(pages)
    done: list[_Written | None] = [None] * total
    if progress:
        progress(0, total)
    if pool is None:
        import cv2

        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # the same arithmetic as in workers
        try:
            for count, page in enumerate(pages, start=1):
                done[page.index] = _render_one(page, str(out))
                if progress:
                    progress(count, total)
        finally:
            cv2.setNumThreads(threads)
    else:
        futures: list[Future[_Written]] = [pool.submit(_render_one, page, str(out)) for page in pages]
        for count, fut in enumerate(as_completed(futures), start=1):
            result = fut.result()
            done[result.index] = result
            if progress:
                progress(count, total)
    return [w for w in done if w is not None]


# --------------------------------------------------------------------------- output
def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def _truth_lines(books: Iterable[_Book], written: list[_Written]) -> list[str]:
    lines = []
    for book in books:
        layout = book.pages[0].spec.layout
        n = 0
        for page in book.pages:
            w = written[page.index]
            for row in range(len(page.spec.records)):
                record = book.records[n]
                n += 1
                lines.append(
                    _dump(
                        {
                            "book_id": book.book_id,
                            "image": w.image,
                            "page": page.page,
                            "row": row + 1,
                            "book_type": book.book_type,
                            "era": book.era,
                            "office": book.office,
                            "fields": {k: record.fields.get(k, "") for k in layout.field_keys},
                            "bbox": {k: w.boxes[row][k] for k in layout.field_keys if k in w.boxes[row]},
                            "persons": dict(record.persons),
                        }
                    )
                )
    return lines


def _book_entry(book: _Book, written: list[_Written], split: str = "fit") -> dict[str, Any]:
    dates: list[dt.date] = [r.registration_date for r in book.records]
    pages = [written[p.index] for p in book.pages]
    return {
        "book_id": book.book_id,
        "office": book.office,
        "book_type": book.book_type,
        "era": book.era,
        "volume": book.volume,
        "year_from": min(dates).year,
        "year_to": max(dates).year,
        "layout_kind": book.layout_kind,
        "header": headers.manifest_entry(book.header, split) if book.layout_kind == "ledger" else None,
        "pages": [w.image for w in pages],
        "page_details": [
            {
                "image": w.image,
                "page": p.page,
                "rotation": w.rotation,
                "skew_deg": w.skew_deg,
                "style": book.pen.style,
                "font": book.pen.family,
                "records": n,
            }
            for p, w, n in zip(book.pages, pages, book.rows, strict=True)
        ],
    }


def make_samples(
    out: Path,
    seed: int,
    *,
    books_per_type: int = 1,
    pages_per_book: int = 3,
    style: str = "mixed",
    eras: list[str] | None = None,
    types: list[str] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    header_shape: str = "layout",
    split: str = "fit",
    widths: str = "layout",
) -> dict[str, Any]:
    """Write sample books with ground truth into ``out``; returns the manifest (also in manifest.json).

    ``style`` is ``typed``, ``handwritten`` or ``mixed`` (each book drawn at random: ledgers mostly
    handwritten, forms mostly typed). ``eras`` and ``types`` select a subset (default all); ``workers``
    is the number of rendering processes (default one per core); ``progress(done, total)`` is called as
    pages are finished. ``header_shape`` (``layout``, ``one_row``, ``numbered``, ``three_rows`` or
    ``mixed``: one per book), ``widths`` (``layout`` or ``jitter``: printers' column widths) and ``split``
    (``fit`` or ``eval``: disjoint caption wordings and width draws, see :mod:`samples.headers`) choose
    how ledger column headers are printed; the defaults draw them as the layout says. Raises :class:`InputError` for bad arguments and :class:`DataDirError` when
    ``out`` cannot be written.
    """
    out = Path(out)
    chosen_eras, chosen_types = _validate(
        out, seed, books_per_type, pages_per_book, style, eras, types, workers, header_shape, split, widths
    )
    expected = len(chosen_eras) * len(chosen_types) * books_per_type * pages_per_book
    n_workers = min(workers or os.cpu_count() or 1, expected)
    with contextlib.ExitStack() as stack:
        pool = None
        if n_workers > 1:  # start the workers now: they load while the population is simulated
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=n_workers, mp_context=get_context("spawn"), initializer=_init_worker
                )
            )
            pool.submit(_nothing)
        books = _plan_books(
            seed,
            books_per_type,
            pages_per_book,
            style,
            chosen_eras,
            chosen_types,
            header_shape,
            split,
            widths,
        )
        for book in books:  # a rerun replaces a book's pages (a page may switch between .png and .jpg)
            folder = out / "books" / book.book_id
            if folder.is_dir():
                shutil.rmtree(folder)
        pages = [p for b in books for p in b.pages]
        log.info("rendering %d pages of %d books with %d workers", len(pages), len(books), n_workers)
        written = _render_all(pages, out, pool, progress)
    manifest: dict[str, Any] = {
        "seed": seed,
        "style": style,
        "generator": GENERATOR,
        "bbox": "[x, y, w, h] in pixels of the saved image, after skew and rotation",
        "split": split,
        "header_shape": header_shape,
        "widths": widths,
        "books": [_book_entry(b, written, split) for b in books],
    }
    truth = _truth_lines(books, written)
    _write_text(out / "truth.jsonl", "".join(line + "\n" for line in truth))
    _write_text(
        out / "manifest.json", json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    )
    return manifest
