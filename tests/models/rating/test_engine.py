"""Every rule of the engine on tiny hand-written footprints whose answers are computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from footprint.columns import Columns as C
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult, UnknownParticipantError, rate
from models.rating.explain import RatingExplanation
from models.rating.ranking import rank_directions
from models.rating.rules import RatingRules

from .conftest import SEASON, World


def row(result: RatingResult, pid: str, direction: str = "python") -> pd.Series:
    t = result.table
    hit = t[(t[C.PARTICIPANT_ID] == pid) & (t[C.DIRECTION] == direction)]
    assert len(hit) == 1, f"{pid} not rated in {direction}"
    return hit.iloc[0]


def reasons(exp: RatingExplanation) -> dict[str, str | None]:
    return {
        str(c.achievement_id): (None if c.reason is None else c.reason.code.value)
        for c in exp.contributions
    }


def raw(result: RatingResult, pid: str, direction: str = "python") -> float:
    return float(row(result, pid, direction)[RC.RAW_POINTS])


# --- eligibility ------------------------------------------------------------------------------


def test_unverified_account_only_in_provisional_view(world: World, rules: RatingRules) -> None:
    world.participant("anon", verified=False)
    world.activity("f", kind="olympiad_final")
    world.achievement("anon", "f", "winner", ach_id="x")
    world.achievement("ok", "f", "finalist", ach_id="y")
    snap = world.snapshot()
    official = rate(snap, SEASON, rules)
    assert list(official.table[C.PARTICIPANT_ID]) == ["ok"]
    exp = official.explain("anon", "python")
    assert not exp.rated and exp.place is None
    assert exp.not_rated_reason is not None
    assert exp.not_rated_reason.code == "account_unverified"
    assert reasons(exp) == {"x": "account_unverified"}
    provisional = rate(snap, SEASON, rules, provisional=True)
    assert raw(provisional, "anon") == pytest.approx(40.0)
    assert bool(row(provisional, "anon")[RC.PROVISIONAL]) is True
    assert provisional.explain("anon", "python").view == "provisional"


def test_only_verified_achievements_count(world: World, rules: RatingRules) -> None:
    world.activity("a", kind="competition")
    world.activity("b", kind="competition")
    world.activity("c", kind="competition")
    world.achievement("p", "a", "winner", status="verified", ach_id="v")
    world.achievement("p", "b", "winner", status="pending", ach_id="pe")
    world.achievement("p", "c", "winner", status="rejected", ach_id="r")
    snap = world.snapshot()
    official = rate(snap, SEASON, rules)
    assert raw(official, "p") == pytest.approx(20.0)
    assert reasons(official.explain("p", "python")) == {
        "v": None,
        "pe": "unverified",
        "r": "rejected",
    }
    provisional = rate(snap, SEASON, rules, provisional=True)
    assert raw(provisional, "p") == pytest.approx(40.0)
    assert reasons(provisional.explain("p", "python"))["r"] == "rejected"


def test_season_is_1_september_to_31_may(world: World, rules: RatingRules) -> None:
    for i in range(5):
        world.activity(f"a{i}", kind="competition")
    world.achievement("p", "a0", at="2025-05-31", ach_id="last_season")
    # the store keeps UTC; the season's edges are midnights in Moscow (UTC+3)
    world.achievement("p", "a1", at="2025-08-31T20:59:59", ach_id="summer_before")
    world.achievement("p", "a2", at="2025-08-31T21:00:00", ach_id="first_day")
    world.achievement("p", "a3", at="2026-05-31T20:59:59", ach_id="last_day")
    world.achievement("p", "a4", at="2026-05-31T21:00:00", ach_id="next_summer")
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "p") == pytest.approx(40.0)
    assert reasons(result.explain("p", "python")) == {
        "first_day": None,
        "last_day": None,
        "summer_before": "out_of_season",
    }
    assert (
        result.explain("p", "python")
        .contributions[-1]
        .reason.text_ru.startswith(  # type: ignore[union-attr]
            "Дата достижения вне сезона 2025/26"
        )
    )


# --- dedupe -----------------------------------------------------------------------------------


def test_several_roles_in_one_activity_the_best(world: World, rules: RatingRules) -> None:
    world.activity("h", kind="hackathon")
    world.achievement("p", "h", "participant", ach_id="low")
    world.achievement("p", "h", "winner", ach_id="high")
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "p") == pytest.approx(20.0)
    assert reasons(result.explain("p", "python")) == {"high": None, "low": "duplicate_role"}


def chain_world(world: World) -> World:
    # individual stage -> team stage -> final, plus a parallel individual stage into the team stage
    world.activity("s1", kind="olympiad_stage_individual")
    world.activity("s1b", kind="olympiad_stage_individual")
    world.activity("s2", kind="olympiad_stage_team")
    world.activity("fin", kind="olympiad_final")
    world.edge("s1", "s2")
    world.edge("s1b", "s2")
    world.edge("s2", "fin")
    world.activity("other", kind="olympiad_stage_individual")  # not in the chain
    return world


def test_chain_keeps_the_furthest_stage(world: World, rules: RatingRules) -> None:
    chain_world(world)
    world.achievement("a", "s1", "winner", ach_id="a1")  # 10
    world.achievement("a", "s2", "finalist", ach_id="a2")  # 9
    world.achievement("a", "fin", "prize_winner", ach_id="a3")  # 28
    world.achievement("a", "other", "winner", ach_id="a4")  # 10, another olympiad
    world.achievement("b", "s1", "winner", ach_id="b1")  # 10
    world.achievement("b", "s1b", "prize_winner", ach_id="b2")  # 7, same depth
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "a") == pytest.approx(28.0 + 10.0)
    assert reasons(result.explain("a", "python")) == {
        "a3": None,
        "a4": None,
        "a1": "superseded_by_later_stage",
        "a2": "superseded_by_later_stage",
    }
    assert raw(result, "b") == pytest.approx(10.0)
    assert reasons(result.explain("b", "python")) == {"b1": None, "b2": "same_stage_in_chain"}


def test_furthest_stage_is_floored_at_the_best_earlier_stage(
    world: World, rules: RatingRules
) -> None:
    chain_world(world)
    world.achievement("p", "s1", "winner", ach_id="stage")  # 10
    world.achievement("p", "fin", "participant", ach_id="final")  # 40 x 0.2 = 8
    snap = world.snapshot()
    result = rate(snap, SEASON, rules)
    assert raw(result, "p") == pytest.approx(10.0)
    final = next(
        c for c in result.explain("p", "python").contributions if c.achievement_id == "final"
    )
    assert final.counted and final.points == 8.0 and final.credited_points == 10.0
    assert [n.code for n in final.notes] == ["raised_to_earlier_stage"]
    assert final.notes[0].params["from_achievement_id"] == "stage"
    # the literal rule without the floor: the final's 8 points replace the stage's 10
    literal = rules.model_copy(
        update={"chains": rules.chains.model_copy(update={"floor_at_earlier_stage": False})}
    )
    assert raw(rate(snap, SEASON, literal), "p") == pytest.approx(8.0)


def test_team_results_count_in_full_for_each_member(world: World, rules: RatingRules) -> None:
    world.activity("h", kind="hackathon", is_team=True)
    for member in ("m1", "m2", "m3"):
        world.achievement(member, "h", "winner", team="t1")
    world.achievement("solo", "h", "participant", team="t2")
    result = rate(world.snapshot(), SEASON, rules)
    for member in ("m1", "m2", "m3"):
        assert raw(result, member) == pytest.approx(20.0)
    assert raw(result, "solo") == pytest.approx(4.0)


def test_direction_weights(world: World, rules: RatingRules) -> None:
    world.activity("f", kind="olympiad_final", directions={"python": 0.7, "robotics": 0.3})
    world.achievement("p", "f", "winner")
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "p", "python") == pytest.approx(28.0)
    assert raw(result, "p", "robotics") == pytest.approx(12.0)
    assert ("p", "engineering") not in set(
        zip(result.table[C.PARTICIPANT_ID], result.table[C.DIRECTION], strict=True)
    )
    assert result.explain("p", "robotics").contributions[0].factors.direction_weight == 0.3


# --- caps and best 8 --------------------------------------------------------------------------


def test_caps_courses_tests_hackathons(world: World, rules: RatingRules) -> None:
    for i, score in enumerate([90, 80, 70, 60, 50]):
        world.activity(f"c{i}", kind="online_course", max_score=100)
        world.achievement("p", f"c{i}", "completed", score=score, ach_id=f"c{score}")
    for i in range(4):
        world.activity(f"t{i}", kind="test", level="regional")
        world.achievement("p", f"t{i}", "completed", ach_id=f"t{i}", at=f"2025-10-1{i}")
    for i in range(5):
        world.activity(f"h{i}", kind="hackathon", level="municipal", directions={"robotics": 1.0})
        world.achievement("p", f"h{i}", "winner", ach_id=f"h{i}", at=f"2025-11-1{i}")
    result = rate(world.snapshot(), SEASON, rules)
    # courses: 8 x (0.5 + 0.5 s/100) for the best 3 scores; tests: 3 x 3.5 (earliest 3 win ties)
    courses = 8 * (0.95 + 0.90 + 0.85)
    assert raw(result, "p", "python") == pytest.approx(courses + 3 * 3.5)
    why = reasons(result.explain("p", "python"))
    assert {k for k, v in why.items() if v == "capped"} == {"t3", "c60", "c50"}
    capped = next(
        c for c in result.explain("p", "python").contributions if c.achievement_id == "c50"
    )
    assert capped.reason is not None and capped.reason.params == {"cap": 3, "kind": "онлайн-курс"}
    assert "не более 3" in capped.reason.text_ru
    # hackathons: 4 of 5 at 20 x 0.55 = 11
    assert raw(result, "p", "robotics") == pytest.approx(44.0)
    assert reasons(result.explain("p", "robotics"))["h4"] == "capped"


def test_best_8(world: World, rules: RatingRules) -> None:
    combos = [
        ("national", "winner", 20.0),
        ("international", "winner", 24.0),
        ("regional", "winner", 14.0),
        ("municipal", "winner", 11.0),
        ("school", "winner", 8.0),
        ("national", "prize_winner", 14.0),
        ("international", "prize_winner", 16.8),
        ("regional", "prize_winner", 9.8),
        ("national", "finalist", 9.0),
        ("national", "participant", 4.0),
    ]
    for i, (level, result_value, _) in enumerate(combos):
        world.activity(f"k{i}", kind="competition", level=level)
        world.achievement("p", f"k{i}", result_value, ach_id=f"k{i}")
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "p") == pytest.approx(24 + 20 + 16.8 + 14 + 14 + 11 + 9.8 + 9)
    why = reasons(result.explain("p", "python"))
    assert {k for k, v in why.items() if v == "below_best_n"} == {"k4", "k9"}
    assert int(row(result, "p")[RC.N_COUNTED]) == 8


def test_caps_apply_before_best_8(world: World, rules: RatingRules) -> None:
    for i in range(6):
        world.activity(f"h{i}", kind="hackathon")
        world.achievement("p", f"h{i}", "winner", ach_id=f"h{i}", at=f"2025-10-1{i}")
        world.activity(f"k{i}", kind="competition")
        world.achievement("p", f"k{i}", "prize_winner", ach_id=f"k{i}", at=f"2025-11-1{i}")
    result = rate(world.snapshot(), SEASON, rules)
    assert raw(result, "p") == pytest.approx(4 * 20 + 4 * 14)
    why = reasons(result.explain("p", "python"))
    assert [why[f"h{i}"] for i in range(6)] == [None] * 4 + ["capped"] * 2
    assert [why[f"k{i}"] for i in range(6)] == [None] * 4 + ["below_best_n"] * 2


# --- normalisation, places, diplomas ----------------------------------------------------------


def test_normalised_score_and_both_quotas_end_to_end(world: World, rules: RatingRules) -> None:
    world.activity("k", kind="competition")
    for i in range(1, 21):
        world.achievement(f"p{i:02d}", "k", "winner", score=i)
    result = rate(world.snapshot(), SEASON, rules)
    r = {i: 20 * (0.5 + 0.5 * (i - 1) / 19) for i in range(1, 21)}
    r_ref = r[19] + 0.81 * (r[20] - r[19])  # 99th percentile of 20 values, linear
    assert float(result.thresholds[RC.R_REF].iloc[0]) == pytest.approx(r_ref)
    assert raw(result, "p01") == pytest.approx(10.0)
    assert float(row(result, "p01")[RC.SCORE]) == pytest.approx(100 * 10 / r_ref)
    assert float(row(result, "p20")[RC.SCORE]) == 100.0
    diplomas = dict(zip(result.table[C.PARTICIPANT_ID], result.table[RC.DIPLOMA], strict=True))
    # 5% of 20 = 1 winner; 15% of 20 = 3 prize-winners
    assert diplomas["p20"] == "winner"
    assert [diplomas[f"p{i}"] for i in (19, 18, 17)] == ["prize_winner"] * 3
    assert all(diplomas[f"p{i:02d}"] == "none" for i in range(1, 17))
    assert list(result.table[RC.PLACE]) == list(range(1, 21))
    assert result.table[C.PARTICIPANT_ID].iloc[0] == "p20"


def totals_frame(raw_points: list[float], ties: list[int] | None = None) -> pd.DataFrame:
    n = len(raw_points)
    return pd.DataFrame(
        {
            RC.PID: np.arange(n),
            RC.DIR: np.zeros(n, dtype=np.int64),
            RC.RAW_UNITS: np.rint(np.asarray(raw_points, dtype=np.float64) * 10_000).astype(
                np.int64
            ),
            RC.RAW_POINTS: raw_points,
            RC.N_COUNTED: np.ones(n, dtype=np.int64),
            RC.TIE_RESULTS: ties or [0] * n,
            RC.DECIDING_AT: np.zeros(n, dtype=np.int64),
        }
    )


def test_quotas_on_a_hundred(rules: RatingRules) -> None:
    table, thr = rank_directions(totals_frame([float(i) for i in range(1, 101)]), rules)
    assert thr[RC.R_REF].iloc[0] == pytest.approx(99.01)
    by_raw = dict(zip(table[RC.RAW_POINTS], table[RC.DIPLOMA], strict=True))
    assert [by_raw[r] for r in (100.0, 99.0, 98.0, 97.0, 96.0)] == ["winner"] * 5
    assert all(by_raw[float(r)] == "prize_winner" for r in range(81, 96))
    assert by_raw[80.0] == "none"
    assert (thr[RC.N_WINNERS].iloc[0], thr[RC.N_PRIZE_WINNERS].iloc[0]) == (5, 15)


def test_minimum_scores_and_tied_groups_never_exceed_quotas(rules: RatingRules) -> None:
    # one runaway leader; 99 tied at R = 10: R_ref = 10 + 0.01 x 990 = 19.9, S = 50.25
    table, thr = rank_directions(totals_frame([1000.0] + [10.0] * 99), rules)
    assert thr[RC.R_REF].iloc[0] == pytest.approx(19.9)
    assert table[RC.DIPLOMA].iloc[0] == "winner"
    # positions 2-5 would be winner slots, but S < 60; the 99-way tie cannot fit 15 prize places
    assert (table[RC.DIPLOMA].iloc[1:] == "none").all()
    assert (table[RC.PLACE].iloc[1:] == 2).all()
    # break the tie: the three with more national results take the first prize places
    ties = [0] + [3, 2, 2] + [0] * 96
    table, _ = rank_directions(totals_frame([1000.0] + [10.0] * 99, ties), rules)
    assert list(table[RC.PLACE].iloc[:5]) == [1, 2, 3, 3, 5]
    assert list(table[RC.DIPLOMA].iloc[:5]) == [
        "winner",
        "prize_winner",
        "prize_winner",
        "prize_winner",
        "none",
    ]


def test_ties_broken_by_national_results_then_earlier_deciding_date(
    world: World, rules: RatingRules
) -> None:
    world.activity("s1", kind="olympiad_stage_individual")
    world.activity("f", kind="olympiad_final")
    world.edge("s1", "f")
    world.achievement("A", "f", "winner", at="2025-10-20")
    world.achievement("B", "f", "winner", at="2025-10-20")
    world.achievement("B", "s1", "winner", at="2025-09-20")  # superseded, still a national result
    world.achievement("C", "f", "winner", at="2025-10-10")
    world.achievement("D", "f", "winner", at="2025-10-20")
    result = rate(world.snapshot(), SEASON, rules)
    places = dict(zip(result.table[C.PARTICIPANT_ID], result.table[RC.PLACE], strict=True))
    assert places == {"B": 1, "C": 2, "A": 3, "D": 3}
    assert set(result.table[RC.RAW_POINTS]) == {40.0}
    exp = result.explain("B", "python")
    assert exp.tie_break.results_at_levels == 2
    assert exp.tie_break.deciding_achieved_at is not None
    assert exp.tie_break.deciding_achieved_at.day == 20


# --- interface --------------------------------------------------------------------------------


def test_table_columns_and_directions_filter(world: World, rules: RatingRules) -> None:
    world.activity("f", kind="olympiad_final", directions={"python": 0.5, "robotics": 0.5})
    world.achievement("p", "f", "winner")
    result = rate(world.snapshot(), SEASON, rules, directions=["robotics"])
    assert list(result.table.columns) == [
        "participant_id",
        "direction",
        "season",
        "raw_points",
        "score",
        "place",
        "diploma",
        "provisional",
        "n_counted",
        "tie_break_results",
        "deciding_at",
        "rules_version",
    ]
    assert list(result.table[C.DIRECTION]) == ["robotics"]
    assert result.table[RC.SEASON].iloc[0] == SEASON
    with pytest.raises(ConfigError, match="not in this rating"):
        result.explain("p", "python")
    with pytest.raises(ConfigError, match="unknown direction"):
        rate(world.snapshot(), SEASON, rules, directions=["chess"])
    with pytest.raises(ConfigError, match="YYYY/YY"):
        rate(world.snapshot(), "2025-26", rules)
    with pytest.raises(UnknownParticipantError):
        result.explain("nobody", "robotics")


def test_empty_season(world: World, rules: RatingRules) -> None:
    world.activity("f", kind="olympiad_final")
    world.achievement("p", "f", "winner", at="2023-10-01")
    result = rate(world.snapshot(), SEASON, rules)
    assert result.table.empty and result.thresholds.empty
    exp = result.explain("p", "python")
    assert not exp.rated and exp.contributions == []
    assert exp.not_rated_reason is not None
    assert exp.not_rated_reason.code == "no_counted_achievements"


def test_full_scores_are_ordered_by_raw_points_then_tie_breaks(rules: RatingRules) -> None:
    # 200 rated: R = 1..198, 400 and 500; R_ref = 198 + 0.01 x (400 - 198) = 200.02
    raw_points = [float(i) for i in range(1, 199)] + [400.0, 500.0]
    ties = [0] * 198 + [3, 0]
    table, thr = rank_directions(totals_frame(raw_points, ties), rules)
    assert thr[RC.R_REF].iloc[0] == pytest.approx(200.02)
    assert list(table[RC.RAW_POINTS].iloc[:3]) == [500.0, 400.0, 198.0]
    assert list(table[RC.SCORE].iloc[:2]) == [100.0, 100.0]
    assert list(table[RC.PLACE].iloc[:3]) == [1, 2, 3]
    # the literal reading: equal S = 100 is a tie, decided by national results
    literal = rules.model_copy(
        update={
            "diplomas": rules.diplomas.model_copy(update={"raw_points_before_tie_breaks": False})
        }
    )
    table, _ = rank_directions(totals_frame(raw_points, ties), literal)
    assert list(table[RC.RAW_POINTS].iloc[:3]) == [400.0, 500.0, 198.0]
