"""Login throttling: after a few failures for one user name or one address, wait before trying again.

The attempts are the audit log's (``loaders.users.login_attempts``): every server process of ``sohoa serve
--workers N`` sees the same failures, and a restart forgets none of them. :class:`LoginThrottle` replays the
recent attempts: ``max_failures`` failures of one name within ``window_s`` block that name for
``lockout_s`` seconds (a success clears the name's count); an address, which may be a whole office behind one
router, is blocked after ``address_factor`` times as many.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable

from loaders.users import LoginAttempt


class LoginThrottle:
    def __init__(
        self, max_failures: int, window_s: float, lockout_s: float, *, address_factor: int = 4
    ) -> None:
        self.max_failures = max_failures
        self.address_failures = max_failures * address_factor
        self.window = dt.timedelta(seconds=window_s)
        self.lockout = dt.timedelta(seconds=lockout_s)

    @property
    def horizon(self) -> dt.timedelta:
        """How far back attempts can still matter (a block starts at most one window after its first failure)."""
        return self.window + self.lockout

    def retry_after(
        self, attempts: Iterable[LoginAttempt], now: dt.datetime, username: str, address: str
    ) -> float:
        """Seconds ``username`` from ``address`` must wait before trying again (0: may try now)."""
        attempts = list(attempts)
        by_name = [a for a in attempts if a.username == username]
        by_address = [a for a in attempts if a.address == address and not a.ok]
        until = max(
            self._blocked_until(by_name, self.max_failures),
            self._blocked_until(by_address, self.address_failures),
        )
        return max(0.0, (until - now).total_seconds())

    def _blocked_until(self, attempts: list[LoginAttempt], limit: int) -> dt.datetime:
        failures: deque[dt.datetime] = deque()
        until = dt.datetime.min.replace(tzinfo=dt.UTC)
        for attempt in attempts:
            if attempt.ok:  # a success clears the name's count and its block
                failures.clear()
                until = dt.datetime.min.replace(tzinfo=dt.UTC)
                continue
            failures.append(attempt.at)
            while failures and failures[0] < attempt.at - self.window:
                failures.popleft()
            if len(failures) >= limit:
                until = attempt.at + self.lockout
                failures.clear()
        return until
