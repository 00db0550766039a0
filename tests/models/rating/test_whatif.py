"""What-if: points needed for each diploma at current thresholds; what a hypothetical adds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from models.rating.engine import RatingResult, rate
from models.rating.rules import RatingRules
from models.rating.whatif import HypotheticalAchievement as H
from models.rating.whatif import what_if

from .conftest import SEASON, World


def r_of(i: int) -> float:
    """Raw points of participant i (score i of 20 at one national competition, as winner)."""
    return 20 * (0.5 + 0.5 * (i - 1) / 19)


R_REF = r_of(19) + 0.81 * (r_of(20) - r_of(19))


def u(points: float) -> int:
    """Points in the engine's ten-thousandths."""
    return round(points * 10_000)


def ahead_of(points: float, mine: float = 0.0) -> float:
    """Points needed to pass ``points`` (one ten-thousandth more) from ``mine``."""
    return (u(points) + 1 - u(mine)) / 10_000


@pytest.fixture
def twenty(world: World, rules: RatingRules) -> RatingResult:
    world.activity("k", kind="competition")
    for i in range(1, 21):
        world.achievement(f"p{i:02d}", "k", "winner", score=i)
    world.activity("h", kind="hackathon")
    world.achievement("newbie", "h", "winner", status="pending")
    world.participant("anon", verified=False)
    world.achievement("anon", "h", "winner")
    return rate(world.snapshot(), SEASON, rules)


def test_gaps_at_current_thresholds(twenty: RatingResult) -> None:
    # 1 winner slot (p20), 3 prize slots (p19-p17); p16 must pass p17's points
    w = what_if(twenty, "p16", "python")
    assert w.diploma == "none" and w.place == 5
    assert w.to_prize_winner.code == "needs_points"
    assert w.to_prize_winner.points_needed == ahead_of(r_of(17), r_of(16))
    assert w.to_prize_winner.threshold_raw_points == ahead_of(r_of(17))
    # the winner holds S = 100 with R above R_ref: reaching R_ref would only tie S, so one must
    # pass the winner's raw points
    assert r_of(20) > R_REF
    assert w.to_winner.threshold_raw_points == ahead_of(r_of(20))
    assert w.to_winner.points_needed == ahead_of(r_of(20), r_of(16))
    assert "не хватает" in w.to_winner.text_ru
    assert w.outcomes == [] and w.points_added == 0.0


def test_holders_need_nothing(twenty: RatingResult) -> None:
    w = what_if(twenty, "p20", "python")
    assert (w.to_winner.points_needed, w.to_prize_winner.points_needed) == (0.0, 0.0)
    p = what_if(twenty, "p17", "python")
    assert p.diploma == "prize_winner" and p.to_prize_winner.points_needed == 0.0
    assert p.to_winner.points_needed == ahead_of(r_of(20), r_of(17))


def test_unrated_participant_gap_and_hypothetical(twenty: RatingResult) -> None:
    w = what_if(
        twenty,
        "newbie",
        "python",
        H(kind="competition", level="national", result="winner", percentile=1.0),
    )
    assert w.place is None and w.raw_points == 0.0
    assert w.to_prize_winner.points_needed == ahead_of(r_of(17))
    (outcome,) = w.outcomes
    assert outcome.points == 20.0 and outcome.points_added == 20.0 and outcome.counted
    assert w.new_raw_points == 20.0
    assert w.new_score_at_current_reference == 100.0


def test_unverified_account_cannot_gain_in_the_official_view(twenty: RatingResult) -> None:
    w = what_if(
        twenty, "anon", "python", H(kind="olympiad_final", level="national", result="winner")
    )
    (outcome,) = w.outcomes
    assert outcome.points_added == 0.0 and not outcome.counted
    assert outcome.reason is not None and outcome.reason.code == "account_unverified"


def test_hypothetical_goes_through_caps_and_best_8(world: World, rules: RatingRules) -> None:
    for i in range(4):
        world.activity(f"h{i}", kind="hackathon")
        world.achievement("p", f"h{i}", "winner")
    for i in range(4):
        world.activity(f"k{i}", kind="competition")
        world.achievement("p", f"k{i}", "prize_winner")
    result = rate(world.snapshot(), SEASON, rules)
    w = what_if(
        result,
        "p",
        "python",
        [
            H(kind="hackathon", level="national", result="winner", percentile=1.0),
            H(kind="competition", level="national", result="participant", percentile=1.0),
            H(kind="olympiad_final", level="international", result="winner", percentile=1.0),
        ],
    )
    assert w.raw_points == pytest.approx(4 * 20 + 4 * 14)
    capped, weak, strong = w.outcomes
    assert (capped.points, capped.points_added, capped.counted) == (20.0, 0.0, False)
    assert capped.reason is not None and capped.reason.code == "capped"
    assert (weak.points, weak.points_added) == (4.0, 0.0)
    assert weak.reason is not None and weak.reason.code == "below_best_n"
    # 48 points push out one 14-point competition
    assert (strong.points, strong.points_added, strong.counted) == (48.0, 34.0, True)
    assert w.points_added == pytest.approx(34.0)


def test_hypothetical_at_a_catalogue_stage_of_a_chain(world: World, rules: RatingRules) -> None:
    world.activity("s1", kind="olympiad_stage_individual")
    world.activity(
        "fin", kind="olympiad_final", directions={"python": 0.5, "robotics": 0.5}, list_level=2
    )
    world.edge("s1", "fin")
    world.achievement("p", "s1", "winner")
    result = rate(world.snapshot(), SEASON, rules)
    # the final as finalist: 40 x 0.45 x quality 1 x list II 1.1 x weight 0.5 = 9.9, which
    # supersedes the stage's 10 but is floored at it
    low = what_if(result, "p", "python", H(activity_id="fin", result="finalist", percentile=1.0))
    assert low.outcomes[0].points == pytest.approx(9.9)
    assert low.outcomes[0].points_added == 0.0
    high = what_if(result, "p", "python", H(activity_id="fin", result="winner", percentile=0.0))
    # 40 x 1.1 x 0.5 quality x 0.5 weight = 11: adds 1 over the stage it supersedes
    assert high.outcomes[0].points_added == pytest.approx(1.0)
    assert high.to_winner.reachable is False  # one rated participant: no slots


def test_hypothetical_validation(twenty: RatingResult) -> None:
    with pytest.raises(ValidationError, match="activity_id, or both kind and level"):
        H(kind="hackathon", result="winner")
    with pytest.raises(ValidationError):
        H(activity_id="k", result="winner", percentile=1.5)
    with pytest.raises(ConfigError, match="not in snapshot"):
        what_if(twenty, "p01", "python", H(activity_id="missing", result="winner"))
