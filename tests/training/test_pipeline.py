"""The whole pipeline on a tiny simulated world: one parent run with a child per stage, the
bundles registered as challengers, and a rerun with the same config reproducing every metric."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.training.pipeline_world import tiny_config
from training.pipeline import PipelineResult, run_pipeline

STAGES = {"data", "features", "competence", "recommenders", "reranker", "evaluation"}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PipelineResult, Path]]:
    root = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        mp.chdir(root)
        yield run_pipeline(tiny_config(root / "bundles")), root


def test_one_parent_run_with_a_child_per_stage(tracked: tuple[PipelineResult, Path]) -> None:
    import mlflow

    result, _ = tracked
    client = mlflow.MlflowClient()
    parent = client.get_run(result.run_id)
    assert parent.data.tags["snapshot_id"] == result.snapshot_id
    assert result.snapshot_id.startswith("sim-seed3-")  # seed and digest of the world config
    assert (
        len(parent.data.tags["git_commit"]) in (40, 7)
        or parent.data.tags["git_commit"] == "unknown"
    )
    assert parent.data.tags["version.lightgbm"] == "4.7.0"
    assert parent.data.params["seed"] == "0"
    # model and baselines side by side in the parent's metrics
    for name in ("model", "rating_points", "n_achievements", "ability"):
        assert f"competence.all.spearman_label.{name}" in parent.data.metrics
    children = mlflow.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert set(children["tags.mlflow.runName"]) == STAGES
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"config.toml", "model_card.md"} <= artifacts
    card = Path(
        mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path="model_card.md")
    ).read_text()
    for section in ("## Purpose", "## Data", "## Metrics", "## Limits"):
        assert section in card
    assert "p0000" not in card  # no participant ids (p0000123) in the card
    evaluation = children[children["tags.mlflow.runName"] == "evaluation"].iloc[0]
    logged = {a.path for a in client.list_artifacts(evaluation["run_id"], "plots")}
    assert logged == {"plots/by_records.png"}


def test_bundles_registered_as_challengers(tracked: tuple[PipelineResult, Path]) -> None:
    from training.registry import CHALLENGER, version_info

    result, _ = tracked
    assert set(result.versions) == {"talent-competence", "talent-recommend"}
    info = version_info("talent-competence", CHALLENGER)
    assert info is not None and info.version == result.versions["talent-competence"]
    assert info.snapshot_id == result.snapshot_id and len(info.sha256) == 64
    assert info.metrics["competence.all.spearman_label.model"] == pytest.approx(
        result.metrics["competence.all.spearman_label.model"]
    )


def test_rerun_reproduces_every_metric(tracked: tuple[PipelineResult, Path]) -> None:
    first, root = tracked
    again = run_pipeline(tiny_config(root / "bundles-again"), track=False)
    timed = ("seconds", "rows.")
    keys = {k for k in first.metrics if not any(t in k for t in timed)}
    assert keys == {k for k in again.metrics if not any(t in k for t in timed)}
    for key in sorted(keys):
        a, b = first.metrics[key], again.metrics[key]
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12), key


def test_selection_on_validation_feeds_the_split_and_the_run(tmp_path: Path) -> None:
    """With [recommend.select], EASE's lambda is chosen on the validation cut-off a year before
    the first test cut-off, recorded beside the test figures and used by the test split."""
    cfg = tiny_config(tmp_path / "bundles")
    data = cfg.recommend.model_dump() | {
        "select": {
            "enabled": True,
            "max_queries": 100,
            "ease_lambdas": [5.0, 5000.0],
            "rerank_budget": 0,
        }
    }
    data["split"] = cfg.recommend.split.model_dump() | {"models": ["popular", "ease"]}
    cfg = cfg.model_copy(update={"recommend": cfg.recommend.model_validate(data)})
    result = run_pipeline(cfg, track=False)
    m = result.metrics
    assert m["recommend.selected.ease.lambda"] in (5.0, 5000.0)
    assert 0 < m["recommend.validation.ease.ndcg@10"] <= 1
    assert 0 < m["recommend.ease.ndcg@10"] <= 1
    assert not any(k.startswith("recommend.selected.als") for k in m)


def test_snapshot_is_the_runs_dataset_input_and_the_experiment_is_classic_ml(
    tracked: tuple[PipelineResult, Path],
) -> None:
    import mlflow

    from training.tracking import CLASSIC_ML, EXPERIMENT_KIND_TAG

    result, _ = tracked
    client = mlflow.MlflowClient()
    parent = client.get_run(result.run_id)
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags[EXPERIMENT_KIND_TAG] == CLASSIC_ML
    inputs = parent.inputs.dataset_inputs
    assert len(inputs) == 1
    dataset = inputs[0].dataset
    assert dataset.digest == result.snapshot_id[:36]
    assert "achievements.participant_id" in dataset.schema  # columns, not rows
    assert dataset.source_type == "code" and "simulate" in dataset.source
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"
    assert parent.info.status == "FINISHED"


def test_a_failing_stage_leaves_its_run_and_the_parent_failed(
    tracked: tuple[PipelineResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the module's tracking store (a new store takes seconds to create)."""
    import mlflow

    import training.pipeline as pipeline
    from tests.models.recommend.conftest import tiny_snapshot

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the competence stage broke")

    class Prepared:  # the features stage's work, stood in for (the tiny world has no cut-off)
        def metrics(self) -> dict[str, float]:
            return {"cutoffs": 2.0}

    monkeypatch.setattr(pipeline, "prepare_cutoffs", lambda *a, **k: Prepared())
    monkeypatch.setattr(pipeline, "train_competence", crash)
    config = tiny_config(tmp_path / "bundles", experiment="failing")
    with pytest.raises(RuntimeError, match="broke"):
        run_pipeline(config, loaded=(tiny_snapshot(), None))
    runs = mlflow.search_runs(experiment_names=["failing"])
    status = dict(zip(runs["tags.mlflow.runName"].str.split().str[0], runs["status"], strict=True))
    assert status == {
        config.name: "FAILED",
        "data": "FINISHED",
        "features": "FINISHED",
        "competence": "FAILED",
    }
    # the data stage's metrics were logged while it ran, before the crash
    data = runs[runs["tags.mlflow.runName"] == "data"].iloc[0]
    assert data["metrics.participants"] == len(tiny_snapshot().participants)
    parent = runs[runs["status"] == "FAILED"]
    assert parent["metrics.data.participants"].notna().any()
    features = runs[runs["tags.mlflow.runName"] == "features"].iloc[0]
    assert features["metrics.cutoffs"] == 2.0  # logged by the features stage's own run


