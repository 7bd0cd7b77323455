"""The deployments of ``prefect.yaml`` on a real Prefect server, as the README's district section runs them:
``prefect server start``, the work pool, ``python -m flows.deploy --all``, a process worker with
``SOHOA_WORKERS=2``, then the scan-batch deployment on two generated pages and the daily report deployment.
The records must land in the database, the reports in their folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from loaders import db
from loaders.models import Page, Record
from samples.make import make_samples

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = 5341  # not used by any other test
START_TIMEOUT_S = 240
RUN_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.read().strip() == b"true"
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process started here and everything it started (its own session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


class District:
    """A Prefect server, the sohoa-district work pool, the deployments and a worker, in ``tmp``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.api = f"http://127.0.0.1:{_free_port()}/api"
        self.db_url = f"sqlite:///{tmp / 'district.db'}"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "SOHOA_DATABASE_URL": self.db_url,
            "SOHOA_DATA_DIR": str(tmp / "data"),
            "SOHOA_HOME": str(ROOT),
            "SOHOA_WORKERS": "2",
        }
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        out = (self.tmp / log).open("wb")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{output[-3000:]}"
        return output

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    d = District(tmp_path_factory.mktemp("district"))
    port = d.api.split(":")[2].split("/")[0]
    server = d.start(
        str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port, log="server.log"
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(d.api):
            assert server.poll() is None, f"the Prefect server stopped:\n{d.log('server.log')[-3000:]}"
            assert time.monotonic() < deadline, "the Prefect server did not answer in time"
            time.sleep(1)
        d.run(str(BIN / "prefect"), "work-pool", "create", "sohoa-district", "--type", "process")
        d.run(str(BIN / "python"), "-m", "flows.deploy", "--all", "--no-prompt")
        d.run(str(BIN / "sohoa"), "db", "upgrade")  # no offices: the flow loads them itself
        d.start(str(BIN / "prefect"), "worker", "start", "--pool", "sohoa-district", log="worker.log")
        yield d
    finally:
        for proc in reversed(d.procs):
            _stop(proc)


def test_prefect_deploy_all_creates_every_deployment_of_prefect_yaml(district: District) -> None:
    for name in (
        "scan-batch/scan-batch",
        "campaign/campaign",
        "load-approved/load-approved",
        "report/report-daily",
    ):
        shown = district.run(str(BIN / "prefect"), "deployment", "inspect", name)
        assert "sohoa-district" in shown, name
    daily = district.run(str(BIN / "prefect"), "deployment", "inspect", "report/report-daily")
    assert "0 6 * * *" in daily and "Asia/Ho_Chi_Minh" in daily


def test_the_scan_deployment_stages_the_pages_and_the_report_deployment_writes_the_reports(
    district: District,
) -> None:
    scans = district.tmp / "scans"
    manifest = make_samples(
        scans,
        SEED,
        books_per_type=1,
        pages_per_book=2,
        style="typed",
        eras=["2006-2015"],
        types=["birth"],
        workers=1,
    )
    book = manifest["books"][0]
    truth = [json.loads(line) for line in (scans / "truth.jsonl").open(encoding="utf-8")]
    files = [str((scans / p).resolve()) for p in book["pages"]]
    params: dict[str, Any] = {
        "book": {k: book[k] for k in ("office", "book_type", "era", "volume")},
        "files": files,
        "source": str(Path(files[0]).parent),
    }
    watch = district.run(
        str(BIN / "prefect"), "deployment", "run", "scan-batch/scan-batch",
        "--params", json.dumps({"params": params}), "--watch", "--watch-timeout", str(RUN_TIMEOUT_S),
        timeout=RUN_TIMEOUT_S + 60,
    )  # fmt: skip
    assert "finished successfully in 'Completed'" in watch, (
        f"{watch[-2000:]}\n{district.log('worker.log')[-3000:]}"
    )
    assert watch.count("read-page") >= 2  # a task state per page

    engine = db.make_engine(district.db_url)
    try:
        with db.session_scope(engine) as session:
            statuses = list(session.scalars(select(Page.status)))
            records = session.scalar(select(func.count()).select_from(Record))
    finally:
        engine.dispose()
    assert sorted(map(str, statuses)) == ["staged", "staged"]
    assert records == len(truth)

    out = district.tmp / "reports"
    watch = district.run(
        str(BIN / "prefect"), "deployment", "run", "report/report-daily",
        "--params", json.dumps({"params": {"out_dir": str(out), "office": book["office"]}}),
        "--watch", "--watch-timeout", str(RUN_TIMEOUT_S),
        timeout=RUN_TIMEOUT_S + 60,
    )  # fmt: skip
    assert "finished successfully in 'Completed'" in watch, (
        f"{watch[-2000:]}\n{district.log('worker.log')[-3000:]}"
    )
    written = sorted(p.name.split("_")[0] + p.suffix for p in out.iterdir())
    assert written == sorted(
        f"{k}.{f}" for k in ("progress", "quality", "vital") for f in ("csv", "html", "xlsx")
    )
    progress = next(out.glob("progress_*.csv")).read_text(encoding="utf-8")
    assert book["office"] in progress
