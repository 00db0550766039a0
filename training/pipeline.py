"""``talent train --config``: the whole training pipeline as one MLflow parent run.

Stages, each a child run of the parent: ``data`` (snapshot id and statistics), ``features`` (per
cut-off calibration and feature timings, the feature schema), ``competence`` (temporal
evaluation against the baselines, final model, bundle, plots), ``recommenders`` (every single
model on the simulator split), ``reranker`` (the re-ranker on the same split and the final
recommender bundle) and ``evaluation`` (model and baselines side by side, the model card). The
parent holds the config, provenance (git commit, package versions, seeds) and every metric with
its stage as prefix, which is what the promotion gate reads. Trained bundles are registered as
model versions and become the ``challenger``.

Nothing per participant is logged: statistics and metrics are aggregates, plots are binned, the
competence bundle holds per-activity statistics. The recommender bundle contains the interaction
matrix it recommends from, so it stays in ``bundle_dir`` and only its checksum and path are
recorded.
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

from features.schema import schema_records
from footprint.columns import Columns as C
from footprint.errors import TalentError
from footprint.frames import Snapshot
from footprint.logs import get_logger
from training.bundles import record_checksum
from training.competence import Evaluation, train_competence
from training.config import PipelineConfig, SnapshotSource, config_dict, dump_toml
from training.evaluation import BASELINES, MODEL
from training.recommend import RecommendReport, evaluate_simulator, fit_recommender
from training.redaction import redact, redact_text, redact_url
from training.registry import CANDIDATE_TAG, metric_key, register_bundle, version_provenance
from training.reports import evaluation_figure, metric_by_records

log = get_logger(__name__)
PACKAGES = ("numpy", "pandas", "pyarrow", "scikit-learn", "lightgbm", "implicit", "mlflow",
            "optuna", "pydantic", "scipy")


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
    from footprint.settings import FootprintSettings
    from footprint.store import open_store

    store = open_store(None if source.store == "default" else source.store)
    path = create_snapshot(store, source.instant(), FootprintSettings().snapshot_dir)
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
            done = subprocess.run(["git", *args], capture_output=True, text=True, check=False,
                                  timeout=10)
        except (OSError, subprocess.SubprocessError):
            return "unknown"
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    tags = {"git_commit": git("rev-parse", "HEAD"),
            "git_dirty": str(bool(git("status", "--porcelain", "--untracked-files=no"))),
            "python": platform.python_version(), "seed": str(config.seed)}
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
        rows.append({"direction": direction, "target": target,
                     **{n: report.get(f"{stem}.{n}", float("nan")) for n in (MODEL, *BASELINES)}})
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)\n"
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines) + "\n"


def model_card(config: PipelineConfig, snapshot: Snapshot, stats: dict[str, float],
               evaluation: Evaluation, rec: RecommendReport | None, tags: dict[str, str]) -> str:
    """The model card (markdown): what the models are for, the data, the metrics, the limits."""
    rec_frame = rec.frame().reset_index(names="model") if rec is not None else pd.DataFrame()
    return f"""# Model card: {config.name}

## Purpose
Competence estimates (0-100 per direction, with a 90% interval) from a participant's digital
footprint, to support moderators and recommendations; and activity recommendations (a re-ranker
over single recommenders) for the coming season. Estimates are decision support for people who
review them, not automatic decisions about a child.

## Data
Snapshot `{snapshot.snapshot_id}` as of {snapshot.as_of:%Y-%m-%d}: {int(stats['participants'])}
participants ({int(stats['active_participants'])} with records), {int(stats['achievements'])}
records, {int(stats['activities'])} activities. Competence trained on cut-offs
{', '.join(f'{c:%Y-%m-%d}' for c in evaluation.train_cutoffs)}, evaluated on the window after
{evaluation.eval_cutoff:%Y-%m-%d} ({int(evaluation.report.get('rows.eval', 0))} rows). Git
commit `{tags.get('git_commit', 'unknown')[:12]}`, seed {config.seed}.

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
    lines = ["Served estimator per direction (held-out Spearman with the label, LightGBM vs "
             "calibrated ability):"]
    for direction, fit in evaluation.model.fits_.items():
        what = ("the calibrated ability (LightGBM did not beat it)" if fit.ability_only
                else "LightGBM")
        lgbm, ability = fit.holdout_spearman
        lines.append(f"- `{direction}`: {what}; {lgbm:.3f} vs {ability:.3f}")
    return "\n".join(lines)


def _log_dict_artifact(data: Any, name: str) -> None:
    import mlflow

    text = json.dumps(data, indent=1, ensure_ascii=False, default=str)
    mlflow.log_text(redact_text(text), name)


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {metric_key(k): float(v) for k, v in metrics.items()
            if v is not None and np.isfinite(float(v))}


