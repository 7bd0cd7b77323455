"""The flows as a district's Prefect server runs them (the entrypoints of ``prefect.yaml``).

A worker of the district's work pool imports this module; the page reads of scan-batch and campaign go to
the task runner its environment names:

* ``SOHOA_DASK_ADDRESS`` (e.g. ``tcp://10.0.0.5:8786``): a Dask cluster through prefect-dask (page images
  must then be on storage every Dask worker sees, at the same path);
* otherwise ``SOHOA_WORKERS`` OCR processes on the worker's machine (default: one per core).

The database is the worker's ``SOHOA_DATABASE_URL`` (PostgreSQL for a district).

``python -m flows.deploy --all`` is ``prefect deploy --all`` (the deployments of ``prefect.yaml``) with one
fix: Prefect 3.8.8's client asks the server for a work pool's workers with ``"offset": null, "limit": null``
after creating each deployment, and the server with the FastAPI of ``requirements.lock`` answers 422 (the
fields are integers), so plain ``prefect deploy --all`` stops after the first deployment.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from prefect.task_runners import TaskRunner

from flows.campaign import campaign as _campaign
from flows.load import load_approved_flow as _load_approved
from flows.report import report_flow as _report
from flows.scan import scan_batch as _scan_batch
from flows.scan import task_runner

ENV_DASK = "SOHOA_DASK_ADDRESS"
ENV_WORKERS = "SOHOA_WORKERS"


def runner_from_env() -> TaskRunner[Any]:
    """The task runner for page reads named by the environment (see the module's docstring)."""
    workers = int(os.environ.get(ENV_WORKERS) or os.cpu_count() or 1)
    return task_runner(workers, os.environ.get(ENV_DASK) or None)


scan_batch = _scan_batch.with_options(task_runner=runner_from_env())
campaign = _campaign.with_options(task_runner=runner_from_env())
load_approved = _load_approved
report = _report


def fix_worker_listing() -> None:
    """Make Prefect's client send the default offset and limit (0 and 200) when listing a work pool's workers
    instead of nulls the server refuses (see the module's docstring)."""
    from prefect.client.orchestration import PrefectClient

    original = PrefectClient.read_workers_for_work_pool
    if getattr(original, "_sohoa_fixed", False):
        return

    async def read_workers_for_work_pool(
        self: PrefectClient,
        work_pool_name: str,
        worker_filter: Any = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> Any:
        return await original(
            self,
            work_pool_name,
            worker_filter,
            0 if offset is None else offset,
            200 if limit is None else limit,
        )

    read_workers_for_work_pool._sohoa_fixed = True  # type: ignore[attr-defined]
    PrefectClient.read_workers_for_work_pool = read_workers_for_work_pool  # type: ignore[method-assign,assignment]


def main(argv: list[str] | None = None) -> int:
    """``prefect deploy ARGS`` with :func:`fix_worker_listing` (run from the checkout with ``prefect.yaml``)."""
    from prefect.cli import app

    fix_worker_listing()
    sys.argv = ["prefect", "deploy", *(sys.argv[1:] if argv is None else argv)]  # Prefect's CLI reads them
    try:
        app()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
