"""A listener the CLI installs to draw progress bars while a flow runs in the same process."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, int, int], None]  # (what, done, total)

_listeners: list[Listener] = []


def listen(fn: Listener) -> Callable[[], None]:
    """Install ``fn``; returns a function that removes it again."""
    _listeners.append(fn)
    return lambda: _listeners.remove(fn)


def report(what: str, done: int, total: int) -> None:
    """Tell every listener that ``done`` of ``total`` items of ``what`` are finished."""
    for fn in list(_listeners):
        fn(what, done, total)
