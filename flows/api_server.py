"""Prefect's temporary local API server, started patiently and never left behind.

Prefect 3.8's own ``SubprocessASGIServer`` waits for the server's health check a fixed number of 0.1 s
sleeps (the time of the checks themselves not counted), raises ``RuntimeError`` when they run out, and
leaves the server process running until the interpreter exits (``atexit``): under a load of 11 a test
failed so and left its server for 36 minutes; a ``kill`` of the CLI left it for good.

:class:`PrefectApiServer` starts the same server (uvicorn with Prefect's app, UI off) and

* waits for ``/api/health`` up to :func:`start_timeout` seconds of the clock
  (``SOHOA_PREFECT_START_TIMEOUT``, else Prefect's ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``,
  else 180), a health check that does not answer in time being counted too;
* when the server exits early (its port taken meanwhile) or does not answer in time, ends it and tries once
  more on a fresh port; when that fails too, raises :class:`~sohoa.errors.ServiceError` saying what to do;
* runs it under :mod:`flows.lifeline`, so it ends when the process that started it ends, even by
  ``kill -9``; :meth:`stop` (registered with ``atexit``, so after Prefect has sent its queued logs and
  events) ends it otherwise.

One server serves a process (:func:`temporary_api`, as Prefect's own did): a command that runs several
flows (the demo: campaign, load, report) or a test session starts it once.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from flows import lifeline
from sohoa.errors import ServiceError

log = logging.getLogger(__name__)

#: Seconds to wait for the server's health check (else Prefect's ephemeral start-up timeout setting).
ENV_START_TIMEOUT = "SOHOA_PREFECT_START_TIMEOUT"
#: Prefect's own setting for it, honoured when set in the environment.
PREFECT_ENV_START_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
#: Seconds to wait when neither is set.
DEFAULT_START_TIMEOUT_S = 180.0
#: Start attempts, each on a fresh port.
ATTEMPTS = 2
#: Pause between two health checks (seconds).
POLL_S = 0.25
#: Longest a single health check may take (seconds).
PROBE_TIMEOUT_S = 5.0
#: Seconds a stopped server is given to end before it is killed.
STOP_GRACE_S = 10.0


class Process(Protocol):
    """What :class:`PrefectApiServer` needs of a started server process (``subprocess.Popen``)."""

    pid: int

    def poll(self) -> int | None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


def start_timeout() -> float:
    """Seconds to wait for the server to answer: ``SOHOA_PREFECT_START_TIMEOUT``, else
    ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` from the environment, else
    :data:`DEFAULT_START_TIMEOUT_S` (read here, not from Prefect's settings: those are fixed when Prefect is
    first imported, and a process that imported Prefect before :mod:`flows` had Prefect's 20 s)."""
    for name in (ENV_START_TIMEOUT, PREFECT_ENV_START_TIMEOUT):
        raw = os.environ.get(name)
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
        from sohoa.errors import ConfigError

        raise ConfigError(
            f"{name}={raw!r} không phải số giây hợp lệ",
            hint=f"đặt {name} là một số dương, ví dụ 300, hoặc bỏ biến này",
        )
    return DEFAULT_START_TIMEOUT_S


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def launch_uvicorn(port: int) -> Process:
    """Prefect's temporary server on ``port`` (as Prefect starts it), tied to this process's life."""
    import prefect
    from prefect.settings import get_current_settings

    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        **get_current_settings().to_environment_variables(exclude_unset=True),
    }
    # The kernel's parent-death signal follows the starting *thread*: only the main thread's start may use it
    # (a server started by a scan thread of the review app serves later scans too); the watchdog always.
    tie = [str(os.getpid())]
    if threading.current_thread() is threading.main_thread():
        tie.append(lifeline.DEATH_SIGNAL_FLAG)
    args = [
        sys.executable,
        "-m",
        "flows.lifeline",
        *tie,
        "uvicorn",
        "--app-dir",
        str(prefect.__module_path__.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    # A process group of its own: a terminal's Ctrl-C reaches this process only, which stops the server.
    return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, process_group=0)


def is_healthy(api_url: str, timeout: float) -> bool:
    """True when the server at ``api_url`` answers its health check with 200 within ``timeout`` seconds."""
    import httpx

    try:
        return httpx.get(f"{api_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def end_process(process: Process, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM, ``grace`` seconds to end, then SIGKILL; reaped either way."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class PrefectApiServer:
    """Prefect's temporary API server for this process (see the module's docstring).

    ``launch``, ``probe``, ``clock`` and ``sleep`` are the real ones unless a test gives others.
    """

    def __init__(
        self,
        *,
        timeout_s: float | None = None,
        attempts: int = ATTEMPTS,
        launch: Callable[[int], Process] = launch_uvicorn,
        probe: Callable[[str, float], bool] = is_healthy,
        port: Callable[[], int] = free_port,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self._launch = launch
        self._probe = probe
        self._port = port
        self._clock = clock
        self._sleep = sleep
        self.port: int | None = None
        self.process: Process | None = None

    @property
    def running(self) -> bool:
        """Started and its process not ended."""
        return self.process is not None and self.process.poll() is None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Start the server and wait until it answers; :class:`ServiceError` after :attr:`attempts` tries."""
        timeout = self.timeout_s if self.timeout_s is not None else start_timeout()
        why = ""
        for attempt in range(1, self.attempts + 1):
            self.port = self._port()
            log.info("starting Prefect's temporary API server on port %d (try %d)", self.port, attempt)
            process = self._launch(self.port)
            self.process = process
            atexit.register(self.stop)
            try:
                why = self._wait(process, timeout)
            except BaseException:  # Ctrl-C or SIGTERM while waiting
                self.stop()
                raise
            if not why:
                return
            log.warning("Prefect's temporary API server (try %d) %s", attempt, why)
            self.stop()
        raise ServiceError(
            f"máy chủ Prefect tạm thời không khởi động được sau {self.attempts} lần thử ({why})",
            hint=f"máy đang bận: chạy lại sau, hoặc đặt {ENV_START_TIMEOUT} dài hơn (hiện {timeout:g} giây), "
            "hoặc trỏ PREFECT_API_URL tới một máy chủ Prefect đang chạy",
        )

    def _wait(self, process: Process, timeout: float) -> str:
        """Wait for the health check; '' when it answered, else why not."""
        deadline = self._clock() + timeout
        while True:
            code = process.poll()
            if code is not None:
                return f"đã dừng với mã {code}"
            left = deadline - self._clock()
            if left <= 0:
                return f"không trả lời trong {timeout:g} giây"
            if self._probe(self.api_url, min(PROBE_TIMEOUT_S, left)):
                return ""
            self._sleep(POLL_S)

    def stop(self) -> None:
        """End the server (idempotent)."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None:
            end_process(process)


_shared: PrefectApiServer | None = None
_shared_lock = threading.Lock()


def temporary_api() -> PrefectApiServer:
    """This process's temporary server: started at the first need (again if it died since), ended with the
    process (see the module's docstring)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = PrefectApiServer()
            _shared.start()
        return _shared
