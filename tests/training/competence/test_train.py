"""End to end on a small synthetic world: evaluation report with baselines and truth, training
with a bundle and an MLflow run. Interval honesty on synthetic data: stated coverage of the 90%
intervals against the true population percentile is 75-97% (the world is small and the labels
noisy, so the tolerance is wider than the benchmark's 85-95%)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.competence.bundle import CompetenceBundle
from models.competence.config import BoosterConfig, CompetenceConfig
from tests.features.world import make_world
from training.competence.train import TrainConfig, evaluate_competence, train_competence


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return make_world(n_participants=900, seasons=(2022, 2023, 2024, 2025), seed=2)


def config() -> TrainConfig:
    return TrainConfig(
        calibration={"n_iter": 15}, model=CompetenceConfig(booster=BoosterConfig(n_estimators=80))
    )


def test_evaluation_report(world) -> None:  # type: ignore[no-untyped-def]
    evaluation, parts = evaluate_competence(world.snapshot(), config(), world.truth)
    r = evaluation.report
    for name in (
        "model",
        "rating_points",
        "n_achievements",
        "mean_percentile",
        "last_result",
        "ability",
    ):
        assert -1 <= r[f"all.spearman_label.{name}"] <= 1
        assert -1 <= r[f"all.spearman_next_performance.{name}"] <= 1
    assert r["all.spearman_label.model"] > r["all.spearman_label.n_achievements"]
    assert 0.75 <= r["all.coverage"] <= 0.97
    assert r["all.recovery_n5+.model"] > 0.6
    assert len(parts) >= 2 and evaluation.eval_cutoff == parts[-1].cutoff
    # predictive intervals of the next year's results: fitted on half of the held-out year's
    # participants, checked on the other half (measured here: 0.88-0.91 in every bucket, 25 to
    # 557 checked results per bucket)
    for bucket in ("0", "1", "2-4", "5+", "all"):
        assert r[f"next_result.n.{bucket}"] >= 20, bucket
        assert 0.85 <= r[f"next_result.coverage.{bucket}"] <= 0.95, bucket
    assert evaluation.next_result is not None
    assert set(evaluation.next_result.directions) == set(evaluation.model.directions_)


def test_training_saves_a_bundle_and_logs_a_run(
    world,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow

    from core.settings import default_tracking_uri

    # the default store: under TALENT_DATA_DIR, nothing in the working folder
    data, work = tmp_path / "data", tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("TALENT_DATA_DIR", str(data))
    monkeypatch.chdir(work)
    uri = default_tracking_uri(data)
    path, evaluation = train_competence(world.snapshot(), config(), tmp_path / "bundles")
    assert (data / "mlruns" / "mlflow.db").is_file() and list(work.iterdir()) == []
    bundle = CompetenceBundle.load(path)
    assert bundle.meta["snapshot_id"] == "in-memory" and bundle.stats.as_of == world.as_of
    assert bundle.next_result == evaluation.next_result
    assert (tmp_path / "bundles" / "latest.txt").read_text().strip() == path.name
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["competence"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["tags.snapshot_id"] == "in-memory"
    assert run["metrics.all.spearman_label.model"] == pytest.approx(
        evaluation.report["all.spearman_label.model"]
    )
    client = mlflow.MlflowClient()
    names = {a.path for a in client.list_artifacts(run["run_id"])}
    assert {"feature_schema.json", "report.json", "plots", "bundle"} <= names
    artifacts = data.resolve() / "mlruns" / "artifacts" / "competence" / run["run_id"]
    assert (artifacts / "artifacts" / "report.json").is_file()


def _fast() -> TrainConfig:
    return TrainConfig(
        calibration={"n_iter": 8}, model=CompetenceConfig(booster=BoosterConfig(n_estimators=30))
    )


def test_configured_direction_without_data_is_skipped_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (issue 15): ``prediction_report`` raised IndexError when a configured direction
    had no labelled rows (a mask over all directions applied to fewer predictions). Here drones
    is in the snapshot's directions (ingested into the store), and no activity counts for it."""
    world = make_world(
        n_participants=500, seasons=(2022, 2023, 2024, 2025), seed=2, extra_directions=("drones",)
    )
    assert world.snapshot().direction_codes()[-1] == "drones"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    path, evaluation = train_competence(world.snapshot(), _fast(), tmp_path / "b", world.truth)
    r = evaluation.report
    assert r["drones.skipped"] == 1.0 and "drones.n_labelled" not in r
    assert set(evaluation.predictions["direction"]) == {"python", "robotics", "engineering"}
    assert len(evaluation.features) == len(evaluation.predictions) == 3 * 500
    assert r["all.spearman_label.model"] > 0.3
    bundle = CompetenceBundle.load(path)
    snap = world.snapshot()
    est = bundle.estimate(snap.achievements, snap.participants, world.as_of)
    assert set(est["direction"]) == {"python", "robotics", "engineering"}


def test_fourth_direction_with_data_is_trained_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fourth direction that reached the store as data (no settings file) is trained."""
    codes = ("python", "robotics", "engineering", "drones")
    world = make_world(n_participants=500, seasons=(2022, 2023, 2024, 2025), seed=2, codes=codes)
    evaluation, _ = evaluate_competence(world.snapshot(), _fast(), world.truth)
    r = evaluation.report
    assert not any(k.endswith(".skipped") for k in r)
    assert r["drones.n_labelled"] > 100
    assert r["drones.spearman_label.model"] > 0.3
    assert set(evaluation.model.directions_) == set(codes)
