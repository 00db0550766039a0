"""A sliding-window request limit per caller key (a client address), kept in one worker's memory.

Used by the public portfolio verify endpoint so that it cannot be used to try codes in bulk.
Per worker: with N workers a client gets up to N times the limit, which still keeps guessing a
100-bit code hopeless. The number of keys held is bounded (the least recently seen go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 10_000
WINDOW_SECONDS = 60.0


class RateLimiter:
    """At most ``per_minute`` calls per key in any 60-second window."""

    def __init__(self, per_minute: int, clock: Callable[[], float] | None = None) -> None:
        self._limit = per_minute
        self._calls: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock or time.monotonic

    def wait_seconds(self, key: str) -> float:
        """0 when the call may go ahead (and is counted); else how long until it may."""
        now = self._clock()
        with self._lock:
            calls = self._calls.get(key)
            if calls is None:
                calls = self._calls[key] = deque()
                if len(self._calls) > MAX_KEYS:
                    self._calls.popitem(last=False)
            self._calls.move_to_end(key)
            while calls and calls[0] <= now - WINDOW_SECONDS:
                calls.popleft()
            if len(calls) >= self._limit:
                return calls[0] + WINDOW_SECONDS - now
            calls.append(now)
            return 0.0
