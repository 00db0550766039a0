"""``talent tune``: Optuna search over the competence model's or the re-ranker's parameters,
resumable and pruned.

One study tunes one stage (``[tuning] target``, or the prefix of its metric): the competence
model (``competence.model.*`` keys, a key of the competence report as metric) or the
recommender's re-ranker (``recommend.models.rerank.*`` keys, ``recommend.rerank.<metric>`` as the
pipeline logs it; see :mod:`training.recommend.tuning` for how its trials are made cheap and
why its rungs are boosting rounds). The re-ranker's objective is scored on the validation cut-off
of :func:`training.select_simulator.validation_split` (a year before the first test cut-off, on
the snapshot as known at that test cut-off), so the test figure ``talent train`` reports with the
best settings was never seen by the study (until 2026-12-03 it scored the pipeline's own split).

For the competence model the cut-offs are prepared once per study (calibration and features are
the expensive part and do not depend on the booster's parameters); each trial then fits the
model at increasing shares of its boosting rounds (the config's ``rungs``), reports the validation
metric at each (a seeded fifth of the participants of the training cut-offs, held out of the fit
and scored at the last training cut-off; the evaluation cut-off the pipeline reports as its test
is never read) and is pruned by a median rule when it is behind earlier trials, so a poor region
costs a quarter of a fit. The study lives in SQLite next to the tracking store
(``mlruns/optuna.db``) under a name made of the config name (plus ``-recommend`` for a
re-ranker study) and the snapshot id, so a killed run resumes where it stopped: ``--trials N`` is
the total number of finished trials wanted, not N more. Every trial is a child run of one MLflow
parent run. The best parameters are written back into a copy of the config, a TOML file that
``talent train --config`` accepts as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from core.errors import TalentError
from core.logs import get_logger
from core.settings import FootprintSettings
from features.schema import KEYS
from models.competence.dataset import CompetenceDataset
from models.competence.model import CompetenceModel
from models.competence.rating_features import rating_frame
from models.recommend.rerank import RerankConfig
from training.competence.cutoffs import CutoffData, prepare_cutoff
from training.competence.evaluation import prediction_report
from training.competence.train import TrainConfig, plan_cutoffs
from training.config import (
    PipelineConfig,
    SearchDim,
    config_dict,
    dump_toml,
    parse_pipeline_config,
    set_dotted,
)
from training.pipeline import load_source
from training.recommend.tuning import RerankObjective
from training.registry import metric_key
from training.select_simulator import validation_split

log = get_logger(__name__)
STORAGE_FILE = "optuna.db"


@dataclass(frozen=True)
class TuningResult:
    """The study's outcome and the config file holding its best parameters."""

    study_name: str
    storage: str
    finished: int
    pruned: int
    best_value: float
    best_params: dict[str, Any]
    config_path: Path


@dataclass(frozen=True)
class _Prepared:
    """The cut-offs computed once per study: training rows and the held-out cut-off."""

    dataset: CompetenceDataset
    held: CutoffData


VALIDATION_SHARE = 0.2
"""Participants of the training cut-offs held out as the competence study's validation set."""


def _prepare(config: PipelineConfig) -> tuple[str, _Prepared]:
    """Training rows and the validation rows of a competence study, both from the training
    cut-offs only (whose label windows end by the evaluation cut-off): a seeded
    :data:`VALIDATION_SHARE` of the participants is held out, their rows at the last training
    cut-off are the validation set and none of their rows is fitted on. The evaluation cut-off,
    which the pipeline reports as its test, is never read, so a study's best value is not the
    test's figure and the tuned config's test figure is honest."""
    import numpy as np

    snapshot, _ = load_source(config.snapshot)
    comp: TrainConfig = config.competence
    train_cuts, _ = plan_cutoffs(snapshot, comp)

    def at(cutoff: Any) -> CutoffData:
        rating = rating_frame(snapshot, cutoff) if comp.use_rating else None
        return prepare_cutoff(
            snapshot, cutoff, comp.calibration, comp.window_days, rating, comp.label_prior_sd
        )

    parts = [at(c) for c in train_cuts]
    feats = pd.concat([p.features for p in parts], ignore_index=True)
    labels = pd.concat([p.labels for p in parts if p.labels is not None], ignore_index=True)
    pid = KEYS[0]
    people = np.unique(feats[pid].astype("object").to_numpy())
    rng = np.random.default_rng(config.tuning.seed)
    held_ids = set(
        rng.choice(people, max(1, round(len(people) * VALIDATION_SHARE)), replace=False).tolist()
    )
    fit = ~feats[pid].astype("object").isin(held_ids).to_numpy()
    last = parts[-1]
    assert last.labels is not None
    keep = last.features[pid].astype("object").isin(held_ids).to_numpy()
    held = replace(
        last,
        features=last.features[keep].reset_index(drop=True),
        labels=last.labels[keep].reset_index(drop=True),
    )
    log.info(
        "competence study validation",
        cutoff=str(last.cutoff),
        participants=len(held_ids),
        rows=int(keep.sum()),
        fit_rows=int(fit.sum()),
    )
    return snapshot.snapshot_id, _Prepared(
        CompetenceDataset(
            feats[fit].reset_index(drop=True),
            labels[fit].reset_index(drop=True),
            snapshot.snapshot_id,
        ),
        held,
    )


