"""``sohoa load``: approved records into the official partition and export packages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.table import Table

from sohoa.console import foreground_run, out


def check_out_dir(out_dir: Path) -> None:
    """Fail fast, before the flow starts: ``out_dir`` is a writable folder, made now if missing."""
    from sohoa.errors import DataDirError

    if out_dir.exists() and not out_dir.is_dir():
        raise DataDirError(
            f"--out {out_dir} là một tệp, không phải thư mục",
            hint="chọn một thư mục (có sẵn hoặc chưa có) cho các gói dữ liệu, ví dụ --out ./xuat",
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"không tạo được thư mục --out {out_dir}: {exc.strerror or exc}",
            hint="chọn một thư mục có quyền ghi, hoặc tạo nó trước",
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise DataDirError(
            f"không có quyền ghi vào thư mục --out {out_dir}",
            hint="cấp quyền ghi cho thư mục này, hoặc chọn thư mục khác",
        )


def print_summary(result: dict[str, Any]) -> None:
    """Records loaded, problems, and every package written with its path."""
    out.print(f"Đã nạp {result['loaded']} bản ghi vào dữ liệu chính thức.")
    for problem in result["problems"]:
        out.print(f"  [yellow]chưa nạp[/] {problem}", highlight=False)
    packages = result["packages"]
    if packages:
        table = Table(title="Gói dữ liệu đã ghi")
        table.add_column("sổ", justify="right")
        table.add_column("bản ghi", justify="right")
        table.add_column("thư mục")
        for package in packages:
            table.add_row(str(package["book_id"]), str(package["records"]), package["path"])
        out.print(table)
    out.print(
        f"{len(packages)} gói mới ghi, {result['packages_current']} gói đã cập nhật từ trước.",
        highlight=False,
    )


def run_load_cli(*, office: str, out_dir: Path) -> dict[str, Any]:
    """Load the approved records of ``office`` and write one export package per book under ``out_dir``."""
    from flows.load import LoadParams, run_load
    from sohoa.flows_cli import check_office

    check_out_dir(out_dir)
    check_office(office)
    with foreground_run():
        result = run_load(LoadParams(office=office, out_dir=out_dir))
    print_summary(result)
    return result
