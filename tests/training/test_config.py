"""Pipeline configs: the shipped files validate, errors name the field, TOML round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from training.config import (
    config_dict,
    dump_toml,
    load_pipeline_config,
    parse_pipeline_config,
)

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"


@pytest.mark.parametrize("name", ["default.toml", "small.toml", "tune-recommend.toml"])
def test_shipped_configs_validate(name: str) -> None:
    cfg = load_pipeline_config(CONFIGS / name)
    assert cfg.promotion.gated and cfg.tuning.space


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"competence\.model\.booster\.n_estimatorz"):
        parse_pipeline_config(
            {
                "snapshot": {"simulate": {"participants": 500}},
                "competence": {"model": {"booster": {"n_estimatorz": 5}}},
            }
        )


def test_bad_value_is_named() -> None:
    with pytest.raises(ConfigError, match=r"competence\.window_days"):
        parse_pipeline_config({"snapshot": {"simulate": {}}, "competence": {"window_days": 1}})


def test_exactly_one_snapshot_source() -> None:
    with pytest.raises(ConfigError, match="exactly one of"):
        parse_pipeline_config({"snapshot": {"path": "x", "simulate": {}}})
    with pytest.raises(ConfigError, match=r"snapshot\.as_of applies to snapshot\.store only"):
        parse_pipeline_config({"snapshot": {"simulate": {}, "as_of": "2026-06-15T00:00:00"}})
    today = parse_pipeline_config({"snapshot": {"store": "default"}}).snapshot.instant()
    assert (today.hour, today.minute, today.tzinfo) == (0, 0, None)


def test_search_space_must_be_tunable() -> None:
    with pytest.raises(ConfigError, match="tuning"):
        parse_pipeline_config(
            {
                "snapshot": {"simulate": {}},
                "tuning": {"space": {"seed": {"type": "int", "low": 0, "high": 3}}},
            }
        )


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_pipeline_config(bad)


def test_dump_round_trips(tmp_path: Path) -> None:
    cfg = load_pipeline_config(CONFIGS / "small.toml")
    path = tmp_path / "again.toml"
    path.write_text(dump_toml(config_dict(cfg)), "utf-8")
    assert load_pipeline_config(path) == cfg


# --- the recommenders' sections ---------------------------------------------------------------


def test_model_sections_are_validated_by_the_registry(tmp_path: Path) -> None:
    from models.recommend.als import ALSConfig
    from models.recommend.popular import PopularConfig
    from models.recommend.rerank import RerankConfig

    cfg = parse_pipeline_config(
        {
            "snapshot": {"simulate": {}},
            "recommend": {
                "models": {
                    "rerank": {"n_estimators": 30, "als": {"factors": 8}},
                    "popular_direction": {},
                }
            },
        }
    )
    rerank = cfg.recommend.settings_of("rerank")
    assert isinstance(rerank, RerankConfig)
    assert (rerank.n_estimators, rerank.als.factors, rerank.num_leaves) == (30, 8, 31)
    # the variant's preset is applied; a model without a section gets its defaults
    assert cfg.recommend.settings_of("popular_direction") == PopularConfig(mode="direction")
    assert cfg.recommend.settings_of("als") == ALSConfig()
    # the sections survive a dump and a reload
    path = tmp_path / "again.toml"
    path.write_text(dump_toml(config_dict(cfg)), "utf-8")
    assert "[recommend.models.rerank]" in path.read_text("utf-8")
    assert load_pipeline_config(path) == cfg


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (
            {"nope": {}},
            r"recommend\.models.*no recommender is registered as 'nope'; registered: "
            r"popular, ",
        ),
        (
            {"rerank": {"num_leaves": 1}},
            r"recommend\.models.*rerank\.num_leaves: Input should be "
            r"greater than or equal to 2",
        ),
        ({"als": {"factorz": 3}}, r"als\.factorz: Extra inputs are not permitted"),
        (
            {"popular_direction": {"mode": "overall"}},
            r"popular_direction\.mode is 'direction' for this model",
        ),
    ],
)
def test_a_bad_model_section_is_named(models: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_pipeline_config({"snapshot": {"simulate": {}}, "recommend": {"models": models}})


def test_unregistered_names_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown recommender 'x'; registered: popular"):
        parse_pipeline_config({"snapshot": {"simulate": {}}, "recommend": {"final_models": ["x"]}})
    with pytest.raises(
        ConfigError,
        match=r"recommend\.split\.models.*'ease_recency' weighs an "
        r"interaction log's rows",
    ):
        parse_pipeline_config(
            {
                "snapshot": {"simulate": {}},
                "recommend": {"split": {"models": ["popular", "ease_recency"]}},
            }
        )


def test_an_old_config_with_model_settings_in_the_split_is_read() -> None:
    """Configs written before 2026-12-03 kept [recommend.split.rerank] (and als, ease) and
    named the re-ranker's search keys by it: both are moved to [recommend.models]."""
    old = parse_pipeline_config(
        {
            "snapshot": {"simulate": {}},
            "recommend": {
                "split": {"k": 10, "rerank": {"n_estimators": 30}, "ease": {"regularization": 90.0}}
            },
            "tuning": {
                "metric": "recommend.rerank.ndcg@10",
                "space": {
                    "recommend.split.rerank.num_leaves": {"type": "int", "low": 3, "high": 9}
                },
            },
        }
    )
    new = parse_pipeline_config(
        {
            "snapshot": {"simulate": {}},
            "recommend": {
                "split": {"k": 10},
                "models": {"rerank": {"n_estimators": 30}, "ease": {"regularization": 90.0}},
            },
            "tuning": {
                "metric": "recommend.rerank.ndcg@10",
                "space": {
                    "recommend.models.rerank.num_leaves": {"type": "int", "low": 3, "high": 9}
                },
            },
        }
    )
    assert old == new
    with pytest.raises(ConfigError, match=r"\['rerank'\] set both in \[recommend\.split\]"):
        parse_pipeline_config(
            {
                "snapshot": {"simulate": {}},
                "recommend": {"split": {"rerank": {}}, "models": {"rerank": {"n_estimators": 3}}},
            }
        )


def test_the_split_holds_no_model_settings() -> None:
    from training.recommend.evaluate import SimSplitConfig

    with pytest.raises(ValueError, match=r"\[recommend\.models\.als\]"):
        SimSplitConfig.model_validate({"als": {"factors": 8}})
    from training.recommend.evaluate import build_model

    with pytest.raises(TypeError, match=r"not a SimSplitConfig"):
        build_model("als", SimSplitConfig())  # type: ignore[arg-type]
    assert build_model("als", {"als": {"factors": 8}}).config.factors == 8  # type: ignore[attr-defined]
