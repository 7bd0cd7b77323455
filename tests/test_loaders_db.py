"""Engines, URLs, the data folder, connection errors and schema checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from loaders.db import (
    check_connection,
    current_revision,
    database_url,
    ensure_schema,
    head_revision,
    make_engine,
    require_schema,
    session_scope,
    upgrade,
)
from loaders.models import Office, OfficeLevel
from sohoa.errors import DatabaseError, DataDirError

UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/x"


def test_database_url_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"


def test_database_url_defaults_to_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "new" / "data"))
    url = database_url()
    assert url == f"sqlite:///{(tmp_path / 'new' / 'data' / 'sohoa.db').resolve()}"
    assert (tmp_path / "new" / "data").is_dir()


def test_unwritable_data_dir_raises_data_dir_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(blocker / "data"))
    with pytest.raises(DataDirError) as err:
        database_url()
    assert str(blocker / "data") in str(err.value)
    assert "SOHOA_DATA_DIR" in str(err.value)
    assert err.value.exit_code == 4


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_postgres_engine_pre_pings() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1/x")
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()


def test_unparseable_url_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match="SOHOA_DATABASE_URL"):
        make_engine("not a url")


def test_unreachable_server_gives_a_useful_one_line_error() -> None:
    engine = make_engine(UNREACHABLE)
    with pytest.raises(DatabaseError) as err:
        check_connection(engine)
    message = str(err.value)
    assert "127.0.0.1:1/x" in message
    assert "s3cret" not in message
    assert "khởi động máy chủ cơ sở dữ liệu" in message and "SOHOA_DATABASE_URL" in message
    assert "\n" not in message
    assert err.value.exit_code == 3
    engine.dispose()


def test_upgrade_of_unreachable_server_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1:1"):
        upgrade(UNREACHABLE)
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1:1"):
        current_revision(UNREACHABLE)


def test_unopenable_sqlite_file_is_a_database_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(DatabaseError, match="ghi được"):
        check_connection(engine)


def test_require_schema_on_a_fresh_database_says_to_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(DatabaseError) as err:
        require_schema(engine)
    assert "chưa được khởi tạo — chạy `sohoa db upgrade`" in str(err.value)
    upgrade(db_url)
    require_schema(engine)
    engine.dispose()


def test_ensure_schema_can_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    assert ensure_schema(engine, auto_upgrade=True) == head_revision()
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_session_scope_commits_and_rolls_back(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Office(code="99", name="Kept", level=OfficeLevel.PROVINCE, kind="tỉnh"))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Office(code="98", name="Dropped", level=OfficeLevel.PROVINCE, kind="tỉnh"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert list(session.scalars(select(Office.code))) == ["99"]
