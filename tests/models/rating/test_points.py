"""Points of one achievement, computed by hand: base x level x result x quality x list_bonus."""

from __future__ import annotations

import numpy as np
import pytest

from models.rating.engine import rate
from models.rating.points import score_percentile
from models.rating.rules import RatingRules

from .conftest import SEASON, World


def points_of(world: World, rules: RatingRules, direction: str = "python") -> dict[str, float]:
    """achievement_id -> points (before selection) in ``direction``."""
    result = rate(world.snapshot(), SEASON, rules)
    out = {}
    for pid in world.participants:
        for c in result.explain(pid, direction).contributions:
            assert c.achievement_id is not None
            out[c.achievement_id] = c.points
    return out


@pytest.mark.parametrize(
    ("kind", "level", "result", "expected"),
    [
        ("olympiad_final", "national", "winner", 40.0),
        ("olympiad_final", "international", "prize_winner", 40 * 1.2 * 0.7),
        ("olympiad_stage_team", "regional", "finalist", 20 * 0.7 * 0.45),
        ("olympiad_stage_individual", "school", "participant", 10 * 0.4 * 0.2),
        ("hackathon", "municipal", "winner", 20 * 0.55),
        ("competition", "national", "prize_winner", 20 * 0.7),
        ("project_contest", "regional", "winner", 20 * 0.7),
        ("project_school", "national", "participant", 15 * 0.2),
        ("online_course", "national", "completed", 8.0),
        ("test", "regional", "completed", 5 * 0.7),
    ],
)
def test_base_level_result(
    world: World, rules: RatingRules, kind: str, level: str, result: str, expected: float
) -> None:
    world.activity("a", kind=kind, level=level)
    world.achievement("p1", "a", result, ach_id="x")
    assert points_of(world, rules)["x"] == pytest.approx(expected)


def test_completed_outside_courses_and_tests_scores_as_participant(
    world: World, rules: RatingRules
) -> None:
    world.activity("h", kind="hackathon")
    world.achievement("p1", "h", "completed", ach_id="x")
    assert points_of(world, rules)["x"] == pytest.approx(20 * 0.2)


def test_not_completed_gives_nothing_and_says_why(world: World, rules: RatingRules) -> None:
    world.activity("c", kind="online_course")
    world.achievement("p1", "c", "not_completed", ach_id="x")
    exp = rate(world.snapshot(), SEASON, rules).explain("p1", "python")
    (c,) = exp.contributions
    assert c.points == 0 and not c.counted
    assert c.reason is not None and c.reason.code == "no_points"
    assert "не завершил" in c.reason.text_ru
    assert not exp.rated


def test_list_bonus_by_list_level(world: World, rules: RatingRules) -> None:
    world.activity("f1", kind="olympiad_final", list_level=1)
    world.activity("f2", kind="olympiad_final", list_level=2, directions={"robotics": 1.0})
    world.activity("f3", kind="olympiad_final", list_level=3, directions={"engineering": 1.0})
    world.achievement("p1", "f1", "winner", ach_id="one")
    world.achievement("p1", "f2", "winner", ach_id="two")
    world.achievement("p1", "f3", "winner", ach_id="three")
    assert points_of(world, rules, "python")["one"] == pytest.approx(48.0)
    assert points_of(world, rules, "robotics")["two"] == pytest.approx(44.0)
    assert points_of(world, rules, "engineering")["three"] == pytest.approx(40.0)


def test_quality_from_percentile_within_activity(world: World, rules: RatingRules) -> None:
    # a national hackathon scored out of 100; five participants, distinct scores
    world.activity("h", kind="hackathon", max_score=100)
    for i, score in enumerate([10, 20, 30, 40, 50]):
        world.achievement(f"p{i}", "h", "participant", score=score, ach_id=f"s{score}")
    pts = points_of(world, rules)
    # p = (#others below) / 4 -> quality 0.5 + 0.5 p; points 20 x 1 x 0.2 x quality
    for score, p in [(10, 0.0), (20, 0.25), (30, 0.5), (40, 0.75), (50, 1.0)]:
        assert pts[f"s{score}"] == pytest.approx(4.0 * (0.5 + 0.5 * p))


def test_ties_count_one_half(world: World, rules: RatingRules) -> None:
    world.activity("h", kind="competition")
    world.achievement("a", "h", "winner", score=10, ach_id="a")
    world.achievement("b", "h", "winner", score=10, ach_id="b")
    world.achievement("c", "h", "winner", score=30, ach_id="c")
    pts = points_of(world, rules)
    # for a: others b (tie, 1/2) and c (above): p = 0.5 / 2 = 0.25 -> quality 0.625
    assert pts["a"] == pytest.approx(20 * 0.625)
    assert pts["b"] == pytest.approx(20 * 0.625)
    assert pts["c"] == pytest.approx(20.0)


def test_percentile_ignores_own_other_records_and_ineligible_ones(
    world: World, rules: RatingRules
) -> None:
    world.activity("h", kind="competition")
    world.achievement("a", "h", "participant", score=10, ach_id="a_low")
    world.achievement("a", "h", "winner", score=40, ach_id="a_high")
    world.achievement("b", "h", "winner", score=20, status="rejected", ach_id="b")
    world.participant("u", verified=False)
    world.achievement("u", "h", "winner", score=30, ach_id="u")
    world.achievement("s", "h", "winner", score=35, at="2025-07-10", ach_id="summer")
    pts = points_of(world, rules)
    # nobody else is eligible (rejected, unverified account, summer): a is alone, p = 1
    assert pts["a_low"] == pytest.approx(20 * 0.2 * 1.0)
    assert pts["a_high"] == pytest.approx(20 * 1.0 * 1.0)
    # an ineligible record is scored against the eligible others, for its explanation: b's 20 is
    # below a's best 40, so p = 0
    assert pts["b"] == pytest.approx(20 * 1.0 * 0.5)


def test_score_over_max_for_tests_and_courses(world: World, rules: RatingRules) -> None:
    world.activity("t", kind="test", level="regional", max_score=50)
    world.activity("c", kind="online_course", max_score=200)
    world.achievement("p1", "t", "completed", score=40, ach_id="t")
    world.achievement("p1", "c", "completed", score=50, ach_id="c")
    # a lone participant would get percentile 1; the ratio is used instead
    pts = points_of(world, rules)
    assert pts["t"] == pytest.approx(5 * 0.7 * 1.0 * (0.5 + 0.5 * 0.8))
    assert pts["c"] == pytest.approx(8 * 1.0 * 1.0 * (0.5 + 0.5 * 0.25))


def test_quality_is_one_without_scores(world: World, rules: RatingRules) -> None:
    world.activity("h", kind="hackathon", level="regional")
    world.achievement("p1", "h", "prize_winner", ach_id="x")
    world.achievement("p2", "h", "winner", ach_id="y")
    pts = points_of(world, rules)
    assert pts["x"] == pytest.approx(20 * 0.7 * 0.7)
    assert pts["y"] == pytest.approx(20 * 0.7)


def test_score_percentile_arrays() -> None:
    act = np.array([0, 0, 0, 1])
    pid = np.array([0, 1, 2, 0])
    score = np.array([1.0, 2.0, np.nan, 5.0])
    p = score_percentile(act, pid, score, act, pid, score)
    assert p[0] == 0.0 and p[1] == 1.0
    assert np.isnan(p[2])
    assert p[3] == 1.0  # alone in activity 1
