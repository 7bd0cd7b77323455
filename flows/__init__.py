"""Prefect flows and tasks: thin wrappers that call the packages' plain functions.

Importing this package sets Prefect's defaults for the embedded mode before Prefect is loaded: no analytics,
Prefect's own state under the data folder (``<data>/prefect``, so a demo or a test run leaves nothing in the
home folder and runs side by side with others), and a patient start of the temporary local API server on
a busy machine. Settings already in the environment win.
"""

import os

from sohoa.paths import data_dir

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str((data_dir() / "prefect").resolve()))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
