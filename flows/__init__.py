"""Prefect flows and tasks: thin wrappers that call the packages' plain functions (issue: flows end to end)."""
