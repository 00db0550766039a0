"""Where MLflow writes: under ``TALENT_DATA_DIR`` unless ``MLFLOW_TRACKING_URI`` says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import default_tracking_uri
from training.tracking import default_root, tracking_uri


def test_the_default_store_is_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's database and artifacts landing there is checked on a real run by
    ``tests/training/competence/test_train.py::test_training_saves_a_bundle_and_logs_a_run``
    (a new MLflow store takes seconds to create, so it is made once)."""
    data = tmp_path / "data"
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("TALENT_DATA_DIR", str(data))
    assert tracking_uri() == default_tracking_uri(data) == f"sqlite:///{data}/mlruns/mlflow.db"
    assert (data / "mlruns").is_dir()
    assert default_root() == data / "mlruns"
    # MLflow sets the variable to the URI it was given: still the local store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", default_tracking_uri(data))
    assert default_root() == data / "mlruns"


def test_a_tracking_uri_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert tracking_uri() == "sqlite:///elsewhere.db"
    assert default_root() is None  # MLflow's own rules place the artifacts
    assert not (tmp_path / "data").exists()
