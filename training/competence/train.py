"""Training and evaluation of the competence model on temporal splits of a snapshot.

``evaluate_competence``: train on the cut-offs whose label windows end by the last cut-off, then
report on the last cut-off's window (nothing of it was seen in training). ``train_competence``:
the same evaluation, then a final model on every cut-off with a full window, a calibration at
the snapshot's ``as_of`` and a bundle that serving loads; everything is logged to MLflow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError, TalentError
from core.logs import get_logger
from features.calibration import CalibrationConfig
from features.schema import KEYS, SCHEMA_VERSION, schema_hash
from footprint.frames import Snapshot
from models.competence.bundle import CompetenceBundle
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import CompetenceConfig
from models.competence.dataset import CompetenceDataset
from models.competence.model import CompetenceModel
from models.competence.predictive import NextResultIntervals, coverage_by_bucket
from models.competence.rating_features import rating_frame
from training.bundles import publish
from training.competence.cutoffs import CutoffData, auto_cutoffs, fit_at, prepare_cutoff
from training.competence.evaluation import last_results, prediction_report, truth_report

log = get_logger(__name__)


class TrainConfig(BaseModel):
    """Everything a competence training run depends on (a TOML file validates into it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cutoffs: tuple[dt.datetime, ...] | None = None
    """Cut-offs in time order, the last one evaluated; automatic when None."""
    window_days: int = Field(365, ge=30, le=730)
    min_history_days: int = Field(300, ge=0)
    use_rating: bool = True
    label_prior_sd: float = Field(3.0, gt=0)
    calibration: CalibrationConfig = CalibrationConfig()
    model: CompetenceConfig = CompetenceConfig()
    experiment: str = "competence"


def load_train_config(path: Path | None) -> TrainConfig:
    """The config in a TOML file, or the defaults."""
    if path is None:
        return TrainConfig()
    try:
        return TrainConfig.model_validate(tomllib.loads(Path(path).read_text("utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"training config {path} is invalid: {exc}") from exc


@dataclass(frozen=True)
class Evaluation:
    """The report and the frames behind it (held-out cut-off's features, labels, predictions)."""

    report: dict[str, float]
    train_cutoffs: tuple[dt.datetime, ...]
    eval_cutoff: dt.datetime
    features: pd.DataFrame
    labels: pd.DataFrame
    predictions: pd.DataFrame
    model: CompetenceModel
    seconds: dict[str, float]
    next_result: NextResultIntervals | None = None
    """Predictive intervals of the next year's results, fitted on every held-out row (what the
    bundle carries)."""
    extra_scores: dict[str, np.ndarray] = field(default_factory=dict)
    """Baselines that need more than the feature rows (the last result), per row of ``features``;
    the report and the diagnostics score them beside the model."""


def _rating(snapshot: Snapshot, cutoff: dt.datetime, cfg: TrainConfig) -> pd.DataFrame | None:
    return rating_frame(snapshot, cutoff) if cfg.use_rating else None


def _prepare(snapshot: Snapshot, cutoff: dt.datetime, cfg: TrainConfig, labels: bool) -> CutoffData:
    return prepare_cutoff(
        snapshot,
        cutoff,
        cfg.calibration,
        cfg.window_days if labels else None,
        _rating(snapshot, cutoff, cfg),
        cfg.label_prior_sd,
    )


def _dataset(parts: list[CutoffData], snapshot_id: str) -> CompetenceDataset:
    feats = pd.concat([p.features for p in parts], ignore_index=True)
    labels = pd.concat([p.labels for p in parts if p.labels is not None], ignore_index=True)
    return CompetenceDataset(feats, labels, snapshot_id)


def covered_rows(
    features: pd.DataFrame, labels: pd.DataFrame, model: CompetenceModel
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The feature and label rows of the directions the model was fitted on, and the directions
    left out (each logged with its reason): a direction with no labelled rows at the training
    cut-offs (a new direction, one with no data yet) has no model, and every report and plot
    lines features and predictions up row for row."""
    dirs = features[KEYS[1]].astype("object")
    keep = dirs.isin(model.directions_).to_numpy()
    skipped = [str(d) for d in pd.unique(dirs[~keep])]
    for direction in skipped:
        log.warning(
            "direction left out of the evaluation: no model was fitted for it (too few "
            "labelled rows at the training cut-offs)",
            direction=direction,
        )
    return (features[keep].reset_index(drop=True), labels[keep].reset_index(drop=True), skipped)


def _half(participant_ids: pd.Series, seed: int) -> np.ndarray:
    """A participant-level halving that depends on the id only (calibration vs check rows)."""
    hashed = pd.util.hash_pandas_object(
        participant_ids.astype("object").reset_index(drop=True),
        index=False,
        hash_key=f"{seed:016d}",
    )
    return (hashed.to_numpy(np.uint64) % np.uint64(2)) == 0


def next_result_intervals(
    features: pd.DataFrame, labels: pd.DataFrame, predictions: pd.DataFrame, cfg: TrainConfig
) -> tuple[NextResultIntervals, dict[str, float]]:
    """Predictive intervals fitted on a held-out year, and their coverage on it.

    The coverage is honest: the intervals are fitted on half of the held-out participants and
    checked on the other half (the model saw neither; split-conformal needs calibration and
    checked rows to be exchangeable, which a hash of the participant id gives). The returned
    intervals are then refitted on every held-out row, for the bundle.
    """
    level = cfg.model.interval_level
    perf = labels[CC.NEXT_PERFORMANCE].to_numpy(np.float64)
    calib = _half(features[KEYS[0]], cfg.model.seed)
    check = ~calib
    half = NextResultIntervals.fit(predictions[calib].reset_index(drop=True), perf[calib], level)
    rows = predictions[check].reset_index(drop=True)
    report: dict[str, float] = {}
    if half.directions:
        covered = coverage_by_bucket(rows, half.apply(rows), perf[check])
        report |= {f"next_result.{k}": v for k, v in covered.items()}
        dirs = rows[KEYS[1]].astype("object").to_numpy()
        for direction in half.directions:
            m = dirs == direction
            sub = rows[m].reset_index(drop=True)
            per = coverage_by_bucket(sub, half.apply(sub), perf[check][m])
            report |= {f"{direction}.next_result.{k}": v for k, v in per.items()}
    else:
        log.warning("no predictive intervals: too few held-out results in every direction")
    return NextResultIntervals.fit(predictions, perf, level), report


def plan_cutoffs(snapshot: Snapshot, cfg: TrainConfig) -> tuple[list[dt.datetime], dt.datetime]:
    """Training cut-offs and the evaluation cut-off (the last one).

    Training cut-offs are those whose label window ends by the evaluation cut-off, so training
    never sees the evaluated window. Raises :class:`TalentError` when the snapshot is too short.
    """
    cutoffs = (
        list(cfg.cutoffs)
        if cfg.cutoffs
        else auto_cutoffs(snapshot, cfg.window_days, min_history_days=cfg.min_history_days)
    )
    if not cutoffs:
        raise TalentError(
            f"snapshot {snapshot.snapshot_id[:16]} as of {snapshot.as_of:%Y-%m-%d} is too short: "
            f"no cut-off has {cfg.min_history_days} days of history and a {cfg.window_days}-day "
            "label window after it; simulate more seasons or pass --window-days"
        )
    last = cutoffs[-1]
    window = dt.timedelta(days=cfg.window_days)
    train = [c for c in cutoffs[:-1] if c + window <= last]
    if not train:
        raise TalentError(
            f"only one usable cut-off ({last:%Y-%m-%d}); an honest temporal evaluation needs a "
            "training cut-off whose window ends before it: use a longer snapshot or a shorter "
            "--window-days"
        )
    return train, last


@dataclass(frozen=True)
class PreparedCutoffs:
    """Calibration, features and labels at every training cut-off and at the evaluated one: the
    expensive part of a competence run, done once (the pipeline's ``features`` stage) and
    reused by the evaluation and the final fit."""

    train: list[CutoffData]
    held: CutoffData
    seconds: float

    def metrics(self) -> dict[str, float]:
        """What the features stage reports: cut-offs, rows and where the time went."""
        every = [*self.train, self.held]
        return {
            "cutoffs": float(len(every)),
            "rows.train": float(sum(len(p.features) for p in self.train)),
            "rows.eval": float(len(self.held.features)),
            "seconds.calibration_per_cutoff": float(
                np.mean([p.seconds["calibration"] for p in every])
            ),
            "seconds.features_per_cutoff": float(np.mean([p.seconds["features"] for p in every])),
            "seconds.total": self.seconds,
        }


def prepare_cutoffs(snapshot: Snapshot, cfg: TrainConfig, progress: bool = True) -> PreparedCutoffs:
    """Calibrate and build features (and labels) at every cut-off :func:`plan_cutoffs` gives,
    with a progress bar of one step per cut-off (drawn only on a terminal)."""
    from footprint.progress import progress_bar

    started = time.perf_counter()
    train_cuts, eval_cut = plan_cutoffs(snapshot, cfg)
    parts = []
    with progress_bar(len(train_cuts) + 1, "features", show=progress) as bar:
        for cutoff in [*train_cuts, eval_cut]:
            bar.note(f"cut-off {cutoff:%Y-%m-%d}")
            parts.append(_prepare(snapshot, cutoff, cfg, labels=True))
            bar.advance()
    return PreparedCutoffs(parts[:-1], parts[-1], time.perf_counter() - started)


def evaluate_competence(
    snapshot: Snapshot,
    cfg: TrainConfig,
    truth: pd.DataFrame | None = None,
    prepared: PreparedCutoffs | None = None,
) -> tuple[Evaluation, list[CutoffData]]:
    """Temporal evaluation; also returns the prepared cut-offs (reused by training).
    ``prepared``: the cut-offs already built by :func:`prepare_cutoffs` for this snapshot and
    config (built here when None)."""
    started = time.perf_counter()
    prepared_before = prepared is not None
    prepared = prepared if prepared is not None else prepare_cutoffs(snapshot, cfg)
    parts, held = prepared.train, prepared.held
    train_cuts, eval_cut = [p.cutoff for p in parts], held.cutoff
    t = time.perf_counter()
    model = CompetenceModel(cfg.model).fit(_dataset(parts, snapshot.snapshot_id))
    fit_seconds = time.perf_counter() - t
    assert held.labels is not None
    features, labels, skipped = covered_rows(held.features, held.labels, model)
    predictions = model.predict(features)
    last = last_results(
        snapshot.achievements, held.stats, eval_cut, features, held.calibration.config.responses
    )
    extra_scores = {"last_result": last}
    report = prediction_report(features, labels, predictions, extra_scores)
    report |= {f"{d}.skipped": 1.0 for d in skipped}
    next_result, covered = next_result_intervals(features, labels, predictions, cfg)
    report |= covered
    for direction, fit in model.fits_.items():
        # which estimator the direction serves, and the held-out comparison that decided it
        report[f"{direction}.serves_ability"] = float(fit.ability_only)
        report[f"{direction}.holdout_spearman.lightgbm"] = fit.holdout_spearman[0]
        report[f"{direction}.holdout_spearman.ability"] = fit.holdout_spearman[1]
        report[f"{direction}.follows_other_directions"] = float(fit.other_map is not None)
        report[f"{direction}.holdout_other_only.model"] = fit.other_spearman[0]
        report[f"{direction}.holdout_other_only.mean_other_directions"] = fit.other_spearman[1]
    if truth is not None:
        at = truth
        if CC.CUTOFF not in at.columns and "as_of" in at.columns:
            stamps = pd.to_datetime(at["as_of"]).to_numpy("datetime64[us]")
            at = at[stamps == np.datetime64(eval_cut, "us")]
        report |= truth_report(features, predictions, at)
    every = [*parts, held]
    seconds = {
        "calibration_per_cutoff": float(np.mean([p.seconds["calibration"] for p in every])),
        "features_per_cutoff": float(np.mean([p.seconds["features"] for p in every])),
        "model_fit": fit_seconds,
        # the cut-offs' preparation counts whether it ran here or in the features stage
        "total": time.perf_counter() - started + (prepared.seconds if prepared_before else 0.0),
    }
    report |= {f"seconds.{k}": v for k, v in seconds.items()}
    report["rows.eval"] = float(len(features))
    report["rows.train"] = float(sum(len(p.features) for p in parts))
    evaluation = Evaluation(
        report,
        tuple(train_cuts),
        eval_cut,
        features,
        labels,
        predictions,
        model,
        seconds,
        next_result,
        extra_scores,
    )
    return evaluation, [*parts, held]


def train_competence(
    snapshot: Snapshot,
    cfg: TrainConfig,
    out: Path,
    truth: pd.DataFrame | None = None,
    track: bool = True,
    prepared: PreparedCutoffs | None = None,
) -> tuple[Path, Evaluation]:
    """Evaluate, fit the final model, save the bundle and log the run.

    With ``track``, the MLflow run opens before the work starts and stays open while it runs,
    so a crash leaves it ``FAILED``. ``prepared``: the cut-offs from :func:`prepare_cutoffs`
    (the pipeline builds them in its features stage).

    Returns
    -------
    (bundle path, evaluation)
    """
    from training.tracking import competence_run

    version = f"competence-{snapshot.snapshot_id[:12]}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    run = competence_run(cfg.experiment, run_name=version) if track else contextlib.nullcontext()
    with run:
        path, evaluation, schema = _train(snapshot, cfg, out, truth, prepared, version)
        if track:
            _log(snapshot, cfg, path, evaluation, version, schema)
    log.info("competence bundle saved", path=str(path), version=version)
    return path, evaluation


def _train(
    snapshot: Snapshot,
    cfg: TrainConfig,
    out: Path,
    truth: pd.DataFrame | None,
    prepared: PreparedCutoffs | None,
    version: str,
) -> tuple[Path, Evaluation, str]:
    """The evaluation, the final model on every cut-off, the calibration at ``as_of``, the
    published bundle (its path, the evaluation and the bundle's schema hash)."""
    evaluation, parts = evaluate_competence(snapshot, cfg, truth, prepared)
    started = time.perf_counter()
    model = CompetenceModel(cfg.model).fit(_dataset(parts, snapshot.snapshot_id))
    stats, calibration = fit_at(snapshot, snapshot.as_of, cfg.calibration)
    final_seconds = time.perf_counter() - started
    meta = {
        "model_version": version,
        "snapshot_id": snapshot.snapshot_id,
        "as_of": snapshot.as_of.isoformat(),
        "cutoffs": [p.cutoff.isoformat() for p in parts],
        "schema_version": SCHEMA_VERSION,
        "schema_hash": schema_hash(model.features_),
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    bundle = CompetenceBundle(stats, calibration, model, meta, evaluation.next_result)
    path = bundle.save(out / f"{version}.joblib")
    publish(path)  # the .sha256 sidecar, then latest.txt (atomically): what serving watches
    evaluation.report["seconds.final_fit"] = final_seconds
    return path, evaluation, str(meta["schema_hash"])


def _log(
    snapshot: Snapshot,
    cfg: TrainConfig,
    path: Path,
    evaluation: Evaluation,
    version: str,
    schema: str,
) -> None:
    """Params, metrics, tags, plots and the bundle of the open run."""
    from training.tracking import log_competence_run

    params: dict[str, Any] = cfg.model_dump(mode="json") | {
        "eval_cutoff": evaluation.eval_cutoff.isoformat(),
        "train_cutoffs": [c.isoformat() for c in evaluation.train_cutoffs],
    }
    tags = {
        "snapshot_id": snapshot.snapshot_id,
        "model_version": version,
        "schema_hash": schema,
        "snapshot_as_of": snapshot.as_of.isoformat(),
    }
    log_competence_run(
        params,
        evaluation.report,
        tags,
        path,
        (evaluation.features, evaluation.labels, evaluation.predictions),
    )
