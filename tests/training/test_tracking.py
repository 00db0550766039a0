"""Where MLflow writes: under ``TALENT_DATA_DIR`` unless ``MLFLOW_TRACKING_URI`` says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import default_tracking_uri
from training.tracking import CLASSIC_ML, EXPERIMENT_KIND_TAG, competence_run, tracking_uri


def test_the_local_store_and_its_artifacts_live_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("TALENT_DATA_DIR", str(data))
    assert tracking_uri() == default_tracking_uri(data) == f"sqlite:///{data}/mlruns/mlflow.db"
    with competence_run("a b/c", run_name="r") as run:
        mlflow.log_text("hello", "note.txt")
        mlflow.log_metric("m", 1.0)
    assert (data / "mlruns" / "mlflow.db").is_file()
    artifact = Path(mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/note.txt"))
    assert artifact.read_text() == "hello"
    logged = data / "mlruns" / "artifacts" / "a_b_c" / run.info.run_id / "artifacts" / "note.txt"
    assert logged.read_text() == "hello"
    experiment = mlflow.get_experiment_by_name("a b/c")
    assert experiment is not None and experiment.tags[EXPERIMENT_KIND_TAG] == CLASSIC_ML
    assert list(work.iterdir()) == []  # nothing in the working folder (no ./mlruns)
    with competence_run("a b/c", run_name="again"):  # the experiment exists: reused
        pass


def test_a_tracking_uri_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert tracking_uri() == "sqlite:///elsewhere.db"
    assert not (tmp_path / "data").exists()