def test_registered_versions_are_mlflow_models_with_the_card(
    tracked: tuple[PipelineResult, Path],
) -> None:
    import mlflow
    import pandas as pd

    from core.settings import FootprintSettings
    from footprint.columns import Columns as C
    from training.pyfunc import EXAMPLE_ID

    result, _ = tracked
    client = mlflow.MlflowClient()

    # the world the models score: the largest snapshot folder (the crash test of this module
    # writes the hand-made tiny world beside it, and folder names are content hashes, so their
    # order says nothing)
    folders = [p for p in FootprintSettings().snapshot_dir.iterdir() if p.name[0] != "."]
    sizes = {p: len(pd.read_parquet(p / "achievements.parquet")) for p in folders}
    snapshot = max(sizes, key=lambda p: sizes[p])
    active = pd.read_parquet(snapshot / "achievements.parquet")[C.PARTICIPANT_ID]
    people = sorted(set(active.astype(str)))[:40]
    request = pd.DataFrame({C.PARTICIPANT_ID: [*people, EXAMPLE_ID]})
    for name in ("talent-recommend", "talent-competence"):
        version = client.get_model_version(name, result.versions[name])
        assert "## Purpose" in version.description and "## Limits" in version.description
        model = mlflow.pyfunc.load_model(f"models:/{name}@challenger")
        assert model.metadata.signature.inputs.input_names() == [C.PARTICIPANT_ID]
        assert model.metadata.saved_input_example_info is not None
        # the simulated world ends after its last season's deadlines: ask as of mid-season
        params = {"as_of": "2026-01-15"}
        answer = model.predict(request, params=params)
        # known participants get rows (an unknown id only the recommender's cold start)
        assert set(answer[C.PARTICIPANT_ID]) & set(people), name
        assert set(answer[C.PARTICIPANT_ID]) <= {*people, EXAMPLE_ID}, name
    competence = mlflow.pyfunc.load_model("models:/talent-competence@challenger").predict(request)
    assert EXAMPLE_ID not in set(competence[C.PARTICIPANT_ID])  # no data, no estimate
    assert (
        (competence["lower"] <= competence["competence"])
        & (competence["competence"] <= competence["upper"])
    ).all()
