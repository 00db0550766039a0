"""Rules as data: the shipped proposal validates, bad files are refused with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from footprint.enums import ActivityKind, Level, Result
from models.rating.rules import RatingRules, load_rules, parse_rules

DEFAULT = Path(__file__).parents[3] / "models" / "rating" / "rulesets" / "rules-default.toml"


def test_default_rules_carry_the_issue_numbers(rules: RatingRules) -> None:
    assert rules.version == "proposal-2025.1"
    assert rules.season == "*"
    base = rules.points.base
    assert base[ActivityKind.OLYMPIAD_FINAL] == 40
    assert base[ActivityKind.OLYMPIAD_STAGE_TEAM] == 20
    assert base[ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL] == 10
    assert base[ActivityKind.PROJECT_SCHOOL] == 15
    assert base[ActivityKind.ONLINE_COURSE] == 8
    assert base[ActivityKind.TEST] == 5
    assert rules.points.level[Level.MUNICIPAL] == 0.55
    assert rules.points.level[Level.INTERNATIONAL] == 1.2
    assert rules.points.result[Result.FINALIST] == 0.45
    assert rules.points.result[Result.NOT_COMPLETED] == 0.0
    assert rules.points.list_bonus.by_level() == {1: 1.2, 2: 1.1, 3: 1.0}
    assert rules.caps == {
        ActivityKind.ONLINE_COURSE: 3,
        ActivityKind.TEST: 3,
        ActivityKind.HACKATHON: 4,
    }
    assert rules.selection.best_n == 8
    assert rules.normalisation.reference_percentile == 99
    d = rules.diplomas
    assert (d.winner_share, d.winner_min_score) == (0.05, 60)
    assert (d.prize_winner_share, d.prize_winner_min_score) == (0.15, 40)


def test_rules_cover_any_season_or_their_own() -> None:
    text = DEFAULT.read_text("utf-8").replace('season = "*"', 'season = "2025/26"')
    rules = parse_rules(text)
    assert rules.covers("2025/26")
    assert not rules.covers("2024/25")


def test_load_rules_refuses_rules_of_another_season(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(DEFAULT.read_text("utf-8").replace('season = "*"', 'season = "2024/25"'))
    assert load_rules(path, season="2024/25").season == "2024/25"
    with pytest.raises(ConfigError, match="for season 2024/25, not 2025/26"):
        load_rules(path, season="2025/26")


def test_unknown_keys_are_refused() -> None:
    text = DEFAULT.read_text("utf-8").replace("[caps]", "[caps]\nmystery = 1\nbogus_kind = 2")
    with pytest.raises(ConfigError, match="caps"):
        parse_rules(text, "x.toml")
    with pytest.raises(ConfigError, match="surprise: Extra inputs"):
        parse_rules(DEFAULT.read_text("utf-8") + "\nsurprise = 1\n")


def test_missing_factor_is_named() -> None:
    text = DEFAULT.read_text("utf-8").replace("test = 5\n", "", 1)
    with pytest.raises(ConfigError, match=r"points.base.*\['test'\]"):
        parse_rules(text)


def test_bad_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="winner_share"):
        parse_rules(DEFAULT.read_text("utf-8").replace("winner_share = 0.05", "winner_share = 1.5"))
    with pytest.raises(ConfigError, match="season"):
        parse_rules(DEFAULT.read_text("utf-8").replace('season = "*"', 'season = "2025"'))
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_rules("version = ")


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "nope.toml")


def test_rules_round_trip_through_their_config() -> None:
    rules = load_rules()
    assert RatingRules.model_validate(rules.model_dump()) == rules
