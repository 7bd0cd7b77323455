"""The one front door: ``sohoa`` (Typer). Every verb calls into the packages; user mistakes print one line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from sohoa.console import friendly, out, quiet_prefect_logs
from sohoa.pages_cli import pages_app
from sohoa.report_cli import report_app
from sohoa.users_cli import users_app

app = typer.Typer(
    name="sohoa",
    help="Số hóa sổ hộ tịch: scanned civil-registry books → reviewed, linked electronic records.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The database: migrations and connection checks.", no_args_is_help=True)
samples_app = typer.Typer(help="Synthetic sample books with ground truth.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files under configs/.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(samples_app, name="samples")
app.add_typer(config_app, name="config")
app.add_typer(report_app, name="report")
app.add_typer(users_app, name="users")
app.add_typer(pages_app, name="pages")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet_prefect_logs(verbose)


def _split(values: str | None) -> list[str] | None:
    return [v.strip() for v in values.split(",") if v.strip()] if values else None


# --------------------------------------------------------------------------- config
@config_app.command("check")
@friendly
def config_check() -> None:
    """Load and validate every configuration file."""
    from rich.table import Table

    from sohoa.config import check_all

    rows = check_all()

    table = Table(title="configs/", show_lines=False)
    table.add_column("file")
    table.add_column("what")
    for name, what in rows:
        table.add_row(name, what)
    out.print(table)
    out.print(f"[green]{len(rows)} files valid.[/]")


# --------------------------------------------------------------------------- db
@db_app.command("upgrade")
@friendly
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema (SOHOA_DATABASE_URL, default ./data/sohoa.db)."""
    from loaders import db

    url = db.database_url()
    db.upgrade(url, revision)
    out.print(f"[green]Database at revision {db.current_revision(url)}[/] ({db.safe_url(url)})")


@db_app.command("downgrade")
@friendly
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")]) -> None:
    """Migrate the schema down to REVISION."""
    from loaders import db

    url = db.database_url()
    db.downgrade(url, revision)
    out.print(f"Database at revision {db.current_revision(url) or 'base'} ({db.safe_url(url)})")


@db_app.command("current")
@friendly
def db_current() -> None:
    """Show the schema revision of the database."""
    from loaders import db

    url = db.database_url()
    out.print(f"{db.current_revision(url) or 'base (empty)'}  ({db.safe_url(url)})")


# --------------------------------------------------------------------------- samples
@samples_app.command("make")
@friendly
def samples_make(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write books, truth.jsonl and manifest.json.")
    ],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 1,
    books_per_type: Annotated[
        int, typer.Option(help="Books of every selected type in every selected era.")
    ] = 1,
    pages_per_book: Annotated[int, typer.Option(help="Pages per book.")] = 3,
    style: Annotated[str, typer.Option(help="typed, handwritten or mixed.")] = "mixed",
    eras: Annotated[str | None, typer.Option(help="Comma-separated era ids (default: all).")] = None,
    types: Annotated[str | None, typer.Option(help="Comma-separated book types (default: all).")] = None,
    workers: Annotated[int | None, typer.Option(help="Rendering processes (default: one per core).")] = None,
    header_shape: Annotated[
        str,
        typer.Option(
            help="Ledger column header: layout (as the layout file says), one_row, numbered "
            "(plus a row of column numbers), three_rows, or mixed (one per book, from the seed)."
        ),
    ] = "layout",
    split: Annotated[
        str,
        typer.Option(
            help="fit or eval: disjoint caption wordings and column-width draws (tune readers on fit only)."
        ),
    ] = "fit",
    widths: Annotated[
        str, typer.Option(help="Column widths: layout, or jitter (printers' widths, each ×0.8–1.25).")
    ] = "layout",
) -> None:
    """Generate realistic sample books (page images) with their ground truth."""
    from sohoa.samples_cli import make_with_progress

    make_with_progress(
        out_dir,
        seed=seed,
        books_per_type=books_per_type,
        pages_per_book=pages_per_book,
        style=style,
        eras=_split(eras),
        types=_split(types),
        workers=workers,
        header_shape=header_shape,
        split=split,
        widths=widths,
    )


# --------------------------------------------------------------------------- ocr
@app.command("ocr")
@friendly
def ocr_images(
    images: Annotated[list[Path], typer.Argument(help="Page images: PNG, JPEG, TIFF (multi-page) or PDF.")],
    book_type: Annotated[str, typer.Option("--book-type", help="marriage, birth, parent_recognition, …")],
    era: Annotated[str, typer.Option(help="Era id: 1976-1999, 1999-2005, 2006-2015 or 2016+.")],
    layout: Annotated[Path | None, typer.Option(help="The office's own layout YAML.")] = None,
    engine: Annotated[str, typer.Option(help="tesserocr (default) or pytesseract.")] = "tesserocr",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per record on stdout.")] = False,
    debug_dir: Annotated[
        Path | None, typer.Option(help="Write overlay images of grid, cells and fields.")
    ] = None,
) -> None:
    """Read every field of every record on page images (OCR)."""
    from ocr.cli_ocr import run_ocr_cli

    code = run_ocr_cli(images, book_type, era, layout, engine, as_json, debug_dir)
    if code:
        raise typer.Exit(code)


