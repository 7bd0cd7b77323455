"""The scan flows' OCR workers (flows.pool): every worker spawned as the pool starts, the same workers
serving the flow handed the started runner, each page's Prefect task in a thread of the flow's process and
its read on a worker, and a worker's death costing one page, not the batch."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from pool_readers import crashing_reader, pid_reader
from prefect import flow

from flows import pool
from flows.pool import OcrPool, OcrTaskRunner, warm_worker
from flows.scan import read_page, started, task_runner
from flows.settings import shared_prefect_api
from sohoa.paths import REPO_ROOT


@flow(name="pool-reads")
def pool_reads(paths: list[str]) -> list[tuple[int, str]]:
    futures = [
        read_page.submit(i, p, 0, "birth", "2006-2015", None, "tesserocr") for i, p in enumerate(paths)
    ]
    outcomes = [f.result() for f in futures]
    return [(o.quality["pid"], o.quality["path"]) for o in outcomes]


def test_a_worker_whose_engine_cannot_start_is_left_for_the_first_page_to_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="flows.pool"):
        warm_worker("no-such-engine")  # must not raise: a raising initializer breaks the whole pool
    assert "not warmed up" in caplog.text and "no-such-engine" in caplog.text


def test_task_runner_is_the_ocr_runner_for_any_number_of_workers() -> None:
    runner = task_runner(3, engine="pytesseract")
    assert isinstance(runner, OcrTaskRunner)
    assert (runner.workers, runner.engine, runner.pool.engine) == (3, "pytesseract", "pytesseract")
    assert runner._max_workers == 4  # a thread per worker and one page waiting
    assert isinstance(task_runner(1), OcrTaskRunner) and task_runner(1).workers == 1
    assert task_runner(0).workers == 1


def test_a_pool_not_started_refuses_to_read() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        OcrPool(1).read(1, "a.png", 0, "birth", "2006-2015")


@pytest.mark.slow
def test_every_worker_is_spawned_at_start_and_a_started_runner_is_reused_until_the_outer_exit() -> None:
    runner = OcrTaskRunner(max_workers=2)
    assert runner.duplicate() is not runner  # not running: a fresh copy, as Prefect expects
    assert pool.active() is None
    with started(runner):
        spawned = runner.pool.pids()
        assert len(spawned) == 2  # before any page was submitted
        assert pool.active() is runner.pool
        assert runner.duplicate() is runner
        with runner.duplicate():  # a flow handed the running runner enters and leaves it
            pass
        assert runner.pool.pids() == spawned and pool.active() is runner.pool
    assert runner.pool.pids() == set() and pool.active() is None  # stopped at the outermost exit


@pytest.mark.slow
def test_a_flow_handed_a_started_runner_reads_its_pages_on_the_workers_spawned_at_start() -> None:
    runner = OcrTaskRunner(max_workers=2)
    runner.pool.reader = pid_reader
    with started(runner), shared_prefect_api():
        spawned = runner.pool.pids()
        read = pool_reads.with_options(task_runner=runner)([f"p{i}.png" for i in range(6)])
        assert runner.pool.pids() == spawned  # no other process
    assert [path for _, path in read] == [f"p{i}.png" for i in range(6)]
    pids = {pid for pid, _ in read}
    assert pids <= spawned and os.getpid() not in pids


@pytest.mark.slow
def test_a_page_that_kills_its_worker_is_set_aside_and_the_pages_beside_it_are_read() -> None:
    ocr_pool = OcrPool(2, reader=crashing_reader)
    ocr_pool.start()
    try:
        first = ocr_pool.pids()
        paths = ["a.png", "crash.png", "b.png", "c.png"]
        with ThreadPoolExecutor(3) as threads:  # as the flow's threads: several pages in flight at once
            outcomes = list(
                threads.map(lambda ip: ocr_pool.read(ip[0], ip[1], 0, "birth", "era"), enumerate(paths))
            )
        crashed = outcomes[1]
        assert crashed.page_id == 1 and crashed.records == []
        assert crashed.quarantine_reason is not None and crashed.quarantine_reason.startswith("crashed:")
        for outcome, path in zip(outcomes, paths, strict=True):
            if path != "crash.png":
                assert outcome.quarantine_reason is None and outcome.quality["path"] == path
        # the broken pool was replaced by new workers, which go on reading
        assert ocr_pool.pids() and not ocr_pool.pids() & first
        after = ocr_pool.read(9, "d.png", 0, "birth", "era")
        assert after.quarantine_reason is None and after.quality["pid"] in ocr_pool.pids()
    finally:
        ocr_pool.stop()


@pytest.mark.slow
def test_the_workers_end_when_the_flow_process_is_killed(tmp_path: Path) -> None:
    # kill -9 of the flow's process must not leave its OCR workers waiting for pages forever
    pids_file = tmp_path / "pids"
    script = tmp_path / "pool_owner.py"
    script.write_text(
        "import sys, time\n"
        "from flows.pool import OcrPool\n"
        "if __name__ == '__main__':\n"
        "    pool = OcrPool(2)\n"
        "    pool.start()\n"
        "    while len(pool.pids()) < 2:\n"
        "        time.sleep(0.1)\n"
        f"    open({str(pids_file)!r}, 'w').write(' '.join(map(str, pool.pids())))\n"
        "    time.sleep(600)\n",
        encoding="utf-8",
    )
    owner = subprocess.Popen([sys.executable, str(script)], cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        while not pids_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [int(p) for p in pids_file.read_text().split()]
        assert len(workers) == 2 and all(psutil.pid_exists(p) for p in workers)
    finally:
        owner.kill()
        owner.wait()
    _, alive = psutil.wait_procs([psutil.Process(p) for p in workers if psutil.pid_exists(p)], timeout=30)
    assert alive == []
