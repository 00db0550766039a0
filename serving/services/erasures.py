"""Erasures made outside the API reach the service's own tables promptly.

The API's erasure deletes the service's estimates and review items of the participant in its own
transaction. Erasures made elsewhere (``talent erase``, an ingested consent withdrawal, another
worker) only write to the footprint's tables, so this watcher looks at the footprint's
``erasure_log`` every ``check_seconds``; when it has grown, it deletes the service's rows of every
participant no longer in the store (:func:`serving.services.reviews.purge_orphans`) and the
audit's subject keys of every achievement no longer in the store
(:func:`serving.services.moderation.purge_orphan_subjects`), and the universities' views,
shortlist entries, invitations and portfolio exports of the same participants
(:func:`serving.services.universities.purge_orphans`), and their feedback on recommendations
(:func:`serving.services.feedback.purge_orphans`). The log names no participant, and
does not need to: whoever is absent from ``participants`` (and whatever from ``achievements``)
is gone.

Durable: the first check runs at start-up, before the service answers (erasures made while it
was down), a failed purge is retried at the next check, and an estimate computed before an
erasure but recorded after it is refused by the recorder itself
(:func:`serving.services.reviews.record_estimates`).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.logs import get_logger
from footprint import tables as ft
from footprint.store import Store
from serving.metrics import Metrics
from serving.services.feedback import purge_orphans as purge_feedback_orphans
from serving.services.moderation import purge_orphan_subjects
from serving.services.reviews import purge_orphans
from serving.services.ticker import Ticker
from serving.services.universities import purge_orphans as purge_university_orphans

log = get_logger(__name__)


class ErasureWatcher(Ticker):
    """Watches the footprint's erasure log and purges the service's rows of erased participants.

    Parameters
    ----------
    store
        The footprint store (the service's tables live in the same database).
    check_seconds
        How often to look at the erasure log (one ``COUNT`` of a small table).
    metrics
        Where the number of purged rows is counted.
    """

    name = "erasure-watcher"
    failure_event = "erasure_purge_failed"
    join_seconds = 30.0

    def __init__(self, store: Store, *, check_seconds: float, metrics: Metrics) -> None:
        super().__init__(check_seconds)
        self._store = store
        self._metrics = metrics
        self._seen: int | None = None  # erasure log entries already acted on
        self._lock = threading.Lock()

    def _log_size(self) -> int:
        with self._store.engine.connect() as conn:
            query = select(func.count()).select_from(ft.erasure_log)
            return int(conn.execute(query).scalar_one())

    def check(self) -> int:
        """Purge if the erasure log grew since the last successful check (always on the first
        one); returns the number of rows deleted."""
        with self._lock:
            size = self._log_size()
            if size == self._seen:
                return 0
            deleted = (
                purge_orphans(self._store)
                + purge_orphan_subjects(self._store)
                + purge_university_orphans(self._store)
                + purge_feedback_orphans(self._store)
            )
            self._seen = size  # only after the purge succeeded: a failure is retried
        if deleted:
            self._metrics.erasure_purged_rows.inc(deleted)
        log.info("erasure_purge", erasure_log_entries=size, rows_deleted=deleted)
        return deleted

    def start(self) -> None:
        """Check once now (in the caller's thread), then every ``check_seconds`` in a thread."""
        self.check()
        super().start()

    def tick(self) -> None:
        self.check()

    def failed(self, exc: Exception) -> None:
        # the store may be away for a while; retried next time. Only the error's type: a
        # database error's text may quote the ids of the participants being purged
        log.error("erasure_purge_failed", error=type(exc).__name__)
