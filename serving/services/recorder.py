"""Records computed estimates off the request path.

A competence request answers as soon as the estimate is computed; the estimate is queued here and
written by one background thread in batches (one transaction each), so reads never wait on the
store's write lock. ``flush`` writes what is queued synchronously (tests, shutdown, batch refresh).
"""

from __future__ import annotations

import queue
import threading

import pandas as pd

from core.instants import utc_now
from core.logs import get_logger
from footprint.store import Store
from serving.services.reviews import Recorded, record_estimates

log = get_logger(__name__)


class EstimateRecorder:
    """A queue of estimate frames and the thread that records them."""

    def __init__(self, store: Store, *, batch_rows: int = 2000, wait_seconds: float = 1.0) -> None:
        self._store = store
        self._queue: queue.Queue[pd.DataFrame] = queue.Queue()
        self._batch_rows = batch_rows
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._write = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="estimate-recorder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after writing what is queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def submit(self, frame: pd.DataFrame) -> None:
        if not frame.empty:
            self._queue.put(frame)

    def _drain(self) -> list[pd.DataFrame]:
        frames: list[pd.DataFrame] = []
        rows = 0
        while rows < self._batch_rows:
            try:
                frame = self._queue.get_nowait()
            except queue.Empty:
                break
            frames.append(frame)
            rows += len(frame)
        return frames

    def flush(self) -> Recorded:
        """Record everything queued now; returns the totals."""
        totals = Recorded(0, 0, 0)
        with self._write:
            while frames := self._drain():
                # the latest estimate of a participant wins within a batch
                batch = pd.concat(frames, ignore_index=True).drop_duplicates(
                    ["participant_id", "direction"], keep="last"
                )
                done = record_estimates(self._store, batch, utc_now())
                totals = Recorded(
                    totals.estimates + done.estimates,
                    totals.opened + done.opened,
                    totals.refreshed + done.refreshed,
                )
        return totals

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self._wait)
            try:
                self.flush()
            except Exception as exc:  # keep recording later batches; the failure is logged
                log.error("estimates_not_recorded", error=f"{type(exc).__name__}: {exc}")
