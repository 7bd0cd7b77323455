"""Shared rich consoles for the CLI (library code logs; only the CLI prints), and :func:`friendly`.

A user's mistake reaches the terminal as one line (``Lỗi: <what> — <how to fix it>``) and its exit code,
even when it is raised inside a Prefect flow: Prefect logs a failed task or flow run with the traceback
first, so while the CLI runs a flow (:func:`foreground_run`), the terminal's log handler holds back
Prefect's error records (:class:`TerminalLogFilter`) and drops them when the run ends with a
:class:`SohoaError` (or is stopped); any other failure, a bug, prints them as before. (Only there: the
review app's scans, for one, log as they go.) Without ``--verbose``, Prefect's INFO records
(run started, finished, its server's address) stay off the terminal; they still reach Prefect's API.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer
from rich.console import Console

from sohoa.errors import EXIT_INTERRUPTED, SohoaError, Stopped

out = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

#: What to do after a stopped run: the flows resume (finished books skipped, read pages kept).
RERUN_HINT = "chạy lại cùng lệnh để làm tiếp phần còn lại"


class TerminalLogFilter(logging.Filter):
    """On the handler that writes log records to the terminal: see the module's docstring."""

    def __init__(self, handler: logging.Handler, *, verbose: bool = False) -> None:
        super().__init__()
        self.handler = handler
        self.verbose = verbose
        self.holding = 0
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("prefect"):
            return True
        if record.levelno < logging.WARNING:
            return self.verbose
        if self.holding and (record.levelno >= logging.ERROR or record.exc_info):
            self.held.append(record)
            return False
        return True

    def release(self, *, show: bool) -> None:
        """End a hold: the held records printed (``show``) or dropped."""
        self.holding = max(0, self.holding - 1)
        if self.holding:
            return
        held, self.held = self.held, []
        if show:
            for record in held:
                self.handler.handle(record)


_filters: list[TerminalLogFilter] = []


def quiet_prefect_logs(verbose: bool) -> None:
    """Put a :class:`TerminalLogFilter` on the root logger's plain stream handlers (the terminal's, as
    ``logging.basicConfig`` makes it; a test's capture handler is left alone)."""
    for handler in logging.getLogger().handlers:
        if type(handler) is not logging.StreamHandler:
            continue
        found = next((f for f in handler.filters if isinstance(f, TerminalLogFilter)), None)
        if found is None:
            found = TerminalLogFilter(handler, verbose=verbose)
            handler.addFilter(found)
            _filters.append(found)
        found.verbose = verbose


def _stop_on_sigterm(_signum: int, _frame: Any) -> None:
    raise Stopped("SIGTERM")


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """While the block runs (in the main thread), SIGTERM raises :class:`Stopped` instead of ending the
    process on the spot, so every ``finally`` runs and the helper processes are stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def foreground_run() -> Iterator[None]:
    """Around a flow the CLI runs and waits for: Prefect's error records held back from the terminal and
    dropped when the run ends with a :class:`SohoaError`, Ctrl-C or SIGTERM (the one line says it all),
    printed when it ends otherwise; and SIGTERM stops the run like Ctrl-C (:func:`sigterm_stops`)."""
    for f in _filters:
        f.holding += 1
    show = True
    try:
        with sigterm_stops():
            yield
    except (SohoaError, KeyboardInterrupt, Stopped):
        show = False
        raise
    finally:
        for f in _filters:
            f.release(show=show)


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]Lỗi:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn a SohoaError into one red line on stderr and its exit code: never a traceback. A command
    stopped by Ctrl-C (or by SIGTERM inside :func:`foreground_run`) ends with one line too, exit 130 or 143,
    once its helper processes are stopped."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SohoaError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _fail(f"đã dừng theo yêu cầu (Ctrl-C) — {RERUN_HINT}", EXIT_INTERRUPTED) from None
        except Stopped as exc:
            raise _fail(f"đã dừng vì nhận tín hiệu SIGTERM — {RERUN_HINT}", exc.exit_code) from None

    return wrapper  # type: ignore[return-value]
