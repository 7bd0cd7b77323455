"""Typed parameters of the flows and the per-process resources their tasks share."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from loaders import db


class BookRef(BaseModel):
    """A book: office, type, era and volume (quyển)."""

    office: str
    book_type: str
    era: str
    volume: str
    year_from: int | None = None
    year_to: int | None = None


class ScanParams(BaseModel):
    """One scan batch: the page files of one book."""

    book: BookRef
    files: list[Path]
    source: str = Field(description="The folder or list the files came from (kept on the batch).")
    workers: int = Field(default=1, ge=1, le=64)
    layout_path: Path | None = None
    engine: str = "tesserocr"
    link: bool = True
    actor: str = "flow:scan-batch"


def database() -> Engine:
    """The engine of the database in use (``SOHOA_DATABASE_URL`` or the SQLite default), one per process
    and URL."""
    return _engine(db.database_url())


@cache
def _engine(url: str) -> Engine:
    return db.make_engine(url)
