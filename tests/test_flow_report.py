"""The report flow writes the report files; ``prefect.yaml`` parses and its entrypoints import."""

from __future__ import annotations

import datetime as dt
import errno
import importlib.util
import itertools
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml
from cronsim import CronSim
from openpyxl import load_workbook
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import Flow
from sqlalchemy import Engine

import reports.render
from flows.report import ReportParams, run_report
from flows.settings import database
from loaders import db, registry
from sohoa import config
from sohoa.errors import DataDirError
from sohoa.paths import REPO_ROOT

DAY = dt.date(2026, 11, 23)


@pytest.fixture
def report_db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with db.session_scope(engine) as session:
        registry.sync_offices(session, config.offices())
    monkeypatch.setenv(db.ENV_URL, db_url)
    return db_url


def test_report_flow_writes_every_report_in_every_format(report_db: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = run_report(ReportParams(out_dir=out, office="04", as_of=DAY))
    names = sorted(Path(p).name for p in result["files"])
    assert names == sorted(
        f"{kind}_04_2026-11-23.{ext}"
        for kind in ("progress", "quality", "vital")
        for ext in ("xlsx", "html", "csv")
    )
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary file left
    header = (out / "progress_04_2026-11-23.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"era", "book_group", "target", "approved", "loaded"} <= set(header)
    sheets = load_workbook(out / "progress_04_2026-11-23.xlsx", read_only=True).sheetnames
    assert len(sheets) >= 2
    assert "<html" in (out / "progress_04_2026-11-23.html").read_text(encoding="utf-8").lower()
    database().dispose()


def test_a_full_disk_leaves_no_half_written_report(
    report_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(report: Any, path: Path) -> Path:
        path.write_bytes(b"PK half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reports.render, "to_xlsx", no_space)
    out = tmp_path / "reports"
    with pytest.raises(DataDirError, match="giải phóng dung lượng đĩa"):
        run_report(ReportParams(out_dir=out, office="04", kinds=["progress"], formats=["xlsx"], as_of=DAY))
    assert list(out.iterdir()) == []
    database().dispose()


# --------------------------------------------------------------------------- prefect.yaml
def _prefect_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return data


def _load_entrypoint(entrypoint: str) -> Flow[Any, Any]:
    path, _, name = entrypoint.partition(":")
    spec = importlib.util.spec_from_file_location(f"entry_{name}", REPO_ROOT / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    flow = getattr(module, name)
    assert isinstance(flow, Flow)
    return flow


def test_prefect_yaml_has_a_deployment_per_flow_with_importable_entrypoints() -> None:
    data = _prefect_yaml()
    deployments = {d["name"]: d for d in data["deployments"]}
    assert set(deployments) == {"scan-batch", "campaign", "load-approved", "report-daily"}
    flows = {name: _load_entrypoint(d["entrypoint"]) for name, d in deployments.items()}
    assert {name: f.name for name, f in flows.items()} == {
        "scan-batch": "scan-batch",
        "campaign": "campaign",
        "load-approved": "load-approved",
        "report-daily": "report",
    }
    for name, d in deployments.items():
        assert d["work_pool"]["name"] == "sohoa-district"
        if d.get("parameters"):
            flows[name].validate_parameters(d["parameters"])


def test_the_report_deployment_runs_daily() -> None:
    report = next(d for d in _prefect_yaml()["deployments"] if d["name"] == "report-daily")
    (schedule,) = report["schedules"]
    CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # Prefect accepts it
    start = dt.datetime(2026, 11, 23, 12, tzinfo=zoneinfo.ZoneInfo(schedule["timezone"]))
    runs = CronSim(schedule["cron"], start)
    times = [next(runs) for _ in range(4)]
    assert {b - a for a, b in itertools.pairwise(times)} == {dt.timedelta(days=1)}


def test_the_deployed_flows_take_their_task_runner_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.deploy import ENV_DASK, ENV_WORKERS, runner_from_env
    from flows.pool import OcrTaskRunner

    monkeypatch.delenv(ENV_DASK, raising=False)
    monkeypatch.setenv(ENV_WORKERS, "3")
    runner = runner_from_env()
    assert isinstance(runner, OcrTaskRunner) and runner.workers == 3
    monkeypatch.setenv(ENV_DASK, "tcp://10.0.0.5:8786")
    assert type(runner_from_env()).__name__ == "DaskTaskRunner"
