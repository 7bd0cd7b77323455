"""Typed parameters of the flows and the per-process resources their tasks share.

The database modules (SQLAlchemy, Alembic, loaders) are imported where they are used: an OCR worker process
imports the flow modules (Prefect sends it the flow with every task) but never touches the database, and
those imports were a third of its start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

from sohoa.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

#: Database steps are tried again this many times, after these pauses (seconds), when the database fails.
DB_RETRIES = 3
DB_RETRY_DELAY_S = [2.0, 5.0, 15.0]


class BookRef(BaseModel):
    """A book: office, type, era and volume (quyển), the volume normalized ("1" → "01", see
    ``loaders.registry.normalize_volume``)."""

    office: str
    book_type: str
    era: str
    volume: str
    year_from: int | None = None
    year_to: int | None = None

    @field_validator("volume", mode="before")
    @classmethod
    def _volume(cls, value: object) -> str:
        from loaders.registry import normalize_volume

        return normalize_volume(value)


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
    from loaders import db

    return _engine(db.database_url())


@cache
def _engine(url: str) -> Engine:
    from loaders import db

    return db.make_engine(url)


@contextmanager
def session() -> Iterator[Session]:
    """A session on :func:`database` committed at the end of the block (rolled back if it raises); a
    database that cannot be reached or fails becomes one :class:`DatabaseError` saying how to fix it."""
    from sqlalchemy import exc as sa_exc

    from loaders import db

    engine = database()
    try:
        with db.session_scope(engine) as s:
            yield s
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise db.connection_error(engine, exc) from exc


@contextmanager
def shared_prefect_api() -> Iterator[None]:
    """Run the block with one Prefect API for this process and every worker it starts.

    With ``PREFECT_API_URL`` set (a Prefect server) nothing changes. Without it Prefect starts a temporary
    local server, and a worker process (process pool or Dask) that is not told where it is starts one of
    its own: hundreds of MB and a slow start per worker, and task states spread over several databases.
    So the temporary server is started here (patiently, once per process:
    :func:`flows.api_server.temporary_api`) and its URL put in the settings the workers receive; it ends
    with this process, however that ends.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from flows.api_server import temporary_api

    with temporary_settings(updates={PREFECT_API_URL: temporary_api().api_url}):
        yield


def ensure_office(session: Session, code: str) -> None:
    """Load the offices of ``configs/offices.yaml`` when office ``code`` is not in the database yet.

    A district's database made with ``sohoa db upgrade`` holds no offices; ``sohoa scan`` loads them itself
    (idempotent), and so does a deployed flow through this. An office the configs do not know either stays
    unknown, and the registry says so with the closest codes.
    """
    from loaders import registry
    from loaders.models import Office
    from sohoa import config

    if session.get(Office, code) is None:
        registry.sync_offices(session, config.offices())


def database_trouble(_task: Any, _run: Any, state: Any) -> bool:
    """Prefect's retry condition: retry only when the database failed (not for a full disk or bad input)."""
    try:
        state.result()
    except BaseException as exc:
        return is_database_trouble(exc)
    return False


def is_database_trouble(exc: BaseException) -> bool:
    """True when ``exc`` says the database failed (worth another try), not the input or the disk."""
    from sqlalchemy import exc as sa_exc

    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | DatabaseError)
