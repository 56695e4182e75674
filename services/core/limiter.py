"""Counting failures per client address in a sliding window: the brake on guessing passwords
(the app's sign-in) and API secrets (the HTTP server), in memory, per process."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Optional

Clock = Callable[[], float]


class FailureLimiter:
    """Counts authentication failures per client address in a sliding window."""

    def __init__(self, max_failures: int, window: float, *, clock: Clock = time.monotonic,
                 max_clients: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> Optional[deque[float]]:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> Optional[float]:
        """Seconds until this client may try again, or None if it may now."""
        if self.max_failures <= 0:
            return None
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.max_failures:
                return None
            # Allowed again when enough of the failures have left the window.
            return max(0.0, times[-self.max_failures] + self.window - now)

    def record_failure(self, client: str) -> None:
        if self.max_failures <= 0:
            return
        with self._lock:
            now = self.clock()
            if client not in self._failures and len(self._failures) >= self.max_clients:
                # Bound the memory a flood of addresses can take: forget the expired ones.
                for other in list(self._failures):
                    self._recent(other, now)
                if len(self._failures) >= self.max_clients:
                    self._failures.pop(next(iter(self._failures)))
            times = self._failures.setdefault(client, deque())
            times.append(now)
            while len(times) > self.max_failures:
                times.popleft()