def _fit_final_recommenders(snapshot: Snapshot, config: PipelineConfig, out: Path
                            ) -> dict[str, Path]:
    """Fit the final recommenders on the whole snapshot and save them, the challenger first:
    ``final_models`` and, with ``register_candidates``, every other model the split evaluated."""
    stage = config.recommend
    if not stage.enabled or not stage.final_models:
        return {}
    fitted = {name: _fit_final_recommender(snapshot, config, out, name)
              for name in stage.final_models}
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


def _fit_final_recommender(snapshot: Snapshot, config: PipelineConfig, out: Path,
                           name: str) -> Path:
    """Fit one final recommender on the whole snapshot (:func:`fit_recommender`, with its
    ``[recommend.models.<name>]`` settings) and save it."""
    stage = config.recommend
    model = fit_recommender(snapshot, snapshot.as_of, name, stage.models, stage.split,
                            seed=config.seed).model
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


def run_pipeline(config: PipelineConfig, track: bool = True, register: bool = True,
                 loaded: tuple[Snapshot, pd.DataFrame | None] | None = None,
                 run_tags: dict[str, str] | None = None) -> PipelineResult:
    """Run every stage of ``config``; log them to MLflow and register the bundles when asked.

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
    snapshot, truth = loaded if loaded is not None else load_source(config.snapshot)
    stats = data_statistics(snapshot)
    out = config.bundle_dir
    out.mkdir(parents=True, exist_ok=True)
    bundle, evaluation = train_competence(snapshot, config.competence, out, truth=truth,
                                          track=False)
    competence_sha = record_checksum(bundle)
    rec_report = None
    selected: dict[str, float] = {}
    if config.recommend.enabled and config.recommend.select.enabled:
        from training.select_simulator import select_sim_settings

        # settings chosen on a validation cut-off before the first test cut-off; the test
        # split and the final models then use them (the report records both)
        selection = select_sim_settings(snapshot, config.recommend.split,
                                        config.recommend.models, config.recommend.select)
        selected = selection.metrics()
        config = config.model_copy(update={"recommend": config.recommend.model_copy(
            update={"models": selection.settings})})
    if config.recommend.enabled:
        rec_report = evaluate_simulator(snapshot, config.recommend.split,
                                        config.recommend.models)
    rec_bundles = {n: (p, record_checksum(p))
                   for n, p in _fit_final_recommenders(snapshot, config, out).items()}
    rec_bundle = next(iter(rec_bundles.values()))[0] if rec_bundles else None
    metrics = {f"competence.{k}": v for k, v in evaluation.report.items()}
    metrics |= {f"data.{k}": v for k, v in stats.items()}
    if rec_report is not None:
        metrics |= {f"recommend.{m}.{k}": v for m, row in rec_report.table.items()
                    for k, v in row.items()}
    metrics |= {f"recommend.{k}": v for k, v in selected.items()}
    result = PipelineResult(None, snapshot.snapshot_id, metrics,
                            {"competence": bundle} | ({"recommend": rec_bundle}
                                                      if rec_bundle else {}))
    if track:
        t = time.perf_counter()
        _track(config, snapshot, stats, evaluation, rec_report, result,
               (bundle, competence_sha), rec_bundles, register, run_tags or {})
        if result.run_id is not None:
            from training.plots import log_pipeline_plots

            log_pipeline_plots(result.run_id, evaluation, rec_report, truth)
        result.tracking_seconds = time.perf_counter() - t
    result.seconds = time.perf_counter() - started
    log.info("pipeline finished", run=result.run_id, seconds=round(result.seconds, 1),
             tracking_seconds=round(result.tracking_seconds, 1), versions=result.versions)
    return result


def _track(config: PipelineConfig, snapshot: Snapshot, stats: dict[str, float],
           evaluation: Evaluation, rec: RecommendReport | None, result: PipelineResult,
           competence: tuple[Path, str], recommend: dict[str, tuple[Path, str]],
           register: bool, run_tags: dict[str, str]) -> None:
    """Log the parent run and one child run per stage; register the bundles."""
    import mlflow

    from training.tracking import competence_run, flatten_params, log_competence_run

    # nothing reaches the tracking store unredacted: a store URL's password becomes *** in the
    # params, tags, config.toml and model card (training/redaction.py)
    tags: dict[str, str] = redact(provenance(config) | {
        "snapshot_id": snapshot.snapshot_id, "snapshot_as_of": snapshot.as_of.isoformat(),
        "config_name": config.name})
    data = redact(config_dict(config))
    prefix = "reevaluate " if run_tags else ""
    with competence_run(config.experiment, run_name=redact_text(
            f"{prefix}{config.name} {snapshot.snapshot_id[:12]}")) as parent:
        result.run_id = parent.info.run_id
        mlflow.set_tags(redact(tags | run_tags))
        # what a registered version needs to be re-evaluated against: this run (its config.toml)
        # and the snapshot source that rebuilds exactly this snapshot
        recorded = version_provenance(parent.info.run_id, snapshot.as_of,
                                      snapshot_record(config.snapshot, snapshot))
        mlflow.log_params(flatten_params({"seed": config.seed, "name": config.name,
                                          "competence": data["competence"],
                                          "recommend": data["recommend"]}))
        mlflow.log_text(dump_toml(data), "config.toml")
        mlflow.log_metrics(_finite(result.metrics))

        with mlflow.start_run(run_name="data", nested=True):
            mlflow.set_tags(tags)
            mlflow.log_metrics(_finite(stats))
        with mlflow.start_run(run_name="features", nested=True):
            mlflow.log_metrics(_finite({f"seconds.{k}": v for k, v in evaluation.seconds.items()
                                        if k != "model_fit"}
                                       | {"rows.train": evaluation.report["rows.train"],
                                          "rows.eval": evaluation.report["rows.eval"]}))
            _log_dict_artifact(schema_records(), "feature_schema.json")
        with mlflow.start_run(run_name="competence", nested=True) as child:
            params: dict[str, Any] = data["competence"] | {
                "eval_cutoff": evaluation.eval_cutoff.isoformat(),
                "train_cutoffs": [c.isoformat() for c in evaluation.train_cutoffs]}
            log_competence_run(params, evaluation.report, tags | {"sha256": competence[1]},
                               competence[0], (evaluation.features, evaluation.labels,
                                               evaluation.predictions))
            if register:
                uri = mlflow.get_artifact_uri("bundle")
                result.versions[config.promotion.competence_model] = register_bundle(
                    config.promotion.competence_model, child.info.run_id, uri, competence[0],
                    competence[1], snapshot.snapshot_id,
                    {k: v for k, v in result.metrics.items() if k.startswith("competence.")},
                    recorded)
        if rec is not None:
            singles = {m: row for m, row in rec.table.items() if m != "rerank"}
            with mlflow.start_run(run_name="recommenders", nested=True):
                mlflow.log_params(flatten_params({"split": data["recommend"]["split"],
                                                  "models": data["recommend"]["models"]}))
                mlflow.log_metrics(_finite({f"{m}.{k}": v for m, row in singles.items()
                                            for k, v in row.items()}))
                _log_dict_artifact({"table": singles, "info": rec.info}, "report.json")
            with mlflow.start_run(run_name="reranker", nested=True) as child:
                if "rerank" in rec.table:
                    mlflow.log_metrics(_finite(rec.table["rerank"]))
                for i, (candidate, (path, sha)) in enumerate(recommend.items()):
                    challenger = i == 0
                    if challenger:
                        mlflow.set_tags({"bundle_path": str(path.resolve()), "sha256": sha})
                    # the bundle holds the interaction matrix (participant ids): it is logged
                    # as a checksum and a path, never copied into the tracking store
                    with tempfile.TemporaryDirectory() as tmp:
                        pointer = Path(tmp) / "bundle_location.json"
                        pointer.write_text(json.dumps({"path": str(path.resolve()),
                                                       "sha256": sha}), "utf-8")
                        mlflow.log_artifact(str(pointer), artifact_path="bundle" if challenger
                                            else f"candidates/{candidate}")
                    if register:
                        version = register_bundle(
                            config.promotion.recommend_model, child.info.run_id,
                            path.resolve().parent.as_uri(), path, sha, snapshot.snapshot_id,
                            {k: v for k, v in result.metrics.items()
                             if k.startswith("recommend.")},
                            recorded | {CANDIDATE_TAG: candidate}, challenger=challenger)
                        result.candidates[candidate] = version
                        if challenger:
                            result.versions[config.promotion.recommend_model] = version
        with mlflow.start_run(run_name="evaluation", nested=True):
            with tempfile.TemporaryDirectory() as tmp:
                figure = evaluation_figure(evaluation.features, evaluation.labels,
                                           evaluation.predictions, Path(tmp) / "by_records.png")
                mlflow.log_artifact(str(figure), artifact_path="plots")
            mlflow.log_table(metric_by_records(evaluation.features, evaluation.labels,
                                               evaluation.predictions), "metric_by_records.json")
            table = side_by_side(evaluation.report)
            mlflow.log_table(table, "competence_vs_baselines.json")
            if rec is not None:
                mlflow.log_table(rec.frame().reset_index(names="model"),
                                 "recommenders.json")
            mlflow.log_text(redact_text(model_card(config, snapshot, stats, evaluation, rec,
                                                   tags)), "model_card.md")
        mlflow.log_text(redact_text(model_card(config, snapshot, stats, evaluation, rec, tags)),
                        "model_card.md")
