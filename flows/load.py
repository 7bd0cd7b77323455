"""The load-approved flow: an office's approved records → the official partition (state ``loaded``) → one
export package per book.

Thin by design: the tasks call :func:`loaders.official.load_approved` (one transaction per record,
idempotent) and :func:`loaders.export.export_book` (a package renamed into place only when complete).
Database steps retry on database trouble; a full disk or a permission problem fails at once with its
:class:`~sohoa.errors.DataDirError`. A book is exported when it has loaded records and its package is
missing or does not hold exactly them, so a rerun with nothing new writes nothing, and a rerun after a
failed export writes the missing package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows.settings import DB_RETRIES, DB_RETRY_DELAY_S, database_trouble, shared_prefect_api
from flows.settings import session as db_session
from loaders.export import books_with_loaded_records, export_book, package_is_current
from loaders.official import load_approved, offices_under


class LoadParams(BaseModel):
    """One load run: the office (with the offices under it) and where its packages go."""

    office: str
    out_dir: Path
    actor: str = Field(default="flow:load-approved", description="Who the audit rows name.")


@task(
    name="load-records",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def load_records(office: str, actor: str) -> dict[str, Any]:
    """Load the office's approved records, one transaction each."""
    with db_session() as session:
        return load_approved(session, office, actor=actor).to_dict()


@task(
    name="books-to-export",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def books_to_export(office: str, out_dir: Path) -> tuple[list[int], int]:
    """(books whose package is missing or out of date, books whose package is current)."""
    with db_session() as session:
        books = books_with_loaded_records(session, offices_under(session, office))
        stale = [b for b in books if not package_is_current(session, b, out_dir)]
    return stale, len(books) - len(stale)


@task(
    name="export-book",
    task_run_name="export-book-{book_id}",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def export_one(book_id: int, out_dir: Path, actor: str) -> dict[str, Any]:
    """Write the package of one book."""
    with db_session() as session:
        return export_book(session, book_id, out_dir, actor=actor).to_dict()


@flow(name="load-approved", validate_parameters=True)
def load_approved_flow(params: LoadParams) -> dict[str, Any]:
    """Load an office's approved records and export the packages of its books (see the module docstring)."""
    log = get_run_logger()
    loaded = load_records(params.office, params.actor)
    stale, current = books_to_export(params.office, params.out_dir)
    packages = [export_one(book_id, params.out_dir, params.actor) for book_id in stale]
    log.info(
        "office %s: %d records loaded, %d packages written, %d up to date",
        params.office,
        loaded["loaded"],
        len(packages),
        current,
    )
    return {**loaded, "packages": packages, "packages_current": current}


def run_load(params: LoadParams) -> dict[str, Any]:
    """Run :func:`load_approved_flow` in this process (with a temporary Prefect API unless one is set)."""
    with shared_prefect_api():
        result: dict[str, Any] = load_approved_flow(params)
    return result
