"""``talent train --config``: the whole training pipeline as one MLflow parent run.

Stages, each a child run of the parent: ``data`` (snapshot id and statistics), ``features`` (the
calibration, features and labels at every cut-off, built while its run is open: their timings,
rows and the feature schema), ``competence`` (temporal evaluation against the baselines, final
model, bundle, plots), ``recommenders`` (every single model on the simulator split),
``reranker`` (the re-ranker on the same split and the final recommender bundle) and
``evaluation`` (model and baselines side by side, the model card). The
parent holds the config, provenance (git commit, package versions, seeds) and every metric with
its stage as prefix, which is what the promotion gate reads. Trained bundles are registered as
model versions and become the ``challenger``.

Every registered version is an MLflow pyfunc model (:mod:`training.pyfunc`) with the bundle, its
checksum and signature among its artifacts, and the model card as its description.

Nothing per participant is logged: statistics and metrics are aggregates, plots are binned, the
snapshot is logged as a dataset input by its id, schema and source (no rows), the competence
bundle holds per-activity statistics and the recommender bundles hold parameters only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import TalentError
from core.logs import get_logger
from features.schema import schema_records
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from training.bundles import record_checksum
from training.competence.evaluation import BASELINES, MODEL
from training.competence.train import Evaluation, prepare_cutoffs, train_competence
from training.config import PipelineConfig, SnapshotSource, config_dict, dump_toml
from training.recommend.evaluate import RecommendReport, evaluate_simulator, fit_recommender
from training.redaction import redact, redact_text, redact_url
from training.registry import (
    CANDIDATE_TAG,
    describe_versions,
    metric_key,
    register_model,
    version_provenance,
)
from training.reports import evaluation_figure, metric_by_records
from training.stage_runs import StageRuns
from training.tracking import flatten_params

log = get_logger(__name__)
PACKAGES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "lightgbm",
    "implicit",
    "mlflow",
    "optuna",
    "pydantic",
    "scipy",
)


@dataclass
class PipelineResult:
    """What a pipeline run produced: the parent run, metrics, bundles and registered versions."""

    run_id: str | None
    snapshot_id: str
    metrics: dict[str, float]
    bundles: dict[str, Path] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, str] = field(default_factory=dict)
    """Recommender candidate -> its registered version (the first is the challenger)."""
    seconds: float = 0.0
    tracking_seconds: float = 0.0
    """Time spent logging and registering (the MLflow overhead of the run)."""


def load_source(source: SnapshotSource) -> tuple[Snapshot, pd.DataFrame | None]:
    """The snapshot a config names, and the simulator truth when given."""
    truth = pd.read_parquet(source.truth) if source.truth is not None else None
    if source.simulate is not None:
        from training.simworld import simulate_world, truth_frame

        world = simulate_world(source.simulate)
        snapshot = world.snapshot
        # a world simulated in memory knows its truth: evaluation only (recovery, coverage, plots)
        truth = truth if truth is not None else truth_frame(world)
        # the world is a function of its config: the id names all of it, not just the seed, so
        # worlds of another size or season count are never taken for the same snapshot
        digest = hashlib.sha256(source.simulate.model_dump_json().encode()).hexdigest()
        return replace(snapshot, snapshot_id=f"{snapshot.snapshot_id}-{digest[:12]}"), truth
    from footprint.snapshot import create_snapshot, load_snapshot

    if source.path is not None:
        return load_snapshot(source.path), truth
    from core.settings import FootprintSettings
    from footprint.store import open_store

    store = open_store(None if source.store == "default" else source.store)
    path = create_snapshot(store, source.instant(), FootprintSettings().snapshot_dir, progress=True)
    return load_snapshot(path), truth


def data_statistics(snapshot: Snapshot) -> dict[str, float]:
    """Counts that describe a snapshot without any participant's data."""
    ach = snapshot.achievements
    stamps = ach[C.ACHIEVED_AT].to_numpy("datetime64[us]")
    years = stamps.astype("datetime64[Y]").astype(int) + 1970 if len(stamps) else np.array([])
    stats = {
        "participants": float(len(snapshot.participants)),
        "achievements": float(len(ach)),
        "activities": float(len(snapshot.activities)),
        "active_participants": float(ach[C.PARTICIPANT_ID].nunique()),
    }
    for year, count in zip(*np.unique(years, return_counts=True), strict=True):
        stats[f"achievements_{int(year)}"] = float(count)
    return stats


