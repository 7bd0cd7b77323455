"""The OCR workers of the scan flows: page reads in processes of their own, each page's Prefect task in a
thread of the flow's process.

Each page is one Prefect task run (its states are what the Prefect UI shows per page), but the task runs in
a thread of the flow's process and hands the page to a plain process pool (:class:`OcrPool`) whose workers
only read pages: no Prefect, no database. Prefect's own process-pool task runner ran the task engine in the
worker instead, and that cost every page about 90 ms of the worker's CPU (a hydrated copy of the flow's
context: settings rebuilt, a new API client with its TLS context loaded from certifi's bundle) and about
35 ms of the API server's (new connections per task); in a thread of the flow's process the same task run
costs about 7 ms there and 8 ms in the server (``benchmarks/RESULTS.md``, flows).

One core per worker: Tesseract runs with ``OMP_THREAD_LIMIT=1`` (set by ``flows``) and OpenCV with one
thread (:func:`warm_worker`). Every worker is spawned and warmed (OCR stack imported, Tesseract's model
loaded) as the pool starts, beside Prefect's temporary server start and the page registration.

A worker that dies (a crash inside Tesseract or OpenCV, the kernel's OOM killer) breaks a process pool and
every read in flight. The pool is then replaced, and each page that was in flight is read again alone in a
process of its own: a page that kills that one too is set aside with the reason ``crashed``; the others are
read as usual.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Self

from prefect.task_runners import ThreadPoolTaskRunner

from flows import lifeline
from ocr.job import PageOutcome, read_page_file

log = logging.getLogger(__name__)

#: Reads a page in a worker: (page id, path, frame, book type, era, layout path, engine) → outcome.
PageReader = Callable[..., PageOutcome]

_active: OcrPool | None = None


def warm_worker(engine: str, parent: int | None = None) -> None:
    """Get a worker process ready for page reads: OpenCV on one thread, this process's OCR engine made
    and its model loaded; the worker ends when ``parent``, the process that started it, does
    (:func:`flows.lifeline.follow`: given by the parent itself, since if it was killed while this worker
    was still starting, this one's parent is already another process). A worker started so ignores Ctrl-C:
    the terminal sends it to every process of the run, and the flow's process stops the pool itself
    (a worker stopped by it would print a traceback and break the pool).

    Never raises: an engine that cannot start is reported by the first page read, with its reason (an
    initializer that raised would break the whole pool with a less helpful error).
    """
    if parent is not None:  # a worker spawned by the main thread ignores it already (flows.lifeline)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.follow(parent if parent is not None else os.getppid())
    try:
        import cv2

        cv2.setNumThreads(1)
        from ocr.job import worker_engine

        ocr_engine = worker_engine(engine)
        warm_up = getattr(ocr_engine, "warm_up", None)
        if callable(warm_up):
            warm_up()
    except Exception as exc:  # the first page read raises it again, with the engine's own message
        log.warning("OCR worker %d not warmed up: %s", os.getpid(), exc)


def _ready() -> int:
    return os.getpid()


def active() -> OcrPool | None:
    """The OCR pool started in this process, if any (a Dask worker or a plain call has none)."""
    return _active


class OcrPool:
    """``workers`` page-reading processes, spawned and warmed at :meth:`start` (see the module's docstring)."""

    def __init__(self, workers: int, engine: str = "tesserocr", reader: PageReader = read_page_file) -> None:
        self.workers = max(1, workers)
        self.engine = engine
        self.reader = reader
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor_of(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_worker,
            initargs=(self.engine, os.getpid()),
        )

    def _spawn(self, workers: int) -> ProcessPoolExecutor:
        executor = self._executor_of(workers)
        # A process pool spawns a worker per call submitted while none is idle, up to its size: these no-op
        # calls start all of them now, and each runs warm_worker before anything else.
        with lifeline.children_ignore_ctrl_c():
            for _ in range(workers):
                executor.submit(_ready)
        return executor

    def start(self) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = self._spawn(self.workers)

    def stop(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def pids(self) -> set[int]:
        """The worker processes' ids (for tests and the benchmark)."""
        executor = self._executor
        return set(executor._processes) if executor is not None else set()  # type: ignore[attr-defined]

    def read(self, page_id: int, *args: Any, **kwargs: Any) -> PageOutcome:
        """Read one page on a worker; a worker's death costs the pages in flight a second read, alone."""
        with self._lock:
            executor = self._executor
        if executor is None:
            raise RuntimeError("the OCR pool is not started")
        try:
            return executor.submit(self.reader, page_id, *args, **kwargs).result()
        except BrokenProcessPool:
            log.warning("an OCR worker died while page %s was being read; reading it again alone", page_id)
            self._replace(executor)
            return self._read_alone(page_id, *args, **kwargs)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:  # the first thread to notice replaces it; the others reuse it
                self._executor = self._spawn(self.workers)
        broken.shutdown(wait=False, cancel_futures=True)

    def _read_alone(self, page_id: int, *args: Any, **kwargs: Any) -> PageOutcome:
        with self._executor_of(1) as alone:
            try:
                return alone.submit(self.reader, page_id, *args, **kwargs).result()
            except BrokenProcessPool:
                log.error("page %s kills the OCR worker that reads it: set aside", page_id)
                return PageOutcome(
                    page_id,
                    quarantine_reason="crashed: trang này làm bộ đọc OCR bị dừng đột ngột; "
                    "kiểm tra tệp ảnh (quét lại hoặc lưu lại) rồi nạp lại",
                )


class OcrTaskRunner(ThreadPoolTaskRunner):
    """The scan flows' task runner: a thread per OCR worker in the flow's process, each handing its page to
    an :class:`OcrPool` started with the runner (see the module's docstring).

    Started beforehand (``with runner:`` before the flow, as :func:`flows.scan.run_scan` does, so the
    workers get ready while Prefect's server starts), the same runner and pool serve the flow that is
    handed it, and they stop when the outermost ``with`` ends.
    """

    def __init__(self, max_workers: int, engine: str = "tesserocr") -> None:
        # One thread more than workers: a page is always waiting in the pool when a worker finishes one.
        super().__init__(max_workers=max_workers + 1)
        self.engine = engine
        self.pool = OcrPool(max_workers, engine)
        self._depth = 0  # how many times entered and not yet left (see __enter__)

    @property
    def workers(self) -> int:
        return self.pool.workers

    def duplicate(self) -> Self:
        """A fresh copy, or this runner itself while it runs (a flow handed a started runner uses it)."""
        if self._depth:
            return self
        return type(self)(max_workers=self.pool.workers, engine=self.engine)

    def __enter__(self) -> Self:
        global _active
        if self._depth:
            self._depth += 1
            return self
        super().__enter__()
        self.pool.start()
        self._depth = 1
        _active = self.pool
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        global _active
        self._depth -= 1
        if self._depth > 0:
            return
        try:
            super().__exit__(exc_type, exc_value, traceback)
        finally:
            if _active is self.pool:
                _active = None
            self.pool.stop()
