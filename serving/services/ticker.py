"""A daemon thread that calls ``tick`` every few seconds until stopped.

The live-footprint poller, the admin follower and the erasure watcher all work on a timer beside
the requests; this is their one start/stop/loop, so a failing tick is logged the same way and
never kills the thread.
"""

from __future__ import annotations

import threading

from core.logs import get_logger

log = get_logger(__name__)


class Ticker:
    """Calls :meth:`tick` every ``seconds`` on a daemon thread named ``name``; ``seconds <= 0``
    means never (the caller then ticks on its own path, e.g. per request)."""

    name = "ticker"
    failure_event = "tick_failed"
    join_seconds = 10.0

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self.seconds <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.tick()
            except Exception as exc:  # the next tick tries again
                self.failed(exc)

    def failed(self, exc: Exception) -> None:
        """Log a failing tick (the thread goes on)."""
        log.warning(self.failure_event, error=type(exc).__name__, detail=str(exc)[:200])
