"""Engines, sessions and schema migrations.

The database is ``SOHOA_DATABASE_URL`` or, by default, the SQLite file ``<data dir>/sohoa.db``.
Migrations are Alembic's, configured in code (:func:`alembic_config`); a new revision is written with
``alembic.command.revision(alembic_config(url), message=..., autogenerate=True)``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from sohoa.errors import DatabaseError, DataDirError, NotFoundError, StateError
from sohoa.paths import data_dir

log = logging.getLogger(__name__)

ENV_URL = "SOHOA_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
UPGRADE_HINT = "chạy `sohoa db upgrade`"

DbTarget = str | URL | Engine | None


# --------------------------------------------------------------------------- URL and data folder
def ensure_data_dir(path: Path | None = None) -> Path:
    """Create the data folder (default :func:`sohoa.paths.data_dir`) and check it is writable."""
    folder = path if path is not None else data_dir()
    hint = "đặt SOHOA_DATA_DIR là một thư mục ghi được, hoặc sửa quyền của thư mục này"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise DataDirError(
            f"không tạo hoặc ghi được thư mục dữ liệu {folder} ({reason})", hint=hint
        ) from None
    return folder


def database_url() -> str:
    """``SOHOA_DATABASE_URL``, or the SQLite file ``sohoa.db`` in the data folder (created if missing)."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    folder = ensure_data_dir()
    return f"sqlite:///{(folder / 'sohoa.db').resolve()}"


def safe_url(url: str | URL) -> str:
    """The URL as text with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "<unparseable database URL>"


# --------------------------------------------------------------------------- engines
def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")  # stays 'memory' for in-memory databases
    finally:
        cursor.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite with WAL, a 30 s busy timeout and foreign keys; PostgreSQL with pre-ping."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise DatabaseError(
            f"không hiểu được địa chỉ cơ sở dữ liệu {safe_url(url)}",
            hint=f"đặt {ENV_URL}, ví dụ sqlite:///data/sohoa.db hoặc postgresql+psycopg://user@host/db",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if "connect_timeout" not in parsed.query:
            kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    try:
        engine = create_engine(parsed, **kwargs)
    except (sa_exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(
            f"không có trình điều khiển cơ sở dữ liệu cho {safe_url(parsed)}: {exc}",
            hint="dùng sqlite:///… hoặc postgresql+psycopg://… (psycopg được cài cùng sohoa)",
        ) from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__


def connection_error(engine: Engine, exc: BaseException) -> DatabaseError:
    """A one-line :class:`DatabaseError` naming the database (without password) and how to fix it."""
    if engine.dialect.name == "sqlite":
        hint = f"kiểm tra thư mục chứa tệp có tồn tại và ghi được không, hoặc đặt {ENV_URL}"
    else:
        hint = f"khởi động máy chủ cơ sở dữ liệu, hoặc đặt {ENV_URL} tới một cơ sở dữ liệu kết nối được"
    return DatabaseError(
        f"không dùng được cơ sở dữ liệu {safe_url(engine.url)}: {_first_line(exc)}", hint=hint
    )


def check_connection(engine: Engine) -> None:
    """Connect once; any failure becomes a :class:`DatabaseError` that says how to fix it."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (sa_exc.SQLAlchemyError, OSError) as exc:
        raise connection_error(engine, exc) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --------------------------------------------------------------------------- migrations
def alembic_config(url: str | URL | None = None) -> Config:
    """Alembic's configuration, built in code: scripts in ``loaders/migrations``, ``sqlalchemy.url`` set."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        rendered = make_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision this version of sohoa knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the repository always ships 0001
        raise DatabaseError(
            "không tìm thấy bản chuyển đổi (migration) nào",
            hint=f"cài lại sohoa ({MIGRATIONS_DIR} đang trống)",
        )
    return head


@contextmanager
def _engine_for(target: DbTarget) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = make_engine(target if target is not None else database_url())
    try:
        yield engine
    finally:
        engine.dispose()


def known_revisions() -> list[str]:
    """The revisions this sohoa ships, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def check_revision(revision: str) -> None:
    """Raise :class:`NotFoundError` unless ``revision`` names a revision this sohoa knows (``head``,
    ``base``, an id or its prefix; relative steps such as ``-1`` or ``+1`` are left to Alembic)."""
    if revision.startswith(("+", "-")) or "@" in revision:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revisions(revision)
    except AlembicCommandError:
        raise NotFoundError(
            f"không có phiên bản cơ sở dữ liệu (revision) {revision!r}",
            hint=f"dùng head, base hoặc một trong {', '.join(known_revisions())}",
        ) from None


def _run(target: DbTarget, action: str, revision: str) -> None:
    check_revision(revision)
    with _engine_for(target) as engine:
        check_connection(engine)
        cfg = alembic_config(engine.url)
        log.info("database %s: %s to %s", safe_url(engine.url), action, revision)
        try:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                getattr(command, action)(cfg, revision)
        except sa_exc.OperationalError as exc:
            raise connection_error(engine, exc) from exc
        except AlembicCommandError as exc:  # e.g. a downgrade "to" a revision above the current one
            raise StateError(
                f"không thể {action} cơ sở dữ liệu {safe_url(engine.url)} tới {revision!r}: {_first_line(exc)}",
                hint="xem phiên bản hiện tại bằng `sohoa db current` rồi chọn đích phù hợp",
            ) from None


def upgrade(url: DbTarget = None, revision: str = "head") -> None:
    """Migrate the database (default :func:`database_url`) up to ``revision``."""
    _run(url, "upgrade", revision)


def downgrade(url: DbTarget, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` drops every table)."""
    _run(url, "downgrade", revision)


def current_revision(url: DbTarget = None) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with _engine_for(url) as engine:
        try:
            with engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except sa_exc.OperationalError as exc:
            raise connection_error(engine, exc) from exc


def ensure_schema(engine: Engine, *, auto_upgrade: bool = False) -> str:
    """Check that the database is at the head revision and return it.

    Not at head: raise :class:`DatabaseError` saying to run ``sohoa db upgrade``, or, with
    ``auto_upgrade=True`` (the embedded SQLite default may want it), migrate up first.
    """
    check_connection(engine)
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return head
    if auto_upgrade:
        upgrade(engine, head)
        return head
    where = safe_url(engine.url)
    if current is None:
        raise DatabaseError(f"cơ sở dữ liệu {where} chưa được khởi tạo", hint=UPGRADE_HINT)
    if current in {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}:
        raise DatabaseError(
            f"cơ sở dữ liệu {where} ở phiên bản {current}, sohoa này cần {head}", hint=UPGRADE_HINT
        )
    raise DatabaseError(
        f"cơ sở dữ liệu {where} ở phiên bản {current}, sohoa này không biết (mới nhất đã biết: {head})",
        hint="nâng sohoa lên phiên bản đã chuyển đổi cơ sở dữ liệu này",
    )


def require_schema(engine: Engine) -> None:
    """Raise :class:`DatabaseError` ("… not initialised — run `sohoa db upgrade`") unless at head."""
    ensure_schema(engine)
