"""``sohoa load``: approved records into the official partition and export packages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from sohoa.console import out


def _check_office(office: str) -> None:
    """Fail fast, before the flow starts: the schema is at head and the office exists."""
    from loaders import db, registry

    engine = db.make_engine(db.database_url())
    try:
        db.require_schema(engine)
        with db.session_scope(engine) as session:
            registry.get_office(session, office)
    finally:
        engine.dispose()


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

    _check_office(office)
    result = run_load(LoadParams(office=office, out_dir=out_dir))
    print_summary(result)
    return result
