"""User mistakes at the CLI: one line that says how to fix it, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOHOA = [sys.executable, "-m", "sohoa.cli"]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run([*SOHOA, *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_config_dir(tmp_path: Path) -> None:
    result = run(["config", "check"], {"SOHOA_CONFIG_DIR": str(tmp_path / "nothing")}, tmp_path)
    assert_one_line_error(result, 2, "thiếu tệp cấu hình", "eras.yaml", "SOHOA_CONFIG_DIR")


def test_invalid_config_names_file_and_key(tmp_path: Path) -> None:
    from sohoa.paths import REPO_ROOT

    root = tmp_path / "configs"
    subprocess.run(["cp", "-r", str(REPO_ROOT / "configs"), str(root)], check=True)
    eras = root / "eras.yaml"
    eras.write_text(eras.read_text(encoding="utf-8").replace("layout_kind: form", "layout_kind: scroll"))
    result = run(["config", "check"], {"SOHOA_CONFIG_DIR": str(root)}, tmp_path)
    assert_one_line_error(result, 2, "eras.yaml", "eras.3.layout_kind", "'ledger' hoặc 'form'")


def test_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    result = run(["db", "upgrade"], {"SOHOA_DATABASE_URL": url}, tmp_path)
    assert_one_line_error(result, 3, "127.0.0.1:1", "SOHOA_DATABASE_URL")


def test_unwritable_data_dir(tmp_path: Path) -> None:
    # /proc refuses new folders even to root, so this runs the same everywhere.
    result = run(["db", "upgrade"], {"SOHOA_DATA_DIR": "/proc/sohoa-data"}, tmp_path)
    assert_one_line_error(result, 4, "/proc/sohoa-data", "SOHOA_DATA_DIR")


def test_db_upgrade_then_current_on_sqlite(tmp_path: Path) -> None:
    env = {"SOHOA_DATA_DIR": str(tmp_path / "data")}
    first = run(["db", "upgrade"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "sohoa.db").is_file()
    current = run(["db", "current"], env, tmp_path)
    assert current.returncode == 0
    assert "base" not in current.stdout


def test_samples_make_rejects_bad_arguments(tmp_path: Path) -> None:
    result = run(["samples", "make", "--out", str(tmp_path / "s"), "--eras", "1990s"], {}, tmp_path)
    assert_one_line_error(result, 5, "1990s")
    result = run(["samples", "make", "--out", str(tmp_path / "s"), "--style", "crayon"], {}, tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
