"""Issue 14 part 4: a user's mistake in ``scan``, ``campaign``, ``load`` and ``db upgrade/downgrade`` prints
one line (what is wrong — how to fix it) and a distinct exit code, never a traceback; the ones that can be
checked are checked before Prefect's temporary server starts (it would have made its database).

Each test runs the real CLI in a process of its own, with its own data folder.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOHOA = [sys.executable, "-m", "sohoa.cli"]


def run(args: list[str], data: Path, *, python: list[str] = SOHOA) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "SOHOA_DATA_DIR": str(data)}
    for name in ("SOHOA_DATABASE_URL", "PREFECT_API_URL", "PREFECT_HOME"):  # PREFECT_HOME: under data
        env.pop(name, None)
    return subprocess.run([*python, *args], env=env, capture_output=True, text=True, timeout=600)


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The one error line, after checking the exit code, that nothing else was printed, and no traceback."""
    both = result.stdout + result.stderr
    assert result.returncode == code, both[-3000:]
    assert "Traceback" not in both
    assert not result.stdout.strip(), result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Lỗi: ") and " — " in lines[0], lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def no_prefect_server_started(data: Path) -> bool:
    """Prefect's temporary server makes its database in PREFECT_HOME (``<data>/prefect``) as it starts."""
    return not (data / "prefect" / "prefect.db").exists()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def book_folder(path: Path, pages: int = 1) -> Path:
    """A folder of files named like page images (nothing reads them before these mistakes are found)."""
    path.mkdir(parents=True)
    for i in range(1, pages + 1):
        (path / f"p{i:04d}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return path


SCAN = ["scan", "--book-type", "birth", "--era", "2006-2015", "--volume", "01", "--workers", "1"]


# --------------------------------------------------------------------------- scan
def test_scan_unknown_office(tmp_path: Path, data: Path) -> None:
    result = run([*SCAN, str(book_folder(tmp_path / "b")), "--office", "99999"], data)
    one_line(result, 6, "'99999'", "configs/offices.yaml")
    assert no_prefect_server_started(data)


def test_scan_empty_folder(tmp_path: Path, data: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run([*SCAN, str(tmp_path / "empty"), "--office", "01481"], data)
    one_line(result, 5, "không có ảnh trang nào", "PNG, JPEG, TIFF hoặc PDF")
    assert no_prefect_server_started(data)


def test_scan_unknown_book_type_and_era(tmp_path: Path, data: Path) -> None:
    folder = str(book_folder(tmp_path / "b"))
    args = ["scan", folder, "--office", "01481", "--volume", "01"]
    result = run([*args, "--book-type", "birthday", "--era", "2006-2015"], data)
    one_line(result, 5, "'birthday'", "marriage, birth")
    result = run([*args, "--book-type", "birth", "--era", "1900"], data)
    one_line(result, 5, "'1900'", "2006-2015")
    assert no_prefect_server_started(data)


def test_a_mistake_found_inside_the_flow_is_one_line_too(tmp_path: Path, data: Path) -> None:
    """The office check before the flow is switched off: the flow's own check finds it, and Prefect's
    logging of the failed task and flow run (a traceback) stays off the terminal."""
    python = [
        sys.executable,
        "-c",
        "import sohoa.flows_cli as f; f.check_office = lambda office: None\n"
        "from sohoa.cli import app; app(prog_name='sohoa')",
    ]
    result = run([*SCAN, str(book_folder(tmp_path / "b")), "--office", "99999"], data, python=python)
    one_line(result, 6, "'99999'", "configs/offices.yaml")
    assert not no_prefect_server_started(data)  # it did run inside a flow


# --------------------------------------------------------------------------- campaign
def test_campaign_unknown_office(tmp_path: Path, data: Path) -> None:
    book_folder(tmp_path / "c" / "birth_2006-2015_01")
    result = run(["campaign", str(tmp_path / "c"), "--office", "9999", "--workers", "1"], data)
    one_line(result, 6, "'9999'")
    assert no_prefect_server_started(data)


def test_campaign_empty_folder(tmp_path: Path, data: Path) -> None:
    (tmp_path / "c").mkdir()
    result = run(["campaign", str(tmp_path / "c"), "--office", "01481", "--workers", "1"], data)
    one_line(result, 5, "không có sổ nào của cơ quan 01481", "<book_type>_<era>_<volume>")
    assert no_prefect_server_started(data)


def test_campaign_wrongly_named_book_folder(tmp_path: Path, data: Path) -> None:
    book_folder(tmp_path / "c" / "birth_2006-2015_01")
    book_folder(tmp_path / "c" / "khai-sinh-2007")
    result = run(["campaign", str(tmp_path / "c"), "--office", "01481", "--workers", "1"], data)
    one_line(result, 5, "khai-sinh-2007", "birth_2006-2015_01")
    assert no_prefect_server_started(data)


def test_campaign_book_folder_without_pages(tmp_path: Path, data: Path) -> None:
    (tmp_path / "c" / "birth_2006-2015_01").mkdir(parents=True)
    result = run(["campaign", str(tmp_path / "c"), "--office", "01481", "--workers", "1"], data)
    one_line(result, 5, "birth_2006-2015_01 không có ảnh trang nào")
    assert no_prefect_server_started(data)


@pytest.mark.parametrize(
    "manifest",
    ['{"books": [', '{"pages": []}', json.dumps({"books": [{"office": "01481", "era": "2006-2015"}]})],
    ids=["not-json", "no-books", "book-without-fields"],
)
def test_campaign_broken_manifest(tmp_path: Path, data: Path, manifest: str) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "manifest.json").write_text(manifest, encoding="utf-8")
    result = run(["campaign", str(tmp_path / "c"), "--office", "01481", "--workers", "1"], data)
    one_line(result, 5, "manifest.json")
    assert no_prefect_server_started(data)


# --------------------------------------------------------------------------- load
def test_load_out_is_an_existing_file(tmp_path: Path, data: Path) -> None:
    (tmp_path / "out.xlsx").write_text("not a folder")
    result = run(["load", "--office", "01481", "--out", str(tmp_path / "out.xlsx")], data)
    one_line(result, 4, "out.xlsx", "thư mục")
    assert no_prefect_server_started(data)


def test_load_out_under_a_file(tmp_path: Path, data: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    result = run(["load", "--office", "01481", "--out", str(tmp_path / "file" / "xuat")], data)
    one_line(result, 4, "file/xuat")
    assert no_prefect_server_started(data)


# --------------------------------------------------------------------------- db
@pytest.mark.parametrize("action", ["upgrade", "downgrade"])
def test_db_unknown_revision(data: Path, action: str) -> None:
    result = run(["db", action, "nonsense"], data)
    one_line(result, 6, "'nonsense'", "head, base")


def test_db_downgrade_to_an_impossible_target(data: Path) -> None:
    assert run(["db", "upgrade"], data).returncode == 0
    result = run(["db", "downgrade", "+1"], data)
    one_line(result, 7, "'+1'", "sohoa db current")


# --------------------------------------------------------------------------- the terminal's log filter
def test_prefect_errors_are_shown_when_the_failure_is_not_a_user_mistake() -> None:
    """A bug keeps Prefect's error records (they are its diagnosis); a SohoaError drops them."""
    from sohoa import console
    from sohoa.errors import InputError

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.records: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record.getMessage())

    handler = Collect()
    terminal = console.TerminalLogFilter(handler)
    handler.addFilter(terminal)
    console._filters.append(terminal)
    log = logging.getLogger("prefect.flow_runs.test")
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    log.propagate = False
    try:

        @console.friendly
        def fails(exc: BaseException) -> None:
            with console.foreground_run():
                log.info("started")
                log.error("crashed with %s", exc.__class__.__name__)
                assert handler.records == []  # held while the flow runs
                raise exc

        with pytest.raises(ValueError):
            fails(ValueError("a bug"))
        assert handler.records == ["crashed with ValueError"]
        handler.records.clear()
        with pytest.raises(Exception) as raised:
            fails(InputError("bad input", hint="fix it"))
        assert getattr(raised.value, "exit_code", None) == 5
        assert handler.records == []
        log.error("outside a flow run")  # printed at once
        assert handler.records == ["outside a flow run"]
    finally:
        console._filters.remove(terminal)
        log.removeHandler(handler)
        log.propagate = True
