"""``sohoa scan`` and ``sohoa status``: run a scan batch with a progress bar; show books and their pages."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sohoa.console import foreground_run, out


def default_workers() -> int:
    """One OCR worker per core."""
    return os.cpu_count() or 1


#: What the progress bars say for each kind of item the flows report.
LABELS = {"pages": "Đọc trang (pages)", "books": "Sổ (books)"}


def with_progress(run: Any) -> Any:
    """Call ``run()`` (a flow) while drawing a progress bar fed by :mod:`flows.progress`
    (:func:`sohoa.console.foreground_run`: a user's mistake in it prints one line)."""
    from flows import progress

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    )
    tasks: dict[str, Any] = {}

    def update(what: str, done: int, total: int) -> None:
        if not tasks:  # drawn from the first report on: a run that fails before it leaves no empty bar
            bar.start()
        if what not in tasks:
            tasks[what] = bar.add_task(LABELS.get(what, what), total=total)
        bar.update(tasks[what], completed=done, total=total)

    remove = progress.listen(update)
    try:
        with foreground_run():
            return run()
    finally:
        remove()
        if tasks:
            bar.stop()


def run_scan_cli(
    folder: Path,
    *,
    office: str,
    book_type: str,
    era: str,
    volume: str,
    workers: int | None,
    layout_path: Path | None,
    dask_address: str | None,
) -> dict[str, Any]:
    from flows.books import page_files
    from flows.scan import run_scan
    from flows.settings import BookRef, ScanParams

    params = ScanParams(
        book=BookRef(office=office, book_type=book_type, era=era, volume=volume),
        files=page_files(folder),
        source=str(folder),
        workers=workers or default_workers(),
        layout_path=layout_path,
    )
    check_book_kind(book_type, era)
    prepare_database()
    check_office(office)
    counts: dict[str, Any] = with_progress(lambda: run_scan(params, dask_address=dask_address))
    out.print(
        f"Đã đọc {counts['pages_read']} trang, {counts['records_staged']} bản ghi chờ duyệt; "
        f"{len(counts['quarantined'])} trang cách ly, {len(counts['duplicates'])} trang trùng."
    )
    for q in counts["quarantined"]:
        out.print(f"  [yellow]cách ly[/] {q.get('file') or q.get('page_id')}: {q['reason']}")
    return counts


def prepare_database() -> None:
    """Schema at head and offices loaded (both idempotent), so a first scan on a new machine just works."""
    from loaders import db, registry
    from sohoa import config

    url = db.database_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            registry.sync_offices(session, config.offices())
    finally:
        engine.dispose()


def check_book_kind(book_type: str, era: str) -> None:
    """Fail fast: ``--book-type`` and ``--era`` name a book type and an era sohoa knows (:class:`InputError`:
    the user typed them; the registry would call an unknown era a configuration problem)."""
    from loaders.models import BookType
    from sohoa import config
    from sohoa.errors import InputError

    types = [t.value for t in BookType]
    if book_type not in types:
        raise InputError(
            f"không có loại sổ --book-type {book_type!r}", hint=f"dùng một trong: {', '.join(types)}"
        )
    eras = [e.id for e in config.eras()]
    if era not in eras:
        raise InputError(f"không có giai đoạn --era {era!r}", hint=f"dùng một trong: {', '.join(eras)}")


def check_office(office: str) -> None:
    """Fail fast, before the flow and Prefect's server start: the schema is at head and the office exists
    (:class:`NotFoundError` with the closest codes otherwise). A database just made by ``sohoa db upgrade``
    holds no offices yet: they are loaded from ``configs/offices.yaml`` first (:func:`flows.settings.ensure_office`,
    as ``scan``, ``campaign`` and ``report`` do), so ``sohoa load`` works on it too."""
    from flows.settings import ensure_office
    from loaders import db, registry

    engine = db.make_engine(db.database_url())
    try:
        db.require_schema(engine)
        with db.session_scope(engine) as session:
            ensure_office(session, office)
            registry.get_office(session, office)
    finally:
        engine.dispose()


def duplicate_files(session: Any) -> dict[int, list[dict[str, Any]]]:
    """Per book, the files its scan batches found to repeat a page already there (not added again)."""
    from sqlalchemy import select

    from loaders.models import Batch

    found: dict[int, dict[str, dict[str, Any]]] = {}
    for book_id, counts in session.execute(select(Batch.book_id, Batch.counts).order_by(Batch.id)):
        for dup in (counts or {}).get("duplicates", []):
            found.setdefault(book_id, {})[dup["file"]] = dup
    return {book: list(files.values()) for book, files in found.items()}


def run_status_cli(*, office: str | None, as_json: bool) -> None:
    from loaders import db, registry

    engine = db.make_engine(db.database_url())
    try:
        db.require_schema(engine)
        with db.session_scope(engine) as session:
            if office is not None:
                registry.get_office(session, office)
            rows = [r.to_dict() for r in registry.book_summary(session, office)]
            duplicates = duplicate_files(session)
    finally:
        engine.dispose()
    for row in rows:
        row["duplicates"] = duplicates.get(row["book_id"], [])
    if as_json:
        out.print_json(json.dumps({"books": rows}, ensure_ascii=False))
        return
    table = Table(title="Tình trạng số hóa theo sổ")
    for col in (
        "cơ quan",
        "loại sổ",
        "giai đoạn",
        "quyển",
        "trang đạt",
        "cách ly",
        "chờ duyệt",
        "đang duyệt",
        "đã duyệt",
        "đã nạp",
        "từ chối",
    ):
        table.add_column(col)
    for r in rows:
        rec = r["records"]
        table.add_row(
            f"{r['office']} {r['office_name']}",
            r["book_type"],
            r["era"],
            r["volume"],
            str(r["pages_ok"]),
            str(len(r["quarantined"])),
            str(rec["staged"]),
            str(rec["in_review"]),
            str(rec["approved"]),
            str(rec["loaded"]),
            str(rec["rejected"]),
        )
    out.print(table)
    for r in rows:
        for q in r["quarantined"]:
            out.print(f"[yellow]cách ly[/] sổ {r['book_id']} trang {q['page']} ({q['image']}): {q['reason']}")
        for d in r["duplicates"]:
            if d.get("same_as_book") not in (None, r["book_id"]):  # a page of another book: kept, quarantined
                what = f"giống trang {d['same_as_page']} của sổ {d['same_as_book']}, đã cách ly"
            else:
                what = f"giống trang {d['same_as_page']}, không thêm lại"
            out.print(f"[yellow]trùng[/] sổ {r['book_id']}: {d['file']} {what}")
