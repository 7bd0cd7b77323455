"""``sohoa load``: approved records into the official partition and export packages."""

from __future__ import annotations

from pathlib import Path

from sohoa.errors import StateError


def run_load_cli(*, office: str, out_dir: Path) -> None:
    """Load the approved records of ``office`` and write one export package per book under ``out_dir``."""
    raise StateError(f"loading is not built yet (office {office}, {out_dir})")