class _Stage(Protocol):
    """What a study tunes: a metric at increasing shares of the model's boosting rounds."""

    snapshot_id: str

    def rungs(
        self, config: PipelineConfig, shares: Sequence[float]
    ) -> Iterator[tuple[int, float]]: ...


class _CompetenceStage:
    """The competence model's held-out metric; the cut-offs are prepared once."""

    def __init__(self, config: PipelineConfig) -> None:
        self.snapshot_id, self.prepared = _prepare(config)
        self.metric = config.tuning.report_key

    def rungs(self, config: PipelineConfig, shares: Sequence[float]) -> Iterator[tuple[int, float]]:
        model_cfg = config.competence.model
        held = self.prepared.held
        assert held.labels is not None
        for share in shares:
            n = max(1, round(model_cfg.booster.n_estimators * share))
            cfg = model_cfg.model_copy(
                update={"booster": model_cfg.booster.model_copy(update={"n_estimators": n})}
            )
            model = CompetenceModel(cfg).fit(self.prepared.dataset)
            yield (
                n,
                prediction_report(held.features, held.labels, model.predict(held.features))[
                    self.metric
                ],
            )


class _RecommendStage:
    """The re-ranker's metric on the validation cut-off of the simulator split
    (:func:`training.select_simulator.validation_split`: the snapshot as known at the first test
    cut-off, scored a year earlier), never on the test cut-offs the pipeline reports; see
    :mod:`training.recommend.tuning`."""

    def __init__(self, config: PipelineConfig) -> None:
        snapshot, _ = load_source(config.snapshot)
        self.snapshot_id = snapshot.snapshot_id
        split, first = validation_split(
            snapshot, config.recommend.split, config.recommend.select, decisions=True
        )
        cut = split.cutoffs[0]
        if not split.relevant or not cut.decisions:
            raise TalentError(
                f"the re-ranker's study scores a validation cut-off "
                f"({cut.cutoff:%Y-%m-%d}) before the first test cut-off "
                f"({first:%Y-%m-%d}); it has no queries or no decision points: the "
                "snapshot needs more seasons (or a smaller recommend.select.offset_years)"
            )
        self.objective = RerankObjective(split, config.tuning.report_key)

    def rungs(self, config: PipelineConfig, shares: Sequence[float]) -> Iterator[tuple[int, float]]:
        rerank = config.recommend.settings_of("rerank")
        assert isinstance(rerank, RerankConfig)
        return self.objective.rungs(rerank, shares)


def _stage(config: PipelineConfig) -> _Stage:
    if config.tuning.stage == "recommend":
        return _RecommendStage(config)
    return _CompetenceStage(config)


def _suggest(trial: Any, key: str, dim: SearchDim) -> Any:
    if dim.type == "float":
        assert dim.low is not None and dim.high is not None
        return trial.suggest_float(key, dim.low, dim.high, log=dim.log)
    if dim.type == "int":
        assert dim.low is not None and dim.high is not None
        return trial.suggest_int(key, int(dim.low), int(dim.high), log=dim.log)
    assert dim.choices is not None
    return trial.suggest_categorical(key, list(dim.choices))


def with_params(config: PipelineConfig, params: dict[str, Any]) -> PipelineConfig:
    """A copy of ``config`` with dotted-path parameters set (validated like a file)."""
    data = config_dict(config)
    for key, value in params.items():
        set_dotted(data, key, value)
    return parse_pipeline_config(data, "tuned parameters")