def provenance(config: PipelineConfig) -> dict[str, str]:
    """Git commit (and whether the tree had changes), Python and package versions, seeds."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], capture_output=True, text=True, check=False, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return "unknown"
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    tags = {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": str(bool(git("status", "--porcelain", "--untracked-files=no"))),
        "python": platform.python_version(),
        "seed": str(config.seed),
    }
    for name in PACKAGES:
        try:
            tags[f"version.{name}"] = metadata.version(name)
        except metadata.PackageNotFoundError:
            tags[f"version.{name}"] = "absent"
    return tags


def side_by_side(report: dict[str, float]) -> pd.DataFrame:
    """Competence Spearman per direction and target: the model and each baseline as columns."""
    rows = []
    for key in sorted(k for k in report if k.endswith(f".{MODEL}") and ".spearman_" in k):
        stem = key[: -len(MODEL) - 1]
        direction, target = stem.split(".spearman_")
        rows.append(
            {
                "direction": direction,
                "target": target,
                **{n: report.get(f"{stem}.{n}", float("nan")) for n in (MODEL, *BASELINES)},
            }
        )
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)\n"
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
        )
    return "\n".join(lines) + "\n"


def model_card(
    config: PipelineConfig,
    snapshot: Snapshot,
    stats: dict[str, float],
    evaluation: Evaluation,
    rec: RecommendReport | None,
    tags: dict[str, str],
) -> str:
    """The model card (markdown): what the models are for, the data, the metrics, the limits."""
    rec_frame = rec.frame().reset_index(names="model") if rec is not None else pd.DataFrame()
    return f"""# Model card: {config.name}

## Purpose
Competence estimates (0-100 per direction, with a 90% interval) from a participant's digital
footprint, to support moderators and recommendations; and activity recommendations (a re-ranker
over single recommenders) for the coming season. Estimates are decision support for people who
review them, not automatic decisions about a child.

## Data
Snapshot `{snapshot.snapshot_id}` as of {snapshot.as_of:%Y-%m-%d}: {int(stats["participants"])}
participants ({int(stats["active_participants"])} with records), {int(stats["achievements"])}
records, {int(stats["activities"])} activities. Competence trained on cut-offs
{", ".join(f"{c:%Y-%m-%d}" for c in evaluation.train_cutoffs)}, evaluated on the window after
{evaluation.eval_cutoff:%Y-%m-%d} ({int(evaluation.report.get("rows.eval", 0))} rows). Git
commit `{tags.get("git_commit", "unknown")[:12]}`, seed {config.seed}.

## Metrics
Competence: Spearman correlation with the next window's label and performance, the model beside
the baselines (rule-based rating points, number of achievements, mean percentile, ability
alone).

{_markdown(side_by_side(evaluation.report))}
{_served_estimators(evaluation)}

Recommenders on the simulator split (top {config.recommend.split.k}):

{_markdown(rec_frame)}
## Limits
- Metrics on a simulated world measure recovery of the simulator's own assumptions; on real data
  the labels are noisy proxies (future results), not competence itself.
- Participants with few records get wide intervals and are flagged for review; the estimate is
  least reliable exactly where a decision about them is most tempting.
- The rating baseline is weak by construction (rule points ignore difficulty); a model beating it
  is expected, beating the ability-alone baseline is the real test.
- Regions and grades with few participants are not evaluated separately here; check the
  fairness slices in the competence notebook before promoting.
- No personal data is stored in this run: metrics are aggregates and bundles hold per-activity
  statistics (the recommender bundle stays outside the tracking store).
