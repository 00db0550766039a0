"""Trajectory metrics on a small world: feasible plans, replayed goals within bounds."""

from __future__ import annotations

from models.recommend.planner import PlanConstraints
from tests.training.recommend_world import small_world  # noqa: F401 - a fixture
from training.simworld import SimWorld
from training.simworld.trajectory import TrajectoryEvalConfig, evaluate_trajectories


def test_plans_are_feasible_and_replayed(small_world: SimWorld) -> None:  # noqa: F811
    report = evaluate_trajectories(
        small_world,
        TrajectoryEvalConfig(
            participants=40, ability_sample=1_000, constraints=PlanConstraints(beam_width=6)
        ),
    )
    t = report.table
    assert t["participants"] > 10
    assert t["feasibility_violations"] == 0
    for key in ("goal_reached_plan", "goal_reached_popular", "goal_expected_by_planner"):
        assert 0 <= t[key] <= 1
    assert t["mean_steps"] > 0
