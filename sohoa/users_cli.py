"""``sohoa users``: accounts of the review app (add, list, lock, unlock, set-password, end-sessions)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from loaders.audit import SYSTEM
from loaders.db import current_revision, database_url, ensure_schema, make_engine, session_scope
from sohoa.console import friendly, out
from sohoa.errors import InputError

T = TypeVar("T")

users_app = typer.Typer(help="Accounts of the review app.", no_args_is_help=True)


def prepared_engine(url: str | None = None) -> Engine:
    """An engine on the database at the current schema; an empty database (never migrated) is created."""
    engine = make_engine(url or database_url())
    try:
        fresh = current_revision(engine) is None
        ensure_schema(engine, auto_upgrade=fresh)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def _session() -> Iterator[Session]:
    engine = prepared_engine()
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def read_password(from_stdin: bool, prompt: str = "Mật khẩu") -> str:
    """The password: the first line of stdin with ``--password-stdin``, else asked twice (hidden)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InputError(
                "không có mật khẩu ở stdin",
                hint="truyền mật khẩu qua ống: echo 'mật-khẩu…' | sohoa users add …",
            )
        return password
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


def _run(action: Callable[[Session], T]) -> T:
    with _session() as session:
        return action(session)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="User name (lower-case letters, digits, . _ -).")],
    role: Annotated[str, typer.Option("--role", help="operator, reviewer, supervisor or admin.")],
    office: Annotated[
        str | None, typer.Option("--office", help="Office code; an admin may have none.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Create an account."""

    def work() -> None:
        from loaders.users import add_user

        password = read_password(password_stdin)
        user = _run(lambda s: add_user(s, username, office_code=office, role=role, password=password))
        out.print(f"[green]Created {user.username}[/] ({user.role}, office {user.office_code or '—'})")

    friendly(work)()


@users_app.command("list")
def users_list(
    office: Annotated[str | None, typer.Option("--office", help="Only this office's users.")] = None,
) -> None:
    """Show every account with its role, office and whether it is locked."""

    def work() -> None:
        from loaders.users import list_users

        rows = _run(lambda s: list_users(s, office))
        table = Table(title="Tài khoản")
        for column in ("user", "role", "office", "locked"):
            table.add_column(column)
        for u in rows:
            where = f"{u.office_code} {u.office_name or ''}".strip() if u.office_code else "—"
            table.add_row(u.username, u.role, where, "locked" if u.locked else "")
        out.print(table)

    friendly(work)()


def _lock(username: str, locked: bool) -> None:
    from loaders.users import set_locked

    _run(lambda s: set_locked(s, username, locked, actor=SYSTEM))
    out.print(f"[green]{username} {'locked' if locked else 'unlocked'}[/]")


@users_app.command("lock")
def users_lock(username: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Lock an account: it can no longer sign in and its open sessions end."""
    friendly(lambda: _lock(username, True))()


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Unlock an account."""
    friendly(lambda: _lock(username, False))()


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Give an account a new password (its open sessions end)."""

    def work() -> None:
        from loaders.users import set_password

        password = read_password(password_stdin, "Mật khẩu mới")
        _run(lambda s: set_password(s, username, password))
        out.print(f"[green]Password of {username} changed[/] (its open sessions ended)")

    friendly(work)()


@users_app.command("end-sessions")
def users_end_sessions(username: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """End every open session of an account at once (it may sign in again)."""

    def work() -> None:
        from loaders.users import end_sessions

        ended = _run(lambda s: end_sessions(s, username, actor=SYSTEM))
        out.print(f"[green]{ended} open session(s) of {username} ended[/]")

    friendly(work)()