"""


def _served_estimators(evaluation: Evaluation) -> str:
    """One line per direction: LightGBM, or the calibrated ability where LightGBM did not beat it
    on the held-out participants (the evaluated model; the final refit decides again)."""
    lines = [
        "Served estimator per direction (held-out Spearman with the label, LightGBM vs "
        "calibrated ability):"
    ]
    for direction, fit in evaluation.model.fits_.items():
        what = (
            "the calibrated ability (LightGBM did not beat it)" if fit.ability_only else "LightGBM"
        )
        lgbm, ability = fit.holdout_spearman
        lines.append(f"- `{direction}`: {what}; {lgbm:.3f} vs {ability:.3f}")
    return "\n".join(lines)


def _log_dict_artifact(data: Any, name: str) -> None:
    import mlflow

    text = json.dumps(data, indent=1, ensure_ascii=False, default=str)
    mlflow.log_text(redact_text(text), name)


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {
        metric_key(k): float(v)
        for k, v in metrics.items()
        if v is not None and np.isfinite(float(v))
    }


def _fit_final_recommenders(
    snapshot: Snapshot, config: PipelineConfig, out: Path
) -> dict[str, Path]:
    """Fit the final recommenders on the whole snapshot and save them, the challenger first:
    ``final_models`` and, with ``register_candidates``, every other model the split evaluated."""
    stage = config.recommend
    if not stage.enabled or not stage.final_models:
        return {}
    fitted = {
        name: _fit_final_recommender(snapshot, config, out, name) for name in stage.final_models
    }
    if stage.register_candidates:
        for name in (m for m in stage.split.models if m not in fitted):
            # a candidate the evaluation scored may still not fit on the whole snapshot (the
            # re-ranker needs decision points with choices among the candidates): it is then
            # not registered, and the run says why instead of failing after the evaluation
            try:
                fitted[name] = _fit_final_recommender(snapshot, config, out, name)
            except TalentError as exc:
                log.warning("candidate_not_registered", model=name, reason=str(exc))
    return fitted


def _fit_final_recommender(
    snapshot: Snapshot, config: PipelineConfig, out: Path, name: str
) -> Path:
    """Fit one final recommender on the whole snapshot (:func:`fit_recommender`, with its
    ``[recommend.models.<name>]`` settings) and save it."""
    stage = config.recommend
    model = fit_recommender(
        snapshot, snapshot.as_of, name, stage.models, stage.split, seed=config.seed
    ).model
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    stem = f"recommend-{name}-{snapshot.snapshot_id[:12]}-{stamp}"
    # a folder per bundle: the registered version's source is that folder, nothing else
    return model.save(out / stem / f"{stem}.joblib")


def snapshot_record(source: SnapshotSource, snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot source as data that rebuilds exactly this snapshot: a store source gets its
    instant pinned, paths are made absolute. Registered versions carry it (``talent promote``
    rebuilds a challenger's snapshot from it and checks the id)."""
    data = source.model_dump(mode="json", exclude_none=True)
    if source.store is not None:
        data["as_of"] = snapshot.as_of.isoformat()
        if source.store != "default":
            # a registry tag is no place for a database password
            data["store"] = redact_url(source.store)
    for key in ("path", "truth"):
        if key in data:
            data[key] = str(Path(data[key]).resolve())
    return data


