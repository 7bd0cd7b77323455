"""``sohoa report …``: progress, quality and vital-statistics reports (see reports/)."""

from __future__ import annotations

import typer

report_app = typer.Typer(help="Progress, quality and vital-statistics reports.", no_args_is_help=True)
