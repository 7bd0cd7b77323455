"""The flows as a district's Prefect server runs them (the entrypoints of ``prefect.yaml``).

A worker of the district's work pool imports this module; the page reads of scan-batch and campaign go to
the task runner its environment names:

* ``SOHOA_DASK_ADDRESS`` (e.g. ``tcp://10.0.0.5:8786``): a Dask cluster through prefect-dask (page images
  must then be on storage every Dask worker sees, at the same path);
* otherwise ``SOHOA_WORKERS`` OCR processes on the worker's machine (default: one per core).

The database is the worker's ``SOHOA_DATABASE_URL`` (PostgreSQL for a district).
"""

from __future__ import annotations

import os
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
