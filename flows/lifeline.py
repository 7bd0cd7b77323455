"""Helper processes that end with the process that started them, however it ends.

The flows start helper processes: Prefect's temporary API server (:mod:`flows.api_server`) and the OCR
workers (:mod:`flows.pool`). The parent stops them when it ends normally, on an exception, Ctrl-C or
SIGTERM; a ``kill -9`` of the parent cannot be caught, so each helper watches its parent itself:

* on Linux the kernel sends it a signal the moment the parent dies (``prctl(PR_SET_PDEATHSIG)``);
* everywhere, a daemon thread checks every :data:`PARENT_CHECK_S` seconds that its parent is still the
  process that started it, and ends the helper once it is not.

``python -m flows.lifeline PARENT_PID [--death-signal] MODULE ARGS...`` runs ``python -m MODULE ARGS...``
tied to ``PARENT_PID`` this way (the API server is uvicorn run so). This module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import runpy
import signal
import sys
import threading
import time
from collections.abc import Iterator

#: How often (seconds) a helper checks that the process that started it is still there.
PARENT_CHECK_S = 1.0

_PR_SET_PDEATHSIG = 1


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def die_with_parent_signal(signum: int = signal.SIGTERM) -> bool:
    """Ask the kernel for ``signum`` when this process's parent dies (Linux); False where unsupported.

    The kernel ties the signal to the parent's *thread* that started this process: use it only for a
    helper whose starting thread outlives it (the API server is stopped by the block that started it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def follow(parent: int, *, death_signal: bool = False) -> None:
    """End this process once ``parent`` is gone: a watchdog thread, and with ``death_signal`` the kernel's
    parent-death SIGTERM too. ``parent`` is given by the parent itself: if it died while this process was
    still starting, this process's parent is already another one, and it ends at once."""
    if death_signal:
        die_with_parent_signal()
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()


@contextlib.contextmanager
def children_ignore_ctrl_c() -> Iterator[None]:
    """Processes started in the block ignore SIGINT from their first instruction (an ignored signal stays
    ignored across ``exec``, and Python keeps it so): a terminal's Ctrl-C goes to every process of the
    foreground group, and a helper still importing would die of it with a traceback. The parent stops its
    helpers itself. Only the main thread can change it; elsewhere the block runs unchanged."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


#: After ``PARENT_PID`` on :func:`main`'s command line: ask for the kernel's parent-death signal too.
DEATH_SIGNAL_FLAG = "--death-signal"


def main(argv: list[str]) -> None:
    """``PARENT_PID [--death-signal] MODULE ARGS...``: run ``MODULE`` as ``__main__`` tied to ``PARENT_PID``."""
    parent, *rest = argv
    death_signal = bool(rest) and rest[0] == DEATH_SIGNAL_FLAG
    module, *args = rest[1:] if death_signal else rest
    follow(int(parent), death_signal=death_signal)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