def run_pipeline(
    config: PipelineConfig,
    track: bool = True,
    register: bool = True,
    loaded: tuple[Snapshot, pd.DataFrame | None] | None = None,
    run_tags: dict[str, str] | None = None,
) -> PipelineResult:
    """Run every stage of ``config``; log them to MLflow and register the bundles when asked.

    The parent run opens first and every stage runs inside its own child run
    (:class:`training.stage_runs.StageRuns`): a stage's metrics appear as soon as it has them, and
    a stage that raises leaves its run and the parent ``FAILED``.

    Parameters
    ----------
    config
        The validated pipeline config (its ``seed`` is pushed into every stage).
    track
        Log the parent and child runs to MLflow (the store of ``MLFLOW_TRACKING_URI`` or
        ``mlruns/``).
    register
        Register the bundles as model versions (``challenger``); needs ``track``.
    loaded
        The snapshot (and truth) ``config.snapshot`` names, when the caller has already built
        it (a re-evaluation checks the rebuilt snapshot's id before training on it).
    run_tags
        Extra tags of the parent run (e.g. what a re-evaluation re-evaluates).

    Returns
    -------
    PipelineResult
        Metrics keyed ``<stage>.<metric>`` (what the promotion gate compares).
    """
    started = time.perf_counter()
    config = config.seeded()
    runs = StageRuns(track)
    register = register and track
    out = config.bundle_dir
    out.mkdir(parents=True, exist_ok=True)
    prefix = "reevaluate " if run_tags else ""
    data = redact(config_dict(config))
    stages = 6 if config.recommend.enabled else 5  # data, features, competence, (recommenders,)
    # reranker, evaluation: the progress bar's steps
    with runs.parent(config.experiment, redact_text(f"{prefix}{config.name}"), stages) as parent_id:
        if parent_id is not None:
            with runs.timed():
                _log_config(config, data, run_tags or {})
        with runs.stage("data"):
            snapshot, truth = loaded if loaded is not None else load_source(config.snapshot)
            stats = data_statistics(snapshot)
            # nothing reaches the tracking store unredacted: a store URL's password becomes ***
            # in the params, tags, config.toml and model card (training/redaction.py)
            tags: dict[str, str] = redact(
                provenance(config)
                | {
                    "snapshot_id": snapshot.snapshot_id,
                    "snapshot_as_of": snapshot.as_of.isoformat(),
                    "config_name": config.name,
                }
            )
            record = snapshot_record(config.snapshot, snapshot)
            if parent_id is not None:
                with runs.timed():
                    _log_snapshot(
                        snapshot,
                        record,
                        config.snapshot.path,
                        tags,
                        parent_id,
                        f"{prefix}{config.name} {snapshot.snapshot_id[:12]}",
                    )
            runs.tags(tags)
            runs.metrics(stats, parent_prefix="data.")
        # what a registered version needs to be re-evaluated against: this run (its config.toml)
        # and the snapshot source that rebuilds exactly this snapshot
        recorded = version_provenance(parent_id or "", snapshot.as_of, record)
        # the data a registered model scores when MLflow loads it (a folder, not the rows)
        folder = _snapshot_folder(config.snapshot, snapshot) if register else None
        versions: dict[str, str] = {}
        candidates: dict[str, str] = {}
        # calibration, features and labels at every cut-off, built while this stage's run is
        # open; the competence stage evaluates and fits on them
        with runs.stage("features"):
            if track:
                with runs.timed():
                    _log_dict_artifact(schema_records(), "feature_schema.json")
            prepared = prepare_cutoffs(snapshot, config.competence)
            runs.metrics(prepared.metrics(), parent_prefix="features.")
        with runs.stage("competence") as child:
            bundle, evaluation = train_competence(
                snapshot, config.competence, out, truth=truth, track=False, prepared=prepared
            )
            competence_sha = record_checksum(bundle)
            runs.metrics(evaluation.report, parent_prefix="competence.")
            if child is not None:
                with runs.timed():
                    _log_competence(data, tags, evaluation, truth, bundle, competence_sha, child)
                if register:
                    versions[config.promotion.competence_model] = register_model(
                        "competence",
                        config.promotion.competence_model,
                        child,
                        bundle,
                        competence_sha,
                        snapshot.snapshot_id,
                        {f"competence.{k}": v for k, v in evaluation.report.items()},
                        folder,
                        recorded,
                    )
        rec_report = None
        selected: dict[str, float] = {}
        if config.recommend.enabled:
            with runs.stage("recommenders") as child:
                if config.recommend.select.enabled:
                    from training.select_simulator import select_sim_settings

                    # settings chosen on a validation cut-off before the first test cut-off;
                    # the test split and the final models then use them (the report records
                    # both)
                    selection = select_sim_settings(
                        snapshot,
                        config.recommend.split,
                        config.recommend.models,
                        config.recommend.select,
                    )
                    selected = selection.metrics()
                    runs.metrics(selected, parent_prefix="recommend.")
                    config = config.model_copy(
                        update={
                            "recommend": config.recommend.model_copy(
                                update={"models": selection.settings}
                            )
                        }
                    )
                rec_report = evaluate_simulator(
                    snapshot, config.recommend.split, config.recommend.models
                )
                singles = {m: row for m, row in rec_report.table.items() if m != "rerank"}
                runs.metrics({f"{m}.{k}": v for m, row in singles.items() for k, v in row.items()})
                runs.metrics(
                    {f"{m}.{k}": v for m, row in rec_report.table.items() for k, v in row.items()},
                    parent_prefix="recommend.",
                )
                if child is not None:
                    import mlflow

                    from training.plots import log_recommender_plots

                    t = time.perf_counter()
                    chosen = redact(config_dict(config))["recommend"]
                    mlflow.log_params(
                        flatten_params({"split": chosen["split"], "models": chosen["models"]})
                    )
                    _log_dict_artifact({"table": singles, "info": rec_report.info}, "report.json")
                    log_recommender_plots(child, rec_report)
                    runs.seconds += time.perf_counter() - t
        rec_metrics = (
            {f"recommend.{m}.{k}": v for m, row in rec_report.table.items() for k, v in row.items()}
            if rec_report is not None
            else {}
        )
        rec_bundles: dict[str, tuple[Path, str]] = {}
        with runs.stage("reranker") as child:
            if rec_report is not None and "rerank" in rec_report.table:
                runs.metrics(rec_report.table["rerank"])
                if child is not None:
                    from training.plots import log_rerank_plots

                    log_rerank_plots(child, rec_report)
            for i, (candidate, path) in enumerate(
                _fit_final_recommenders(snapshot, config, out).items()
            ):
                sha = record_checksum(path)
                rec_bundles[candidate] = (path, sha)
                if child is None:
                    continue
                challenger = i == 0
                if challenger:
                    runs.tags({"bundle_path": str(path.resolve()), "sha256": sha})
                if register:
                    version = register_model(
                        "recommend",
                        config.promotion.recommend_model,
                        child,
                        path,
                        sha,
                        snapshot.snapshot_id,
                        rec_metrics,
                        folder,
                        recorded | {CANDIDATE_TAG: candidate},
                        challenger=challenger,
                    )
                    candidates[candidate] = version
                    if challenger:
                        versions[config.promotion.recommend_model] = version
        metrics = {f"competence.{k}": v for k, v in evaluation.report.items()}
        metrics |= {f"data.{k}": v for k, v in stats.items()} | rec_metrics
        metrics |= {f"recommend.{k}": v for k, v in selected.items()}
        rec_bundle = next(iter(rec_bundles.values()))[0] if rec_bundles else None
        result = PipelineResult(
            parent_id,
            snapshot.snapshot_id,
            metrics,
            {"competence": bundle} | ({"recommend": rec_bundle} if rec_bundle else {}),
            versions,
            candidates,
        )
        with runs.stage("evaluation"):
            if track:
                t = time.perf_counter()
                card = redact_text(
                    model_card(config, snapshot, stats, evaluation, rec_report, tags)
                )
                _log_evaluation(evaluation, rec_report, card, parent_id)
                if register:
                    describe_versions(
                        config.promotion.competence_model, list(versions.values())[:1], card
                    )
                    describe_versions(
                        config.promotion.recommend_model, list(candidates.values()), card
                    )
                runs.seconds += time.perf_counter() - t
    result.seconds = time.perf_counter() - started
    result.tracking_seconds = runs.seconds
    log.info(
        "pipeline finished",
        run=result.run_id,
        seconds=round(result.seconds, 1),
        tracking_seconds=round(result.tracking_seconds, 1),
        versions=result.versions,
    )
    return result


