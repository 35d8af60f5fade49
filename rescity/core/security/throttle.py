"""Throttling of guesses: after N failures for one key (a username, a client) within a
window, refuse. Used for sign-ins and for self-registration with invitation codes.

Kept in memory per process: a restart forgets it, which is acceptable for slowing down
password guessing on one server. A multi-process deployment should put this in Redis.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from threading import Lock

from rescity.core.errors import TooManyRequests


class LoginThrottle:
    def __init__(
        self, *, max_failures: int, window_s: int, clock: Callable[[], float] = time.monotonic,
        what: str = "sign-ins",
    ) -> None:
        self.max_failures = max_failures
        self.what = what
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def check(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.max_failures:
                    retry = int(self.window_s - (now - q[0])) + 1
                    raise TooManyRequests(
                        f"too many failed {self.what}; try again in {retry} s", retry_after=retry
                    )

    def hit(self, key: str) -> None:
        """Count an attempt, whatever its outcome, refusing it past the limit (a rate limit)."""
        self.check(key)
        self.failed(key)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
