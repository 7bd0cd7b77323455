"""``sohoa demo``: the main job end to end on the embedded defaults (SQLite, local Prefect, sample books).

1. sample books with ground truth (a few small books; reused when the folder already holds them);
2. the campaign flow: every book in the plan's priority order through OCR, normalization, staging, linking;
3. a scripted, careful reviewer takes :data:`REVIEW_SHARE` of every book's records from the review queue and
   checks each against the page (the samples' ground truth) as a person would: it corrects every field
   whose shown value differs from the page, approves the record, or rejects it when it cannot be made right
   (no line of the page behind it, or an error-level issue left). Everything goes through
   ``loaders.approval``, as in the review app, so the audit log holds every correction; the summary says how
   many fields it had to correct — the human effort, measured;
4. the load-approved flow: the official partition and an export package per book;
5. the report flow: progress, quality and vital-statistics files; the progress per era on screen;
6. where to look, and accounts ready to log in to the review app with: a reviewer of each office whose books
   the demo filled (the rest of the records wait in their queue), a supervisor of the office above them,
   an operator; one password, made once per data folder and kept there (``demo-password.txt``, mode 0600).

A rerun changes nothing: finished books are skipped, the reviewer has already reached its share, every
package is current, the accounts exist (only the day's report files are written again).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import shlex
import sys
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa import config
from sohoa.console import out
from sohoa.errors import DataDirError

log = logging.getLogger(__name__)

REVIEWER = "demo.reviewer"
#: The share of every book's records the scripted reviewer decides; the rest wait for people.
REVIEW_SHARE = 0.6
#: The demo's sample books: a few book types in three eras, two pages each (a few minutes on 2 cores).
DEMO_TYPES = ["marriage", "birth", "death"]
DEMO_ERAS = ["2016+", "2006-2015", "1999-2005"]
PAGES_PER_BOOK = 2
SERVE_URL = "http://127.0.0.1:8000/"
#: The columns of the progress per era shown on screen (all of them are in the report files).
PROGRESS_COLUMNS = (
    "era",
    "target",
    "records_extracted",
    "loaded",
    "estimated_completion",
    "late",
)
#: Settings a later ``sohoa`` command needs to find this run's data again.
SETTINGS = ("SOHOA_DATA_DIR", "SOHOA_DATABASE_URL", "SOHOA_CONFIG_DIR")


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
@dataclass
class ReviewTally:
    """What the scripted reviewer did in this run: the human effort, measured."""

    approved: int = 0
    rejected: int = 0
    fields_seen: int = 0  # fields of the records it decided
    fields_corrected: int = 0  # fields whose text it had to change to match the page

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


TruthKey = tuple[str, str, str, str, int, int]  # office, book type, era, volume, page, row


def load_truth(out_dir: Path, manifest: Mapping[str, Any]) -> dict[TruthKey, dict[str, str]]:
    """The ground truth of the demo's samples: (office, book type, era, volume, page, row) → field texts."""
    books = {
        page: (str(b["office"]), str(b["book_type"]), str(b["era"]), str(b["volume"]))
        for b in manifest["books"]
        for page in b["pages"]
    }
    truth: dict[TruthKey, dict[str, str]] = {}
    with (out_dir / "truth.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            item = json.loads(line)
            book = books.get(item["image"])
            if book is not None:
                fields = {str(k): "" if v is None else str(v) for k, v in item["fields"].items()}
                truth[(*book, int(item["page"]), int(item["row"]))] = fields
    return truth


def same_text(a: Any, b: Any) -> bool:
    """Two texts a person reads as the same: Unicode composition and runs of spaces do not count."""
    return " ".join(unicodedata.normalize("NFC", str(a or "")).split()) == " ".join(
        unicodedata.normalize("NFC", str(b or "")).split()
    )


def _entry_text(entry: Any, key: str) -> str:
    if isinstance(entry, Mapping):
        return str(entry.get(key) if entry.get(key) is not None else entry.get("text") or "")
    return "" if entry is None else str(entry)


def truth_changes(record: Any, truth: Mapping[str, str]) -> dict[str, str]:
    """The fields of ``record`` a careful reviewer changes to what the page says (field key → true text).

    A field is right when its text is the true text, or when the app shows it as it would show the true
    text (``display`` after normalization: "X. Thái Sơn" is shown as "xã Thái Sơn, …" either way).
    """
    from loaders.approval import renormalized
    from sohoa.fields import is_valid_key

    book_type = str(record.book_type)
    keys = [k for k in truth if is_valid_key(k, book_type) and (k in record.fields or truth[k].strip())]
    shown, _ = renormalized(record, {k: {"text": truth[k]} for k in keys})
    changes: dict[str, str] = {}
    for key in keys:
        entry = record.fields.get(key)
        if same_text(_entry_text(entry, "text"), truth[key]):
            continue
        if entry is not None and same_text(_entry_text(entry, "display"), shown[key]["display"]):
            continue
        changes[key] = truth[key]
    return changes


def error_issues(record: Any) -> list[str]:
    """The error-level issues left on ``record`` (its own and its fields'), as their messages."""
    found = [i for i in record.issues or [] if isinstance(i, Mapping) and i.get("severity") == "error"]
    for entry in record.fields.values():
        if isinstance(entry, Mapping):
            found += [
                i
                for i in entry.get("issues") or []
                if isinstance(i, Mapping) and i.get("severity") == "error"
            ]
    return [str(i.get("message") or i.get("code")) for i in found]


def demo_reviewer(session: Session, office: str) -> Any:
    """The demo's scripted reviewer: a supervisor of ``office`` who cannot log in (no password)."""
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


def review_one(
    session: Session, record: Any, user: Any, truth: Mapping[str, str] | None, tally: ReviewTally
) -> None:
    """Check one claimed record against the page (its ground truth) like a careful person: correct the
    fields that differ, then approve it, or reject it when it cannot be made right."""
    from loaders.approval import approve, edit_fields, reject
    from loaders.models import RejectReason

    tally.fields_seen += len(record.fields)
    if truth is None:
        reject(
            session,
            record.id,
            user,
            record.version,
            RejectReason.NOT_A_RECORD,
            note="Không có dòng nào của sổ gốc ứng với bản ghi này.",
        )
        tally.rejected += 1
        return
    changes = truth_changes(record, truth)
    if changes:
        record = edit_fields(session, record.id, user, record.version, changes)
        tally.fields_corrected += len(changes)
    errors = error_issues(record)
    if errors:
        note = "Vẫn còn lỗi sau khi sửa theo sổ gốc: " + "; ".join(errors)
        reject(session, record.id, user, record.version, RejectReason.ILLEGIBLE, note=note[:500])
        tally.rejected += 1
        return
    approve(session, record.id, user, record.version)
    tally.approved += 1


def scripted_review(
    session: Session, office: str, share: float, truth: Mapping[TruthKey, Mapping[str, str]]
) -> ReviewTally:
    """Review records from the queue (in its priority order) until ``share`` of every book's records are
    decided, leaving the rest for people; returns what was done now (nothing on a rerun)."""
    from loaders.approval import claim_next
    from loaders.models import Book, Record, RecordState

    user = demo_reviewer(session, office)
    decided_states = (RecordState.APPROVED, RecordState.LOADED, RecordState.REJECTED)
    tally = ReviewTally()
    for book in session.scalars(select(Book).order_by(Book.id)).all():
        total = session.scalar(select(func.count()).select_from(Record).where(Record.book_id == book.id)) or 0
        decided = (
            session.scalar(
                select(func.count())
                .select_from(Record)
                .where(Record.book_id == book.id, Record.state.in_(decided_states))
            )
            or 0
        )
        for _ in range(max(0, round(share * total) - decided)):
            record = claim_next(session, user, book_id=book.id)
            if record is None:
                break
            key = (
                record.book.office_code,
                str(record.book.book_type),
                record.book.era,
                record.book.volume,
                record.page.page_no,
                record.row_no,
            )
            review_one(session, record, user, truth.get(key), tally)
    return tally


# --------------------------------------------------------------------------- accounts to log in with
PASSWORD_FILE = "demo-password.txt"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # Vietnamese
    office_code: str
    office_name: str
    waiting: int | None  # records left in the queue this account sees (None: an operator, who scans)


def demo_password(folder: Path) -> str:
    """The demo accounts' password: made once per data folder, kept in ``PASSWORD_FILE`` (mode 0600)."""
    path = folder / PASSWORD_FILE
    try:
        if path.exists():
            os.chmod(path, 0o600)
            password = path.read_text(encoding="ascii").strip()
            if len(password) >= 12:
                return password
            path.unlink()
        password = secrets.token_urlsafe(9)  # 12 characters of A–Z a–z 0–9 _ -
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(password + "\n")
        return password
    except OSError as exc:
        raise DataDirError(
            f"không lưu được mật khẩu bản chạy thử vào {path} ({exc.strerror or exc})",
            hint="cấp quyền ghi cho thư mục dữ liệu (SOHOA_DATA_DIR)",
        ) from None


def _ancestors(session: Session, code: str) -> list[str]:
    from loaders.models import Office

    chain: list[str] = []
    current: str | None = code
    while current is not None and current not in chain:
        chain.append(current)
        office = session.get(Office, current)
        current = office.parent_code if office is not None else None
    return chain


def common_office(session: Session, codes: list[str]) -> str:
    """The lowest office above (or equal to) every one of ``codes``: a district for its communes."""
    chains = [_ancestors(session, c) for c in codes]
    for code in chains[0]:
        if all(code in chain for chain in chains[1:]):
            return code
    return chains[0][-1]


def _waiting(session: Session, offices: set[str]) -> int:
    from loaders.approval import WORKABLE
    from loaders.models import Book, Record

    query = (
        select(func.count())
        .select_from(Record)
        .join(Book, Book.id == Record.book_id)
        .where(Record.state.in_(WORKABLE), Book.office_code.in_(sorted(offices)))
    )
    return session.scalar(query) or 0


def ensure_accounts(session: Session, offices: list[str], password: str) -> list[DemoAccount]:
    """Accounts to log in with, made once (a rerun only checks them): a reviewer of each office that holds
    demo books, a supervisor of the office above them all, an operator of the office with the most books.

    ``offices`` lists the offices of the demo's books, the one with the most books first.
    """
    from loaders.models import Office, UserRole
    from loaders.official import offices_under
    from loaders.users import add_user, find_user, set_password, verify_password

    top = common_office(session, offices)
    wanted = [(f"duyet.{code}", UserRole.REVIEWER, code) for code in offices]
    wanted += [
        (f"giamsat.{top}", UserRole.SUPERVISOR, top),
        (f"vanhanh.{offices[0]}", UserRole.OPERATOR, offices[0]),
    ]
    roles = {UserRole.REVIEWER: "người duyệt", UserRole.SUPERVISOR: "giám sát", UserRole.OPERATOR: "vận hành"}
    accounts = []
    for name, role, code in wanted:
        user = find_user(session, name)
        if user is None:
            add_user(session, name, office_code=code, role=role, password=password, actor="sohoa demo")
        elif verify_password(session, name, password) is None:
            set_password(session, name, password, actor="sohoa demo")
        office = session.get(Office, code)
        label = f"{office.kind} {office.name}" if office is not None else code
        scope = offices_under(session, code) if role == UserRole.SUPERVISOR else {code}
        waiting = None if role == UserRole.OPERATOR else _waiting(session, scope)
        accounts.append(DemoAccount(name, roles[role], code, label, waiting))
    return accounts


def demo_offices(manifest: Mapping[str, Any]) -> list[str]:
    """The offices of the demo's books, the one with the most books first."""
    count = Counter(str(b["office"]) for b in manifest["books"])
    return sorted(count, key=lambda code: (-count[code], code))


# --------------------------------------------------------------------------- the run
def _step(n: int, text: str) -> None:
    out.print(f"[bold]{n}/6[/]  {text}", highlight=False)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "0 %"


def print_review(tally: ReviewTally) -> None:
    """The scripted reviewer's work: decisions and the fields it had to correct (the human effort)."""
    out.print(
        f"     {tally.approved} bản ghi vừa được phê duyệt, {tally.rejected} bị từ chối bởi {REVIEWER}",
        highlight=False,
    )
    if not tally.decided:
        out.print("     (người duyệt tự động đã làm đủ phần của mình ở lần chạy trước)", highlight=False)
        return
    out.print(
        f"     công sức: sửa {tally.fields_corrected} trên {tally.fields_seen} trường "
        f"({_pct(tally.fields_corrected, tally.fields_seen)}) cho khớp với sổ gốc",
        highlight=False,
    )


def run_demo(out_dir: Path, *, seed: int, workers: int | None = None) -> dict[str, Any]:
    """Run the demo (see the module's docstring); returns what each step did."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the demo's own lines, not Prefect's
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
    _step(1, f"Sổ mẫu có dữ liệu gốc (seed {seed}) → {out_dir}")
    manifest = make_demo_samples(out_dir, seed)
    pages = sum(len(b["pages"]) for b in manifest["books"])
    out.print(f"     {len(manifest['books'])} sổ, {pages} trang", highlight=False)

    _step(2, f"Chiến dịch quét theo thứ tự ưu tiên ({workers} tiến trình OCR) — {db.safe_url(url)}")
    campaign = run_campaign_cli(out_dir, office=office, workers=workers, quiet=True)
    print_campaign(campaign)

    _step(3, f"Người duyệt tự động đối chiếu {REVIEW_SHARE:.0%} bản ghi mỗi sổ với sổ gốc, sửa rồi duyệt")
    truth = load_truth(out_dir, manifest)
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            tally = scripted_review(session, office, REVIEW_SHARE, truth)
    finally:
        engine.dispose()
    print_review(tally)

    _step(4, f"Nạp bản ghi đã duyệt và xuất gói dữ liệu → {export_dir}")
    loaded = run_load(LoadParams(office=office, out_dir=export_dir, actor="sohoa demo"))
    print_summary(loaded)

    _step(5, f"Báo cáo tiến độ → {report_dir}")
    reports = run_report(ReportParams(out_dir=report_dir, office=office))
    _print_progress(office)

    folder = db.ensure_data_dir()
    password = demo_password(folder)
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            accounts = ensure_accounts(session, demo_offices(manifest), password)
    finally:
        engine.dispose()
    _step(6, "Xem kết quả ở đâu")
    _where_to_look(out_dir, export_dir, reports["files"], url)
    print_login(accounts, password, folder / PASSWORD_FILE)
    return {
        "campaign": campaign,
        "review": dataclasses.asdict(tally),
        "approved": tally.approved,
        "load": loaded,
        "reports": reports,
        "accounts": [dataclasses.asdict(a) for a in accounts],
    }


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
    eras = dataclasses.replace(report.view("eras"), terminal_keys=PROGRESS_COLUMNS)  # fits 80 columns
    for table in rich_tables(dataclasses.replace(report, views=[eras])):
        out.print(table)


def _line(text: str) -> None:
    """A line to copy (a path, a command): never broken by the console, never highlighted."""
    out.print(text, highlight=False, soft_wrap=True)


def _where_to_look(out_dir: Path, export_dir: Path, report_files: list[str], url: str) -> None:
    from loaders import db

    out.print("[bold]Xem tiếp ở đâu:[/]")
    out.print("  • ảnh trang và dữ liệu gốc (truth.jsonl, manifest.json):", highlight=False)
    _line(f"      {out_dir}/")
    out.print("  • gói dữ liệu xuất (XLSX, PDF từng bản ghi, tổng kiểm):", highlight=False)
    _line(f"      {export_dir}/")
    out.print("  • báo cáo (XLSX, HTML, CSV):", highlight=False)
    for folder in sorted({str(Path(p).parent) for p in report_files}):
        _line(f"      {folder}/")
    out.print("  • cơ sở dữ liệu:", highlight=False)
    _line(f"      {db.safe_url(url)}")
    out.print("  • sổ, trang (cách ly kèm lý do), bản ghi theo trạng thái:", highlight=False)
    _line(f"      {_sohoa_command()} status")
    out.print("  • tiến độ theo cơ quan, giai đoạn, nhóm sổ:", highlight=False)
    _line(f"      {_sohoa_command()} report progress")
    out.print("  • chạy lại lệnh demo: không có gì thay đổi (sổ đã xong được bỏ qua)", highlight=False)


def _sohoa_command() -> str:
    """How to call sohoa again: this checkout's ``.venv/bin/sohoa``, with the settings of this run."""
    here = Path(sys.executable).parent / "sohoa"
    command = str(here) if here.is_file() else "sohoa"
    cwd = Path.cwd()
    if here.is_file() and here.is_relative_to(cwd):
        command = str(here.relative_to(cwd))
    from loaders.db import safe_url

    settings = []
    for name in SETTINGS:
        value = os.environ.get(name)
        if value:  # a database password is never printed: it shows as ***
            settings.append(
                f"{name}={shlex.quote(safe_url(value) if name == 'SOHOA_DATABASE_URL' else value)}"
            )
    return " ".join([*settings, command])


def print_login(accounts: list[DemoAccount], password: str, password_file: Path) -> None:
    """How to log in to the review app: the command, the address, the accounts and their password."""
    out.print("[bold]Đăng nhập ứng dụng duyệt hồ sơ:[/]")
    out.print("  1. chạy:", highlight=False)
    _line(f"      {_sohoa_command()} serve")
    out.print(f"  2. mở {SERVE_URL} và đăng nhập với một tài khoản:", highlight=False)
    width = max(len(a.username) for a in accounts)
    for account in accounts:
        work = "sổ và lượt quét" if account.waiting is None else f"{account.waiting} bản ghi chờ duyệt"
        out.print(
            f"      {account.username:<{width}}  {account.role} {account.office_name}: {work}",
            highlight=False,
        )
    _line(f"     mật khẩu chung: {password}")
    out.print(f"     (lưu trong {password_file}, chỉ chủ thư mục đọc được)", highlight=False)