def _log_config(config: PipelineConfig, data: dict[str, Any], run_tags: dict[str, str]) -> None:
    """The parent's params, extra tags and re-runnable ``config.toml``."""
    import mlflow

    if run_tags:
        mlflow.set_tags(redact(run_tags))
    mlflow.log_params(
        flatten_params(
            {
                "seed": config.seed,
                "name": config.name,
                "competence": data["competence"],
                "recommend": data["recommend"],
            }
        )
    )
    mlflow.log_text(dump_toml(data), "config.toml")


def _log_snapshot(
    snapshot: Snapshot,
    record: dict[str, Any],
    path: Path | None,
    tags: dict[str, str],
    parent_id: str,
    run_name: str,
) -> None:
    """The snapshot as the runs' dataset input (metadata only), and the parent's tags and name
    now that the snapshot is known."""
    import mlflow

    from training.tracking import log_dataset, snapshot_dataset

    dataset = snapshot_dataset(snapshot.snapshot_id, record, path)
    mlflow.log_input(dataset, context="training")  # the data stage
    client = mlflow.MlflowClient()
    for key, value in (tags | {"mlflow.runName": redact_text(run_name)}).items():
        client.set_tag(parent_id, key, value)
    log_dataset(dataset, parent_id)


def _log_competence(
    data: dict[str, Any],
    tags: dict[str, str],
    evaluation: Evaluation,
    truth: pd.DataFrame | None,
    bundle: Path,
    sha: str,
    run_id: str,
) -> None:
    """The competence stage's params, tags, report, plots and bundle (into the open run)."""
    import mlflow

    from training.plots import log_competence_plots, truth_at, truth_percentiles
    from training.tracking import log_competence_run

    params: dict[str, Any] = data["competence"] | {
        "eval_cutoff": evaluation.eval_cutoff.isoformat(),
        "train_cutoffs": [c.isoformat() for c in evaluation.train_cutoffs],
    }
    log_competence_run(
        params,
        evaluation.report,
        tags | {"sha256": sha},
        bundle,
        (evaluation.features, evaluation.labels, evaluation.predictions),
    )
    true_pct = None
    if truth is not None:
        true_pct = truth_percentiles(
            truth_at(truth, evaluation.eval_cutoff), evaluation.predictions
        )
    log_competence_plots(
        run_id, evaluation.features, evaluation.labels, evaluation.predictions, true_pct
    )
    mlflow.log_metrics(_finite({f"seconds.{k}": v for k, v in evaluation.seconds.items()}))


