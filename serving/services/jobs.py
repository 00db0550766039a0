"""Admin jobs and model reloads kept in the database, so every worker answers the same.

With ``talent serve --workers N`` each worker is its own process; state kept in a process (the
batch refresh's progress, which bundle a reload switched to) would differ by the worker that took
the connection. Here:

- a job's state and progress are one row of ``serving_admin_jobs`` (:class:`JobBoard`): a
  worker claims the row to start a run (refused while another worker's run is running and
  reporting), reports progress into it, and every worker reads its status from it;
- a model reload is a row of ``serving_model_reloads`` (:class:`ReloadBoard`): the worker that
  took the admin call reloads at once and records the row, and every other worker follows each
  row once (:class:`AdminFollower`, every ``TALENT_ADMIN_CHECK_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.instants import utc_now
from core.logs import get_logger
from footprint.store import Store
from serving.services.ticker import Ticker
from serving.tables import admin_jobs, model_reloads

log = get_logger(__name__)

STALE_SECONDS = 300.0
"""A running job whose worker has not reported for this long is taken as dead (a worker killed
mid-run); a new run may then start. A chunk of the competence refresh reports every few seconds
to a minute at 250k participants."""
WORKER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobStatus:
    """Progress of the latest run of a job."""

    state: str = "idle"  # idle, running, done, failed
    participants: int = 0
    done: int = 0
    opened: int = 0
    refreshed: int = 0
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    model_version: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_STATUS_FIELDS = tuple(f.name for f in fields(JobStatus))


class JobBoard:
    """The shared row of one job kind."""

    def __init__(self, store: Store, job: str) -> None:
        self.store = store
        self.job = job

    def read(self) -> JobStatus:
        """The latest run's status as every worker sees it (idle before any run)."""
        t = admin_jobs
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(*[t.c[n] for n in _STATUS_FIELDS]).where(t.c.job == self.job)
            ).one_or_none()
        return JobStatus(**row._asdict()) if row is not None else JobStatus()

    def claim(self, status: JobStatus) -> bool:
        """Start a run with ``status`` (state ``running``) unless one is running elsewhere and
        reporting; True when this worker now runs it."""
        t = admin_jobs
        now = utc_now()
        try:
            with self.store.transaction() as conn:
                row = conn.execute(
                    select(t.c.state, t.c.heartbeat_at).where(t.c.job == self.job).with_for_update()
                ).one_or_none()
                values = {**status.as_dict(), "heartbeat_at": now, "worker": WORKER}
                if row is None:
                    conn.execute(insert(t).values(job=self.job, **values))
                    return True
                if (
                    row.state == "running"
                    and row.heartbeat_at is not None
                    and (now - row.heartbeat_at).total_seconds() < STALE_SECONDS
                ):
                    return False
                conn.execute(update(t).where(t.c.job == self.job).values(**values))
                return True
        except IntegrityError:  # another worker inserted the first row at the same moment
            return False

    def report(self, status: JobStatus) -> None:
        """Write this worker's progress (and that it is alive)."""
        t = admin_jobs
        with self.store.transaction() as conn:
            conn.execute(
                update(t)
                .where(t.c.job == self.job, t.c.worker == WORKER)
                .values(**status.as_dict(), heartbeat_at=utc_now())
            )


class ReloadBoard:
    """Model reloads asked of any worker, in order."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def latest(self) -> int:
        with self.store.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(model_reloads.c.seq), 0))).scalar_one()
            )

    def request(self, kind: str) -> int:
        """Record that ``kind`` was reloaded here; returns the row's number."""
        with self.store.transaction() as conn:
            result = conn.execute(insert(model_reloads).values(kind=kind, requested_at=utc_now()))
            key = result.inserted_primary_key
            return int(key[0]) if key is not None and key[0] is not None else 0

    def after(self, seq: int) -> list[tuple[int, str]]:
        t = model_reloads
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.seq, t.c.kind).where(t.c.seq > seq).order_by(t.c.seq)
            ).all()
        return [(int(s), str(k)) for s, k in rows]


class AdminFollower(Ticker):
    """Follows the reloads other workers recorded: ``reload(kind)`` once per row, on a timer."""

    name = "admin-follower"
    failure_event = "admin_follow_failed"

    def __init__(self, board: ReloadBoard, reload: Callable[[str], object], seconds: float) -> None:
        super().__init__(seconds)
        self.board = board
        self._reload = reload
        self.seen = board.latest()
        self._lock = threading.Lock()

    def mark(self, seq: int) -> None:
        """This worker did reload ``seq`` itself."""
        with self._lock:
            self.seen = max(self.seen, seq)

    def follow(self) -> int:
        """Apply every reload recorded since the last look; returns how many."""
        with self._lock:
            pending = self.board.after(self.seen)
            kinds = list(dict.fromkeys(kind for _, kind in pending))
            for kind in kinds:
                try:
                    self._reload(kind)
                except Exception as exc:  # the old bundle keeps serving
                    log.warning("reload_follow_failed", kind=kind, error=type(exc).__name__)
            if pending:
                self.seen = pending[-1][0]
            return len(kinds)

    def tick(self) -> None:
        self.follow()
