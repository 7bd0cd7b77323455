"""``sohoa campaign``: every book of an office's campaign folder, in priority order, with progress bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from sohoa.console import out

STATUS_VN = {"scanned": "đã quét", "skipped": "đã xong trước đó"}


def print_campaign(result: dict[str, Any]) -> None:
    """One line per book in the order it was taken, then the totals."""
    table = Table(title=f"Chiến dịch số hóa — cơ quan {result['office']} (theo thứ tự ưu tiên)")
    for col in ("#", "sổ", "tệp", "kết quả", "trang đọc", "bản ghi chờ duyệt", "cách ly"):
        table.add_column(col, justify="right" if col not in ("sổ", "kết quả") else "left")
    for i, book in enumerate(result["books"], start=1):
        table.add_row(
            str(i),
            book["label"],
            str(book["files"]),
            STATUS_VN.get(book["status"], book["status"]),
            str(book.get("pages_read", "")),
            str(book.get("records_staged", "")),
            str(book.get("quarantined", "")),
        )
    out.print(table)
    out.print(
        f"{result['scanned']} sổ đã quét, {result['skipped']} sổ bỏ qua (đã xong); "
        f"{result['pages_read']} trang đọc, {result['records_staged']} bản ghi chờ duyệt, "
        f"{result['quarantined']} trang cách ly.",
        highlight=False,
    )
    for book in result["books"]:
        for reason in book.get("quarantine_reasons", []):
            out.print(f"  [yellow]cách ly[/] {book['label']}: {reason}", highlight=False)


def check_campaign(root: Path, office: str) -> None:
    """Fail fast, before the flow and Prefect's server start: the office exists and the folder holds its
    books (a readable manifest, or book folders whose names parse, each with page images). The flow plans
    the campaign again (the folder may change meanwhile); this costs a listing of the folder."""
    from flows.books import campaign_books
    from loaders import db, registry
    from loaders.official import offices_under

    engine = db.make_engine(db.database_url())
    try:
        with db.session_scope(engine) as session:
            registry.get_office(session, office)
            campaign_books(root, office, offices_under(session, office))
    finally:
        engine.dispose()


def run_campaign_cli(
    root: Path,
    *,
    office: str,
    workers: int | None,
    dask_address: str | None = None,
    engine: str = "tesserocr",
    quiet: bool = False,
) -> dict[str, Any]:
    """Run the campaign flow on ``root`` for ``office`` and print what it did."""
    from flows.campaign import CampaignParams, run_campaign
    from sohoa.flows_cli import default_workers, prepare_database, with_progress

    params = CampaignParams(root=root, office=office, workers=workers or default_workers(), engine=engine)
    prepare_database()
    check_campaign(root, office)
    result: dict[str, Any] = with_progress(lambda: run_campaign(params, dask_address=dask_address))
    if not quiet:
        print_campaign(result)
    return result
