"""Load test of the review app: concurrent reviewers against ``sohoa serve`` on PostgreSQL.

    .venv/bin/python benchmarks/review_load.py [--reviewers 20] [--seconds 120] [--think 1.0]
        [--records 6000] [--pg-admin-url URL] [--json]

Goal (issue 6): 20 reviewers for 2 minutes, p95 of the record page and of approve at most 150 ms, zero lost
updates, zero errors.

A fresh PostgreSQL database (dropped afterwards) is migrated and seeded with the province's offices, birth
books of one commune and N staged records (20 rows per page, names and dates as OCR read them), and one
reviewer account per simulated reviewer. ``sohoa serve --workers W`` runs in its own process(es) (default
one, as ``sohoa serve`` does). Each reviewer (an asyncio task with its own cookie jar) logs in, claims the next record,
then loops: open the record page (HTML, timed as *record page*) and its page image, think ``--think`` seconds,
and approve it with the whole form as a browser posts it — a third of the time with a corrected name —
(timed as *approve*: the edit, the approval, the official row and claiming the next record, ending in the
redirect to it); one record in twenty is rejected instead.

Afterwards the database is checked: every approval and rejection a reviewer was told succeeded is there,
with its reviewer and each corrected name (*lost updates*: any missing); no record was handed to two
reviewers; official rows equal approvals. *Errors* are responses other than the expected ones (any 4xx/5xx,
timeouts).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from loaders.db import make_engine, session_scope, upgrade  # noqa: E402
from loaders.models import AuditLog, OfficialRecord, Record, RecordState  # noqa: E402
from loaders.registry import register_book, register_page, sync_offices  # noqa: E402
from loaders.staging import stage_records  # noqa: E402
from loaders.users import add_user  # noqa: E402
from sohoa import config  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OFFICE = "01774"
ROWS_PER_PAGE = 20
PASSWORD = "tai-khoan-tai-thu-1"
GOAL_MS = 150.0
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Nông", "Lý", "Đàm", "Bế", "Ma", "Triệu", "Vi")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc")
GIVEN = ("An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Mai", "Nam", "Thảo", "Tuấn")
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
INPUT_RE = re.compile(r'<input[^>]*name="([fo]:[^"]+)" value="([^"]*)"')
PAGE_IMG_RE = re.compile(r'src="(/media/pages/\d+\.jpg)"')


# --------------------------------------------------------------------------- database
@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"sohoa_review_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _name(rng: random.Random, middle: str | None = None) -> str:
    return f"{rng.choice(FAMILY)} {middle or rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _record(rng: random.Random, number: int) -> dict[str, str]:
    year = rng.randint(2006, 2015)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    return {
        "registration.number": str(number),
        "registration.date": f"{min(day + 3, 28):02d}/{month:02d}/{year}",
        "child.full_name": _name(rng),
        "child.birth_date": f"{day:02d}/{month:02d}/{year}",
        "child.sex": rng.choice(("Nam", "Nữ")),
        "mother.full_name": _name(rng, "Thị"),
        "mother.birth_year": str(year - rng.randint(20, 35)),
        "father.full_name": _name(rng, "Văn"),
    }


def _ocr(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "page": 1,
            "row": i + 1,
            "book_type": "birth",
            "era": "2006-2015",
            "fields": {
                key: {
                    "text": value,
                    "confidence": round(rng.uniform(0.5, 0.99), 2),
                    "bbox": [20 + 110 * k, 70 + 40 * i, 100, 32],
                }
                for k, (key, value) in enumerate(row.items())
            },
        }
        for i, row in enumerate(rows)
    ]


def seed(url: str, records: int, reviewers: int, folder: Path) -> None:
    upgrade(url)
    image = folder / "page.png"
    page_image = Image.new("RGB", (920, 80 + 40 * ROWS_PER_PAGE), "white")
    draw = ImageDraw.Draw(page_image)
    for i in range(ROWS_PER_PAGE + 2):
        draw.line((10, 60 + 40 * i, 910, 60 + 40 * i), fill="black", width=2)
    page_image.save(image)
    rng = random.Random(6)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            sync_offices(session, config.offices())
            for i in range(reviewers):
                add_user(session, f"r{i:02d}", office_code=OFFICE, role="reviewer", password=PASSWORD)
        number = 0
        pages = (records + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE
        per_book = 50
        for start in range(0, pages, per_book):
            with session_scope(engine) as session:
                book = register_book(
                    session, OFFICE, "birth", "2006-2015", f"{start // per_book + 1:02d}", 2006, 2015
                )
                for page_no in range(1, min(per_book, pages - start) + 1):
                    n = min(ROWS_PER_PAGE, records - number)
                    digest = hashlib.sha256(f"{book.id}:{page_no}".encode()).hexdigest()
                    page, _ = register_page(
                        session, book, page_no, str(image), digest, 920, 80 + 40 * ROWS_PER_PAGE
                    )
                    rows = [_record(rng, number + k + 1) for k in range(n)]
                    stage_records(session, page, _ocr(rows, rng), actor="ocr")
                    number += n
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its direct children so far, from /proc (0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for one in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@contextmanager
def server(url: str, folder: Path, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "SOHOA_DATABASE_URL": url,
        "SOHOA_SECRET_KEY": "load-test-" + "s" * 40,
        "SOHOA_DATA_DIR": str(folder),
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/sohoa"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("sohoa serve did not start")
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# --------------------------------------------------------------------------- reviewers
@dataclass
class Outcome:
    page_ms: list[float] = field(default_factory=list)
    image_ms: list[float] = field(default_factory=list)
    approve_ms: list[float] = field(default_factory=list)
    approved: dict[int, str] = field(default_factory=dict)  # record id → reviewer
    rejected: dict[int, str] = field(default_factory=dict)
    corrections: dict[int, str] = field(default_factory=dict)  # record id → child.full_name sent
    claimed: dict[str, set[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0


async def reviewer(base: str, username: str, deadline: float, think: float, out: Outcome, seed_: int) -> None:
    rng = random.Random(seed_)
    mine = out.claimed.setdefault(username, set())
    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as client:
        login = await client.get("/login")
        token = CSRF_RE.search(login.text)
        assert token is not None
        response = await client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        if response.status_code != 303:
            out.errors.append(f"{username}: login {response.status_code}")
            return
        home = await client.get("/")
        csrf = CSRF_RE.search(home.text)
        assert csrf is not None
        response = await client.post("/queue/next", data={"csrf_token": csrf.group(1)})
        location = response.headers.get("location", "")
        while time.monotonic() < deadline and location.startswith("/records/"):
            record_id = int(location.rsplit("/", 1)[1])
            if record_id in mine:
                out.errors.append(f"{username}: record {record_id} handed out twice")
            mine.add(record_id)
            t0 = time.perf_counter()
            page = await client.get(location)
            out.page_ms.append((time.perf_counter() - t0) * 1000)
            if page.status_code != 200:
                out.errors.append(f"{username}: GET {location} → {page.status_code}")
                return
            image = PAGE_IMG_RE.search(page.text)
            if image is not None:
                t0 = time.perf_counter()
                got = await client.get(image.group(1))
                out.image_ms.append((time.perf_counter() - t0) * 1000)
                if got.status_code != 200:
                    out.errors.append(f"{username}: image {got.status_code}")
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            form: dict[str, str] = dict(INPUT_RE.findall(page.text))
            version, csrf = VERSION_RE.search(page.text), CSRF_RE.search(page.text)
            assert version is not None and csrf is not None
            form |= {"version": version.group(1), "csrf_token": csrf.group(1)}
            reject = rng.random() < 0.05
            corrected: str | None = None
            if reject:
                form |= {"action": "reject", "reason": "illegible"}
            else:
                form["action"] = "approve"
                corrected = _name(rng) if rng.random() < 1 / 3 else None
                if corrected is not None:
                    form["f:child.full_name"] = corrected
            t0 = time.perf_counter()
            response = await client.post(location, data=form)
            out.approve_ms.append((time.perf_counter() - t0) * 1000)
            if response.status_code == 409:
                out.conflicts += 1
                out.errors.append(f"{username}: conflict on {record_id}")
                return
            if response.status_code != 303:
                out.errors.append(f"{username}: POST {location} → {response.status_code}")
                return
            if reject:
                out.rejected[record_id] = username
            else:
                out.approved[record_id] = username
                if corrected is not None:
                    out.corrections[record_id] = corrected
            location = response.headers.get("location", "")


async def run_reviewers(base: str, count: int, seconds: float, think: float) -> Outcome:
    out = Outcome()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(reviewer(base, f"r{i:02d}", deadline, think, out, i) for i in range(count)))
    return out


# --------------------------------------------------------------------------- checks and figures
def check(url: str, out: Outcome) -> dict[str, int]:
    engine = make_engine(url)
    lost = 0
    try:
        with session_scope(engine) as session:
            users = {uid: name for uid, name in session.execute(text("SELECT id, username FROM users"))}
            for rid, who in out.approved.items():
                record = session.get(Record, rid)
                official = session.scalars(
                    select(OfficialRecord).where(OfficialRecord.record_id == rid)
                ).first()
                ok = record is not None and record.state == RecordState.APPROVED and official is not None
                ok = ok and official is not None and users.get(official.approved_by) == who
                if ok and rid in out.corrections:
                    ok = (
                        record is not None
                        and record.fields["child.full_name"]["text"] == out.corrections[rid]
                    )
                lost += not ok
            for rid in out.rejected:
                record = session.get(Record, rid)
                lost += record is None or record.state != RecordState.REJECTED
            approvals = session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "approve")
            )
            officials = session.scalar(select(func.count()).select_from(OfficialRecord))
            approved = session.scalar(
                select(func.count()).select_from(Record).where(Record.state == RecordState.APPROVED)
            )
    finally:
        engine.dispose()
    claimed = [rid for ids in out.claimed.values() for rid in ids]
    return {
        "lost_updates": int(lost),
        "records_to_two_reviewers": len(claimed) - len(set(claimed)),
        "approved_in_db": int(approved or 0),
        "official_rows": int(officials or 0),
        "approve_audit_rows": int(approvals or 0),
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def summary(values: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50_ms": pct(values, 0.5),
        "p95_ms": pct(values, 0.95),
        "p99_ms": pct(values, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--think", type=float, default=1.0, help="Mean seconds a reviewer looks at a record.")
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--pg-admin-url", default=os.environ.get("SOHOA_TEST_PG_URL", PG_ADMIN_URL))
    parser.add_argument("--workers", type=int, default=1, help="Server processes (sohoa serve --workers).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.pg_admin_url) as url:
        t0 = time.perf_counter()
        seed(url, args.records, args.reviewers, Path(tmp))
        seeded = time.perf_counter() - t0
        with server(url, Path(tmp), args.workers) as (base, pid):
            cpu_before = cpu_seconds(pid)
            out = asyncio.run(run_reviewers(base, args.reviewers, args.seconds, args.think))
            server_cpu = cpu_seconds(pid) - cpu_before
        checks = check(url, out)
    result = {
        "reviewers": args.reviewers,
        "seconds": args.seconds,
        "think_s": args.think,
        "server_workers": args.workers,
        "records": args.records,
        "seed_s": round(seeded, 1),
        "record_page": summary(out.page_ms),
        "page_image": summary(out.image_ms),
        "approve": summary(out.approve_ms),
        "approved": len(out.approved),
        "rejected": len(out.rejected),
        "corrected": len(out.corrections),
        "decisions_per_s": round((len(out.approved) + len(out.rejected)) / args.seconds, 1),
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_decision": round(
            1000 * server_cpu / max(1, len(out.approved) + len(out.rejected)), 1
        ),
        "errors": len(out.errors),
        "error_samples": out.errors[:5],
        "conflicts": out.conflicts,
        **checks,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg": [round(x, 2) for x in os.getloadavg()],
        },
    }
    result["goal_met"] = (
        result["record_page"]["p95_ms"] <= GOAL_MS
        and result["approve"]["p95_ms"] <= GOAL_MS
        and result["lost_updates"] == 0
        and result["errors"] == 0
        and result["records_to_two_reviewers"] == 0
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key in ("record_page", "page_image", "approve"):
        s = result[key]
        print(
            f"{key:12} n={s['n']:5}  p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  p99 {s['p99_ms']:7.1f} ms"
        )
    for key in (
        "approved",
        "rejected",
        "corrected",
        "decisions_per_s",
        "server_cpu_ms_per_decision",
        "errors",
        "conflicts",
        "lost_updates",
        "records_to_two_reviewers",
        "approved_in_db",
        "official_rows",
        "goal_met",
    ):
        print(f"{key:26} {result[key]}")


if __name__ == "__main__":
    main()
