"""Database fixtures: every ``db_url`` test runs on SQLite and on PostgreSQL (marker ``postgres``).

PostgreSQL is the server at ``SOHOA_TEST_PG_URL`` (default the local one); each test gets a fresh database,
dropped afterwards. An unreachable server fails the test (deselect with ``-m "not postgres"``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from loaders.db import ENV_URL, make_engine, session_scope, upgrade
from loaders.registry import register_book, sync_offices
from sohoa import config
from sohoa.config import Office

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

PG_ADMIN_URL = os.environ.get("SOHOA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    name = f"sohoa_test_{uuid.uuid4().hex[:12]}"
    problem = None
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        problem = f"{exc.__class__.__name__}: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
    if problem is not None:
        admin.dispose()
        shown = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL tests need a server at {shown} ({problem}); start it, set SOHOA_TEST_PG_URL, "
            'or deselect them with -m "not postgres"',
            pytrace=False,
        )
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sohoa.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def flow_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``db_url`` at head with the offices loaded and selected for the flows (``SOHOA_DATABASE_URL``); the
    flows' engine is disposed afterwards."""
    from flows.settings import database

    monkeypatch.setenv(ENV_URL, db_url)
    upgrade(db_url)
    with session_scope(database()) as session:
        sync_offices(session, config.offices())
    yield db_url
    database().dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


OFFICES = [
    {"code": "04", "name": "Cao Bằng", "level": "province", "kind": "tỉnh", "parent_code": None},
    {
        "code": "040",
        "name": "Thành phố Cao Bằng",
        "level": "district",
        "kind": "thành phố",
        "parent_code": "04",
    },
    {"code": "01234", "name": "Phường Hợp Giang", "level": "commune", "kind": "phường", "parent_code": "040"},
    {"code": "01235", "name": "Xã Chu Trinh", "level": "commune", "kind": "xã", "parent_code": "040"},
]


@pytest.fixture
def offices() -> list[Office]:
    """A small office tree (province, district, two communes), as ``sohoa.config.offices()`` returns it."""
    return [Office(**o) for o in OFFICES]


@pytest.fixture
def book_id(engine: Engine, offices: list[Office]) -> int:
    """The id of a registered birth book of commune 01234 in a database with the offices above."""
    with session_scope(engine) as session:
        sync_offices(session, offices)
        return register_book(session, "01234", "birth", "2006-2015", "1", 2006, 2010).id


# --------------------------------------------------------------------------- the review app (tests/test_review_*.py)
@pytest.fixture
def data(engine: Engine, book_id: int, tmp_path: Path) -> dict[str, Any]:
    """Staged records with page images, users of every role, a link suggestion (``test_review_app.seed``)."""
    from test_review_app import seed

    return seed(engine, book_id, tmp_path / "pages")


@pytest.fixture
def app(engine: Engine, data: dict[str, Any]) -> FastAPI:
    from test_review_app import make_settings

    from review.app import create_app

    return create_app(engine, make_settings())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def lan(client: TestClient) -> TestClient:
    """The client signed in as reviewer ``lan`` of commune 01234."""
    from test_review_app import login

    assert login(client, "lan").status_code == 303
    return client
