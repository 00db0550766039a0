"""MLflow runs that are open while the work they describe runs: a parent run and one child per
stage.

A pipeline opens the parent first and each stage inside it as a nested run, so the MLflow UI shows
a stage ``RUNNING`` while it works, its metrics as soon as the stage has them, and the parent's
``<stage>.<metric>`` figures stage by stage instead of all at the end. A stage that raises ends
``FAILED``, and so does the parent (MLflow's ``start_run`` context manager sets the status from
the exception), so a crash leaves a failed run with whatever was logged before it.

Without tracking (``enabled=False``) every method does nothing, so a pipeline reads the same
either way and MLflow is not even imported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.logs import get_logger
from footprint.progress import Bar, progress_bar

log = get_logger(__name__)
BATCH = 1000
"""MLflow's limit of metrics per ``log_batch`` call."""


def _finite(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    """MLflow metric keys (``@`` and ``+`` are not allowed) with finite values only."""
    out = {}
    for key, value in metrics.items():
        if value is None:
            continue
        number = float(value)
        if math.isfinite(number):
            out[(prefix + key).replace("@", "_at_").replace("+", "plus")] = number
    return out


class StageRuns:
    """The parent run of a pipeline and its stages as nested runs (or nothing when disabled)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.parent_id: str | None = None
        self._stage: str | None = None
        self.seconds = 0.0
        """Time spent logging (what tracking costs the run)."""
        self._bar = Bar(None, None)

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Count the block's time as logging time."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started

    @contextmanager
    def parent(
        self, experiment: str, run_name: str, stages: int | None = None
    ) -> Iterator[str | None]:
        """Open the parent run in ``experiment``; yields its id (None when disabled). With
        ``stages``, a progress bar of that many stages is drawn (tracked or not), which
        :meth:`stage` advances."""
        with progress_bar(stages, "train", show=stages is not None) as bar:
            self._bar = bar
            try:
                if not self.enabled:
                    yield None
                    return
                from training.tracking import competence_run

                with competence_run(experiment, run_name=run_name) as run:
                    self.parent_id = str(run.info.run_id)
                    yield self.parent_id
            finally:
                self._bar = Bar(None, None)

    @contextmanager
    def stage(self, name: str) -> Iterator[str | None]:
        """Open the child run of stage ``name`` for the block; yields its id (None when
        disabled). The block raising ends the child (and then the parent) ``FAILED``."""
        self._bar.note(name)
        if not self.enabled:
            yield None
            self._bar.advance()
            return
        import mlflow

        self._stage = name
        log.info("stage started", stage=name)
        try:
            with mlflow.start_run(run_name=name, nested=True) as run:
                yield str(run.info.run_id)
        except BaseException:
            log.warning("stage failed", stage=name, run=self.parent_id)
            raise
        finally:
            self._stage = None
        self._bar.advance()
        log.info("stage finished", stage=name)

    def metrics(
        self, metrics: dict[str, float], parent_prefix: str | None = None, step: int | None = None
    ) -> None:
        """Log ``metrics`` to the open stage now; with ``parent_prefix`` also to the parent as
        ``<prefix><metric>`` (what the promotion gate and the run comparison read)."""
        if not self.enabled:
            return
        import mlflow

        with self.timed():
            self._metrics(mlflow, metrics, parent_prefix, step)

    def _metrics(
        self, mlflow: Any, metrics: dict[str, float], parent_prefix: str | None, step: int | None
    ) -> None:
        mlflow.log_metrics(_finite(metrics), step=step)
        if parent_prefix is not None and self.parent_id is not None:
            stamp = _now_ms()
            rows = [
                mlflow.entities.Metric(k, v, stamp, step or 0)
                for k, v in _finite(metrics, parent_prefix).items()
            ]
            client = mlflow.MlflowClient()
            for start in range(0, len(rows), BATCH):
                client.log_batch(self.parent_id, metrics=rows[start : start + BATCH])

    def tags(self, tags: dict[str, str]) -> None:
        """Tag the open stage (or the parent outside a stage)."""
        if self.enabled:
            import mlflow

            with self.timed():
                mlflow.set_tags(tags)


def _now_ms() -> int:
    return int(time.time() * 1000)