def _snapshot_folder(source: SnapshotSource, snapshot: Snapshot) -> Path:
    """The snapshot as a folder a registered model can score: the configured folder, else the
    snapshot written under the footprint's snapshot folder (content-addressed, so a store
    snapshot is the folder ``create_snapshot`` already wrote, and a simulated world is written
    once). Snapshots are data, kept where erasures reach them, never in the tracking store."""
    if source.path is not None:
        return source.path
    from core.settings import FootprintSettings
    from footprint.snapshot import write_snapshot

    frames = {
        name: getattr(snapshot, name)
        for name in (
            "participants",
            "activities",
            "activity_directions",
            "activity_edges",
            "achievements",
        )
    }
    return write_snapshot(frames, snapshot.as_of, FootprintSettings().snapshot_dir)


def _log_evaluation(
    evaluation: Evaluation, rec: RecommendReport | None, card: str, parent_id: str | None
) -> None:
    """The evaluation stage's figures and tables, and the model card (also on the parent)."""
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        figure = evaluation_figure(
            evaluation.features,
            evaluation.labels,
            evaluation.predictions,
            Path(tmp) / "by_records.png",
        )
        mlflow.log_artifact(str(figure), artifact_path="plots")
    mlflow.log_table(
        metric_by_records(evaluation.features, evaluation.labels, evaluation.predictions),
        "metric_by_records.json",
    )
    mlflow.log_table(side_by_side(evaluation.report), "competence_vs_baselines.json")
    if rec is not None:
        mlflow.log_table(rec.frame().reset_index(names="model"), "recommenders.json")
    mlflow.log_text(card, "model_card.md")
    if parent_id:
        mlflow.MlflowClient().log_text(parent_id, card, "model_card.md")
