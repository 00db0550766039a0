"""Tuning: a seeded study that survives an interruption and hands back a config that trains;
the competence model and the recommender's re-ranker, one stage per study."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError
from tests.training.pipeline_world import SMALL, tiny_config
from training.config import PipelineConfig, load_pipeline_config, parse_pipeline_config
from training.tuning import tune


def test_study_resumes_after_interruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert all(
        sorted(t.intermediate_values) == [0, 1]
        for t in trials
        if t.state == optuna.trial.TrialState.COMPLETE
    )

    tuned = load_pipeline_config(result.config_path)
    booster = tuned.competence.model.booster
    assert booster.learning_rate == pytest.approx(
        result.best_params["competence.model.booster.learning_rate"]
    )
    assert booster.num_leaves == result.best_params["competence.model.booster.num_leaves"]
    assert tuned.snapshot == cfg.snapshot

    import mlflow

    runs = mlflow.search_runs(experiment_names=[cfg.experiment])
    assert (runs["tags.mlflow.runName"] == "trial 0").sum() == 1


# --- the re-ranker --------------------------------------------------------------------------

RERANK_SPACE = {
    "recommend.models.rerank.learning_rate": {
        "type": "float",
        "low": 0.03,
        "high": 0.3,
        "log": True,
    },
    "recommend.models.rerank.num_leaves": {"type": "int", "low": 3, "high": 15},
    # up to far more than the tiny world's training rows: such a booster cannot split at all
    "recommend.models.rerank.min_child_samples": {
        "type": "int",
        "low": 5,
        "high": 5_000,
        "log": True,
    },
}


def rerank_config(bundle_dir: Path) -> PipelineConfig:
    """small.toml's world with a re-ranker study: 30 boosting rounds, rungs at 50% and 100%."""
    import tomllib

    data = tomllib.loads(SMALL.read_text("utf-8"))
    data["bundle_dir"] = str(bundle_dir)
    data["snapshot"]["simulate"]["participants"] = 700
    data["competence"]["model"]["booster"]["n_estimators"] = 20
    data["recommend"]["split"]["models"] = ["popular", "rerank"]
    data["recommend"]["models"] = {"rerank": {"n_estimators": 30}}
    data["tuning"] = {
        "metric": "recommend.rerank.ndcg@10",
        "seed": 0,
        "rungs": [0.5, 1.0],
        "startup_trials": 1,
        "space": RERANK_SPACE,
    }
    return parse_pipeline_config(data, "rerank study")


def test_rerank_study_best_config_reproduces_its_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from models.recommend.rerank import RerankConfig
    from training.pipeline import load_source
    from training.recommend.tuning import RerankObjective
    from training.select_simulator import validation_split

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    cfg = rerank_config(tmp_path / "bundles")
    assert cfg.tuning.stage == "recommend"
    result = tune(cfg, trials=3, storage_dir=tmp_path)
    assert result.finished == 3
    assert "-recommend-" in result.study_name  # not the config's competence study
    assert set(result.best_params) == set(RERANK_SPACE)

    tuned = load_pipeline_config(result.config_path)
    rerank = tuned.recommend.settings_of("rerank")
    assert isinstance(rerank, RerankConfig)
    for key, value in result.best_params.items():
        assert getattr(rerank, key.rsplit(".", 1)[1]) == pytest.approx(value)
    assert rerank.n_estimators == 30 and tuned.snapshot == cfg.snapshot
    # the study scored a validation cut-off a year before the first test cut-off (on the
    # snapshot as known at that test cut-off), never the test cut-off the pipeline reports;
    # the best trial's value is that of the chosen settings there
    snapshot, _ = load_source(cfg.snapshot)
    split, first = validation_split(
        snapshot, cfg.recommend.split, cfg.recommend.select, decisions=True
    )
    assert [c.cutoff for c in split.cutoffs] == [first.replace(year=first.year - 1)]
    assert first == min(cfg.recommend.split.cutoffs or ())
    scored = RerankObjective(split, cfg.tuning.report_key).evaluate(rerank)
    assert scored["ndcg@10"] == pytest.approx(result.best_value, abs=1e-9)

    runs = mlflow.search_runs(experiment_names=[cfg.experiment])
    trials = runs[runs["tags.mlflow.runName"].str.startswith("trial ")]
    assert len(trials) == 3
    assert set(trials["tags.trial_state"]) <= {"complete", "pruned"}
    assert trials["metrics.recommend.rerank.ndcg_at_10"].notna().all()
    parent = runs[runs["tags.mlflow.runName"].str.startswith("tune ")]
    assert parent["tags.target"].tolist() == ["recommend"]


