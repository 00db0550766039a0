"""Goals name the competence bands of the bands data file and the rating's diplomas."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from models.competence.config import load_bands
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma
from models.recommend.planner import DIPLOMAS, Goal, goal_bands


def test_every_band_of_the_bands_file_is_a_goal_at_its_lower_bound() -> None:
    bands = load_bands().band
    assert list(goal_bands()) == [b.code for b in bands]
    for band in bands:
        assert Goal.parse(f"python:{band.code}") == Goal(direction="python", competence=band.lower)


def test_unknown_level_lists_the_bands_and_diplomas() -> None:
    with pytest.raises(ConfigError) as err:
        Goal.parse("python:genius")
    text = str(err.value)
    assert all(b.code in text for b in load_bands().band)
    assert "prize_winner" in text and "winner" in text


def test_diploma_goals_are_the_rating_s_diplomas_but_none() -> None:
    assert set(DIPLOMAS) == {d.value for d in Diploma} - {Diploma.NONE.value}
    for diploma in DIPLOMAS:
        goal = Goal.parse(f"robotics:{diploma}")
        assert goal.diploma == diploma and goal.competence is None
        assert DIPLOMA_TEXT_RU[Diploma(diploma)] in goal.target_ru()
    with pytest.raises(ConfigError):
        Goal.parse(f"robotics:{Diploma.NONE.value}")
    with pytest.raises(ValueError, match="diploma"):
        Goal(direction="robotics", diploma=Diploma.NONE.value)


def test_competence_target_text() -> None:
    assert Goal.parse("python:70").target_ru() == "компетенции 70 из 100"
