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
    # these worlds test the pipeline and the champion-vs-challenger mechanics (re-evaluation,
    # export); the baseline half of the gate is tested on known figures in test_registry.py,
    # so it is left out here, where whether a 700-participant model beats a baseline is chance
    data["promotion"]["gated"] = [
        {k: v for k, v in g.items() if k != "baselines"} for g in data["promotion"]["gated"]
    ]
    for key, value in overrides.items():
        data[key] = value
    return parse_pipeline_config(data, "tiny")


def promotable_config(bundle_dir: Path, world_seed: int = 3, **overrides: Any) -> PipelineConfig:
    """The tiny config gating both registered models: the competence model on its Spearman, the
    served recommender (``popular``, the first final model) on its own NDCG of the split."""
    cfg = tiny_config(bundle_dir, **overrides)
    world = cfg.snapshot.simulate
    assert world is not None
    gated = [g.model_dump() for g in cfg.promotion.gated]
    gated.append({"name": "recommend.popular.ndcg@10", "model": cfg.promotion.recommend_model})
    return cfg.model_copy(
        update={
            "snapshot": cfg.snapshot.model_copy(
                update={"simulate": world.model_copy(update={"seed": world_seed})}
            ),
            "promotion": cfg.promotion.model_validate(
                cfg.promotion.model_dump() | {"gated": gated}
            ),
        }
    )


def write_config(cfg: PipelineConfig, path: Path) -> Path:
    """The config as the TOML file ``talent ... --config`` reads."""
    from training.config import config_dict, dump_toml

    path.write_text(dump_toml(config_dict(cfg)), "utf-8")
    return path
