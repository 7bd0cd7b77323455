"""``sohoa demo``: the main job end to end on the embedded defaults (SQLite, local Prefect, sample books).

1. sample books with ground truth (a few small books; reused when the folder already holds them);
2. the campaign flow: every book in the plan's priority order through OCR, normalization, staging, linking;
3. a scripted reviewer approves a share of the records through the review queue (``loaders.approval``);
4. the load-approved flow: the official partition and an export package per book;
5. the report flow: progress, quality and vital-statistics files; the progress per era on screen;
6. where to look.

A rerun changes nothing: finished books are skipped, the reviewer has already reached its share, every
package is current (only the day's report files are written again).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa import config
from sohoa.console import out

log = logging.getLogger(__name__)

REVIEWER = "demo.reviewer"
APPROVE_SHARE = 0.6
#: The demo's sample books: a few book types in three eras, two pages each (a few minutes on 2 cores).
DEMO_TYPES = ["marriage", "birth", "death"]
DEMO_ERAS = ["2016+", "2006-2015", "1999-2005"]
PAGES_PER_BOOK = 2


# --------------------------------------------------------------------------- samples
def _samples_ready(out_dir: Path, seed: int) -> bool:
    """True when ``out_dir`` already holds the demo's samples for ``seed`` (every page there)."""
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    books = manifest.get("books", [])
    return (
        manifest.get("seed") == seed
        and {(b["era"], b["book_type"]) for b in books} == {(e, t) for e in DEMO_ERAS for t in DEMO_TYPES}
        and all(
            len(b["pages"]) == PAGES_PER_BOOK and all((out_dir / p).is_file() for p in b["pages"])
            for b in books
        )
    )


def make_demo_samples(out_dir: Path, seed: int) -> dict[str, Any]:
    from sohoa.samples_cli import make_with_progress

    if _samples_ready(out_dir, seed):
        out.print(f"     sổ mẫu đã có sẵn trong {out_dir} (seed {seed}): dùng lại")
        manifest: dict[str, Any] = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        return manifest
    result: dict[str, Any] = make_with_progress(
        out_dir,
        seed=seed,
        books_per_type=1,
        pages_per_book=PAGES_PER_BOOK,
        style="mixed",
        eras=DEMO_ERAS,
        types=DEMO_TYPES,
    )
    return result


# --------------------------------------------------------------------------- the scripted reviewer
def demo_reviewer(session: Session, office: str) -> Any:
    """The demo's reviewer: a supervisor of ``office`` who cannot log in (no password)."""
    from loaders.audit import audit, snapshot
    from loaders.models import User, UserRole

    user = session.scalars(select(User).where(User.username == REVIEWER)).one_or_none()
    if user is None:
        user = User(
            username=REVIEWER, password_hash="!demo: no login", role=UserRole.SUPERVISOR, office_code=office
        )
        session.add(user)
        session.flush()
        audit(session, "sohoa demo", "create", "user", user.id, after=snapshot(user))
    return user


def scripted_review(session: Session, office: str, share: float) -> int:
    """Approve records from the review queue (in its priority order) until ``share`` of all records are
    approved or loaded; returns how many were approved now (none on a rerun)."""
    from loaders.approval import approve, claim_next
    from loaders.models import Record, RecordState

    user = demo_reviewer(session, office)
    total = session.scalar(select(func.count()).select_from(Record)) or 0
    done_states = (RecordState.APPROVED, RecordState.LOADED)
    done = session.scalar(select(func.count()).select_from(Record).where(Record.state.in_(done_states))) or 0
    approved = 0
    while done + approved < round(share * total):
        record = claim_next(session, user)
        if record is None:
            break
        approve(session, record.id, user, record.version)
        approved += 1
    return approved


# --------------------------------------------------------------------------- the run
def _step(n: int, text: str) -> None:
    out.print(f"[bold]{n}/6[/]  {text}")


def run_demo(out_dir: Path, *, seed: int, workers: int | None = None) -> dict[str, Any]:
    """Run the demo (see the module's docstring); returns what each step did."""
    from flows.load import LoadParams, run_load
    from flows.report import ReportParams, run_report
    from loaders import db
    from sohoa.campaign_cli import print_campaign, run_campaign_cli
    from sohoa.flows_cli import default_workers
    from sohoa.load_cli import print_summary

    office = config.plan().province
    workers = workers or default_workers()
    url = db.database_url()
    export_dir = out_dir.parent / "export"
    report_dir = out_dir.parent / "reports"

    out.rule("[bold]sohoa demo[/]")
    _step(1, f"Sổ mẫu có dữ liệu gốc (sample books, seed {seed}) → {out_dir}")
    manifest = make_demo_samples(out_dir, seed)
    pages = sum(len(b["pages"]) for b in manifest["books"])
    out.print(f"     {len(manifest['books'])} sổ, {pages} trang")

    _step(2, f"Chiến dịch quét theo thứ tự ưu tiên (campaign, {workers} OCR workers) — {db.safe_url(url)}")
    campaign = run_campaign_cli(out_dir, office=office, workers=workers, quiet=True)
    print_campaign(campaign)

    _step(3, f"Người duyệt tự động phê duyệt {APPROVE_SHARE:.0%} bản ghi theo hàng đợi (scripted reviewer)")
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            approved = scripted_review(session, office, APPROVE_SHARE)
    finally:
        engine.dispose()
    out.print(f"     {approved} bản ghi vừa được phê duyệt bởi {REVIEWER}")

    _step(4, f"Nạp bản ghi đã duyệt và xuất gói dữ liệu (load-approved) → {export_dir}")
    loaded = run_load(LoadParams(office=office, out_dir=export_dir, actor="sohoa demo"))
    print_summary(loaded)

    _step(5, f"Báo cáo tiến độ (report flow) → {report_dir}")
    reports = run_report(ReportParams(out_dir=report_dir, office=office))
    _print_progress(office)

    _step(6, "Xem kết quả ở đâu (where to look)")
    _where_to_look(out_dir, export_dir, reports["files"], url)
    return {"campaign": campaign, "approved": approved, "load": loaded, "reports": reports}


def _print_progress(office: str) -> None:
    """The progress per era (the report's era view) on screen."""
    from loaders import db
    from reports import Scope, build_report
    from reports.render import rich_tables

    engine = db.make_engine(db.database_url())
    try:
        with db.session_scope(engine) as session:
            report = build_report(session, "progress", Scope(office=office))
    finally:
        engine.dispose()
    for table in rich_tables(dataclasses.replace(report, views=[report.view("eras")])):
        out.print(table)


def _where_to_look(out_dir: Path, export_dir: Path, report_files: list[str], url: str) -> None:
    from loaders import db

    out.print("[bold]Where to look next:[/]")
    out.print(
        f"  • page images and ground truth: {out_dir}/books/, {out_dir}/truth.jsonl, {out_dir}/manifest.json"
    )
    out.print(f"  • export packages (XLSX, per-record PDFs, manifest of checksums): {export_dir}/")
    for path in report_files:
        out.print(f"  • report: {path}")
    out.print(f"  • the database: {db.safe_url(url)}")
    out.print(
        "  • books, pages (quarantined with the reason) and records per state: `.venv/bin/sohoa status`"
    )
    out.print("  • progress per office, era and book group: `.venv/bin/sohoa report progress`")
    out.print(
        "  • the review app: `.venv/bin/sohoa users add NAME --office 04 --role reviewer --password-stdin`, "
        "then `.venv/bin/sohoa serve` and open http://127.0.0.1:8000"
    )
    out.print("  • run it again: nothing changes (finished books are skipped, packages are current)")
