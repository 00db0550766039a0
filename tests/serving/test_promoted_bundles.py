"""Serving loads what ``talent promote`` exports: the competence and recommender champions from
their folders (``latest.txt`` + bundle + ``.sha256``), through serving's own loaders and smoke
checks. The test trains and promotes with the training package; serving's code never imports it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from serving.bundles import FileSource, ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics
from serving.model_slots import COMPETENCE, RECOMMEND, configure_models, recommend_bundle
from tests.training.pipeline_world import promotable_config, write_config


def test_service_loads_the_promoted_competence_model_and_recommender(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from training.pipeline import run_pipeline
    from training.registry import CHAMPION, version_info

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(uri)
    cfg = promotable_config(tmp_path / "bundles")
    run_pipeline(cfg)
    result = CliRunner().invoke(
        app, ["promote", "--config", str(write_config(cfg, tmp_path / "c.toml"))]
    )
    assert result.exit_code == 0, result.output

    models = tmp_path / "data" / "models"
    settings = ServingSettings(
        competence_bundle=models / "competence", recommend_bundle=models / "recommend"
    )
    registry = ModelRegistry()
    configure_models(registry, settings, Metrics())
    assert registry.load_all() == {}
    assert registry.not_ready() == []
    served = recommend_bundle(registry)
    assert served is not None
    champion = version_info(cfg.promotion.recommend_model, CHAMPION)
    assert champion is not None
    # the served recommender is the registered champion, byte for byte (checked on load against
    # the exported sidecar), and it passed serving's smoke check (load_all refused nothing)
    assert served.sha256 == champion.sha256
    assert FileSource(models / "recommend").resolve().sha256 == champion.sha256
    assert served.version.startswith("popular@")
    status = {s["kind"]: s for s in registry.status()}
    assert status[COMPETENCE]["loaded"] and status[RECOMMEND]["loaded"]