def tune(
    config: PipelineConfig,
    trials: int,
    storage_dir: Path | None = None,
    output: Path | None = None,
    callbacks: Sequence[Callable[[Any, Any], None]] = (),
    track: bool = True,
) -> TuningResult:
    """Run (or resume) the config's study until ``trials`` trials have finished.

    Parameters
    ----------
    config
        Pipeline config; its ``tuning`` table holds the stage, metric, seed, rungs and space.
    trials
        Total finished (complete or pruned) trials wanted in the study.
    storage_dir
        Folder of ``optuna.db`` (None: ``mlruns/`` under ``TALENT_DATA_DIR``, next to the
        MLflow store).
    output
        Where the best config goes (default ``<storage_dir>/<study>-best.toml``).
    callbacks
        Optuna callbacks (tests use one to interrupt a study).
    track
        Log a parent run and one child run per trial to MLflow.
    """
    import optuna

    config = config.seeded()
    tuning = config.tuning
    stage = _stage(config)
    snapshot_id = stage.snapshot_id
    # a competence study keeps its first name (existing studies resume); a re-ranker study of
    # the same config is another study, with other parameters
    kind = "" if tuning.stage == "competence" else f"-{tuning.stage}"
    study_name = f"{config.name}{kind}-{snapshot_id[:12]}"
    storage_dir = storage_dir or FootprintSettings().mlruns_dir
    storage_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{storage_dir / STORAGE_FILE}"
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=90)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=tuning.startup_trials)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        pruner=pruner,
        load_if_exists=True,
    )
    optuna.storages.fail_stale_trials(study)  # a killed run's trial is marked failed, not lost
    # a resumed study must not replay the first run's draws: seed by the trials already there
    study.sampler = optuna.samplers.TPESampler(
        seed=tuning.seed + len(study.trials), n_startup_trials=tuning.startup_trials
    )
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    remaining = trials - len(study.get_trials(states=done))
    log.info(
        "study opened",
        study=study_name,
        storage=url,
        existing=len(study.trials),
        remaining=max(remaining, 0),
    )

    def objective(trial: optuna.Trial) -> float:
        params = {k: _suggest(trial, k, dim) for k, dim in tuning.space.items()}
        value = math.nan
        for step, (n, value) in enumerate(
            stage.rungs(with_params(config, params).seeded(), tuning.rungs)
        ):
            trial.report(value, step)
            if track:
                import mlflow

                mlflow.log_metric(metric_key(tuning.metric), value, step=n)
            if trial.should_prune():
                raise optuna.TrialPruned(f"behind the median at {n} rounds")
        return value

    def run_trial(trial: optuna.Trial) -> float:
        if not track:
            return objective(trial)
        import mlflow

        with mlflow.start_run(run_name=f"trial {trial.number}", nested=True):
            mlflow.log_params({"trial": trial.number, "study": study_name})
            try:
                value = objective(trial)
            except optuna.TrialPruned:
                mlflow.set_tag("trial_state", "pruned")
                raise
            finally:
                mlflow.log_params(trial.params)
            mlflow.set_tag("trial_state", "complete")
            return value

    if remaining > 0:
        if track:
            from training.tracking import competence_run

            with competence_run(config.experiment, run_name=f"tune {study_name}") as parent:
                import mlflow

                mlflow.set_tags(
                    {
                        "study": study_name,
                        "optuna_storage": url,
                        "snapshot_id": snapshot_id,
                        "sampler_seed": str(tuning.seed),
                        "target": tuning.stage,
                        "metric": tuning.metric,
                    }
                )
                study.optimize(
                    run_trial, n_trials=remaining, callbacks=list(callbacks), gc_after_trial=True
                )
                mlflow.log_metric("best_value", study.best_value)
                log.info("tuning run logged", run=parent.info.run_id)
        else:
            study.optimize(run_trial, n_trials=remaining, callbacks=list(callbacks))
    best = with_params(config, study.best_params)
    path = output or storage_dir / f"{study_name}-best.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# best of study {study_name} ({url}): {tuning.metric} = {study.best_value:.4f}\n"
        "# run it with: talent train --config <this file>\n"
    )
    path.write_text(header + dump_toml(config_dict(best)), "utf-8")
    states = [t.state for t in study.trials]
    return TuningResult(
        study_name,
        url,
        sum(s in done for s in states),
        states.count(optuna.trial.TrialState.PRUNED),
        study.best_value,
        dict(study.best_params),
        path,
    )
