"""Tuning: a seeded study that survives an interruption and hands back a config that trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.training.pipeline_world import tiny_config
from training.config import load_pipeline_config
from training.tuning import tune


def test_study_resumes_after_interruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    import optuna

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path / "bundles")

    def stop(study: Any, trial: Any) -> None:
        raise KeyboardInterrupt  # what a kill between two trials looks like to the study

    with pytest.raises(KeyboardInterrupt):
        tune(cfg, trials=3, storage_dir=tmp_path, callbacks=[stop])
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    name = optuna.get_all_study_names(storage)[0]
    first = optuna.load_study(study_name=name, storage=storage).trials
    assert len(first) == 1 and first[0].state == optuna.trial.TrialState.COMPLETE

    result = tune(cfg, trials=3, storage_dir=tmp_path, track=False)
    trials = optuna.load_study(study_name=name, storage=storage).trials
    assert result.finished == 3 and len(trials) == 3
    assert trials[0].params == first[0].params  # the first run's trial is kept, not redone
    assert trials[1].params != trials[0].params  # the resumed sampler does not replay it
    # each finished trial reported at every rung of boosting rounds (what the pruner judges)
    assert all(sorted(t.intermediate_values) == [0, 1] for t in trials
               if t.state == optuna.trial.TrialState.COMPLETE)

    tuned = load_pipeline_config(result.config_path)
    booster = tuned.competence.model.booster
    assert booster.learning_rate == pytest.approx(
        result.best_params["competence.model.booster.learning_rate"])
    assert booster.num_leaves == result.best_params["competence.model.booster.num_leaves"]
    assert tuned.snapshot == cfg.snapshot

    import mlflow

    runs = mlflow.search_runs(experiment_names=[cfg.experiment])
    assert (runs["tags.mlflow.runName"] == "trial 0").sum() == 1
