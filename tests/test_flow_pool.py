"""The scan flows' OCR worker pool (flows.pool): every worker spawned as the pool starts, the same workers
serving the flow that is handed the started pool, no pool inside a worker, OpenCV's threads shared out."""

from __future__ import annotations

import logging
import os

import cloudpickle
import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.pool import OcrProcessPool, cv_threads, warm_worker
from flows.scan import started, task_runner
from flows.settings import shared_prefect_api


@task(name="worker-pid")
def worker_pid(_: int) -> int:
    return os.getpid()


@flow(name="pool-pids")
def pool_pids(n: int) -> list[int]:
    return [f.result() for f in [worker_pid.submit(i) for i in range(n)]]


def test_opencv_threads_are_the_cores_shared_among_the_workers() -> None:
    assert cv_threads(1, cores=2) == 2
    assert cv_threads(2, cores=2) == 1
    assert cv_threads(3, cores=2) == 1  # never none
    assert cv_threads(2, cores=8) == 4


def test_a_worker_whose_engine_cannot_start_is_left_for_the_first_page_to_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="flows.pool"):
        warm_worker("no-such-engine", 1)  # must not raise: a raising initializer breaks the whole pool
    assert "not warmed up" in caplog.text and "no-such-engine" in caplog.text


def test_task_runner_for_several_workers_is_the_ocr_pool() -> None:
    runner = task_runner(3, engine="pytesseract")
    assert isinstance(runner, OcrProcessPool)
    assert (runner._max_workers, runner.engine) == (3, "pytesseract")
    assert isinstance(task_runner(1), ThreadPoolTaskRunner)


def test_a_copy_sent_to_a_worker_is_a_one_thread_runner() -> None:
    # Prefect pickles the flow with its task runner into every task's context and enters a duplicate of it
    # around the task in the worker: a process pool there would spawn the workers' own workers.
    copy = cloudpickle.loads(cloudpickle.dumps(OcrProcessPool(max_workers=2)))
    assert type(copy) is ThreadPoolTaskRunner
    assert copy._max_workers == 1


@pytest.mark.slow
def test_every_worker_is_spawned_at_start_and_a_started_pool_is_reused_until_the_outer_exit() -> None:
    pool = OcrProcessPool(max_workers=2)
    assert pool.duplicate() is not pool  # not running: a fresh copy, as Prefect expects
    with started(pool):
        assert pool._executor is not None
        spawned = set(pool._executor._processes)  # type: ignore[attr-defined]
        assert len(spawned) == 2  # before any task was submitted
        assert pool.duplicate() is pool
        with pool.duplicate():  # a flow handed the running pool enters and leaves it
            pass
        assert pool._executor is not None and set(pool._executor._processes) == spawned  # type: ignore[attr-defined]
    assert pool._executor is None  # stopped at the outermost exit


@pytest.mark.slow
def test_a_flow_handed_a_started_pool_runs_its_tasks_on_the_workers_spawned_at_start() -> None:
    pool = OcrProcessPool(max_workers=2)
    with started(pool), shared_prefect_api():
        assert pool._executor is not None
        spawned = set(pool._executor._processes)  # type: ignore[attr-defined]
        pids = pool_pids.with_options(task_runner=pool)(6)
        assert set(pool._executor._processes) == spawned  # type: ignore[attr-defined]  # no other process
    assert len(pids) == 6 and set(pids) <= spawned and os.getpid() not in pids
