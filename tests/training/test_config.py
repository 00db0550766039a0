"""Pipeline configs: the shipped files validate, errors name the field, TOML round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from footprint.errors import ConfigError
from training.config import (
    config_dict,
    dump_toml,
    load_pipeline_config,
    parse_pipeline_config,
)

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"


@pytest.mark.parametrize("name", ["default.toml", "small.toml"])
def test_shipped_configs_validate(name: str) -> None:
    cfg = load_pipeline_config(CONFIGS / name)
    assert cfg.promotion.gated and cfg.tuning.space


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"competence\.model\.booster\.n_estimatorz"):
        parse_pipeline_config({"snapshot": {"simulate": {"participants": 500}},
                               "competence": {"model": {"booster": {"n_estimatorz": 5}}}})


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
        parse_pipeline_config({"snapshot": {"simulate": {}}, "tuning": {"space": {
            "seed": {"type": "int", "low": 0, "high": 3}}}})


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
