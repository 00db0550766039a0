"""Re-evaluate a champion on the challenger's snapshot, so the gate compares like with like.

Metrics measured on different snapshots are not comparable (another season, more participants,
other cut-offs). When the ``champion`` and the ``challenger`` were evaluated on different
snapshots, :class:`Reevaluator` re-runs the champion's own pipeline config (the ``config.toml``
its pipeline run logged) from scratch on the challenger's snapshot and hands the gate those
metrics. Nothing of the champion's fitted bundle is loaded: the calibration, features and models
of the re-evaluation are fitted anew on the challenger's snapshot by the same temporal
evaluation code that produced the challenger's metrics, so both sides see exactly the same data.
Cut-offs and splits follow each config's own settings: the same whenever they are derived from
the snapshot (the shipped defaults), different when one config pins other dates, which is then
part of what the gate compares. The re-evaluation is logged as a pipeline run tagged
``reevaluation_of`` and is never registered.

The challenger's snapshot is rebuilt from what its registered version records (the
``[snapshot]`` table with the store's instant pinned, see
:func:`training.pipeline.snapshot_record`) and its id is checked against the recorded one: a
store that changed since (new records back-dated before the instant, moderation, erasures), a
snapshot folder that is gone or a simulator that draws differently now gives another id, and the
re-evaluation stops with :class:`SnapshotRebuildError` instead of comparing on other data.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import TalentError
from core.logs import get_logger
from footprint.frames import Snapshot
from training.config import PipelineConfig, SnapshotSource, parse_pipeline_config
from training.pipeline import PipelineResult, load_source, run_pipeline
from training.redaction import is_redacted
from training.registry import (
    PIPELINE_RUN_TAG,
    SNAPSHOT_SOURCE_TAG,
    PromotionError,
    Reevaluation,
    VersionInfo,
    client,
    metric_key,
)

log = get_logger(__name__)
REEVALUATION_TAG = "reevaluation_of"
PARENT_TAG = "mlflow.parentRunId"


class SnapshotRebuildError(PromotionError):
    """The snapshot a version was evaluated on cannot be rebuilt as it was."""


def pipeline_run_id(info: VersionInfo) -> str:
    """The ``talent train --config`` parent run that produced a version."""
    if info.tags.get(PIPELINE_RUN_TAG):
        return info.tags[PIPELINE_RUN_TAG]
    if not info.run_id:
        raise PromotionError(
            f"{info.name} v{info.version} names no run, so its config cannot "
            "be re-run; retrain it with `talent train --config`"
        )
    return _run_tags(info.run_id).get(PARENT_TAG, info.run_id)


def _run_tags(run_id: str) -> dict[str, str]:
    from mlflow.exceptions import MlflowException

    try:
        return dict(client().get_run(run_id).data.tags)
    except MlflowException as exc:
        raise PromotionError(
            f"run {run_id} is not in the tracking store "
            f"({exc.message}); was MLFLOW_TRACKING_URI changed?"
        ) from exc


def logged_config(run_id: str, what: str) -> PipelineConfig:
    """The re-runnable ``config.toml`` a pipeline run logged, validated as today's code reads it."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/config.toml")
    except (MlflowException, OSError) as exc:
        raise PromotionError(
            f"{what}: run {run_id} has no readable config.toml, so it cannot "
            f"be re-run ({exc}); retrain it with `talent train --config`"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromotionError(f"{what}: config.toml of run {run_id} is not TOML: {exc}") from exc
    return parse_pipeline_config(data, f"{what} (run {run_id})")


def recorded_source(info: VersionInfo) -> SnapshotSource:
    """The ``[snapshot]`` table that rebuilds a version's evaluation snapshot.

    Versions registered since the tag exists carry it (store instant pinned, paths absolute);
    older ones fall back to their pipeline run's ``config.toml`` with the run's
    ``snapshot_as_of`` pinned for a store.
    """
    raw = info.tags.get(SNAPSHOT_SOURCE_TAG)
    try:
        if raw:
            return SnapshotSource.model_validate(json.loads(raw))
        run = pipeline_run_id(info)
        source = logged_config(run, f"{info.name} v{info.version}").snapshot
        as_of = _run_tags(run).get("snapshot_as_of")
        if source.store is not None and source.as_of is None:
            if not as_of:
                raise SnapshotRebuildError(
                    f"{info.name} v{info.version}: the store snapshot's instant was not "
                    "recorded, so the snapshot cannot be rebuilt"
                )
            source = source.model_copy(update={"as_of": pd.Timestamp(as_of).to_pydatetime()})
        return source
    except (ValueError, TypeError) as exc:
        raise SnapshotRebuildError(
            f"{info.name} v{info.version}: the recorded snapshot source is unreadable: {exc}"
        ) from exc


def _describe(source: SnapshotSource) -> str:
    if source.path is not None:
        return f"snapshot folder {source.path}"
    if source.store is not None:
        return f"store {source.store!r} as of {source.instant():%Y-%m-%d %H:%M}"
    return "a simulated world"


def rebuild_snapshot(info: VersionInfo) -> tuple[SnapshotSource, Snapshot, pd.DataFrame | None]:
    """Rebuild the snapshot ``info`` was evaluated on and prove it is the same one (its id).

    Raises
    ------
    SnapshotRebuildError
        The source cannot be read any more, or it now gives a snapshot with another id.
    """
    source = recorded_source(info)
    what = f"the snapshot {info.name} v{info.version} was evaluated on"
    if source.store is not None and is_redacted(source.store):
        raise SnapshotRebuildError(
            f"{what} cannot be rebuilt: its store URL was recorded without the password; "
            'train on store = "default" with the URL in TALENT_DATABASE_URL so a '
            "re-evaluation can reach it, or promote with --force"
        )
    try:
        snapshot, truth = load_source(source)
    except (TalentError, OSError) as exc:
        raise SnapshotRebuildError(
            f"{what} cannot be rebuilt from {_describe(source)}: {exc}; "
            "retrain both models on one snapshot, or promote with "
            "--force"
        ) from exc
    if snapshot.snapshot_id != info.snapshot_id:
        raise SnapshotRebuildError(
            f"{what} cannot be rebuilt: the registry records snapshot {info.snapshot_id[:16]}, "
            f"but {_describe(source)} now gives {snapshot.snapshot_id[:16]} (the data changed "
            "since: records added or back-dated, moderation, erasures, or another simulator). "
            "Retrain the challenger on a snapshot that can be rebuilt (snapshot.path, or "
            "snapshot.as_of on an unchanged store) or promote with --force"
        )
    return source, snapshot, truth


class Reevaluator:
    """The champion's logged config re-run on the challenger's snapshot, once per pair.

    Called by :func:`training.registry.promote` when the two were evaluated on different
    snapshots. Competence and recommender champions from the same pipeline run share one
    re-evaluation run (it produces both kinds of metrics).
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], PipelineResult] = {}
        self._snapshots: dict[str, tuple[SnapshotSource, Snapshot, pd.DataFrame | None]] = {}

    def __call__(self, champion: VersionInfo, challenger: VersionInfo) -> Reevaluation:
        if challenger.snapshot_id not in self._snapshots:
            self._snapshots[challenger.snapshot_id] = rebuild_snapshot(challenger)
        source, snapshot, truth = self._snapshots[challenger.snapshot_id]
        run = pipeline_run_id(champion)
        label = f"{champion.name} v{champion.version}"
        key = (run, challenger.snapshot_id)
        if key in self._runs:
            result = self._runs[key]
            if result.run_id is not None:
                tags = _run_tags(result.run_id)
                client().set_tag(
                    result.run_id,
                    REEVALUATION_TAG,
                    f"{tags.get(REEVALUATION_TAG, '')}, {label}".lstrip(", "),
                )
        else:
            result = self._run(champion, challenger, run, source, (snapshot, truth))
            self._runs[key] = result
        return Reevaluation(
            result.run_id,
            result.snapshot_id,
            {metric_key(k): float(v) for k, v in result.metrics.items()},
        )

    def _run(
        self,
        champion: VersionInfo,
        challenger: VersionInfo,
        run: str,
        source: SnapshotSource,
        loaded: tuple[Snapshot, pd.DataFrame | None],
    ) -> PipelineResult:
        label = f"{champion.name} v{champion.version}"
        config = logged_config(run, f"the config of {label}")
        champion_tags = _run_tags(run)
        tags: dict[str, Any] = {
            REEVALUATION_TAG: label,
            "reevaluation.champion_run": run,
            "reevaluation.champion_snapshot_id": champion.snapshot_id,
            "reevaluation.champion_git_commit": champion_tags.get("git_commit", "unknown"),
            "reevaluation.challenger": f"{challenger.name} v{challenger.version}",
        }
        log.info(
            "re-evaluating the champion on the challenger's snapshot",
            champion=label,
            challenger=challenger.version,
            snapshot=challenger.snapshot_id[:16],
        )
        with tempfile.TemporaryDirectory() as tmp:
            # the champion's settings on the challenger's data; the final bundles it would fit
            # are thrown away (never registered, never served), so the recommender's is skipped
            rec = config.recommend.model_copy(update={"final_models": ()})
            config = config.model_copy(
                update={"snapshot": source, "bundle_dir": Path(tmp), "recommend": rec}
            )
            return run_pipeline(
                config, register=False, loaded=loaded, run_tags={k: str(v) for k, v in tags.items()}
            )
