"""Where sohoa finds its configuration and keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """The folder of YAML configuration (``SOHOA_CONFIG_DIR`` overrides the bundled ``configs/``)."""
    return Path(os.environ.get("SOHOA_CONFIG_DIR", REPO_ROOT / "configs"))


def data_dir() -> Path:
    """The working data folder (``SOHOA_DATA_DIR``, default ``./data``)."""
    return Path(os.environ.get("SOHOA_DATA_DIR", "data"))
