"""The scan-batch flow: one book's page files → pages registered → OCR per page (one worker per core) →
records staged → persons linked.

Thin by design: every step is a plain function of ocr/ or loaders/. Database writes happen in the flow's
process, one transaction per page (the page's records and its ``staged`` state commit together), so a
crash at any moment leaves each page either fully staged or still pending, and a rerun reads only the
pending ones. Page reads run as one Prefect task per page on the flow's task runner: OCR processes of
:mod:`flows.pool`, or a Dask cluster (:func:`run_scan` picks it).
"""

from __future__ import annotations

import itertools
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import TaskRunner

from flows import pool, progress
from flows.settings import (
    DB_RETRIES,
    DB_RETRY_DELAY_S,
    BookRef,
    ScanParams,
    database_trouble,
    ensure_office,
    is_database_trouble,
    shared_prefect_api,
)
from flows.settings import session as db_session
from ocr.job import PageOutcome, read_page_file

if TYPE_CHECKING:  # the database modules are imported by the tasks that use them (see flows.settings)
    from loaders.models import Book


@task(
    name="register-pages",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def register_pages(params: ScanParams) -> tuple[int, int, dict[str, Any]]:
    """Register the book, a new batch and every page of the files; (book id, batch id, ingest report)."""
    from loaders import ingest
    from loaders.models import BookStatus
    from ocr.inspect import describe_file

    files = [describe_file(Path(p)) for p in params.files]
    with db_session() as session:
        ensure_office(session, params.book.office)
        book = _book(session, params.book)
        batch = ingest.start_batch(session, book, params.source, actor=params.actor)
        report = ingest.ingest_files(session, book, files, batch_id=batch.id, actor=params.actor)
        if book.status == BookStatus.REGISTERED:
            book.status = BookStatus.SCANNING
        return book.id, batch.id, report.to_dict()


def _book(session: Any, ref: BookRef) -> Book:
    from loaders import registry

    return registry.register_book(
        session,
        office_code=ref.office,
        book_type=ref.book_type,
        era=ref.era,
        volume=ref.volume,
        year_from=ref.year_from,
        year_to=ref.year_to,
    )


@task(
    name="pending-pages",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def pending_pages(book_id: int) -> list[tuple[int, str, int]]:
    """(page id, image path, frame) of the book's pages not read yet, in page order."""
    from loaders import ingest

    with db_session() as session:
        return [
            (p.id, p.image_path, int(p.quality.get("frame", 0)))
            for p in ingest.pending_pages(session, book_id)
        ]


@task(name="read-page", task_run_name="read-page-{page_id}")
def read_page(
    page_id: int, path: str, frame: int, book_type: str, era: str, layout_path: str | None, engine: str
) -> PageOutcome:
    """OCR of one page: on a worker of the flow's OCR pool, or here when the task itself runs on a worker
    (a Dask cluster). No database here."""
    args = (page_id, path, frame, book_type, era)
    ocr_pool = pool.active()
    if ocr_pool is not None:
        return ocr_pool.read(*args, layout_path=layout_path, engine=engine)
    return read_page_file(*args, layout_path=layout_path, engine=engine)


#: Pauses (seconds) before each new try of a page's save when the database failed (as the tasks' retries).
SAVE_RETRY_DELAY_S = DB_RETRY_DELAY_S


def save_page(outcome: PageOutcome, layout_path: str | None, actor: str) -> int:
    """Stage the page's records, or quarantine it, in one transaction; the number of records staged.

    A plain function in the flow's process, not a Prefect task: the page's state in Prefect is its read
    task's, and a task run per save doubled the API traffic (task run, states, logs, events) that the flow's
    process and Prefect's server handle while the OCR workers need the cores. The database is tried again
    as the tasks are (``DB_RETRIES`` times, after ``SAVE_RETRY_DELAY_S``), and only when it is what failed.
    """
    for attempt in range(DB_RETRIES + 1):
        try:
            return _save_page(outcome, layout_path, actor)
        except Exception as exc:
            if attempt == DB_RETRIES or not is_database_trouble(exc):
                raise
            pause = SAVE_RETRY_DELAY_S[min(attempt, len(SAVE_RETRY_DELAY_S) - 1)]
            get_run_logger().warning(
                "page %s not saved (%s); trying again in %s s", outcome.page_id, exc, pause
            )
            time.sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises


def _save_page(outcome: PageOutcome, layout_path: str | None, actor: str) -> int:
    from loaders import ingest
    from loaders.models import Page
    from loaders.staging import stage_records

    with db_session() as session:
        page = session.get(Page, outcome.page_id)
        if page is None or page.status != "ingested":
            return 0  # already saved by an earlier run
        if outcome.quarantine_reason:
            ingest.quarantine_page(
                session, page, outcome.quarantine_reason, quality=outcome.quality, actor=actor
            )
            return 0
        page.quality = {**page.quality, **outcome.quality}
        result = stage_records(
            session,
            page,
            outcome.records,
            actor=actor,
            layout_path=Path(layout_path) if layout_path else None,
        )
        return result.created


@task(
    name="link-persons",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def link_persons(office: str, actor: str) -> dict[str, Any]:
    """Link the people named in the office's new records (incremental)."""
    from loaders.persons import link_office

    with db_session() as session:
        summary = link_office(session, office, actor=actor)
    return summary.to_dict() if hasattr(summary, "to_dict") else dict(vars(summary))


@task(
    name="finish-batch",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def finish_batch(book_id: int, batch_id: int, counts: dict[str, Any], actor: str) -> None:
    """Close the batch with its counts; a book with no page left to read is ``scanned``."""
    from loaders import ingest
    from loaders.models import Batch, Book, BookStatus

    with db_session() as session:
        batch = session.get(Batch, batch_id)
        book = session.get(Book, book_id)
        assert batch is not None and book is not None
        ingest.finish_batch(session, batch, counts, failed=False, actor=actor)
        if not ingest.pending_pages(session, book_id) and book.status in (
            BookStatus.REGISTERED,
            BookStatus.SCANNING,
        ):
            book.status = BookStatus.SCANNED


def scan_book(params: ScanParams) -> dict[str, Any]:
    """The steps of a scan batch, on the task runner of the flow that calls it (scan-batch or campaign).

    If a step fails, the batch is closed as ``failed`` (when the database allows) and the error raised:
    the pages already staged stay staged and a rerun reads the rest.
    """
    log = get_run_logger()
    book_id, batch_id, report = register_pages(params)
    try:
        counts = _read_and_stage(params, book_id, report)
    except BaseException as exc:
        _close_failed(book_id, batch_id, params.actor, exc)
        raise
    finish_batch(book_id, batch_id, counts, params.actor)
    log.info(
        "book %s batch %s: %s pages read, %s records staged",
        book_id,
        batch_id,
        counts["pages_read"],
        counts["records_staged"],
    )
    return {**counts, "book_id": book_id, "batch_id": batch_id}


#: Page reads submitted ahead per OCR worker: enough to keep every worker busy, few enough that a batch of
#: thousands of pages holds a few dozen submitted reads and their results in the flow's process, not all
#: of them (Prefect keeps each submitted task's pickled call, and each future its result).
READ_AHEAD_PER_WORKER = 4


def read_ahead(workers: int) -> int:
    """How many page reads to keep submitted: READ_AHEAD_PER_WORKER per OCR worker (the flow's OCR pool's,
    else the task runner's threads; 16 workers assumed for a Dask cluster, whose size the flow does not
    know)."""
    from prefect.context import FlowRunContext

    ocr_pool = pool.active()
    if ocr_pool is not None:
        return READ_AHEAD_PER_WORKER * max(workers, ocr_pool.workers)
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    size = getattr(runner, "_max_workers", None) if runner is not None else None
    if runner is not None and size is None:
        size = 16
    return READ_AHEAD_PER_WORKER * max(workers, size or 1)


def _read_and_stage(params: ScanParams, book_id: int, report: dict[str, Any]) -> dict[str, Any]:
    log = get_run_logger()
    jobs = pending_pages(book_id)
    log.info(
        "book %s: %d new pages, %d to read, %d quarantined",
        book_id,
        report["new_pages"],
        len(jobs),
        len(report["quarantined"]),
    )
    layout = str(params.layout_path) if params.layout_path else None
    waiting = iter(jobs)
    in_flight: set[PrefectFuture[PageOutcome]] = set()

    def submit(count: int) -> None:
        for pid, path, frame in itertools.islice(waiting, count):
            book = params.book
            in_flight.add(read_page.submit(pid, path, frame, book.book_type, book.era, layout, params.engine))

    submit(read_ahead(params.workers))
    staged = read = 0
    quarantined = list(report["quarantined"])
    progress.report("pages", 0, len(jobs))
    while in_flight:
        future = next(as_completed(list(in_flight)))
        in_flight.discard(future)
        submit(1)
        outcome: PageOutcome = future.result()
        staged += save_page(outcome, layout, params.actor)
        read += 1
        if outcome.quarantine_reason:
            quarantined.append({"page_id": outcome.page_id, "reason": outcome.quarantine_reason})
        progress.report("pages", read, len(jobs))
    counts: dict[str, Any] = {
        **report,
        "pages_read": read,
        "records_staged": staged,
        "quarantined": quarantined,
    }
    if params.link:
        counts["linking"] = link_persons(params.book.office, params.actor)
    return counts


def _close_failed(book_id: int, batch_id: int, actor: str, exc: BaseException) -> None:
    """Mark the batch failed with the error; if the database is the problem, leave it (a rerun resumes)."""
    from loaders import ingest
    from loaders.models import Batch

    try:
        with db_session() as session:
            batch = session.get(Batch, batch_id)
            if batch is not None:
                ingest.finish_batch(session, batch, {"error": str(exc)}, failed=True, actor=actor)
    except Exception as again:  # the database may be what failed
        get_run_logger().warning("batch %s of book %s not marked failed: %s", batch_id, book_id, again)


@flow(name="scan-batch", validate_parameters=True)
def scan_batch(params: ScanParams) -> dict[str, Any]:
    """Scan one batch of a book (see the module's docstring); returns the batch's counts."""
    return scan_book(params)


def task_runner(workers: int, dask_address: str | None = None, engine: str = "tesserocr") -> TaskRunner[Any]:
    """Where page reads run: a Dask cluster at ``dask_address``, else ``workers`` OCR processes spawned and
    warmed as the flow starts, each page's task in a thread of the flow's process
    (:class:`flows.pool.OcrTaskRunner`)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return pool.OcrTaskRunner(max_workers=max(1, workers), engine=engine)


def run_scan(params: ScanParams, *, dask_address: str | None = None) -> dict[str, Any]:
    """Run :func:`scan_batch` with the task runner for ``params.workers``."""
    runner = task_runner(params.workers, dask_address, params.engine)
    with started(runner), shared_prefect_api():
        result: dict[str, Any] = scan_batch.with_options(task_runner=runner)(params)
    return result


def started(runner: TaskRunner[Any]) -> AbstractContextManager[Any]:
    """The OCR workers started now, so they get ready while Prefect's temporary server starts and the flow
    registers the pages (other task runners are started by the flow itself)."""
    return runner if isinstance(runner, pool.OcrTaskRunner) else nullcontext()
