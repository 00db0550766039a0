"""The trajectory planner: feasible dated sequences toward a goal, for a whole population."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from core.errors import ConfigError
from features.cutoff import snapshot_at
from models.rating.engine import rate
from models.rating.rules import load_rules
from models.recommend.codes import all_codes
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.planner import Goal, PlanConstraints, Planner, audit, plan
from training.simworld import SimWorld

PLAN_AT = dt.datetime(2024, 9, 1)


@pytest.fixture(scope="module")
def planner(sim: SimWorld) -> Planner:
    past = snapshot_at(sim.snapshot, PLAN_AT)
    data = dataset_from_snapshot(past, PLAN_AT, ability=True, ability_sample=1_500)
    return Planner(
        data,
        rate(past, "2024/25", load_rules(None, season="2024/25")),
        rate(past, "2023/24", load_rules(None, season="2023/24")),
    )


def test_goal_parsing() -> None:
    assert Goal.parse("python:advanced").competence == 75
    assert Goal.parse("robotics:prize_winner").diploma == "prize_winner"
    assert Goal.parse("engineering:70").competence == 70
    with pytest.raises(ConfigError):
        Goal.parse("python")
    with pytest.raises(ConfigError):
        Goal.parse("python:genius")


def test_zero_infeasible_steps_across_the_population(planner: Planner) -> None:
    # every participant of the world, each with a goal; without ratings the points come from
    # the rules directly (faster), the feasibility logic is the same
    fast = Planner(planner.dataset)
    data = fast.dataset
    pids = data.participant_ids
    cons = PlanConstraints(beam_width=6)
    n_steps = 0
    for i, pid in enumerate(pids):
        goal = Goal(
            direction=data.directions[i % 3],
            **({"diploma": "prize_winner"} if i % 2 else {"competence": 75.0}),
        )
        p = plan(pid, goal, constraints=cons, planner=fast)
        assert audit(p, fast, cons) == [], pid
        n_steps += len(p.steps)
        starts = [s.start_at for s in p.steps]
        assert starts == sorted(starts)
        for a, b in zip(p.steps, p.steps[1:], strict=False):
            assert a.end_at < b.start_at  # no overlaps
    assert n_steps > len(pids)  # plans are not empty


def test_constraints_are_respected(planner: Planner) -> None:
    data = planner.dataset
    pids = data.participant_ids[data.history_counts() > 2][:25]
    cons = PlanConstraints(online_only=True, monthly_cap=1, max_steps=4)
    for pid in pids:
        p = plan(
            pid, Goal(direction="python", diploma="prize_winner"), constraints=cons, planner=planner
        )
        assert all(s.format == "online" for s in p.steps)
        assert len(p.steps) <= 4
        months = [
            m
            for s in p.steps
            for m in range(
                s.start_at.year * 12 + s.start_at.month, s.end_at.year * 12 + s.end_at.month + 1
            )
        ]
        assert len(months) == len(set(months))
        assert audit(p, planner, cons) == []


def test_selection_chain_order_and_reasons(planner: Planner) -> None:
    data = planner.dataset
    found = False
    for pid in data.participant_ids[data.history_counts() > 3][:60]:
        p = plan(pid, Goal(direction="python", diploma="winner"), planner=planner)
        ids = [s.activity_id for s in p.steps]
        for s in p.steps:
            assert set(s.reason_codes) <= set(all_codes())
            assert s.reasons_ru
            if s.conditional:
                found = True
                assert s.after_step in ids[: ids.index(s.activity_id)]
                assert "conditional_on_qualifying" in s.reason_codes
    assert found, "no plan used a selection chain"


def test_plan_reports_points_and_gain(planner: Planner) -> None:
    data = planner.dataset
    pid = data.participant_ids[data.history_counts() > 3][0]
    p = plan(pid, Goal(direction="robotics", diploma="prize_winner"), planner=planner)
    assert p.steps
    assert p.points_needed is not None
    assert np.isclose(
        p.expected_rating_points, sum(s.expected_rating_points for s in p.steps), atol=1e-2
    )
    assert all(s.expected_competence_gain >= 0 for s in p.steps)
    assert p.summary_ru.startswith("План на сезон 2024/25")
    assert any(s.projected for s in p.steps) or all(not s.projected for s in p.steps)


def test_unknown_participant_gets_a_plan(planner: Planner) -> None:
    p = plan("someone-new", Goal(direction="python", competence=50.0), planner=planner)
    assert audit(p, planner) == []


def test_activities_without_a_registration_deadline_can_be_planned(planner: Planner) -> None:
    """Regression: PlanStep required registration_deadline, optional in the data model."""
    data = planner.dataset
    no_deadline = np.full_like(data.catalog.deadline, np.datetime64("NaT"))
    blank = Planner(replace(data, catalog=replace(data.catalog, deadline=no_deadline)))
    cons = PlanConstraints(beam_width=4)
    pid = data.participant_ids[0]
    p = plan(
        pid, Goal(direction=data.directions[0], competence=75.0), constraints=cons, planner=blank
    )
    assert p.steps
    real = [s for s in p.steps if not s.projected]  # projections close at their start
    assert real and all(s.registration_deadline is None for s in real)
    assert audit(p, blank, cons) == []
