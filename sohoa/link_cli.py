"""``sohoa link``: person linking over the database (see linkage/ and loaders/)."""

from __future__ import annotations

from sohoa.errors import StateError


def run_link_cli(*, office: str | None) -> None:
    """Link the mentions of not-yet-linked records of ``office`` (or of every office)."""
    raise StateError(f"person linking over the database is not built yet (office {office or 'all'})")