def test_rerank_study_resumes_and_records_a_pruned_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optuna

    from training.pipeline import load_source

    monkeypatch.chdir(tmp_path)
    cfg = rerank_config(tmp_path / "bundles")
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    name = f"{cfg.name}-recommend-{load_source(cfg.snapshot)[0].snapshot_id[:12]}"
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    # a first trial whose booster learns (a random draw may not, on a world this small)
    study.enqueue_trial(
        {
            "recommend.models.rerank.learning_rate": 0.1,
            "recommend.models.rerank.num_leaves": 7,
            "recommend.models.rerank.min_child_samples": 5,
        }
    )

    def stop(study: Any, trial: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tune(cfg, trials=3, storage_dir=tmp_path, callbacks=[stop], track=False)
    assert optuna.get_all_study_names(storage) == [name]
    first = study.trials
    assert len(first) == 1 and first[0].state == optuna.trial.TrialState.COMPLETE
    # the next trial a resumed run draws: a booster that cannot split ranks by activity order,
    # far behind the first trial at the first rung, so the median rule prunes it there
    study.enqueue_trial(
        {
            "recommend.models.rerank.learning_rate": 0.1,
            "recommend.models.rerank.num_leaves": 7,
            "recommend.models.rerank.min_child_samples": 5_000,
        }
    )

    result = tune(cfg, trials=3, storage_dir=tmp_path, track=False)
    trials = optuna.load_study(study_name=name, storage=storage).trials
    assert result.finished == 3 and len(trials) == 3
    assert trials[0].params == first[0].params  # kept, not redone
    assert trials[1].state == optuna.trial.TrialState.PRUNED
    assert sorted(trials[1].intermediate_values) == [0]  # stopped at the first rung
    assert trials[1].intermediate_values[0] < first[0].intermediate_values[0]
    assert result.pruned >= 1
    assert trials[2].params != trials[0].params  # the resumed sampler does not replay


@pytest.mark.parametrize(
    ("tuning", "message"),
    [
        (
            {"space": {"recommend.models.rerank.num_leaves": {"type": "int", "low": 3, "high": 9}}},
            r"tuning\.space key 'recommend\.models\.rerank\.num_leaves' tunes the recommend stage, "
            r"but tuning\.metric 'all\.spearman_label\.model' makes this a competence study",
        ),
        (
            {
                "metric": "recommend.rerank.ndcg@10",
                "space": {
                    "competence.model.booster.num_leaves": {"type": "int", "low": 3, "high": 9}
                },
            },
            r"tuning\.space key 'competence\.model\.booster\.num_leaves' tunes the competence "
            r"stage",
        ),
        (
            {"target": "recommend", "metric": "all.spearman_label.model"},
            r"tuning\.target 'recommend' does not match tuning\.metric",
        ),
        (
            {
                "metric": "recommend.rerank.ndcg@10",
                "space": {"recommend.rerank.num_leaves": {"type": "int", "low": 3, "high": 9}},
            },
            r"use 'recommend\.models\.rerank\.num_leaves'",
        ),
        (
            {
                "metric": "recommend.rerank.ndcg@10",
                "space": {
                    "recommend.models.rerank.num_leavez": {"type": "int", "low": 3, "high": 9}
                },
            },
            r"recommend\.models\.rerank\.num_leavez is not a setting",
        ),
        (
            {"metric": "recommend.rerank.ndcg@5"},
            r"tuning\.metric 'recommend\.rerank\.ndcg@5' is "
            r"not logged",
        ),
    ],
)
def test_a_study_tunes_one_stage(tuning: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_pipeline_config({"snapshot": {"simulate": {}}, "tuning": tuning})


def test_rerank_study_needs_the_reranker_evaluated() -> None:
    with pytest.raises(ConfigError, match=r"include \"rerank\" in recommend\.split\.models"):
        parse_pipeline_config(
            {
                "snapshot": {"simulate": {}},
                "recommend": {"split": {"models": ["popular"]}},
                "tuning": {"metric": "recommend.rerank.ndcg@10"},
            }
        )
    cfg = parse_pipeline_config(
        {"snapshot": {"simulate": {}}, "tuning": {"metric": "recommend.rerank.ndcg@10"}}
    )
    # without a space of its own, a re-ranker study searches the re-ranker's booster
    assert cfg.tuning.stage == "recommend" and cfg.tuning.report_key == "ndcg@10"
    assert all(k.startswith("recommend.models.rerank.") for k in cfg.tuning.space)


def test_shipped_recommend_study_config() -> None:
    cfg = load_pipeline_config(SMALL.parent / "tune-recommend.toml")
    assert cfg.tuning.stage == "recommend" and cfg.recommend.final_models[0] == "rerank"
