"""Throttling of guesses: sign-ins, and self-registration with invitation codes.

Sign-ins are counted per (account, client) and per account (:meth:`LoginThrottle.attempt`):

- one client may fail ``max_failures`` times on one account within the window, then waits;
- an account failing from anywhere is slowed down with a backoff (1 s, 2 s, 4 s, … up to the
  window) after ``max_failures`` failures, so distributed guessing is slow, but its owner is
  not locked out by a stranger for minutes, and one client's guesses at one account never
  lock any other account out.

Every attempt is counted *before* the password is checked, under one lock: parallel guesses
cannot all pass a check made before any of them was counted. A success removes its own count.

Kept in memory per process: a restart forgets it. A deployment running several processes
multiplies the allowance by the number of processes (see docs/community/security.md).
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

    def _refuse(self, retry: float) -> TooManyRequests:
        seconds = max(1, int(retry) + 1)
        return TooManyRequests(f"too many failed {self.what}; try again in {seconds} s",
                               retry_after=seconds)

    def _over(self, key: str, now: float) -> None:
        q = self._recent(key, now)
        if len(q) >= self.max_failures:
            raise self._refuse(self.window_s - (now - q[0]))

    def attempt(self, account: str, client: str) -> tuple[str, str]:
        """Count one sign-in attempt at ``account`` from ``client`` before it is checked, or
        refuse it (:class:`TooManyRequests`). Returns the keys for :meth:`succeeded`."""
        now = self._clock()
        pair = f"{account}|{client}"
        with self._lock:
            self._over(pair, now)
            recent = self._recent(account, now)
            excess = len(recent) - self.max_failures
            if excess >= 0:
                wait = min(float(self.window_s), 2.0 ** excess)
                if now - recent[-1] < wait:
                    raise self._refuse(wait - (now - recent[-1]))
            self._failures[pair].append(now)
            recent.append(now)
        return pair, account

    def check(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._over(key, now)

    def hit(self, key: str) -> None:
        """Count an attempt, whatever its outcome, refusing it past the limit (a rate limit);
        check and count are one step, so parallel requests cannot overshoot."""
        now = self._clock()
        with self._lock:
            self._over(key, now)
            self._failures[key].append(now)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """A correct password: the (account, client) count starts again; the account keeps
        the failures of others but loses this attempt's own count."""
        with self._lock:
            pair = keys[0] if keys else ""
            self._failures.pop(pair, None)
            for key in keys[1:]:
                q = self._failures.get(key)
                if q:
                    q.pop()
