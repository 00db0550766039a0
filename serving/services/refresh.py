"""Batch refresh of the competence review queue: estimate many participants and record them.

The platform's requests record the estimates of the participants it asks about; this job fills
the queue for everyone else (after a new model is switched in, or nightly). It runs in one
background thread, in chunks, with the same ``estimate`` as a single request, and can be asked
for its progress from any worker (the status is a row in the database). One job at a time
across all workers.

With a Spark master configured (``TALENT_REFRESH_SPARK_MASTER``), a refresh of everyone is
handed to ``talent spark estimate`` in a child process and its output loaded in one transaction
(:mod:`serving.services.batch_load`); a refresh of named participants stays in process.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from core.instants import utc_now
from core.logs import get_logger
from footprint.columns import Columns as C
from serving.errors import NotFoundError
from serving.services.batch_load import load_estimates, spark_command, spark_estimates
from serving.services.competence import CompetenceService
from serving.services.jobs import JobBoard, JobStatus
from serving.services.reviews import purge_orphans, record_estimates

log = get_logger(__name__)
CHUNK = 2000


RefreshStatus = JobStatus
"""Progress of the latest refresh (the shared row of :class:`~serving.services.jobs.JobBoard`)."""
JOB = "competence_refresh"


class RefreshJob:
    """Runs refreshes one at a time across every worker: the state lives in the database
    (:class:`~serving.services.jobs.JobBoard`), so every worker answers the same status and a
    second start anywhere is refused while a run is going."""

    def __init__(
        self,
        competence: CompetenceService,
        spark_master: str | None = None,
        spark_command: Callable[[Path, Path, Path, Path, str], list[str]] = spark_command,
    ) -> None:
        self._competence = competence
        self._spark_master = spark_master
        self._spark_command = spark_command
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.board = JobBoard(competence.live.store, JOB)

    @property
    def status(self) -> RefreshStatus:
        """The latest run's status, as every worker sees it."""
        return self.board.read()

    @property
    def running(self) -> bool:
        return self.status.state == "running"

    def start(self, participant_ids: list[str] | None = None, *, wait: bool = False) -> bool:
        """Start a refresh of ``participant_ids`` (default: everyone with a record in the live
        store). Returns False when one is already running (in any worker). ``wait`` runs it in
        the caller's thread."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            loaded = self._competence.loaded()  # NotReadyError before any thread starts
            status = RefreshStatus(
                state="running", started_at=utc_now(), model_version=loaded.version
            )
            if not self.board.claim(status):
                return False
            if wait:
                self._run(status, participant_ids)
                return True
            self._thread = threading.Thread(
                target=self._run,
                args=(status, participant_ids),
                name="competence-refresh",
                daemon=True,
            )
            self._thread.start()
            return True

    def _run(self, status: RefreshStatus, participant_ids: list[str] | None) -> None:
        try:
            purge_orphans(self._competence.live.store)
            if participant_ids is None and self._spark_master is not None:
                self._run_spark(status, self._spark_master)
            else:
                self._run_in_process(status, participant_ids)
            status.state = "done"
        except Exception as exc:  # the job reports its failure through its status
            status.state = "failed"
            status.error = f"{type(exc).__name__}: {exc}"
            log.error("competence_refresh_failed", error=status.error)
        finally:
            status.finished_at = utc_now()
            try:
                self.board.report(status)
            except Exception as exc:  # the store is away; the row goes stale
                log.error("competence_refresh_not_reported", error=type(exc).__name__)
            log.info(
                "competence_refresh",
                **{
                    k: v
                    for k, v in status.as_dict().items()
                    if k in ("state", "participants", "opened")
                },
            )

    def _run_in_process(self, status: RefreshStatus, participant_ids: list[str] | None) -> None:
        if participant_ids is None:
            _, snapshot = self._competence.live.snapshot()
            participant_ids = sorted(
                snapshot.achievements[C.PARTICIPANT_ID].astype(object).unique()
            )
        status.participants = len(participant_ids)
        self.board.report(status)
        for i in range(0, len(participant_ids), CHUNK):
            chunk = list(participant_ids[i : i + CHUNK])
            try:
                _, frame = self._competence.estimate(chunk, evidence=True)
            except NotFoundError:  # none of this chunk is in the store (any more)
                status.done += len(chunk)
                continue
            done = record_estimates(self._competence.live.store, frame, utc_now())
            status.done += len(chunk)
            status.opened += done.opened
            status.refreshed += done.refreshed
            self.board.report(status)

    def _run_spark(self, status: RefreshStatus, master: str) -> None:
        """Everyone's estimates from the Spark job, recorded in one transaction: a job that
        fails or is killed records nothing. The job estimates every participant; as in process,
        those with a record are recorded."""
        loaded = self._competence.loaded()
        _, snapshot = self._competence.live.snapshot()
        with_records = set(snapshot.achievements[C.PARTICIPANT_ID].astype(object))
        status.participants = len(with_records)
        self.board.report(status)
        store = self._competence.live.store
        with tempfile.TemporaryDirectory(prefix="talent-refresh-") as work:
            out = spark_estimates(
                store, snapshot, loaded.path, Path(work), master, self._spark_command
            )
            done = load_estimates(store, out, utc_now(), only=with_records)
        status.done = status.participants
        status.opened += done.opened
        status.refreshed += done.refreshed
