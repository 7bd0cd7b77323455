"""Shared rich consoles for the CLI (library code logs; only the CLI prints)."""

from __future__ import annotations

from rich.console import Console

out = Console()
err = Console(stderr=True)
