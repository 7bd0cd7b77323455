"""``sohoa pages``: quarantined pages, and releasing one on purpose (``sohoa pages list|release``)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from sohoa.console import friendly, out

T = TypeVar("T")

pages_app = typer.Typer(help="Page images: quarantined pages and releasing them.", no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    from loaders import db

    engine = db.make_engine(db.database_url())
    try:
        db.require_schema(engine)
        with db.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _run(action: Callable[[Session], T]) -> T:
    with _session() as session:
        return action(session)


def cli_actor() -> str:
    """Who a CLI action is audited as: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def quarantined_pages(session: Session, office: str | None, book_id: int | None) -> list[dict[str, Any]]:
    """Quarantined pages (of an office or a book), in book and page order."""
    from sqlalchemy import select

    from loaders.models import Book, Page, PageStatus
    from loaders.registry import get_office

    query = (
        select(Page, Book)
        .join(Book, Page.book_id == Book.id)
        .where(Page.status == PageStatus.QUARANTINED)
        .order_by(Book.id, Page.page_no)
    )
    if office is not None:
        get_office(session, office)
        query = query.where(Book.office_code == office)
    if book_id is not None:
        query = query.where(Book.id == book_id)
    return [
        {
            "page_id": page.id,
            "book_id": book.id,
            "office": book.office_code,
            "book_type": str(book.book_type),
            "era": book.era,
            "volume": book.volume,
            "page": page.page_no,
            "image": page.image_path,
            "reason": page.quarantine_reason,
        }
        for page, book in session.execute(query)
    ]


@pages_app.command("list")
@friendly
def pages_list(
    office: Annotated[str | None, typer.Option("--office", help="Only this office's books.")] = None,
    book: Annotated[int | None, typer.Option("--book", help="Only this book (its number).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Quarantined pages with their number (mã trang) and reason."""
    rows = _run(lambda s: quarantined_pages(s, office, book))
    if as_json:
        out.print_json(json.dumps({"pages": rows}, ensure_ascii=False))
        return
    table = Table(title="Trang bị cách ly")
    for col in ("mã trang", "sổ", "trang", "ảnh", "lý do"):
        table.add_column(col)
    for r in rows:
        book_words = f"{r['book_id']} ({r['office']} {r['book_type']} {r['era']} q{r['volume']})"
        table.add_row(
            str(r["page_id"]), book_words, str(r["page"]), escape(r["image"]), escape(r["reason"] or "")
        )
    out.print(table)


@pages_app.command("release")
@friendly
def pages_release(
    page_id: Annotated[int, typer.Argument(help="The page's number (mã trang), from `sohoa pages list`.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is released (kept in the audit log).")
    ] = None,
) -> None:
    """Release a quarantined page on purpose: the next scan of its book reads it (audited)."""
    from loaders.ingest import release_page

    def work(session: Session) -> tuple[int, int, str | None]:
        page = release_page(session, page_id, actor=cli_actor(), note=reason)
        return page.book_id, page.page_no, page.quality["released"]["reason"]

    book_id, page_no, old = _run(work)
    out.print(
        f"Đã thả trang {page_id} (sổ {book_id}, trang {page_no}) khỏi cách ly; lần quét sổ {book_id} tới sẽ đọc "
        f"trang này. Lý do cách ly cũ: {escape(old or '—')}",
        highlight=False,
        soft_wrap=True,
    )
