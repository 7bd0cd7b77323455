"""flows/load.py and ``sohoa load``: load the approved records, export the packages, rerun changes nothing."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from test_loaders_approval import BIRTHS, T0, add_user, get_book, page_png, stage_page
from typer.testing import CliRunner

from flows.load import LoadParams, database_trouble, run_load
from loaders import export as export_module
from loaders.approval import approve
from loaders.db import ENV_URL, make_engine, session_scope, upgrade
from loaders.models import Office, Record, RecordState
from sohoa.cli import app
from sohoa.errors import DataDirError

PACKAGE = "01234_birth_2006-2015_q01"  # volume "1" is registered as "01"


@pytest.fixture
def approved(
    engine: Engine, book_id: int, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Two approved and one staged birth record of commune 01234; ``SOHOA_DATABASE_URL`` points at them."""
    with session_scope(engine) as session:
        image = page_png(tmp_path / "scans", "p0001.png", len(BIRTHS))
        ids = stage_page(session, get_book(session, book_id), BIRTHS, image=image)
        lan = add_user(session, "lan")
        approve(session, ids[0], lan, 1, now=T0)
        approve(session, ids[1], lan, 1, now=T0)
    monkeypatch.setenv(ENV_URL, db_url)
    return db_url


def _states(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [str(s) for s in session.scalars(select(Record.state).order_by(Record.id))]


def test_flow_loads_exports_and_a_rerun_does_nothing(engine: Engine, approved: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_load(LoadParams(office="01234", out_dir=out))
    assert first["loaded"] == 2 and first["problems"] == []
    assert [p["path"] for p in first["packages"]] == [str(out / PACKAGE)]
    assert first["packages"][0]["records"] == 2
    assert _states(engine) == ["loaded", "loaded", "staged"]
    assert len(list((out / PACKAGE / "pdf").iterdir())) == 2
    again = run_load(LoadParams(office="01234", out_dir=out))
    assert (again["loaded"], again["packages"], again["packages_current"]) == (0, [], 1)


def test_a_failed_export_is_written_by_the_rerun(
    engine: Engine, approved: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def no_space(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(export_module, "_write", no_space)
    with pytest.raises(DataDirError, match="No space left on device"):
        run_load(LoadParams(office="01234", out_dir=out))
    assert _states(engine) == ["loaded", "loaded", "staged"]  # loading is done; only the package is missing
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setenv(ENV_URL, approved)
    rerun = run_load(LoadParams(office="01234", out_dir=out))
    assert rerun["loaded"] == 0 and [p["records"] for p in rerun["packages"]] == [2]


def test_cli_load_prints_a_summary(engine: Engine, approved: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["load", "--office", "01234", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Đã nạp 2 bản ghi" in text and "1 gói mới ghi" in text
    assert (out / PACKAGE / "manifest.json").is_file()
    with session_scope(engine) as session:
        assert session.scalars(select(Record).where(Record.state == RecordState.LOADED)).all()


def test_cli_load_refuses_an_unknown_office(approved: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["load", "--office", "01243", "--out", str(tmp_path / "out")])
    assert result.exit_code == 6
    # the offices of configs/offices.yaml are loaded first (ensure_office): the closest codes come from them
    assert "không có mã cơ quan '01243'" in result.output and "có phải ý bạn là" in result.output


def test_cli_load_right_after_db_upgrade_loads_the_offices(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database just made by ``sohoa db upgrade`` holds no offices: ``load`` loads configs/offices.yaml
    itself (as ``scan``, ``campaign`` and ``report`` do) instead of saying there are none."""
    upgrade(db_url)
    monkeypatch.setenv(ENV_URL, db_url)
    result = CliRunner().invoke(app, ["load", "--office", "01481", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Đã nạp 0 bản ghi" in " ".join(result.output.split())
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            assert session.get(Office, "01481") is not None
    finally:
        engine.dispose()


class _State:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def result(self) -> Any:
        raise self.exc


def test_only_database_trouble_is_retried() -> None:
    from sqlalchemy.exc import OperationalError

    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert database_trouble(None, None, _State(down))  # type: ignore[arg-type]
    full = DataDirError("disk full")
    assert not database_trouble(None, None, _State(full))  # type: ignore[arg-type]