# --------------------------------------------------------------------------- link
@app.command("link")
@friendly
def link(
    office: Annotated[
        str | None,
        typer.Option(
            "--office",
            help="Office code: link only its records and those of the offices under it (default: all). "
            "Persons are matched against everyone already linked in the office's province.",
        ),
    ] = None,
) -> None:
    """Link the people named in staged and approved records to persons (new or already known)."""
    from sohoa.link_cli import run_link_cli

    run_link_cli(office=office)


# --------------------------------------------------------------------------- flows
@app.command("scan")
@friendly
def scan(
    folder: Annotated[Path, typer.Argument(help="Folder of one book's page images (PNG, JPEG, TIFF, PDF).")],
    office: Annotated[str, typer.Option("--office", help="Office code (GSO), e.g. 01774.")],
    book_type: Annotated[str, typer.Option("--book-type", help="marriage, birth, parent_recognition, …")],
    era: Annotated[str, typer.Option(help="Era id: 1976-1999, 1999-2005, 2006-2015 or 2016+.")],
    volume: Annotated[str, typer.Option(help="The book's volume (quyển số).")],
    workers: Annotated[
        int | None, typer.Option(min=1, help="OCR worker processes (default: one per core).")
    ] = None,
    layout: Annotated[Path | None, typer.Option(help="The office's own layout YAML.")] = None,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address for the page reads.")] = None,
) -> None:
    """Scan one book: register its pages, read them, stage the records, link the persons."""
    from sohoa.flows_cli import run_scan_cli

    run_scan_cli(
        folder,
        office=office,
        book_type=book_type,
        era=era,
        volume=volume,
        workers=workers,
        layout_path=layout,
        dask_address=dask,
    )


@app.command("campaign")
@friendly
def campaign(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder with a manifest.json (as `sohoa samples make` writes), "
            "or one folder per book named <book_type>_<era>_<volume> (e.g. birth_2006-2015_01)."
        ),
    ],
    office: Annotated[
        str, typer.Option("--office", help="Office code: its books and those of the offices under it.")
    ],
    workers: Annotated[
        int | None, typer.Option(min=1, help="OCR worker processes (default: one per core).")
    ] = None,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address for the page reads.")] = None,
) -> None:
    """Scan every book of an office in the plan's priority order; finished books skipped, others resumed."""
    from sohoa.campaign_cli import run_campaign_cli

    run_campaign_cli(folder, office=office, workers=workers, dask_address=dask)


@app.command("status")
@friendly
def status(
    office: Annotated[str | None, typer.Option("--office", help="Only this office's books.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Books with their pages (read, quarantined with the reason) and records per state."""
    from sohoa.flows_cli import run_status_cli

    run_status_cli(office=office, as_json=as_json)


@app.command("load")
@friendly
def load(
    office: Annotated[str, typer.Option("--office", help="Office code: load its approved records.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the export packages are written.")],
) -> None:
    """Approved records into the official data, and an export package per book (XLSX + PDFs + checksums)."""
    from sohoa.load_cli import run_load_cli

    run_load_cli(office=office, out_dir=out_dir)


# --------------------------------------------------------------------------- review app
@app.command("serve")
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    https: Annotated[
        bool, typer.Option("--https", help="Behind HTTPS: send the session cookie only over HTTPS.")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (one per core).")] = 1,
) -> None:
    """Run the review and approval web app (SOHOA_DATABASE_URL; SOHOA_SCAN_ROOT for operators' scans)."""
    from sohoa.serve_cli import run_serve_cli

    run_serve_cli(host=host, port=port, https_only=https, workers=workers)


# --------------------------------------------------------------------------- demo
@app.command("demo")
@friendly
def demo(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where the sample books go (default: demo/ in the data folder)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample books.")] = 2026,
    workers: Annotated[int | None, typer.Option(help="OCR worker processes (default: one per core).")] = None,
) -> None:
    """Samples → campaign → a scripted reviewer → load and export → progress report; says where to look."""
    from sohoa.demo import run_demo
    from sohoa.paths import data_dir

    run_demo(out_dir or data_dir() / "demo", seed=seed, workers=workers)


if __name__ == "__main__":  # pragma: no cover
    app()
