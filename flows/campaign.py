"""The campaign flow: every book of an office (and the offices under it) in the plan's priority order.

The books come from a campaign folder (see :mod:`flows.books`: a ``manifest.json`` or one folder per book
named ``<book_type>_<era>_<volume>``), ordered by the plan's era order and, inside an era, by book group
(marriage → birth → parent recognition → marital status → death → others). A finished book (scanned to the
end, every file accounted for) is skipped; an unfinished one is resumed: scan-batch registers only new
files and reads only the pages not read yet. Each book runs the scan-batch steps
(:func:`flows.scan.scan_book`) on the campaign's task runner, so one pool of OCR workers serves every book.

The campaign stops at the first book that fails (the error names the book): the books before it are
done, and a rerun starts again at that book.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows import progress
from flows.books import CampaignBook, campaign_books, is_finished
from flows.scan import scan_book, started, task_runner
from flows.settings import (
    DB_RETRIES,
    DB_RETRY_DELAY_S,
    ScanParams,
    database_trouble,
    ensure_office,
    shared_prefect_api,
)
from flows.settings import session as db_session
from loaders import registry
from loaders.official import offices_under
from sohoa.errors import SohoaError


class CampaignParams(BaseModel):
    """One campaign: the folder of the books, the office, the OCR workers."""

    root: Path = Field(description="A folder with a manifest.json, or one folder per book.")
    office: str = Field(description="The office whose books (with the offices under it) are scanned.")
    workers: int = Field(default=1, ge=1, le=64)
    engine: str = "tesserocr"
    link: bool = True
    actor: str = "flow:campaign"


class CampaignError(SohoaError):
    """A book of the campaign failed; the books before it are done."""


@task(
    name="plan-campaign",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=database_trouble,
)
def plan_campaign(params: CampaignParams) -> list[tuple[CampaignBook, bool]]:
    """The campaign's books in order, each with whether it is already finished."""
    with db_session() as session:
        ensure_office(session, params.office)
        registry.get_office(session, params.office)
        books = campaign_books(params.root, params.office, offices_under(session, params.office))
        return [(book, is_finished(session, book)) for book in books]


@flow(name="campaign", validate_parameters=True)
def campaign(params: CampaignParams) -> dict[str, Any]:
    """Scan every unfinished book of the campaign in priority order (see the module's docstring)."""
    log = get_run_logger()
    plan = plan_campaign(params)
    todo = sum(not finished for _, finished in plan)
    log.info("campaign %s: %d books, %d to scan", params.office, len(plan), todo)
    books: list[dict[str, Any]] = []
    done = 0
    progress.report("books", 0, todo)
    for item, finished in plan:
        entry: dict[str, Any] = {**item.book.model_dump(), "label": item.label, "files": len(item.files)}
        if finished:
            books.append({**entry, "status": "skipped"})
            continue
        log.info("book %s: %d files", item.label, len(item.files))
        scan = ScanParams(
            book=item.book,
            files=item.files,
            source=item.source,
            workers=params.workers,
            engine=params.engine,
            link=params.link,
            actor=params.actor,
        )
        try:
            counts = scan_book(scan)
        except Exception as exc:
            failed = CampaignError(
                f"sổ {item.label} bị lỗi: {exc}",
                hint="khắc phục nguyên nhân rồi chạy lại đợt số hóa: các sổ đã xong được bỏ qua, "
                "sổ này tiếp tục từ chỗ đã dừng",
            )
            failed.exit_code = getattr(exc, "exit_code", CampaignError.exit_code)
            raise failed from exc
        books.append({**entry, "status": "scanned", **_brief(counts)})
        done += 1
        progress.report("books", done, todo)
    return {
        "office": params.office,
        "books": books,
        "scanned": done,
        "skipped": len(plan) - todo,
        "pages_read": sum(b.get("pages_read", 0) for b in books),
        "records_staged": sum(b.get("records_staged", 0) for b in books),
        "quarantined": sum(b.get("quarantined", 0) for b in books),
    }


def _brief(counts: dict[str, Any]) -> dict[str, Any]:
    return {
        "book_id": counts["book_id"],
        "new_pages": counts["new_pages"],
        "pages_read": counts["pages_read"],
        "records_staged": counts["records_staged"],
        "quarantined": len(counts["quarantined"]),
        "quarantine_reasons": [q["reason"] for q in counts["quarantined"]],
        "duplicates": len(counts["duplicates"]),
    }


def run_campaign(params: CampaignParams, *, dask_address: str | None = None) -> dict[str, Any]:
    """Run :func:`campaign` with the task runner for ``params.workers`` (or a Dask cluster)."""
    runner = task_runner(params.workers, dask_address, params.engine)
    with started(runner), shared_prefect_api():
        result: dict[str, Any] = campaign.with_options(task_runner=runner)(params)
    return result
