"""Login throttling: after a few failures for one user name or one address, wait before trying again."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """In-memory failure counts per key (``user:<name>``, ``ip:<address>``) over a sliding window.

    ``max_failures`` failures within ``window_s`` block the key for ``lockout_s`` seconds. A success clears
    the user name's count. Each server process keeps its own counts: with ``sohoa serve --workers N`` an
    attacker gets at most N times the attempts before every process has blocked them.
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        lockout_s: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        address_factor: int = 4,
    ) -> None:
        self.max_failures = max_failures
        # one address may be a whole office behind one router or proxy: it gets more tries than one name
        self.address_failures = max_failures * address_factor
        self.window_s = window_s
        self.lockout_s = lockout_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds to wait before the next try for any of ``keys`` (0: may try now)."""
        now = self._clock()
        with self._lock:
            waits = [self._blocked_until.get(k, 0.0) - now for k in keys]
        return max([0.0, *waits])

    def failure(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] < now - self.window_s:
                    times.popleft()
                limit = self.address_failures if key.startswith("ip:") else self.max_failures
                if len(times) >= limit:
                    self._blocked_until[key] = now + self.lockout_s
                    times.clear()

    def success(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._blocked_until.pop(key, None)
