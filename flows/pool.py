"""The OCR worker pool of the scan flows: Prefect's process-pool task runner, started at once and warmed.

Prefect's :class:`~prefect.task_runners.ProcessPoolTaskRunner` spawns its worker processes at the first
task submitted, and each one then imports Prefect and the OCR stack and loads Tesseract's model before its
first page: a fixed cost of a few seconds per batch that came *after* the flow process had registered the
pages (sha256 of every file) instead of beside it. :class:`OcrProcessPool` spawns every worker as soon as
the flow enters its task runner and warms it there (:func:`warm_worker`), so the workers get ready while
the flow process registers the pages, and the first page reads start on warm workers.

One core per worker: Tesseract runs with ``OMP_THREAD_LIMIT=1`` (set by ``flows``), and OpenCV, which by
default runs a thread per core in every process, gets the cores divided among the workers
(:func:`cv_threads`): two workers on two cores each with two OpenCV threads oversubscribe the machine.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Self

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

log = logging.getLogger(__name__)


def cv_threads(workers: int, cores: int | None = None) -> int:
    """OpenCV threads per worker process: the machine's cores shared among ``workers`` (at least one)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def warm_worker(engine: str, threads: int) -> None:
    """Get a worker process ready for page reads: OpenCV's threads, the OCR stack and the scan tasks'
    module imported, this process's OCR engine made and its model loaded.

    Never raises: an engine that cannot start is reported by the first page read, with its reason (an
    initializer that raised would break the whole pool with a less helpful error).
    """
    try:
        import cv2

        cv2.setNumThreads(threads)
        import flows.scan  # noqa: F401  (the module of the page-read task: its first unpickling is free)
        from ocr.job import worker_engine

        ocr_engine = worker_engine(engine)
        warm_up = getattr(ocr_engine, "warm_up", None)
        if callable(warm_up):
            warm_up()
    except Exception as exc:  # the first page read raises it again, with the engine's own message
        log.warning("OCR worker %d not warmed up: %s", os.getpid(), exc)


def _ready() -> int:
    return os.getpid()


class OcrProcessPool(ProcessPoolTaskRunner):
    """``max_workers`` OCR processes, spawned and warmed when the flow starts (see the module's docstring)."""

    def __init__(self, max_workers: int, engine: str = "tesserocr") -> None:
        super().__init__(
            max_workers=max_workers, initializer=warm_worker, initargs=(engine, cv_threads(max_workers))
        )
        self.engine = engine
        self._depth = 0  # how many times entered and not yet left (see __enter__)

    def duplicate(self) -> Self:
        """A fresh copy, or this pool itself while it runs: a flow given a pool started beforehand
        (:func:`flows.scan.run_scan` starts it beside Prefect's temporary server) reads on its workers."""
        if self._depth:
            return self
        twin = type(self)(max_workers=self._max_workers, engine=self.engine)
        twin.subprocess_message_processor_factories = self.subprocess_message_processor_factories
        return twin

    def __reduce__(self) -> tuple[type[ThreadPoolTaskRunner[Any]], tuple[int]]:
        """A copy sent to a worker process is a one-thread runner.

        Prefect pickles the flow, with its task runner, into the context of every task it runs in a worker,
        and enters a duplicate of that runner around the task. A process pool there would cost every page
        an executor, a queue and a thread started and stopped (about 50 ms), and this pool would spawn its
        workers' own workers. A page read never fans out, so a worker needs no more than one thread.
        """
        return ThreadPoolTaskRunner, (1,)

    def __enter__(self) -> Self:
        """Start the pool and spawn every worker now; entered again while it runs (by the flow that was
        handed it), it only counts, and the pool stops when the outermost ``with`` ends."""
        if self._depth:
            self._depth += 1
            return self
        super().__enter__()
        self._depth = 1
        if self._executor is not None:
            # A process pool spawns a worker per task submitted while none is idle, up to its size: these
            # no-op calls start all of them now, and each runs warm_worker before anything else.
            for _ in range(self._max_workers):
                self._executor.submit(_ready)
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self._depth -= 1
        if self._depth > 0:
            # The flow that used the pool is over: what Prefect cached for its tasks (its flow run's
            # context) must not reach the tasks of another one.
            self._cached_context = self._cached_env = None
            return
        super().__exit__(exc_type, exc_value, traceback)
