"""A tiny pipeline config shared by the training pipeline tests (about ten seconds a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.config import PipelineConfig, parse_pipeline_config

SMALL = Path(__file__).resolve().parents[2] / "training" / "configs" / "small.toml"


def tiny_config(bundle_dir: Path, **overrides: Any) -> PipelineConfig:
    """small.toml shrunk further: 700 participants, 20 boosting rounds, two recommenders."""
    import tomllib

    data = tomllib.loads(SMALL.read_text("utf-8"))
    data["bundle_dir"] = str(bundle_dir)
    data["snapshot"]["simulate"]["participants"] = 700
    data["competence"]["model"]["booster"]["n_estimators"] = 20
    data["recommend"]["split"]["models"] = ["popular", "ease"]
    data["promotion"]["gated"] = [g for g in data["promotion"]["gated"]
                                  if not g["name"].startswith("recommend.rerank")]
    for key, value in overrides.items():
        data[key] = value
    return parse_pipeline_config(data, "tiny")
