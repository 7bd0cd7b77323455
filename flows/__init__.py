"""Prefect flows and tasks: thin wrappers that call the packages' plain functions.

Importing this package sets Prefect's defaults for the embedded mode before Prefect is loaded: no analytics,
Prefect's own state under the data folder (``<data>/prefect``, so a demo or a test run leaves nothing in the
home folder and runs side by side with others), and a patient start of the temporary local API server on
a busy machine. Settings already in the environment win. The Prefect home folder is created here
(with its parents: Prefect makes only the last level, and a fresh checkout has no ``./data``).
"""

import contextlib
import os

from sohoa.paths import data_dir

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str((data_dir() / "prefect").resolve()))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# Prefect makes its home folder without parents: a fresh checkout has no ./data yet.
with contextlib.suppress(OSError):  # Prefect says so itself, with the path
    os.makedirs(os.environ["PREFECT_HOME"], mode=0o700, exist_ok=True)
